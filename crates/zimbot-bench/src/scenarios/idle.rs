//! Idle: resident memory of the real `zimbot run` with 100 idle echo bots, the embedded hub and the webhook,
//! as a child process with a temporary data directory, its hub and webhook on ports it binds itself (port 0; no
//! traffic is sent, so the ports its ready line names are not needed). VmRSS is sampled after its
//! `zimbot running` line. The same with 1 000 bots gives the start-up time at scale (spawn to `zimbot running`,
//! which comes after the first of the 50 registration calls; the others follow in the background) and what one
//! more idle bot costs in memory.

use crate::report::{Figure, Goal, Outcome};
use crate::stats::median;
use crate::zimbot_child::ZimbotChild;
use anyhow::Context as _;
use std::path::Path;
use std::time::Duration;

const SCENARIO: &str = "idle";
const BOTS: usize = 100;
/// The bots of the scale run; the memory a bot costs is the difference to the run with [`BOTS`] over the bots added.
const MANY_BOTS: usize = 1_000;
const SAMPLES: usize = 5;
const SAMPLE_EVERY: Duration = Duration::from_millis(750);

fn bots_yaml(bots: usize, plugin_dir: &Path, data_dir: &Path, assets: &Path) -> String {
    let mut yaml = format!(
        "zim:\n  backend: hub\n  hub: {{ listen: 127.0.0.1:0, data_dir: {:?} }}\nwebhook:\n  listen: 127.0.0.1:0\n\
         plugin_dirs: [{:?}]\nbots:\n",
        data_dir.display().to_string(),
        plugin_dir.display().to_string()
    );
    for bot in 0..bots {
        yaml.push_str(&format!(
            "  - {{ id: e{bot}, user_id: \"@RBT#e{bot}\", plugin: echo, listen: {{ peers: [\"*\"] }}, config: {{ assets: {:?} }} }}\n",
            assets.display().to_string()
        ));
    }
    yaml
}

/// One run of `zimbot run` with `bots` echo bots.
struct Run {
    /// From the spawn to the `zimbot running` line, in ms.
    started_ms: f64,
    /// The median VmRSS sample, in MiB.
    rss_mib: f64,
}

/// Starts `zimbot run` with `bots` bots, waits for it to run, samples VmRSS.
async fn once(zimbot: &Path, plugin_dir: &Path, bots: usize) -> anyhow::Result<Run> {
    let directory = tempfile::tempdir().context("a directory for the idle run")?;
    let config = directory.path().join("bots.yaml");
    std::fs::write(&config, bots_yaml(bots, plugin_dir, &directory.path().join("data"), directory.path()))
        .context("writing bots.yaml")?;
    let child = ZimbotChild::start(zimbot, &config, bots, Duration::from_secs(120)).await?;
    let mut samples = Vec::new();
    for _ in 0..SAMPLES {
        tokio::time::sleep(SAMPLE_EVERY).await;
        samples.push(child.rss_mib()?);
    }
    let started_ms = child.started_in.as_secs_f64() * 1000.0;
    child.stop().await?;
    Ok(Run { started_ms, rss_mib: median(&samples) })
}

/// Runs `zimbot run` `runs` times with 100 bots and with 1 000.
pub async fn run(runs: usize) -> anyhow::Result<Outcome> {
    let dir = crate::artifacts::ensure_built()?;
    let zimbot = dir.join("zimbot");
    let (mut few, mut many) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        few.push(once(&zimbot, &dir, BOTS).await?);
        many.push(once(&zimbot, &dir, MANY_BOTS).await?);
    }
    let per_bot_kib: Vec<f64> = few
        .iter()
        .zip(&many)
        .map(|(few, many)| (many.rss_mib - few.rss_mib) * 1024.0 / (MANY_BOTS - BOTS) as f64)
        .collect();
    let mut outcome = Outcome::default();
    outcome.figures.extend([
        Figure::new(SCENARIO, format!("zimbot run, {BOTS} idle bots: VmRSS"), "MiB", 1)
            .runs(few.iter().map(|run| run.rss_mib).collect())
            .goal(Goal::AtMost(50.0)),
        Figure::new(SCENARIO, format!("zimbot run, {MANY_BOTS} idle bots: start-up (spawn → running)"), "ms", 0)
            .runs(many.iter().map(|run| run.started_ms).collect())
            .goal(Goal::AtMost(2000.0)),
        Figure::new(SCENARIO, format!("zimbot run, {MANY_BOTS} idle bots: VmRSS"), "MiB", 1)
            .runs(many.iter().map(|run| run.rss_mib).collect()),
        Figure::new(SCENARIO, "VmRSS per idle bot (same run)", "KiB", 0).runs(per_bot_kib).goal(Goal::AtMost(512.0)),
    ]);
    outcome.notes.push(format!(
        "{} with the embedded hub and the webhook on ports it binds itself (port 0), and {BOTS} or {MANY_BOTS} \
         echo bots; VmRSS sampled {SAMPLES} \
         times, {} ms apart, after 'zimbot running' (median of the samples per run); start-up is from the \
         spawn of the process to that line (hub, webhook, the first RobotRegister call of 20 bot users, every bot's \
         plugin created and started; the other users are registered in the background from then on); per bot is \
         (VmRSS with {MANY_BOTS} − VmRSS with {BOTS}) / {} from the same run",
        zimbot.display(),
        SAMPLE_EVERY.as_millis(),
        MANY_BOTS - BOTS
    ));
    Ok(outcome)
}
