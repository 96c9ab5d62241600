//! The JSON messages that cross the boundary: events to the plugin, actions from it, and their replies.
//!
//! Every enum has an `unknown` variant that anything unrecognised decodes to, so a newer minor version on either
//! side can add variants: an old plugin answers an unknown event with `unsupported`, an old host answers an unknown
//! action with `error`.

use crate::store::{Revision, StoreFailure, StoredEntry, Swap};
use serde::{Deserialize, Serialize};
use zimbot_model::{
    AttachedMessage, BotId, LocalMessageId, MembershipEvent, MessageSentResult, ReceivedMessage, SendFailure,
    SendRejected, SendRequest, UploadProgress, UserId,
};

/// Who the plugin instance is, handed to `create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotInfo {
    pub bot_id: BotId,
    pub user_id: UserId,
    pub name: String,
    /// The `plugin:` value of bots.yaml.
    pub plugin: String,
    /// The bot's free-form `config:` section.
    #[serde(default)]
    pub config: serde_json::Value,
}

/// A cron tick, as the `on_cron` hook sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CronTick {
    pub schedule_id: String,
    /// When the schedule said to fire, ms since the Unix epoch.
    pub scheduled_at_ms: i64,
    /// When it did fire (later than `scheduled_at_ms` after a misfire catch-up).
    pub fired_at_ms: i64,
}

/// Host → plugin: something for one of the plugin's hooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Start,
    Message {
        message: ReceivedMessage,
        /// The message was handed to a hook before and that hook never finished well (the process stopped or
        /// crashed running it, or it failed): this delivery is a repeat. Absent (false) from older hosts; older
        /// plugins ignore it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        redelivery: bool,
    },
    Cron {
        tick: CronTick,
    },
    Attached {
        message: AttachedMessage,
    },
    Progress {
        progress: UploadProgress,
    },
    Sent {
        result: MessageSentResult,
    },
    Failed {
        failure: SendFailure,
    },
    Stop,
    /// A membership or presence event (someone entered a room, a group was disbanded, a user came online, ...).
    /// Added in ABI 1.x without a minor bump: a plugin built before it decodes it as [`Event::Unknown`] and answers
    /// `unsupported`, which the host takes as "no such hook".
    Membership {
        event: MembershipEvent,
    },
    /// Several cron ticks of the bot due at one instant, in one call (ABI 1.2): the plugin runs `on_cron` for
    /// each, in order, and answers [`HookReply::Batch`] with one reply per tick. The host sends it only to
    /// plugins built for [`crate::CRON_BATCH_MINOR`] or later; older ones get one [`Event::Cron`] per tick.
    CronBatch {
        ticks: Vec<CronTick>,
    },
    #[serde(other)]
    Unknown,
}

impl Event {
    /// The hook this event is for, for logs and metrics.
    pub fn hook_name(&self) -> &'static str {
        match self {
            Self::Start => "on_start",
            Self::Message { message, .. } => match message.conversation_type {
                zimbot_model::ConversationType::Peer => "on_peer_message",
                zimbot_model::ConversationType::Room => "on_room_message",
                zimbot_model::ConversationType::Group => "on_group_message",
            },
            Self::Cron { .. } | Self::CronBatch { .. } => "on_cron",
            Self::Attached { .. } => "on_message_attached",
            Self::Progress { .. } => "on_media_uploading_progress",
            Self::Sent { .. } => "on_message_sent",
            Self::Failed { .. } => "on_message_send_failed",
            Self::Stop => "on_stop",
            Self::Membership { event } => event.hook_name(),
            Self::Unknown => "unknown",
        }
    }
}

/// Plugin → host: how a hook ended. Read with [`HookReply`]'s own `Deserialize` (see [`ReplyFields`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum HookReply {
    Ok,
    /// The hook returned an error.
    Error {
        message: String,
    },
    /// The hook panicked; the message is the panic's.
    Panicked {
        message: String,
    },
    /// The plugin does not know this event (it was built for an older minor version).
    Unsupported,
    /// The answer to [`Event::CronBatch`]: one reply per tick, in the order of the ticks (ABI 1.2).
    Batch {
        replies: Vec<HookReply>,
    },
    #[serde(other)]
    Unknown,
}

