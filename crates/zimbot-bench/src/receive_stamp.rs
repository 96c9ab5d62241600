//! A layer in front of the webhook that writes the time a callback was received into its message text, in
//! place of the `rcv=` placeholder (see [`crate::recorder`]), so a hook can tell how long dispatch took.
//!
//! The callback signature covers the timestamp and nonce only, so the rewritten body still verifies. The layer
//! costs one copy of the body; it is part of what the inbound figures measure.

use crate::recorder::{DIGITS, RECEIVED_MARKER};
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Larger than any callback the scenarios send.
const BODY_LIMIT: usize = 64 * 1024;

/// Overwrites the digits after the first `rcv=` in `body` with `received_ns`.
pub fn stamp(body: &mut [u8], received_ns: u64) {
    let Some(at) = body.windows(RECEIVED_MARKER.len()).position(|window| window == RECEIVED_MARKER) else {
        return;
    };
    let digits = at + RECEIVED_MARKER.len();
    if let Some(slot) = body.get_mut(digits..digits + DIGITS) {
        slot.copy_from_slice(format!("{received_ns:020}").as_bytes());
    }
}

/// The middleware: reads the body, stamps it, passes it on.
pub async fn stamp_receive_time(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let received = crate::clock::now_ns();
    let mut body = bytes.to_vec();
    stamp(&mut body, received);
    next.run(Request::from_parts(parts, Body::from(body))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_placeholder_is_overwritten_and_nothing_else() {
        let text = crate::recorder::message_text(7);
        let mut body = format!("{{\"msg_body\":\"{text}\"}}").into_bytes();
        stamp(&mut body, 42);
        let expected = format!("{{\"msg_body\":\"sent={:020} rcv={:020}\"}}", 7, 42);
        assert_eq!(String::from_utf8(body).unwrap(), expected);
    }
}
