//! Opening the one store a `zimbot run` (or `zimbot inbox`) uses: `storage.path` of bots.yaml.
//!
//! `zimbot run` opens it once, before the client and the bots, and hands the same `Arc<SqliteStore>` to every
//! part that keeps something: the runtime's inbox journal (through `zimbot_runtime::Storage`) and, from
//! the same spot in `run`, the client's outbox.

use anyhow::Context as _;
use std::sync::Arc;
use zimbot_runtime::config::Config;
use zimbot_store::SqliteStore;

/// Opens (creating when missing, with its folder) the database of `config.storage`.
pub fn open_store(config: &Config) -> anyhow::Result<Arc<SqliteStore>> {
    let path = &config.storage.path;
    if let Some(folder) = path.parent().filter(|folder| !folder.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("storage: cannot create the folder {} (storage.path)", folder.display()))?;
    }
    let store = SqliteStore::open(path, config.storage.durability).with_context(|| {
        format!("storage: cannot open {} (storage.path in {})", path.display(), config.source.display())
    })?;
    Ok(Arc::new(store))
}
