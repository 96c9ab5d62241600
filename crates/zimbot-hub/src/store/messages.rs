//! Storing a message (with its conversation's next seq) and reading a conversation's history.

use super::{now_millis, Store, StoreError};
use crate::conversation::ConversationKey;
use crate::message::{type_name, HubMessage, MessageMedia, MessageSource};
use rusqlite::{params, Row};
use zimbot_model::{ConversationType, MessageType, UserId};

/// Which part of a conversation's history to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HistoryWindow {
    /// The newest messages.
    Latest,
    /// The oldest messages with a seq above this one.
    After(u64),
}

/// A message before the hub gives it an id, a seq and a time.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage {
    pub(crate) conv_type: ConversationType,
    /// The room or group id; for a peer message the receiving user.
    pub(crate) conv_id: String,
    pub(crate) from: String,
    pub(crate) msg_type: u32,
    pub(crate) sub_msg_type: u32,
    /// `msg_body` as callbacks will carry it.
    pub(crate) body: String,
    pub(crate) text: Option<String>,
    pub(crate) media: Option<MessageMedia>,
    pub(crate) extended_data: String,
    pub(crate) source: MessageSource,
    /// For a room message, the members in the room as it is sent: the people it reaches.
    pub(crate) recipients: Vec<String>,
}

impl NewMessage {
    pub(crate) fn key(&self) -> ConversationKey {
        ConversationKey::of_message(self.conv_type, &self.from, &self.conv_id)
    }
}

const COLUMNS: &str = "id, seq, conv_type, conv_id, from_user, msg_type, sub_msg_type, body, text, media_kind, \
                       media_url, file_name, file_size, extended_data, source, time_ms";

impl Store {
    /// Stores `message` as the next of its conversation (creating the conversation on first use).
    pub(crate) async fn insert_message(&self, message: NewMessage) -> Result<HubMessage, StoreError> {
        self.run(move |connection| {
            let key = message.key();
            let time = now_millis();
            let transaction = connection.transaction()?;
            let seq: u64 = transaction.query_row(
                "INSERT INTO conversations (conv_type, first, second, last_seq, last_time_ms) VALUES (?1, ?2, ?3, 1, ?4)
                 ON CONFLICT (conv_type, first, second) DO UPDATE SET last_seq = last_seq + 1, last_time_ms = ?4
                 RETURNING last_seq",
                params![key.kind.code(), key.first, key.second, time],
                |row| row.get(0),
            )?;
            let media = message.media.as_ref();
            transaction.execute(
                "INSERT INTO messages (conv_type, first, second, seq, conv_id, from_user, msg_type, sub_msg_type, body,
                                       text, media_kind, media_url, file_name, file_size, extended_data, source, time_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                params![
                    key.kind.code(),
                    key.first,
                    key.second,
                    seq,
                    message.conv_id,
                    message.from,
                    message.msg_type,
                    message.sub_msg_type,
                    message.body,
                    message.text,
                    media.map(|media| media.kind.as_str()),
                    media.map(|media| media.url.as_str()),
                    media.map(|media| media.file_name.as_str()),
                    media.map(|media| media.file_size),
                    message.extended_data,
                    message.source.code(),
                    time,
                ],
            )?;
            let id = transaction.last_insert_rowid();
            for user in &message.recipients {
                transaction.execute(
                    "INSERT OR IGNORE INTO room_receipts (user_id, message_id) VALUES (?1, ?2)",
                    params![user, id],
                )?;
            }
            transaction.commit()?;
            Ok(HubMessage {
                id: id.to_string(),
                seq,
                conv_type: message.conv_type,
                is_bot: UserId::from(message.from.as_str()).is_bot(),
                conv_id: message.conv_id,
                from: message.from,
                type_name: type_name(MessageType::from_code(message.msg_type)),
                msg_type: message.msg_type,
                sub_msg_type: message.sub_msg_type,
                text: message.text,
                media: message.media,
                body: message.body,
                extended_data: message.extended_data,
                source: message.source,
                time,
            })
        })
        .await
    }

    /// The messages of conversation `key` within `window`, at most `limit`, in seq order; with `receiver`, only
    /// the room messages that reached that person (sent while they were in the room).
    pub(crate) async fn history(
        &self,
        key: ConversationKey,
        window: HistoryWindow,
        limit: u32,
        receiver: Option<String>,
    ) -> Result<Vec<HubMessage>, StoreError> {
        self.run(move |connection| {
            let (filter, order, after) = match window {
                HistoryWindow::After(seq) => ("seq > ?4", "ASC", seq),
                HistoryWindow::Latest => ("?4 = ?4", "DESC", 0),
            };
            let reached = match receiver {
                Some(_) => "id IN (SELECT message_id FROM room_receipts WHERE user_id = ?6)",
                None => "?6 IS NULL",
            };
            let mut statement = connection.prepare(&format!(
                "SELECT {COLUMNS} FROM messages WHERE conv_type = ?1 AND first = ?2 AND second = ?3 AND {filter}
                 AND {reached} ORDER BY seq {order} LIMIT ?5"
            ))?;
            let rows = statement
                .query_map(params![key.kind.code(), key.first, key.second, after, limit, receiver], read_message)?;
            let mut messages = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            messages.sort_by_key(|message| message.seq);
            Ok(messages)
        })
        .await
    }
}

fn read_message(row: &Row<'_>) -> rusqlite::Result<HubMessage> {
    let id: i64 = row.get(0)?;
    let conv_type: i64 = row.get(2)?;
    let from: String = row.get(4)?;
    let msg_type: u32 = row.get(5)?;
    let media_kind: Option<String> = row.get(9)?;
    let media = match (media_kind.and_then(|kind| kind.parse().ok()), row.get::<_, Option<String>>(10)?) {
        (Some(kind), Some(url)) => Some(MessageMedia {
            kind,
            url,
            file_name: row.get::<_, Option<String>>(11)?.unwrap_or_default(),
            file_size: row.get::<_, Option<u64>>(12)?.unwrap_or(0),
        }),
        _ => None,
    };
    Ok(HubMessage {
        id: id.to_string(),
        seq: row.get(1)?,
        // Rows are only written with valid codes; a hand-edited row reads as a room rather than failing the page.
        conv_type: ConversationType::from_code(conv_type).unwrap_or(ConversationType::Room),
        conv_id: row.get(3)?,
        is_bot: UserId::from(from.as_str()).is_bot(),
        from,
        type_name: type_name(MessageType::from_code(msg_type)),
        msg_type,
        sub_msg_type: row.get(6)?,
        body: row.get(7)?,
        text: row.get(8)?,
        media,
        extended_data: row.get(13)?,
        source: MessageSource::from_code(row.get(14)?),
        time: row.get(15)?,
    })
}
