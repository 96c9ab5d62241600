//! The client's settings, as the `client:` section of bots.yaml holds them.

use crate::safety_margin::SafetyMargin;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use zimbot_model::MediaLimits;

/// Settings of the shared send client. Every field has a default; durations are in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ClientConfig {
    /// Overall cap: most message sends (of all three send actions together) that may START in any one window;
    /// 10 per second is the client SDK's documented rate. 0 turns the cap off, leaving only `action_limits`.
    pub sends_per_window: u32,
    /// The window length.
    pub window_ms: u64,
    /// Added to the window when counting, so that network jitter never makes the service see more than
    /// `sends_per_window` arrivals in its own window. Unset (the default), the margin adapts: it follows the
    /// spread of measured request latencies (see `safety_margin_floor_ms`); set, it is fixed at this value.
    pub safety_margin_ms: Option<u64>,
    /// The adaptive margin's least value, however steady the latencies.
    pub safety_margin_floor_ms: u64,
    /// The adaptive margin's greatest value (and its value until a few answers were measured).
    pub safety_margin_ceiling_ms: u64,
    /// Uploads running at once (uploads are outside the send limit).
    pub max_concurrent_uploads: usize,
    /// Accepted sends one bot may have waiting before further sends are refused with `queue_full`.
    pub queue_capacity: usize,
    /// Attempts per send (and per upload) before it fails for good.
    pub max_attempts: u32,
    /// First retry delay; doubles each attempt, with jitter.
    pub backoff_initial_ms: u64,
    /// Longest retry delay.
    pub backoff_max_ms: u64,
    /// How long a window is held after the service answers with a throttling code for it.
    pub rate_limit_pause_ms: u64,
    /// Timeout of one Server API request.
    pub request_timeout_ms: u64,
    /// The service's own per-action limits: calls that may START in any one window, per action.
    pub action_limits: ActionLimits,
    /// Largest `MessageBody.Message` (the text, or a media message's JSON description), in bytes: 2048 by
    /// default, as the service documents; ZEGOCLOUD can raise an app's limit up to 32768.
    pub max_message_bytes: usize,
    /// Largest file per media kind, in bytes.
    #[schemars(with = "MediaLimitsSchema")]
    pub media_limits: MediaLimits,
    /// What a resumed send whose request was on the wire when zimbot stopped (killed, or cut off at the end of
    /// the shutdown grace) becomes: `resend` (the default: sent again, so delivered at least once; the receiver
    /// may see it twice) or `fail` (reported failed with code -12, never sent twice).
    pub unknown_outcome: UnknownOutcome,
    /// How long a delivered send stays in the outbox (listed by `zimbot outbox list --all`) before it is removed.
    pub sent_retention_ms: u64,
    /// How long a failed send stays in the outbox's dead list (for `zimbot outbox retry`) before it is removed.
    pub failed_retention_ms: u64,
}

/// What a send with an unknown outcome (on the wire at a crash) becomes when zimbot starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnknownOutcome {
    /// Sent again: at least once.
    #[default]
    Resend,
    /// Reported failed (`ZimCode::UNKNOWN_OUTCOME`): at most once.
    Fail,
}

/// Calls per window for each Server API action, as the service documents them (per app). Each action is counted
/// in its own exact window; raise one only when ZEGOCLOUD has raised it for the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ActionLimits {
    /// `SendPeerMessage`: 20 per second.
    pub send_peer_message: u32,
    /// `SendRoomMessage`: 10 per second.
    pub send_room_message: u32,
    /// `SendGroupMessage`: 10 per second.
    pub send_group_message: u32,
    /// `RobotRegister`: 20 per second (each call registers up to 20 bots).
    pub robot_register: u32,
    /// `CreateRoom` (made when a room send finds the room gone): 20 per second.
    pub create_room: u32,
}

impl Default for ActionLimits {
    fn default() -> Self {
        Self {
            send_peer_message: 20,
            send_room_message: 10,
            send_group_message: 10,
            robot_register: 20,
            create_room: 20,
        }
    }
}

/// Schema stand-in for [`MediaLimits`] (which lives in the serde-only model crate).
#[derive(JsonSchema)]
#[allow(dead_code)]
struct MediaLimitsSchema {
    image: Option<u64>,
    file: Option<u64>,
    audio: Option<u64>,
    video: Option<u64>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            sends_per_window: 10,
            window_ms: 1000,
            safety_margin_ms: None,
            safety_margin_floor_ms: 5,
            safety_margin_ceiling_ms: 250,
            max_concurrent_uploads: 4,
            queue_capacity: 1000,
            max_attempts: 5,
            backoff_initial_ms: 200,
            backoff_max_ms: 10_000,
            rate_limit_pause_ms: 1000,
            request_timeout_ms: 10_000,
            action_limits: ActionLimits::default(),
            max_message_bytes: 2048,
            media_limits: MediaLimits::default(),
            unknown_outcome: UnknownOutcome::Resend,
            sent_retention_ms: 60 * 60 * 1000,
            failed_retention_ms: 7 * 24 * 60 * 60 * 1000,
        }
    }
}

impl ClientConfig {
    /// The window length.
    pub fn window(&self) -> Duration {
        Duration::from_millis(self.window_ms)
    }

    /// The safety margin's setting: fixed when `safety_margin_ms` is set, adaptive otherwise.
    pub(crate) fn safety_margin(&self) -> SafetyMargin {
        match self.safety_margin_ms {
            Some(margin) => SafetyMargin::Fixed(Duration::from_millis(margin)),
            None => SafetyMargin::Adaptive {
                floor: Duration::from_millis(self.safety_margin_floor_ms),
                ceiling: Duration::from_millis(self.safety_margin_ceiling_ms),
            },
        }
    }
}
