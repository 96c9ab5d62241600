//! The scenarios, one per module, each returning its figures as an [`Outcome`](crate::report::Outcome).

pub mod cron;
pub mod idle;
pub mod inbound;
pub mod inbound_journal;
pub mod limiter;
pub mod outbox;
pub mod peers;
pub mod plugins;
pub mod soak;
pub mod upload;

/// The scenario names, in the order they run.
pub const NAMES: [&str; 9] =
    ["limiter", "inbound", "inbound_journal", "outbox", "upload", "cron", "plugins", "idle", "soak"];

/// The peers scenario, run only when asked for (`--peers` or `--only peers`): it installs Hubot and errbot.
pub const PEERS: &str = "peers";
