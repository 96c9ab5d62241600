//! Registered users and bots.

use super::{now_millis, Store, StoreError};
use crate::message::HubUser;
use rusqlite::{params, OptionalExtension};
use zimbot_model::UserId;

/// What registering a user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegisterOutcome {
    Created,
    /// The user existed; its name and avatar were left as they were.
    Existed,
}

impl Store {
    /// Whether `user_id` is registered.
    pub(crate) async fn user_exists(&self, user_id: &str) -> Result<bool, StoreError> {
        let user_id = user_id.to_owned();
        self.run(move |connection| {
            connection
                .query_row("SELECT 1 FROM users WHERE user_id = ?1", [user_id], |_| Ok(()))
                .optional()
                .map(|found| found.is_some())
        })
        .await
    }

    /// Registers `user` unless it exists. Bots are recognised by their `@RBT#` prefix.
    pub(crate) async fn register_user(&self, user: HubUser) -> Result<RegisterOutcome, StoreError> {
        self.run(move |connection| {
            let inserted = connection.execute(
                "INSERT INTO users (user_id, name, avatar, is_bot, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user_id) DO NOTHING",
                params![user.user_id, user.name, user.avatar, user.is_bot, now_millis()],
            )?;
            Ok(if inserted == 1 { RegisterOutcome::Created } else { RegisterOutcome::Existed })
        })
        .await
    }

    /// Registers `user_id` with no name, as a person who posts through the client API is registered.
    pub(crate) async fn ensure_user(&self, user_id: &str) -> Result<RegisterOutcome, StoreError> {
        let is_bot = UserId::from(user_id).is_bot();
        self.register_user(HubUser { user_id: user_id.to_owned(), name: String::new(), avatar: String::new(), is_bot })
            .await
    }

    /// Every registered user, bots first, then by id.
    pub(crate) async fn users(&self) -> Result<Vec<HubUser>, StoreError> {
        self.run(|connection| {
            let mut statement =
                connection.prepare("SELECT user_id, name, avatar, is_bot FROM users ORDER BY is_bot DESC, user_id")?;
            let rows = statement.query_map([], |row| {
                Ok(HubUser { user_id: row.get(0)?, name: row.get(1)?, avatar: row.get(2)?, is_bot: row.get(3)? })
            })?;
            rows.collect()
        })
        .await
    }
}
