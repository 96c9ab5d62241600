//! The events a test feeds to the plugin's hooks: messages, cron ticks, membership events, the stop.

use super::{received, HookError, TestBot};
use crate::PluginFactory;
use zimbot_abi::{CronTick, Event};
use zimbot_model::{
    ConversationId, ConversationType, MembershipEvent, MessageContent, ReceivedMessage, RoomMember, UserId,
};

impl<P: PluginFactory> TestBot<P> {
    /// A room message from `from`, to `on_room_message`.
    pub fn room_message(&mut self, room: &str, from: &str, text: &str) -> Result<(), HookError> {
        self.message(received(ConversationType::Room, room, from, MessageContent::Text { text: text.to_owned() }))
    }

    /// A group message from `from`, to `on_group_message`.
    pub fn group_message(&mut self, group: &str, from: &str, text: &str) -> Result<(), HookError> {
        self.message(received(ConversationType::Group, group, from, MessageContent::Text { text: text.to_owned() }))
    }

    /// A one-to-one message from `from` to this bot, to `on_peer_message`.
    pub fn peer_message(&mut self, from: &str, text: &str) -> Result<(), HookError> {
        let text = MessageContent::Text { text: text.to_owned() };
        self.message(received(ConversationType::Peer, self.bot.user_id.as_str(), from, text))
    }

    /// Any received message (media, for example; see [`received`]). An empty `message_id` is filled in, and a
    /// zero timestamp becomes the virtual clock's time.
    pub fn message(&mut self, mut message: ReceivedMessage) -> Result<(), HookError> {
        self.next_message += 1;
        if message.message_id.is_empty() {
            message.message_id = format!("test-message-{}", self.next_message);
            message.seq = self.next_message;
        }
        if message.timestamp_ms == 0 {
            message.timestamp_ms = self.now_ms();
        }
        self.run(Event::Message { message, redelivery: false })
    }

    /// `message` delivered again, as after a crash while its hook ran: [`BotContext::is_redelivery`] is true for
    /// it during the hook. Its id and timestamp are used as given.
    pub fn redelivered_message(&mut self, message: ReceivedMessage) -> Result<(), HookError> {
        self.run(Event::Message { message, redelivery: true })
    }

    /// A tick of the schedule `schedule_id`, at the virtual clock's time, to `on_cron`.
    pub fn cron(&mut self, schedule_id: &str) -> Result<(), HookError> {
        let now = self.now_ms();
        self.run(Event::Cron {
            tick: CronTick { schedule_id: schedule_id.to_owned(), scheduled_at_ms: now, fired_at_ms: now },
        })
    }

    /// Ticks of the schedules `schedule_ids`, due together at the virtual clock's time, in one call as the runtime
    /// hands them over (`on_cron` runs for each, in order). The first tick's failure, if any, is the answer; the
    /// other ticks' hooks run whatever it was.
    pub fn cron_batch(&mut self, schedule_ids: &[&str]) -> Result<(), HookError> {
        let now = self.now_ms();
        let ticks = schedule_ids
            .iter()
            .map(|id| CronTick { schedule_id: (*id).to_owned(), scheduled_at_ms: now, fired_at_ms: now })
            .collect();
        self.run(Event::CronBatch { ticks })
    }

    /// `user` entered `room`, to `on_room_member_entered`.
    pub fn room_entered(&mut self, room: &str, user: &str) -> Result<(), HookError> {
        let member =
            RoomMember { room_id: ConversationId::new(room), user_id: UserId::new(user), at_ms: self.now_ms() };
        self.membership(MembershipEvent::RoomEntered(member))
    }

    /// `user` left `room`, to `on_room_member_left`.
    pub fn room_left(&mut self, room: &str, user: &str) -> Result<(), HookError> {
        let member =
            RoomMember { room_id: ConversationId::new(room), user_id: UserId::new(user), at_ms: self.now_ms() };
        self.membership(MembershipEvent::RoomLeft(member))
    }

    /// Any membership or presence event, to its hook (`on_group_members_joined`, `on_user_online`, ...).
    pub fn membership(&mut self, event: MembershipEvent) -> Result<(), HookError> {
        self.run(Event::Membership { event })
    }

    /// Runs `on_stop`.
    pub fn stop(&mut self) -> Result<(), HookError> {
        self.run(Event::Stop)
    }
}