/// A [`HookReply`] as its fields: read as a plain struct, which serde does in one pass, where an internally tagged
/// enum is first copied whole into a buffer of its own (per reply: a batch holds one per tick, and the host reads
/// one batch for every run of ticks due together). The meaning is the derived one's: the `status` picks the
/// variant, an unknown one is [`HookReply::Unknown`], a variant's missing field is an error, unknown fields are
/// ignored. One difference: `message` and `replies` are read whatever the status, so a reply carrying one of the
/// wrong type is unreadable even where its variant has no such field (no SDK writes one there).
#[derive(Deserialize)]
struct ReplyFields {
    status: ReplyStatus,
    message: Option<String>,
    replies: Option<Vec<HookReply>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ReplyStatus {
    Ok,
    Error,
    Panicked,
    Unsupported,
    Batch,
    #[serde(other)]
    Unknown,
}

impl<'de> Deserialize<'de> for HookReply {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let ReplyFields { status, message, replies } = ReplyFields::deserialize(deserializer)?;
        let message = move || message.ok_or_else(|| D::Error::missing_field("message"));
        Ok(match status {
            ReplyStatus::Ok => HookReply::Ok,
            ReplyStatus::Error => HookReply::Error { message: message()? },
            ReplyStatus::Panicked => HookReply::Panicked { message: message()? },
            ReplyStatus::Unsupported => HookReply::Unsupported,
            ReplyStatus::Batch => {
                HookReply::Batch { replies: replies.ok_or_else(|| D::Error::missing_field("replies"))? }
            }
            ReplyStatus::Unknown => HookReply::Unknown,
        })
    }
}

/// Plugin → host: a request for the host to do something.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Send a message through the shared client.
    Send { request: Box<SendRequest> },
    /// Wait for an accepted send's terminal result.
    AwaitResult { local_id: LocalMessageId },
    /// The bot's stored value under `key` (ABI 1.1, like every `store_*` action; see [`crate::store`]).
    StoreGet { key: String },
    /// Store `value` under `key`, replacing what it held.
    StorePut { key: String, value: serde_json::Value },
    /// Remove `key`.
    StoreDelete { key: String },
    /// Every stored value whose key starts with `prefix`, in key order.
    StoreList { prefix: String },
    /// Store `value` under `key` only if the key holds revision `expected` (`None`: only if it is absent).
    StoreCompareAndSwap { key: String, expected: Option<Revision>, value: serde_json::Value },
    #[serde(other)]
    Unknown,
}

/// How an accepted send ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SendOutcome {
    Sent { result: MessageSentResult },
    Failed { failure: SendFailure },
}

impl SendOutcome {
    /// The outcome as the result a `SendHandle` answers with.
    // A send's failure is about as large as its success (both name the file and carry the local data), and it is
    // moved once per send, so boxing it would only make plugins' `?` and matches clumsier.
    #[allow(clippy::result_large_err)]
    pub fn into_result(self) -> Result<MessageSentResult, SendFailure> {
        match self {
            Self::Sent { result } => Ok(result),
            Self::Failed { failure } => Err(failure),
        }
    }
}

