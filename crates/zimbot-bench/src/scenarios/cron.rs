//! Cron: 10 000 schedules firing every second (`* * * * * *`; 100 counting bots with 100 schedules each)
//! through the real scheduler and runtime, and 100 000 schedules (1 000 bots × 100) idle between their ticks.
//!
//! Figures: p99 lateness of the tick as fired (`fired_at - scheduled_at`, milliseconds as the scheduler reports
//! them) and of the hook being entered (wall clock in µs minus `scheduled_at`), and the process's CPU use (user +
//! system over wall time, in % of one core) while the schedules run. The first two seconds are a warm-up. The
//! idle figure is the CPU use of the runtime holding 100 000 hourly schedules none of which is due in the
//! measured time (their minute is half an hour away).

use crate::fixtures::{counting_catalog, loopback_services, parse_config};
use crate::process::cpu_time;
use crate::recorder::RECORDER;
use crate::report::{Figure, Goal, Outcome};
use crate::stats::percentile;
use std::time::{Duration, Instant};
use zimbot_runtime::Runtime;

const SCENARIO: &str = "cron";
const BOTS: usize = 100;
const SCHEDULES_PER_BOT: usize = 100;
const WARM_UP: Duration = Duration::from_secs(2);
const IDLE_BOTS: usize = 1_000;

/// 1 000 bots with 100 hourly schedules each at `minute`. Built from one parsed bot: the YAML of them all would
/// pass the 1 MiB that bots.yaml may hold.
fn idle_bots_config(minute: u32) -> anyhow::Result<zimbot_runtime::config::Config> {
    let schedules: Vec<String> =
        (0..SCHEDULES_PER_BOT).map(|schedule| format!("{{ id: s{schedule}, cron: \"{minute} * * * *\" }}")).collect();
    let yaml = format!(
        "bots:\n  - {{ id: i0, user_id: \"@RBT#i0\", plugin: counting, schedules: [{}] }}\n",
        schedules.join(", ")
    );
    let mut config = parse_config(&yaml)?;
    let template = config.bots[0].clone();
    config.bots = (0..IDLE_BOTS)
        .map(|bot| {
            let mut copy = template.clone();
            copy.id = zimbot_model::BotId::from(format!("i{bot}").as_str());
            copy.user_id = zimbot_model::UserId::from(format!("@RBT#i{bot}").as_str());
            copy
        })
        .collect();
    Ok(config)
}

/// CPU use (% of one core) of the runtime holding 100 000 schedules, none due for the `duration` measured.
async fn idle_once(duration: Duration) -> anyhow::Result<f64> {
    use chrono::Timelike as _;
    let minute = (chrono::Utc::now().minute() + 30) % 60;
    let config = idle_bots_config(minute)?;
    let runtime = Runtime::start(&config, &counting_catalog(), loopback_services());
    anyhow::ensure!(runtime.failed_bots().is_empty(), "bots failed to start: {:?}", runtime.failed_bots());
    // Start-up (the bots' `on_start`, the scheduler's first fire times) is not idle time.
    tokio::time::sleep(WARM_UP).await;
    let (cpu_before, wall_before) = (cpu_time()?, Instant::now());
    tokio::time::sleep(duration).await;
    let (cpu, wall) = (cpu_time()? - cpu_before, wall_before.elapsed());
    runtime.shutdown(Duration::from_secs(5)).await;
    Ok(cpu.as_secs_f64() / wall.as_secs_f64() * 100.0)
}

fn bots_yaml() -> String {
    let schedules: Vec<String> =
        (0..SCHEDULES_PER_BOT).map(|schedule| format!("{{ id: s{schedule}, cron: \"* * * * * *\" }}")).collect();
    let schedules = schedules.join(", ");
    let mut yaml = String::from("bots:\n");
    for bot in 0..BOTS {
        yaml.push_str(&format!(
            "  - {{ id: c{bot}, user_id: \"@RBT#c{bot}\", plugin: counting, mailbox: 1024, schedules: [{schedules}] }}\n"
        ));
    }
    yaml
}

/// One run's figures.
struct Run {
    fired_p99_ms: f64,
    hook_p99_ms: f64,
    hook_p50_ms: f64,
    cpu_percent: f64,
    ticks_per_second: f64,
}

/// Host services with the inbox journal on a database file in `folder` (durability `process`, the default).
fn journaled_services(folder: &std::path::Path) -> anyhow::Result<zimbot_runtime::HostServices> {
    use zimbot_store::{Durability, RetentionPolicy, SqliteStore};
    let path = folder.join("zimbot.db");
    let store = std::sync::Arc::new(SqliteStore::open(&path, Durability::Process)?);
    let config = zimbot_runtime::config::StorageConfig {
        path,
        durability: Durability::Process,
        max_attempts: 3,
        retention_interval: Duration::from_secs(60),
        retention: RetentionPolicy { dead_letter_max_age: Duration::from_secs(3600), max_dead_letters: 1000 },
    };
    Ok(loopback_services().with_storage(zimbot_runtime::Storage::sqlite(store, &config)))
}

