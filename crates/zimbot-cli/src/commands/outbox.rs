//! `zimbot outbox`: the durable outbox in a bots.yaml's store (`storage.path`) — list the pending sends and the dead list
//! (failed sends), queue a failed send again, or purge it.
//!
//! A retried send goes out at the next start of `zimbot run` (a running zimbot reads the outbox only at start),
//! after the older unfinished sends of its conversation.

use super::storage::open_store;
use std::path::PathBuf;
use std::process::ExitCode;
use zimbot_store::{Listing, Outbox, SendId, StoredSend};

#[derive(clap::Args)]
pub struct OutboxArgs {
    /// The bots.yaml whose store (`storage.path`) holds the outbox.
    #[arg(long, global = true, default_value = "bots.yaml")]
    config: PathBuf,
    #[command(subcommand)]
    action: OutboxAction,
}

#[derive(clap::Subcommand)]
enum OutboxAction {
    /// List sends: pending ones (queued or on the wire) by default.
    List {
        /// The dead list instead: sends that failed.
        #[arg(long, conflicts_with = "all")]
        failed: bool,
        /// Every stored send, delivered ones (until their retention ends) included.
        #[arg(long)]
        all: bool,
        /// Only this bot's sends (its id in bots.yaml).
        #[arg(long)]
        bot: Option<String>,
    },
    /// Queue failed sends again (their attempts start over); they go out at the next start of `zimbot run`.
    Retry {
        /// The sends' local ids, as `list` shows them.
        #[arg(required = true)]
        ids: Vec<u64>,
    },
    /// Remove failed sends for good.
    Purge {
        /// The sends' local ids, as `list --failed` shows them.
        #[arg(required = true)]
        ids: Vec<u64>,
    },
}

pub fn outbox(args: OutboxArgs) -> anyhow::Result<ExitCode> {
    // Plugins are not loaded, so any plugin name is fine here.
    let config = match zimbot_runtime::config::load(&args.config, &zimbot_runtime::config::AcceptAnyPlugin) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let store = open_store(&config)?;
    match args.action {
        OutboxAction::List { failed, all, bot } => {
            let listing = match (failed, all) {
                (true, _) => Listing::Failed,
                (_, true) => Listing::All,
                _ => Listing::Open,
            };
            let sends = store.list(listing, bot.as_deref())?;
            print_sends(&sends);
            println!("{} send(s) in {}", sends.len(), config.storage.path.display());
            Ok(ExitCode::SUCCESS)
        }
        OutboxAction::Retry { ids } => {
            each_failed(&ids, "queued again; it goes out at the next start of zimbot run", |id| store.retry(id))
        }
        OutboxAction::Purge { ids } => each_failed(&ids, "purged", |id| store.purge(id)),
    }
}

/// Applies `act` to each id; an id that is not a failed send is reported, and makes the exit code a failure.
fn each_failed(
    ids: &[u64],
    done: &str,
    act: impl Fn(SendId) -> Result<bool, zimbot_store::StoreError>,
) -> anyhow::Result<ExitCode> {
    let mut code = ExitCode::SUCCESS;
    for &id in ids {
        if act(SendId(id))? {
            println!("local-{id}: {done}");
        } else {
            eprintln!("local-{id}: not a failed send in the outbox (see `zimbot outbox list --failed`)");
            code = ExitCode::FAILURE;
        }
    }
    Ok(code)
}

fn print_sends(sends: &[StoredSend]) {
    for send in sends {
        let accepted = chrono::DateTime::from_timestamp_millis(send.accepted_ms)
            .map_or_else(|| send.accepted_ms.to_string(), |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string());
        println!(
            "local-{}  {}  bot {}  to {}  attempts {}  accepted {}{}",
            send.id.0,
            send.state.as_str(),
            send.bot,
            send.conversation,
            send.attempts,
            accepted,
            reason(send).map(|reason| format!("\n    {reason}")).unwrap_or_default()
        );
    }
}

/// A failed send's error, read from its stored outcome (the terminal event as JSON).
fn reason(send: &StoredSend) -> Option<String> {
    let outcome = send.outcome.as_deref()?;
    let error = serde_json::from_str::<serde_json::Value>(outcome).ok().and_then(|event| {
        let error = event.get("error")?;
        Some(format!("error {}: {}", error.get("code")?, error.get("message")?.as_str()?))
    });
    Some(error.unwrap_or_else(|| outcome.to_owned())).filter(|_| send.state == zimbot_store::SendState::Failed)
}
