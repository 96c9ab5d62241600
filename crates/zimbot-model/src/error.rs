//! The service's error codes, and zimbot's own codes for failures that happen before the service answers.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A numeric error code with the service's meaning attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ZimCode(pub i64);

impl ZimCode {
    pub const SUCCESS: Self = Self(0);
    /// Authentication failed.
    pub const AUTH_FAILED: Self = Self(3);
    /// Per-action QPS exceeded.
    pub const QPS_EXCEEDED: Self = Self(7);
    /// The request's timestamp is outside the accepted window.
    pub const SIGNATURE_EXPIRED: Self = Self(100_000_004);
    /// The signature does not match.
    pub const SIGNATURE_INVALID: Self = Self(100_000_005);
    pub const USER_NOT_FOUND: Self = Self(660_200_001);
    pub const ROOM_NOT_FOUND: Self = Self(660_300_001);
    /// CreateRoom: the room exists already (not a failure for zimbot).
    pub const ROOM_EXISTS: Self = Self(660_300_014);
    /// App-level frequency limit.
    pub const APP_FREQUENCY_LIMIT: Self = Self(660_300_005);
    /// Room- or group-level frequency limit.
    pub const CONVERSATION_FREQUENCY_LIMIT: Self = Self(660_300_006);
    pub const MESSAGE_TOO_LARGE: Self = Self(660_400_001);
    pub const SENDER_NOT_REGISTERED: Self = Self(660_500_002);
    pub const GROUP_NOT_FOUND: Self = Self(660_600_001);
    /// CreateGroup called too often.
    pub const GROUP_CREATE_FREQUENCY_LIMIT: Self = Self(660_600_010);
    /// RobotRegister / UserRegister called more than 20 times a second.
    pub const REGISTER_FREQUENCY_LIMIT: Self = Self(660_700_001);
    /// A general business error on the service's side ("please retry").
    pub const GENERAL_BUSINESS_ERROR: Self = Self(660_000_001);
    /// RobotRegister: the bot user exists already (not a failure for zimbot).
    pub const ALREADY_REGISTERED: Self = Self(660_700_002);
    pub const USER_NOT_FOUND_2: Self = Self(660_700_012);
    pub const USER_NOT_FOUND_3: Self = Self(51_102);
    /// An invalid parameter in the request body (the hub's code for a malformed request).
    pub const INVALID_PARAMETER: Self = Self(660_000_002);

    /// zimbot: the request never got an answer (connection refused, reset, timed out).
    pub const NETWORK: Self = Self(-1);
    /// zimbot: the service answered with an HTTP error status.
    pub const HTTP_STATUS: Self = Self(-2);
    /// zimbot: the answer could not be understood.
    pub const BAD_RESPONSE: Self = Self(-3);
    /// zimbot: the file could not be uploaded to the media store.
    pub const UPLOAD_FAILED: Self = Self(-4);
    /// zimbot: the file could not be read while uploading.
    pub const FILE_READ: Self = Self(-5);
    /// zimbot: the runtime stopped before the send finished.
    pub const CANCELLED: Self = Self(-6);
    /// zimbot: the media store refused the file as too large.
    pub const UPLOAD_TOO_LARGE: Self = Self(-7);
    /// zimbot: the service answered `Code` 0 but its content moderation refused the message (`AuditInfos`).
    pub const MODERATION_REFUSED: Self = Self(-8);
    /// zimbot: the message breaks a documented limit of the service (size, URL length) and was not sent.
    pub const WIRE_LIMIT: Self = Self(-9);
    /// zimbot: the send's deadline passed before it could go out, so it was not sent late.
    pub const DEADLINE_PASSED: Self = Self(-10);
    /// zimbot: the send's local file changed or vanished while zimbot was stopped; the file sent would not have
    /// been the one accepted.
    pub const FILE_CHANGED: Self = Self(-11);
    /// zimbot: the send's request was on the wire when zimbot stopped and `client.unknown_outcome` is `fail`: it
    /// may or may not have been delivered.
    pub const UNKNOWN_OUTCOME: Self = Self(-12);
    /// zimbot: the outbox could not be read or written (disk full, read-only directory).
    pub const STORAGE_UNAVAILABLE: Self = Self(-13);