async fn once(duration: Duration, journaled: bool) -> anyhow::Result<Run> {
    let config = parse_config(&bots_yaml())?;
    let folder = tempfile::tempdir()?;
    let services = if journaled { journaled_services(folder.path())? } else { loopback_services() };
    let measured_from = chrono::Utc::now() + chrono::Duration::from_std(WARM_UP)?;
    RECORDER.reset(measured_from.timestamp_millis());
    let runtime = Runtime::start(&config, &counting_catalog(), services);
    anyhow::ensure!(runtime.failed_bots().is_empty(), "bots failed to start: {:?}", runtime.failed_bots());
    tokio::time::sleep(WARM_UP).await;
    let (cpu_before, wall_before, ticks_before) = (cpu_time()?, Instant::now(), RECORDER.ticks());
    tokio::time::sleep(duration).await;
    let (cpu, wall, ticks) = (cpu_time()? - cpu_before, wall_before.elapsed(), RECORDER.ticks() - ticks_before);
    runtime.shutdown(Duration::from_secs(5)).await;
    let (fired, hook) = RECORDER.take_tick_lateness();
    let millis = |micros: &[i64], p: f64| {
        percentile(&micros.iter().map(|micros| *micros as f64 / 1000.0).collect::<Vec<_>>(), p)
    };
    Ok(Run {
        fired_p99_ms: millis(&fired, 99.0),
        hook_p99_ms: millis(&hook, 99.0),
        hook_p50_ms: millis(&hook, 50.0),
        cpu_percent: cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
        ticks_per_second: ticks as f64 / wall.as_secs_f64(),
    })
}

/// Runs the schedules for `duration`, `runs` times.
pub async fn run(duration: Duration, runs: usize) -> anyhow::Result<Outcome> {
    let (mut results, mut journaled) = (Vec::new(), Vec::new());
    let mut idle = Vec::new();
    for _ in 0..runs {
        results.push(once(duration, false).await?);
        journaled.push(once(duration, true).await?);
        idle.push(idle_once(duration).await?);
    }
    let journaled_values = |pick: fn(&Run) -> f64| journaled.iter().map(pick).collect::<Vec<_>>();
    let values = |pick: fn(&Run) -> f64| results.iter().map(pick).collect::<Vec<_>>();
    let mut outcome = Outcome::default();
    outcome.figures.extend([
        Figure::new(SCENARIO, "p99 lateness, tick fired", "ms", 1)
            .runs(values(|run| run.fired_p99_ms))
            .goal(Goal::AtMost(10.0)),
        Figure::new(SCENARIO, "p50 lateness, hook entered", "ms", 1).runs(values(|run| run.hook_p50_ms)),
        Figure::new(SCENARIO, "p99 lateness, hook entered", "ms", 1)
            .runs(values(|run| run.hook_p99_ms))
            .goal(Goal::AtMost(10.0)),
        Figure::new(SCENARIO, "CPU (user+sys / wall)", "% of a core", 1).runs(values(|run| run.cpu_percent)),
        Figure::new(SCENARIO, "ticks delivered", "/s", 0).runs(values(|run| run.ticks_per_second)),
        Figure::new(SCENARIO, "journal on: p50 lateness, hook entered", "ms", 1)
            .runs(journaled_values(|run| run.hook_p50_ms)),
        Figure::new(SCENARIO, "journal on: p99 lateness, hook entered", "ms", 1)
            .runs(journaled_values(|run| run.hook_p99_ms))
            .goal(Goal::AtMost(10.0)),
        Figure::new(SCENARIO, "journal on: CPU (user+sys / wall)", "% of a core", 1)
            .runs(journaled_values(|run| run.cpu_percent)),
        Figure::new(SCENARIO, "journal on: ticks delivered", "/s", 0)
            .runs(journaled_values(|run| run.ticks_per_second)),
        Figure::new(SCENARIO, "CPU, 100 000 schedules idle between ticks", "% of a core", 2)
            .runs(idle)
            .goal(Goal::AtMost(5.0)),
    ]);
    outcome.notes.push(format!(
        "{} schedules ({BOTS} bots × {SCHEDULES_PER_BOT}), {} s measured after a {} s warm-up; 'fired' is in whole \
         milliseconds as the scheduler stamps it; 'journal on': the same with the inbox journal (SQLite, durability \
         process, the default of `zimbot run`), each tick journaled with its schedule's last fire and claimed and \
         completed around its hook",
        BOTS * SCHEDULES_PER_BOT,
        duration.as_secs(),
        WARM_UP.as_secs()
    ));
    outcome.notes.push(format!(
        "idle: {} schedules ({IDLE_BOTS} counting bots × {SCHEDULES_PER_BOT}, hourly at a minute half an hour \
         away), CPU over {} s after a {} s settling time",
        IDLE_BOTS * SCHEDULES_PER_BOT,
        duration.as_secs(),
        WARM_UP.as_secs()
    ));
    Ok(outcome)
}
