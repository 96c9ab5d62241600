//! What a bot's inbound lane carries: messages, cron ticks (alone or due together), membership events, each
//! either kept in the inbox journal or not.

use crate::journal::{JournaledMembership, JournaledMessage, JournaledTick};
use zimbot_abi::{CronTick, Event};
use zimbot_model::{MembershipEvent, ReceivedMessage};

/// What the inbound lane carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Message(ReceivedMessage),
    /// A message kept in the inbox journal: claimed before its hook runs, completed after (see `journal`).
    Journaled(JournaledMessage),
    Cron(CronTick),
    /// A membership or presence event (entered a room, joined a group, came online, ...).
    Membership(MembershipEvent),
    /// A cron tick kept in the journal with its schedule's last fire, run like a journaled message.
    JournaledCron(JournaledTick),
    /// A membership or presence event kept in the journal, run like a journaled message.
    JournaledMembership(JournaledMembership),
    /// Several ticks of the bot due at one instant, in one mailbox place: the lane runs their hooks one after
    /// another, through one plugin call when the plugin takes batches (see [`super::BotRunner::prepare_ticks`]).
    CronBatch(Vec<CronTick>),
    /// Several journaled ticks due at one instant, in one mailbox place: claimed together (one journal commit),
    /// run like a [`Inbound::CronBatch`], each completed or retried on its own.
    JournaledCronBatch(Vec<JournaledTick>),
}

impl Inbound {
    /// Sets the time its ticks were fired (ms since the Unix epoch): ticks readied before their instant are
    /// stamped when they are handed to the bot.
    pub fn stamp_fired_at(&mut self, fired_at_ms: i64) {
        let stamp = |tick: &mut CronTick| tick.fired_at_ms = fired_at_ms;
        match self {
            Self::Cron(tick) | Self::JournaledCron(JournaledTick { tick, .. }) => stamp(tick),
            Self::CronBatch(ticks) => ticks.iter_mut().for_each(stamp),
            Self::JournaledCronBatch(ticks) => ticks.iter_mut().for_each(|journaled| stamp(&mut journaled.tick)),
            Self::Message(_) | Self::Journaled(_) | Self::Membership(_) | Self::JournaledMembership(_) => {}
        }
    }

    /// The events of the item's hooks: one, or one per tick of a batch.
    pub(super) fn into_events(self) -> Vec<Event> {
        match self {
            Self::Message(message) => vec![Event::Message { message, redelivery: false }],
            Self::Journaled(journaled) => vec![Event::Message { message: journaled.message, redelivery: false }],
            Self::Cron(tick) | Self::JournaledCron(JournaledTick { tick, .. }) => vec![Event::Cron { tick }],
            Self::CronBatch(ticks) => ticks.into_iter().map(|tick| Event::Cron { tick }).collect(),
            Self::JournaledCronBatch(ticks) => {
                ticks.into_iter().map(|journaled| Event::Cron { tick: journaled.tick }).collect()
            }
            Self::Membership(event) | Self::JournaledMembership(JournaledMembership { event, .. }) => {
                vec![Event::Membership { event }]
            }
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            // Debug-quoted: an id from a callback may hold newlines or escapes that would forge log lines.
            Self::Message(message) | Self::Journaled(JournaledMessage { message, .. }) => {
                format!("message {:?}", message.message_id)
            }
            Self::Cron(tick) | Self::JournaledCron(JournaledTick { tick, .. }) => {
                format!("cron tick of '{}'", tick.schedule_id)
            }
            Self::CronBatch(ticks) => format!("{} cron ticks due together", ticks.len()),
            Self::JournaledCronBatch(ticks) => format!("{} journaled cron ticks due together", ticks.len()),
            // Debug-quoted for the same reason.
            Self::Membership(event) | Self::JournaledMembership(JournaledMembership { event, .. }) => {
                format!("{} event of {:?}", event.hook_name(), event.actor().as_str())
            }
        }
    }
}
