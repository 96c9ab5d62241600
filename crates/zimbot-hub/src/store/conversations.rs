//! The list of conversations with activity.

use super::{Store, StoreError};
use crate::message::ConversationSummary;
use rusqlite::params;
use zimbot_model::ConversationType;

impl Store {
    /// Conversations with messages, newest activity first. With `user`, only that user's peer chats (named by the
    /// other side) plus every room and group; without, all of them.
    pub(crate) async fn conversations(&self, user: Option<String>) -> Result<Vec<ConversationSummary>, StoreError> {
        self.run(move |connection| {
            let mut statement = connection.prepare(
                "SELECT conv_type, first, second, last_seq, last_time_ms FROM conversations
                 WHERE ?1 IS NULL OR conv_type != 0 OR first = ?1 OR second = ?1
                 ORDER BY last_time_ms DESC, conv_type, first, second",
            )?;
            let rows = statement.query_map(params![user], |row| {
                let conv_type: i64 = row.get(0)?;
                let first: String = row.get(1)?;
                let second: String = row.get(2)?;
                let conv_type = ConversationType::from_code(conv_type).unwrap_or(ConversationType::Room);
                let (conv_id, with_user) = match (conv_type, user.as_deref()) {
                    (ConversationType::Peer, Some(user)) if first == user => (second, None),
                    (ConversationType::Peer, Some(_)) => (first, None),
                    (ConversationType::Peer, None) => (first, Some(second)),
                    _ => (first, None),
                };
                Ok(ConversationSummary { conv_type, conv_id, with_user, last_seq: row.get(3)?, last_time: row.get(4)? })
            })?;
            rows.collect()
        })
        .await
    }
}
