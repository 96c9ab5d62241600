//! Groups and their members, kept as the service keeps them: a group is disbanded when its last member leaves,
//! and a group id, once used, is never used again (the disbanded group's row stays, marked).

use super::{now_millis, Store, StoreError};
use rusqlite::{params, OptionalExtension, Transaction};

/// A group to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewGroup {
    /// `None`: the hub picks an id starting with `#`, as the service does for an empty `GroupId`.
    pub(crate) group_id: Option<String>,
    pub(crate) name: String,
    pub(crate) owner: String,
    /// The other members (the owner is always one; duplicates count once).
    pub(crate) members: Vec<String>,
}

/// Where a group id stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupStatus {
    Active,
    /// Its last member left; the id cannot be used again.
    Disbanded,
}

/// What a member leaving did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeaveOutcome {
    /// The user was not a member of an active group.
    NotMember,
    /// The user left; `disbanded` when it was the last member.
    Left { disbanded: bool },
}

impl Store {
    /// Creates `group`; `Ok(None)` when its id is taken (by an active or a disbanded group), else the id and the
    /// members in joining order (the owner first).
    pub(crate) async fn create_group(&self, group: NewGroup) -> Result<Option<(String, Vec<String>)>, StoreError> {
        self.run(move |connection| {
            let transaction = connection.transaction()?;
            let group_id = match group.group_id {
                Some(group_id) => group_id,
                None => generated_id(&transaction)?,
            };
            let taken = transaction
                .query_row("SELECT 1 FROM groups WHERE group_id = ?1", [&group_id], |_| Ok(()))
                .optional()?
                .is_some();
            if taken {
                return Ok(None);
            }
            let now = now_millis();
            transaction.execute(
                "INSERT INTO groups (group_id, name, owner, created_ms) VALUES (?1, ?2, ?3, ?4)",
                params![group_id, group.name, group.owner, now],
            )?;
            let mut members = vec![group.owner.clone()];
            for member in group.members {
                if !members.contains(&member) {
                    members.push(member);
                }
            }
            for member in &members {
                transaction.execute(
                    "INSERT INTO group_members (group_id, user_id, joined_ms) VALUES (?1, ?2, ?3)",
                    params![group_id, member, now],
                )?;
            }
            transaction.commit()?;
            Ok(Some((group_id, members)))
        })
        .await
    }

    /// Whether `group_id` was ever used, and how it stands.
    pub(crate) async fn group_status(&self, group_id: &str) -> Result<Option<GroupStatus>, StoreError> {
        let group_id = group_id.to_owned();
        self.run(move |connection| {
            let disbanded: Option<Option<i64>> = connection
                .query_row("SELECT disbanded_ms FROM groups WHERE group_id = ?1", [group_id], |row| row.get(0))
                .optional()?;
            Ok(disbanded.map(|at| if at.is_some() { GroupStatus::Disbanded } else { GroupStatus::Active }))
        })
        .await
    }

    /// Adds `users` to the active group `group_id`; the users that were not members before, in the given order.
    pub(crate) async fn add_group_members(
        &self,
        group_id: &str,
        users: Vec<String>,
    ) -> Result<Vec<String>, StoreError> {
        let group_id = group_id.to_owned();
        self.run(move |connection| {
            let transaction = connection.transaction()?;
            let now = now_millis();
            let mut added = Vec::new();
            for user in users {
                let inserted = transaction.execute(
                    "INSERT INTO group_members (group_id, user_id, joined_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT (group_id, user_id) DO NOTHING",
                    params![group_id, user, now],
                )?;
                if inserted == 1 {
                    added.push(user);
                }
            }
            transaction.commit()?;
            Ok(added)
        })
        .await
    }

    /// `user_id` leaves `group_id`; the group is disbanded when nobody is left.
    pub(crate) async fn leave_group(&self, group_id: &str, user_id: &str) -> Result<LeaveOutcome, StoreError> {
        let (group_id, user_id) = (group_id.to_owned(), user_id.to_owned());
        self.run(move |connection| {
            let transaction = connection.transaction()?;
            let removed = transaction.execute(
                "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2
                 AND group_id IN (SELECT group_id FROM groups WHERE disbanded_ms IS NULL)",
                params![group_id, user_id],
            )?;
            if removed == 0 {
                return Ok(LeaveOutcome::NotMember);
            }
            let left: i64 = transaction.query_row(
                "SELECT COUNT(*) FROM group_members WHERE group_id = ?1",
                [&group_id],
                |row| row.get(0),
            )?;
            let disbanded = left == 0;
            if disbanded {
                transaction.execute(
                    "UPDATE groups SET disbanded_ms = ?2 WHERE group_id = ?1",
                    params![group_id, now_millis()],
                )?;
            }
            transaction.commit()?;
            Ok(LeaveOutcome::Left { disbanded })
        })
        .await
    }

    /// The members of `group_id`, by joining time then id.
    pub(crate) async fn group_members(&self, group_id: &str) -> Result<Vec<String>, StoreError> {
        let group_id = group_id.to_owned();
        self.run(move |connection| {
            let mut statement = connection
                .prepare("SELECT user_id FROM group_members WHERE group_id = ?1 ORDER BY joined_ms, user_id")?;
            let rows = statement.query_map([group_id], |row| row.get(0))?;
            rows.collect()
        })
        .await
    }
}

/// A `#`-prefixed id no group has had.
fn generated_id(transaction: &Transaction<'_>) -> rusqlite::Result<String> {
    let used: i64 = transaction.query_row("SELECT COUNT(*) FROM groups", [], |row| row.get(0))?;
    let mut number = used + 1;
    loop {
        let candidate = format!("#{number}");
        let taken = transaction
            .query_row("SELECT 1 FROM groups WHERE group_id = ?1", [&candidate], |_| Ok(()))
            .optional()?
            .is_some();
        if !taken {
            return Ok(candidate);
        }
        number += 1;
    }
}
