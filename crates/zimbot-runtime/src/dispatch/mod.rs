//! Delivering inbound messages and cron ticks to bots, and send events back to them.

mod bot;
mod mailbox;
mod persist;
mod router;

pub use bot::{BotRunner, Inbound, StartError, MAX_PANICS, PANIC_WINDOW};
pub use mailbox::{Mailbox, Pushed};
pub use router::Router;
