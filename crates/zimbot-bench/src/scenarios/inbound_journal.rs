//! Inbound dispatch with the inbox journal on: the `inbound` flood (10 counting bots) with every callback
//! journaled (group commit) before its 200 and claimed and completed around its hook, once per durability level,
//! on a database file in a temporary folder.

use super::inbound::{generator_run_with, Run};
use crate::fixtures::loopback_services;
use crate::report::{Figure, Goal, Outcome};
use anyhow::Context as _;
use std::sync::Arc;
use std::time::Duration;
use zimbot_runtime::config::StorageConfig;
use zimbot_runtime::Storage;
use zimbot_store::{Durability, RetentionPolicy, SqliteStore};

const SCENARIO: &str = "inbound_journal";
const BOTS: usize = 10;

async fn journaled_run(durability: Durability, duration: Duration) -> anyhow::Result<Run> {
    let folder = tempfile::tempdir().context("a folder for the database")?;
    let path = folder.path().join("zimbot.db");
    let store = Arc::new(SqliteStore::open(&path, durability).context("opening the database")?);
    let config = StorageConfig {
        path,
        durability,
        max_attempts: 3,
        retention_interval: Duration::from_secs(60),
        retention: RetentionPolicy { dead_letter_max_age: Duration::from_secs(3600), max_dead_letters: 1000 },
    };
    let services = loopback_services().with_storage(Storage::sqlite(store, &config));
    generator_run_with(BOTS, duration, services).await
}

/// The flood at each durability level, `runs` times each.
pub async fn run(duration: Duration, runs: usize) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    // The goals hold at the default level, `process`: the rate, and p99 from the request being sent to the hook.
    for (durability, name, goals) in
        [(Durability::Process, "process", Some((30_000.0, 5.0))), (Durability::Power, "power", None)]
    {
        let mut results = Vec::new();
        for _ in 0..runs {
            results.push(journaled_run(durability, duration).await?);
        }
        let values = |pick: fn(&Run) -> f64| results.iter().map(pick).collect::<Vec<_>>();
        let label = |what: &str| format!("{BOTS} bots, durability {name}: {what}");
        let accepted =
            Figure::new(SCENARIO, label("callbacks accepted"), "/s", 0).runs(values(|run| run.accepted_per_second));
        let sent_p99 =
            Figure::new(SCENARIO, label("p99 request sent → hook"), "ms", 2).runs(values(|run| run.sent_p99_ms));
        outcome.figures.extend([
            match goals {
                Some((rate, _)) => accepted.goal(Goal::AtLeast(rate)),
                None => accepted,
            },
            Figure::new(SCENARIO, label("p50 request sent → hook"), "ms", 2).runs(values(|run| run.sent_p50_ms)),
            match goals {
                Some((_, p99_ms)) => sent_p99.goal(Goal::AtMost(p99_ms)),
                None => sent_p99,
            },
            Figure::new(SCENARIO, label("p99 webhook received → hook"), "ms", 3)
                .runs(values(|run| run.received_p99_ms)),
        ]);
        outcome.notes.push(format!(
            "durability {name}: requests not answered 200 per run: {}; accepted callbacks whose hook did not run \
             within 10 s of the flood's end: {}",
            results.iter().map(|run| run.failed.to_string()).collect::<Vec<_>>().join(", "),
            results.iter().map(|run| run.lost.to_string()).collect::<Vec<_>>().join(", "),
        ));
    }
    Ok(outcome)
}