    /// Whether this code asks to slow down (the limiter pauses before retrying).
    pub fn is_rate_limit(self) -> bool {
        matches!(
            self,
            Self::QPS_EXCEEDED
                | Self::APP_FREQUENCY_LIMIT
                | Self::CONVERSATION_FREQUENCY_LIMIT
                | Self::GROUP_CREATE_FREQUENCY_LIMIT
                | Self::REGISTER_FREQUENCY_LIMIT
        )
    }

    /// Whether a later attempt may succeed: rate limits and transport trouble. Everything else is permanent.
    pub fn is_retryable(self) -> bool {
        self.is_rate_limit()
            || matches!(self, Self::NETWORK | Self::HTTP_STATUS | Self::UPLOAD_FAILED | Self::GENERAL_BUSINESS_ERROR)
    }

    /// A short description of what the code means, when it is one zimbot knows.
    pub fn describe(self) -> Option<&'static str> {
        Some(match self {
            Self::SUCCESS => "success",
            Self::AUTH_FAILED => "authentication failed",
            Self::QPS_EXCEEDED => "QPS limit exceeded",
            Self::SIGNATURE_EXPIRED => "signature expired (check the clock)",
            Self::SIGNATURE_INVALID => "signature invalid (check app id and server secret)",
            Self::USER_NOT_FOUND | Self::USER_NOT_FOUND_2 | Self::USER_NOT_FOUND_3 => "user does not exist",
            Self::ROOM_NOT_FOUND => "room does not exist",
            Self::ROOM_EXISTS => "room exists already",
            Self::APP_FREQUENCY_LIMIT => "app-level frequency limit",
            Self::CONVERSATION_FREQUENCY_LIMIT => "room or group frequency limit",
            Self::MESSAGE_TOO_LARGE => "message too large",
            Self::SENDER_NOT_REGISTERED => "sender not registered",
            Self::GROUP_NOT_FOUND => "group does not exist",
            Self::GROUP_CREATE_FREQUENCY_LIMIT => "group creation frequency limit",
            Self::REGISTER_FREQUENCY_LIMIT => "registration frequency limit (20/s)",
            Self::GENERAL_BUSINESS_ERROR => "general business error on the service (retried)",
            Self::ALREADY_REGISTERED => "user already registered",
            Self::INVALID_PARAMETER => "invalid parameter",
            Self::NETWORK => "network error",
            Self::HTTP_STATUS => "HTTP error status",
            Self::BAD_RESPONSE => "unreadable response",
            Self::UPLOAD_FAILED => "upload failed",
            Self::FILE_READ => "file could not be read",
            Self::CANCELLED => "cancelled",
            Self::UPLOAD_TOO_LARGE => "media store refused the file as too large",
            Self::MODERATION_REFUSED => "refused by content moderation",
            Self::WIRE_LIMIT => "over a documented limit of the service (not sent)",
            Self::DEADLINE_PASSED => "deadline passed before it could go out (not sent)",
            Self::FILE_CHANGED => "the file changed or vanished while zimbot was stopped (not sent)",
            Self::UNKNOWN_OUTCOME => "on the wire when zimbot stopped; may or may not have been delivered",
            Self::STORAGE_UNAVAILABLE => "the outbox could not be read or written",
            _ => return None,
        })
    }
}

impl fmt::Display for ZimCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An error from the service (or from getting a request to it), with its code and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("ZIM error {code}: {message}")]
pub struct ZimError {
    pub code: ZimCode,
    pub message: String,
}

impl ZimError {
    pub fn new(code: ZimCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        self.code.is_retryable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_codes_are_retryable() {
        for code in [7, 660_300_005, 660_300_006, 660_600_010, 660_700_001] {
            assert!(ZimCode(code).is_rate_limit());
            assert!(ZimCode(code).is_retryable());
        }
    }

    #[test]
    fn signature_not_found_and_size_codes_are_permanent() {
        for code in [
            100_000_004,
            100_000_005,
            3,
            660_200_001,
            660_700_012,
            51_102,
            660_500_002,
            660_300_001,
            660_600_001,
            660_400_001,
        ] {
            assert!(!ZimCode(code).is_retryable(), "{code} must not be retried");
        }
    }

    #[test]
    fn transport_failures_are_retryable() {
        assert!(ZimCode::NETWORK.is_retryable());
        assert!(ZimCode::HTTP_STATUS.is_retryable());
        assert!(!ZimCode::BAD_RESPONSE.is_retryable());
    }
}
