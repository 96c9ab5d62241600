//! Checkpoints off the commit path: a thread of the store's own copies the WAL back into the database file.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold (1000 pages by default), and a
//! checkpoint syncs the database file: under a steady stream of small commits every few hundredth commit waited
//! for a disk sync, at `process` durability too, where commits themselves never sync. Here the store's
//! connection checkpoints only as a backstop ([`BACKSTOP_PAGES`]), and this thread, on a connection of its own,
//! runs a passive checkpoint every [`INTERVAL`]: it never waits for the writer, and the writer never waits for it.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

/// How often the WAL is copied back.
pub(super) const INTERVAL: Duration = Duration::from_millis(500);

/// The WAL size (in pages) at which the writing connection checkpoints itself: only when this thread falls far
/// behind (or could not start), so the WAL stays bounded either way.
pub(super) const BACKSTOP_PAGES: u32 = 20_000;

/// The checkpoint thread; it ends when this is dropped (with the store).
pub(super) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path`. A failure to open its connection or to start is logged: the
    /// backstop then keeps the WAL bounded.
    pub(super) fn start(path: &Path) -> Option<Self> {
        let connection = match Connection::open(path) {
            Ok(connection) => connection,
            Err(error) => {
                tracing::warn!("{}: checkpoints stay on the commit path: {error}", path.display());
                return None;
            }
        };
        let (stop, stopped) = mpsc::channel::<()>();
        let shown = path.display().to_string();
        let spawned = std::thread::Builder::new().name("zimbot-checkpoint".to_owned()).spawn(move || {
            // Only the store dropping its end wakes this before the interval. A failure is logged when it starts
            // and when it ends, not twice a second while it lasts.
            let mut failing = false;
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                match connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    Err(error) if !failing => {
                        failing = true;
                        tracing::warn!("{shown}: background checkpoints fail (retried every {INTERVAL:?}): {error}");
                    }
                    Ok(()) if failing => {
                        failing = false;
                        tracing::info!("{shown}: background checkpoints work again");
                    }
                    _ => {}
                }
            }
        });
        match spawned {
            Ok(_) => Some(Self { _stop: stop }),
            Err(error) => {
                tracing::warn!("{}: checkpoints stay on the commit path: {error}", path.display());
                None
            }
        }
    }
}
