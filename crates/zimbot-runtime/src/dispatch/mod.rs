//! Delivering inbound messages and cron ticks to bots, and send events back to them.

mod bot;
mod mailbox;
mod notifications;
mod persist;
mod router;
mod snapshot_pace;
mod tick_batch;

pub use bot::{BotRunner, Inbound, MAX_PANICS};
pub use notifications::NotificationQueue;
pub use router::Router;
pub use snapshot_pace::SNAPSHOT_INTERVAL;
pub(crate) use tick_batch::by_bot as ticks_by_bot;
