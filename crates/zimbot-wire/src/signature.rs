//! The two signatures of the protocol: md5 on Server API requests, sha1 on callbacks.

use md5::{Digest as _, Md5};
use sha1::Sha1;

/// `lowercase_hex(md5(AppId + SignatureNonce + ServerSecret + Timestamp))`, the Server API request signature.
pub fn server_api_signature(app_id: u32, nonce: &str, server_secret: &str, timestamp: i64) -> String {
    let mut hasher = Md5::new();
    hasher.update(app_id.to_string());
    hasher.update(nonce);
    hasher.update(server_secret);
    hasher.update(timestamp.to_string());
    hex::encode(hasher.finalize())
}

/// `lowercase_hex(sha1(concat(sorted([callback_secret, timestamp, nonce]))))`, the callback signature.
pub fn callback_signature(callback_secret: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [callback_secret, timestamp, nonce];
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_api_signature_matches_the_published_vector() {
        let signature = server_api_signature(12345, "4fd24687296dd9f3", "9193cc662a4c0ec135ec71fb57194b38", 1615186943);
        assert_eq!(signature, "43e5cfcca828314675f91b001390566a");
    }

    #[test]
    fn callback_signature_matches_the_published_vector() {
        assert_eq!(callback_signature("secret", "1470820198", "123412"), "5bd59fd62953a8059fb7eaba95720f66d19e4517");
    }

    #[test]
    fn callback_signature_depends_on_every_part() {
        let base = callback_signature("secret", "1470820198", "123412");
        assert_ne!(base, callback_signature("secret", "1470820199", "123412"));
        assert_ne!(base, callback_signature("secreT", "1470820198", "123412"));
        assert_ne!(base, callback_signature("secret", "1470820198", "123413"));
    }
}