/// Host → plugin: the answer to an [`Action`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ActionReply {
    /// The send was accepted under this id; its hooks follow.
    Accepted { local_id: LocalMessageId },
    /// The send was refused; no hooks follow.
    Rejected { rejected: SendRejected },
    /// The awaited send has ended.
    Finished { outcome: SendOutcome },
    /// The action could not be carried out (unknown action, unknown local id, undecodable JSON).
    Error { message: String },
    /// A `store_get`'s answer: the entry, or `None` when the key is absent.
    StoreValue { entry: Option<StoredEntry> },
    /// A `store_put` wrote its value under this revision.
    StoreWritten { revision: Revision },
    /// A `store_delete` ended; `existed` says whether the key held a value.
    StoreDeleted { existed: bool },
    /// A `store_list`'s entries, in key order.
    StoreListed { entries: Vec<StoredEntry> },
    /// What a `store_compare_and_swap` did.
    StoreSwapped { swap: Swap },
    /// A store action failed.
    StoreFailed { failure: StoreFailure },
    #[serde(other)]
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_events_decode_to_unknown() {
        let event: Event = serde_json::from_str(r#"{"type":"reaction_added","emoji":"+1"}"#).unwrap();
        assert_eq!(event, Event::Unknown);
    }

    #[test]
    fn unknown_actions_and_replies_decode_to_unknown() {
        let action: Action = serde_json::from_str(r#"{"type":"kv_get","key":"k"}"#).unwrap();
        assert_eq!(action, Action::Unknown);
        let reply: ActionReply = serde_json::from_str(r#"{"status":"queued_elsewhere"}"#).unwrap();
        assert_eq!(reply, ActionReply::Unknown);
        let hook: HookReply = serde_json::from_str(r#"{"status":"deferred"}"#).unwrap();
        assert_eq!(hook, HookReply::Unknown);
    }

    #[test]
    fn events_round_trip() {
        let event = Event::Cron { tick: CronTick { schedule_id: "hourly".into(), scheduled_at_ms: 1, fired_at_ms: 2 } };
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
        assert_eq!(event.hook_name(), "on_cron");
    }

    #[test]
    fn a_cron_batch_and_its_replies_round_trip() {
        let tick = |id: &str| CronTick { schedule_id: id.into(), scheduled_at_ms: 1_000, fired_at_ms: 1_002 };
        let event = Event::CronBatch { ticks: vec![tick("a"), tick("b")] };
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
        assert_eq!(event.hook_name(), "on_cron");
        let reply = HookReply::Batch { replies: vec![HookReply::Ok, HookReply::Panicked { message: "p".into() }] };
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(serde_json::from_str::<HookReply>(&json).unwrap(), reply);
    }

    #[test]
    fn replies_are_read_by_their_status_wherever_it_stands() {
        let read = |json: &str| serde_json::from_str::<HookReply>(json).map_err(|error| error.to_string());
        assert_eq!(read(r#"{"message":"m","status":"error"}"#), Ok(HookReply::Error { message: "m".into() }));
        assert_eq!(read(r#"{"status":"ok","message":"ignored","later":1}"#), Ok(HookReply::Ok));
        assert_eq!(
            read(r#"{"replies":[{"status":"unsupported"},{"status":"what"}],"status":"batch"}"#),
            Ok(HookReply::Batch { replies: vec![HookReply::Unsupported, HookReply::Unknown] })
        );
        let missing = |json: &str, field: &str| {
            let error = read(json).expect_err(json);
            assert!(error.contains(&format!("missing field `{field}`")), "{json}: {error}");
        };
        missing(r#"{"status":"panicked"}"#, "message");
        missing(r#"{"status":"error","replies":[]}"#, "message");
        missing(r#"{"status":"batch"}"#, "replies");
        missing(r#"{"message":"m"}"#, "status");
        assert!(read(r#"{"status":"batch","replies":[{"status":"error"}]}"#).is_err(), "a bad reply in a batch");
        assert!(read(r#"["ok"]"#).is_err());
        assert!(read(r#"{"status":"ok","replies":"none"}"#).is_err(), "a known field is read whatever the status");
    }

    #[test]
    fn a_cron_batch_is_unknown_to_a_reader_without_it() {
        // What a 1.1 plugin sees if a host sent it a batch anyway: an event it answers `unsupported`.
        #[derive(Deserialize, Debug, PartialEq)]
        #[serde(tag = "type", rename_all = "snake_case")]
        enum OlderEvent {
            Cron {
                tick: CronTick,
            },
            #[serde(other)]
            Unknown,
        }
        let json = serde_json::to_string(&Event::CronBatch { ticks: Vec::new() }).unwrap();
        assert_eq!(serde_json::from_str::<OlderEvent>(&json).unwrap(), OlderEvent::Unknown);
    }

    #[test]
    fn store_actions_and_replies_round_trip() {
        let action = Action::StoreCompareAndSwap {
            key: "count".into(),
            expected: Some(crate::store::Revision(3)),
            value: serde_json::json!(4),
        };
        let json = serde_json::to_string(&action).unwrap();
        assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), action);
        let reply = ActionReply::StoreSwapped { swap: Swap::Conflict { current: None } };
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(serde_json::from_str::<ActionReply>(&json).unwrap(), reply);
    }
}
