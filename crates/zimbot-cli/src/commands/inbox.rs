//! `zimbot inbox`: the inbox journal of a bots.yaml's database — pending and dead messages — listed, retried or
//! purged. It opens the file itself, so it works while zimbot is stopped and, thanks to WAL, while it runs (a
//! running zimbot takes a retried message at its next start).

use anyhow::Context as _;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zimbot_model::ReceivedMessage;
use zimbot_runtime::config::{self, AcceptAnyPlugin};
use zimbot_store::{DeadLetters, EntryId, EntryState, ListedEntry, SqliteStore};

/// Longest text shown of a message in a listing.
const PREVIEW_CHARS: usize = 60;

#[derive(Args)]
pub struct InboxArgs {
    /// The bots.yaml whose `storage.path` holds the journal.
    #[arg(long, default_value = "bots.yaml")]
    config: PathBuf,
    #[command(subcommand)]
    action: InboxAction,
}

#[derive(Subcommand)]
enum InboxAction {
    /// List messages waiting for their hook (`--dead`: those in the dead-letter list).
    List {
        #[arg(long)]
        dead: bool,
        /// Only this bot's.
        #[arg(long)]
        bot: Option<String>,
    },
    /// Put dead messages back in their bot's line (attempts reset); a running zimbot takes them at its next start.
    Retry {
        /// Entry ids, as `list --dead` shows them.
        #[arg(required_unless_present = "all_dead")]
        ids: Vec<i64>,
        /// Every dead message (of `--bot` when given).
        #[arg(long)]
        all_dead: bool,
        #[arg(long)]
        bot: Option<String>,
    },
    /// Delete messages for good, pending or dead.
    Purge {
        #[arg(required_unless_present = "all_dead")]
        ids: Vec<i64>,
        /// Every dead message (of `--bot` when given).
        #[arg(long)]
        all_dead: bool,
        #[arg(long)]
        bot: Option<String>,
    },
}

pub fn inbox(args: InboxArgs) -> anyhow::Result<ExitCode> {
    let store = open(&args.config)?;
    match args.action {
        InboxAction::List { dead, bot } => {
            let state = if dead { EntryState::Dead } else { EntryState::Pending };
            let entries = store.list(state, bot.as_deref())?;
            print!("{}", render(&entries, state));
            Ok(ExitCode::SUCCESS)
        }
        InboxAction::Retry { ids, all_dead, bot } => {
            act(&store, ids, all_dead, bot.as_deref(), "retried", |id| store.retry(id))
        }
        InboxAction::Purge { ids, all_dead, bot } => {
            act(&store, ids, all_dead, bot.as_deref(), "purged", |id| store.purge(id))
        }
    }
}

/// Applies `action` to each id (or every dead entry), saying what it did to each; fails when an id was not found.
fn act(
    store: &SqliteStore,
    ids: Vec<i64>,
    all_dead: bool,
    bot: Option<&str>,
    done: &str,
    action: impl Fn(EntryId) -> Result<bool, zimbot_store::StoreError>,
) -> anyhow::Result<ExitCode> {
    let ids: Vec<EntryId> = if all_dead {
        store.list(EntryState::Dead, bot)?.into_iter().map(|entry| entry.id).collect()
    } else {
        ids.into_iter().map(EntryId).collect()
    };
    let mut missing = 0;
    for id in &ids {
        if action(*id)? {
            println!("{id}: {done}");
        } else {
            missing += 1;
            println!("{id}: no such entry (for retry: no such dead entry)");
        }
    }
    println!("{} {done}, {missing} not found", ids.len() - missing);
    Ok(if missing > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// The store of `config`'s `storage.path`; refuses (rather than create) a database that does not exist.
fn open(config: &Path) -> anyhow::Result<SqliteStore> {
    let loaded = config::load(config, &AcceptAnyPlugin)
        .map_err(|errors| anyhow::anyhow!("{} problem(s) in {}:\n{errors}", errors.len(), config.display()))?;
    let path = &loaded.storage.path;
    if !path.exists() {
        anyhow::bail!(
            "no database at {} (storage.path of {}): zimbot has not run with this bots.yaml yet",
            path.display(),
            config.display()
        );
    }
    SqliteStore::open(path, loaded.storage.durability).with_context(|| format!("opening {}", path.display()))
}

/// One line per entry under a header; a note when there is none.
fn render(entries: &[ListedEntry], state: EntryState) -> String {
    if entries.is_empty() {
        return format!("no {} messages\n", state.as_str());
    }
    let mut out = format!("{:>8}  {:<16}  {:>8}  {:<24}  {}\n", "ID", "BOT", "ATTEMPTS", "ARRIVED (UTC)", "MESSAGE");
    for entry in entries {
        let arrived = chrono::DateTime::from_timestamp_millis(entry.arrived_at_ms)
            .map_or_else(|| entry.arrived_at_ms.to_string(), |at| at.format("%Y-%m-%d %H:%M:%S").to_string());
        out.push_str(&format!(
            "{:>8}  {:<16}  {:>8}  {:<24}  {}\n",
            entry.id.0,
            entry.bot,
            entry.attempts,
            arrived,
            describe(entry)
        ));
        if let Some(reason) = &entry.reason {
            out.push_str(&format!("{:>8}  why: {reason}\n", ""));
        }
    }
    out.push_str(&format!("{} {} message(s)\n", entries.len(), state.as_str()));
    out
}

/// The message's id, sender and text (escaped and shortened: it is untrusted text on a terminal).
fn describe(entry: &ListedEntry) -> String {
    match serde_json::from_slice::<ReceivedMessage>(&entry.payload) {
        Ok(message) => {
            let text: String = message.text().unwrap_or("(not text)").chars().take(PREVIEW_CHARS).collect();
            format!("{:?} from {:?}: {:?}", message.message_id, message.from_user_id.as_str(), text)
        }
        Err(error) => format!("{} (unreadable: {error})", entry.dedupe_key),
    }
}
