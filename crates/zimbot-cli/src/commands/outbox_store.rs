//! The durable outbox of `zimbot run`'s client: the sends it accepted, kept in the process's one store
//! (`storage.path` of bots.yaml, see [`super::storage`]).

use std::sync::Arc;
use zimbot_client::SendJournal;
use zimbot_store::{Owner, SqliteStore};

/// The journal the client writes accepted sends to, in `store`, holding each bot as `owner`.
pub fn open_journal(store: Arc<SqliteStore>, owner: Owner) -> Arc<SendJournal> {
    Arc::new(SendJournal::new(store, owner))
}
