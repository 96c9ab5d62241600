//! Where `zimbot run` and `zimbot outbox` keep the durable outbox: `{state_dir}/zimbot.db`, committed at the
//! `process` durability level (survives kill -9; a power loss may lose the last commits).
//!
//! One small seam on purpose: the storage settings (`storage:` in bots.yaml) and the one store per process are
//! being added separately; this is where the outbox gets its store until then.

use anyhow::Context as _;
use std::path::PathBuf;
use std::sync::Arc;
use zimbot_client::SendJournal;
use zimbot_runtime::config::Config;
use zimbot_store::{Durability, Owner, SqliteStore};

/// The database file under `config`'s state dir.
pub fn outbox_path(config: &Config) -> PathBuf {
    config.state_dir.join("zimbot.db")
}

/// Opens (creating when missing) the store the outbox lives in.
pub fn open_store(config: &Config) -> anyhow::Result<Arc<SqliteStore>> {
    let path = outbox_path(config);
    std::fs::create_dir_all(&config.state_dir)
        .with_context(|| format!("state_dir: cannot create {}", config.state_dir.display()))?;
    let store = SqliteStore::open(&path, Durability::Process)
        .with_context(|| format!("{}: opening the outbox (state_dir)", config.source.display()))?;
    Ok(Arc::new(store))
}

/// The journal `zimbot run`'s client writes accepted sends to, owned by this process.
pub fn open_journal(config: &Config) -> anyhow::Result<Arc<SendJournal>> {
    let owner = Owner::new(format!("zimbot-{}", std::process::id()));
    Ok(Arc::new(SendJournal::new(open_store(config)?, owner)))
}
