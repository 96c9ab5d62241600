//! Idle: resident memory of the real `zimbot run` with 100 idle echo bots, the embedded hub and the webhook,
//! as a child process on free ports with a temporary data directory. VmRSS is sampled after its
//! `zimbot running` line.

use crate::report::{Figure, Goal, Outcome};
use crate::stats::median;
use anyhow::Context as _;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

const SCENARIO: &str = "idle";
const BOTS: usize = 100;
const SAMPLES: usize = 5;
const SAMPLE_EVERY: Duration = Duration::from_millis(750);

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr().context("a free port")?.port())
}

fn bots_yaml(plugin_dir: &Path, data_dir: &Path, assets: &Path) -> anyhow::Result<String> {
    let mut yaml = format!(
        "zim:\n  backend: hub\n  hub: {{ listen: 127.0.0.1:{}, data_dir: {:?} }}\nwebhook:\n  listen: 127.0.0.1:{}\n\
         plugin_dirs: [{:?}]\nbots:\n",
        free_port()?,
        data_dir.display().to_string(),
        free_port()?,
        plugin_dir.display().to_string()
    );
    for bot in 0..BOTS {
        yaml.push_str(&format!(
            "  - {{ id: e{bot}, user_id: \"@RBT#e{bot}\", plugin: echo, listen: {{ peers: [\"*\"] }}, config: {{ assets: {:?} }} }}\n",
            assets.display().to_string()
        ));
    }
    Ok(yaml)
}

/// Starts `zimbot run`, waits for it to run, samples VmRSS; returns the median sample in MiB.
async fn once(zimbot: &Path, plugin_dir: &Path) -> anyhow::Result<f64> {
    let directory = tempfile::tempdir().context("a directory for the idle run")?;
    let config = directory.path().join("bots.yaml");
    std::fs::write(&config, bots_yaml(plugin_dir, &directory.path().join("data"), directory.path())?)
        .context("writing bots.yaml")?;
    let mut child = std::process::Command::new(zimbot)
        .arg("run")
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", zimbot.display()))?;
    let pid = child.id().to_string();
    let stdout = child.stdout.take().context("zimbot's stdout")?;
    // The reader keeps draining stdout after the line, so zimbot never blocks on a full pipe.
    let (line_tx, line_rx) = tokio::sync::oneshot::channel::<String>();
    std::thread::spawn(move || {
        let mut line_tx = Some(line_tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("zimbot running") {
                if let Some(line_tx) = line_tx.take() {
                    let _ = line_tx.send(line);
                }
            }
        }
    });
    let running = match tokio::time::timeout(Duration::from_secs(30), line_rx).await {
        Ok(Ok(line)) => line,
        waited => {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("zimbot did not print 'zimbot running' within 30 s ({waited:?})")
        }
    };
    if !running.contains(&format!("{BOTS} bot(s) started")) {
        let _ = child.kill();
        let _ = child.wait();
        anyhow::bail!("zimbot: {running}");
    }
    let mut samples = Vec::new();
    for _ in 0..SAMPLES {
        tokio::time::sleep(SAMPLE_EVERY).await;
        samples.push(crate::process::status_kib(&pid, "VmRSS:")? as f64 / 1024.0);
    }
    // SIGTERM: the orderly stop.
    if let Ok(pid) = pid.parse::<i32>() {
        // SAFETY: kill only sends a signal to the child this function started.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    let stopped = tokio::task::spawn_blocking(move || child.wait()).await;
    anyhow::ensure!(matches!(stopped, Ok(Ok(_))), "zimbot did not stop cleanly: {stopped:?}");
    Ok(median(&samples))
}

/// Runs `zimbot run` `runs` times.
pub async fn run(runs: usize) -> anyhow::Result<Outcome> {
    let dir = crate::artifacts::ensure_built()?;
    let zimbot = dir.join("zimbot");
    let mut rss = Vec::new();
    for _ in 0..runs {
        rss.push(once(&zimbot, &dir).await?);
    }
    let mut outcome = Outcome::default();
    outcome.figures.push(
        Figure::new(SCENARIO, format!("zimbot run, {BOTS} idle bots: VmRSS"), "MiB", 1)
            .runs(rss)
            .goal(Goal::AtMost(50.0)),
    );
    outcome.notes.push(format!(
        "{} with the embedded hub, the webhook and {BOTS} echo bots; VmRSS sampled {SAMPLES} times, {} ms apart, \
         after 'zimbot running' (median of the samples per run)",
        zimbot.display(),
        SAMPLE_EVERY.as_millis()
    ));
    Ok(outcome)
}
