//! The scenarios, one per module, each returning its figures as an [`Outcome`](crate::report::Outcome).

pub mod cron;
pub mod idle;
pub mod inbound;
pub mod inbound_journal;
pub mod limiter;
pub mod plugins;
pub mod upload;

/// The scenario names, in the order they run.
pub const NAMES: [&str; 7] = ["limiter", "inbound", "inbound_journal", "upload", "cron", "plugins", "idle"];
