//! The longest ids a callback may carry. Anything longer is refused before it is verified, remembered or
//! delivered, so a signed callback cannot make the webhook or a bot's mailbox hold huge ids.
//!
//! ZIM documents user, room and group ids of at most 32 bytes (raised on request); zimbot accepts up to
//! [`MAX_ID_BYTES`] to leave room for a raised limit. Message ids, nonces, signatures and the app id are short
//! numbers or hex strings; [`MAX_TOKEN_BYTES`] is far above any of them.

use zimbot_wire::Callback;

/// Longest user, room, group or conversation id, in bytes.
pub const MAX_ID_BYTES: usize = 128;
/// Longest `msg_id`, `nonce`, `signature` or `appid`, in bytes.
pub const MAX_TOKEN_BYTES: usize = 64;
/// Most entries of `user_list` (a Server API peer send reaches at most 100 users).
pub const MAX_USER_LIST: usize = 100;

/// Why a callback's ids are refused: the field and the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` is {length} bytes; at most {limit} are accepted")]
pub struct TooLong {
    pub field: &'static str,
    pub length: usize,
    pub limit: usize,
}

/// Checks every id of `callback` against its cap.
pub fn check_id_lengths(callback: &Callback) -> Result<(), TooLong> {
    let fields = [
        ("appid", callback.appid.len(), MAX_TOKEN_BYTES),
        ("nonce", callback.nonce.len(), MAX_TOKEN_BYTES),
        ("signature", callback.signature.len(), MAX_TOKEN_BYTES),
        ("msg_id", callback.msg_id.len(), MAX_TOKEN_BYTES),
        ("from_user_id", callback.from_user_id.len(), MAX_ID_BYTES),
        ("conv_id", callback.conv_id.len(), MAX_ID_BYTES),
        ("user_list", callback.user_list.len(), MAX_USER_LIST),
    ];
    let users = callback.user_list.iter().flat_map(|user| {
        [
            ("user_list[].UserId", user.user_id.len(), MAX_ID_BYTES),
            ("user_list[].MsgId", user.msg_id.len(), MAX_TOKEN_BYTES),
        ]
    });
    match fields.into_iter().chain(users).find(|(_, length, limit)| length > limit) {
        Some((field, length, limit)) => Err(TooLong { field, length, limit }),
        None => Ok(()),
    }
}
