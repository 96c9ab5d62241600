//! The callback delivery queue on disk: every callback the hub owes its receiver, from the moment its message is
//! stored (or its room, group or presence change happened) until it was delivered or given up, so retries survive
//! a restart of the hub (a crash, or a stop with callbacks still waiting for their next attempt).
//!
//! Message callbacks are stored as the `Callback` they are; membership and presence callbacks as
//! `{"membership": StoredEvent}`, read back first (a `Callback` reads almost any object, its fields defaulted).

use super::{Store, StoreError};
use crate::conversation::ConversationKey;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zimbot_model::ConversationType;
use zimbot_wire::Callback;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pending_callbacks (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    conv_type INTEGER NOT NULL,
    first     TEXT NOT NULL,
    second    TEXT NOT NULL,
    callback  TEXT NOT NULL
);
";

/// Creates the table when missing.
pub(super) fn prepare(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch(SCHEMA)
}

/// A membership or presence callback as it waits in the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredEvent {
    pub(crate) event: String,
    pub(crate) about: String,
    /// Its fields with `appid` and `event`, without `nonce`, `timestamp` and `signature`.
    pub(crate) body: Map<String, Value>,
    pub(crate) millisecond_timestamp: bool,
    /// When the change happened, in Unix milliseconds: the callback's `timestamp` on every attempt.
    pub(crate) time_ms: i64,
}

/// How a [`StoredEvent`] is written, so it is never read as a message callback.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventRow {
    membership: StoredEvent,
}

/// What a queued callback is.
pub(crate) enum QueuedBody {
    Message(Box<Callback>),
    Event(StoredEvent),
}

/// A callback read back from the queue, with the conversation it is ordered in.
pub(crate) struct PendingCallback {
    pub(crate) id: i64,
    pub(crate) key: ConversationKey,
    pub(crate) callback: QueuedBody,
}

impl Store {
    /// Stores `callbacks` of `key`'s conversation, in order, and returns their ids.
    pub(crate) async fn save_callbacks(
        &self,
        key: &ConversationKey,
        callbacks: Vec<Callback>,
    ) -> Result<Vec<i64>, StoreError> {
        let key = key.clone();
        self.run(move |connection| {
            let transaction = connection.transaction()?;
            let mut ids = Vec::with_capacity(callbacks.len());
            for callback in &callbacks {
                let text = serde_json::to_string(callback).expect("a callback always serializes");
                transaction.execute(
                    "INSERT INTO pending_callbacks (conv_type, first, second, callback) VALUES (?1, ?2, ?3, ?4)",
                    params![key.kind.code(), key.first, key.second, text],
                )?;
                ids.push(transaction.last_insert_rowid());
            }
            transaction.commit()?;
            Ok(ids)
        })
        .await
    }

    /// Stores the membership or presence callback `event` of `key`'s conversation and returns its id. Written at
    /// once, on the caller's thread: membership changes come from synchronous code and are rare, and the id must
    /// be known before the callback joins its conversation's queue.
    pub(crate) fn save_event_blocking(&self, key: &ConversationKey, event: StoredEvent) -> rusqlite::Result<i64> {
        let text = serde_json::to_string(&EventRow { membership: event }).expect("an event always serializes");
        let connection = self.connection.lock();
        connection.execute(
            "INSERT INTO pending_callbacks (conv_type, first, second, callback) VALUES (?1, ?2, ?3, ?4)",
            params![key.kind.code(), key.first, key.second, text],
        )?;
        Ok(connection.last_insert_rowid())
    }

    /// Removes a callback that was delivered or given up.
    pub(crate) async fn forget_callback(&self, id: i64) -> Result<(), StoreError> {
        self.run(move |connection| {
            connection.execute("DELETE FROM pending_callbacks WHERE id = ?1", params![id]).map(drop)
        })
        .await
    }

    /// Every callback still owed, oldest first (each conversation's in its order). An entry that cannot be read
    /// back is logged and removed.
    pub(crate) fn pending_callbacks_blocking(&self) -> rusqlite::Result<Vec<PendingCallback>> {
        let connection = self.connection.lock();
        let mut statement =
            connection.prepare("SELECT id, conv_type, first, second, callback FROM pending_callbacks ORDER BY id")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, u8>(1)?, row.get(2)?, row.get(3)?, row.get::<_, String>(4)?))
        })?;
        let mut pending = Vec::new();
        let mut unreadable = Vec::new();
        for row in rows {
            let (id, kind, first, second, text) = row?;
            let kind = ConversationType::ALL.into_iter().find(|kind_of| kind_of.code() == kind);
            let body = match serde_json::from_str::<EventRow>(&text) {
                Ok(row) => Ok(QueuedBody::Event(row.membership)),
                Err(_) => {
                    serde_json::from_str::<Callback>(&text).map(|callback| QueuedBody::Message(Box::new(callback)))
                }
            };
            match (kind, body) {
                (Some(kind), Ok(callback)) => {
                    pending.push(PendingCallback { id, key: ConversationKey { kind, first, second }, callback })
                }
                (_, outcome) => {
                    tracing::warn!(id, "dropping an unreadable queued callback: {:?}", outcome.err());
                    unreadable.push(id);
                }
            }
        }
        drop(statement);
        for id in unreadable {
            connection.execute("DELETE FROM pending_callbacks WHERE id = ?1", params![id])?;
        }
        Ok(pending)
    }
}
