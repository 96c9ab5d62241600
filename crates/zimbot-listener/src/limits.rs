//! The limits one listener enforces, as written in bots.yaml (`webhook.limits`, `zim.hub.limits`) or given to
//! `zimbot hub`.

use schemars::JsonSchema;
use serde::Deserialize;
use std::time::Duration;

/// Timeouts and caps of one listener. Every field has a safe default, so `limits: {}` or no `limits:` is fine.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default, expecting = "a mapping of listener limits (`max_connections`, ...)")]
pub struct ListenerLimits {
    /// Seconds a client has to send a whole request head once its first byte arrived.
    pub header_read_timeout_secs: u64,
    /// Seconds a request body may take to arrive whole, counted from its head.
    pub body_timeout_secs: u64,
    /// Seconds a connection may wait with no request in flight before it is closed.
    pub idle_timeout_secs: u64,
    /// Connections open at once; at the cap the one idle longest is closed for a new one.
    pub max_connections: usize,
    /// Requests handled at once; more are answered 503.
    pub max_concurrent_requests: usize,
}

impl Default for ListenerLimits {
    /// 10 s for a head, 60 s for a body, 60 s idle, 1 024 connections, 256 requests at once.
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            body_timeout_secs: 60,
            idle_timeout_secs: 60,
            max_connections: 1024,
            max_concurrent_requests: 256,
        }
    }
}

impl ListenerLimits {
    /// The header read timeout.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    /// The body timeout.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs)
    }

    /// The idle keep-alive timeout.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    /// The settings that are zero, which is not allowed: a zero would refuse everything, not lift the limit.
    pub fn zero_settings(&self) -> Vec<&'static str> {
        let fields = [
            ("header_read_timeout_secs", self.header_read_timeout_secs as u128),
            ("body_timeout_secs", self.body_timeout_secs as u128),
            ("idle_timeout_secs", self.idle_timeout_secs as u128),
            ("max_connections", self.max_connections as u128),
            ("max_concurrent_requests", self.max_concurrent_requests as u128),
        ];
        fields.into_iter().filter(|(_, value)| *value == 0).map(|(name, _)| name).collect()
    }
}
