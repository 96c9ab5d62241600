//! Plugins: events per second through a dynamic plugin against the same plugin built in, and the start-up time
//! of 100 bots from one YAML.
//!
//! The first part is the runtime's own `plugin_dispatch` benchmark (`cargo bench -p zimbot-runtime --bench
//! plugin_dispatch`), run as a child and read back, so there is one implementation of that comparison. The
//! second parses a generated bots.yaml of 100 echo bots (the release `libecho`) and times `Runtime::start`.

use crate::fixtures::{loopback_services, parse_config};
use crate::report::{Figure, Goal, Outcome};
use anyhow::Context as _;
use std::time::{Duration, Instant};
use zimbot_runtime::PluginCatalog;
use zimbot_runtime::Runtime;

const SCENARIO: &str = "plugins";
const BOTS: usize = 100;

/// The three lines of one part of plugin_dispatch's report: built-in and dynamic events/s, and their ratio.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Dispatch {
    builtin: f64,
    dynamic: f64,
    ratio: f64,
}

fn number_after(line: &str, label: &str) -> Option<f64> {
    line.trim().strip_prefix(label)?.split_whitespace().next()?.parse().ok()
}

/// Reads the `hook call` and `runtime` parts of plugin_dispatch's output.
fn parse_dispatch(output: &str) -> Vec<(String, Dispatch)> {
    let mut parts: Vec<(String, Dispatch)> = Vec::new();
    for line in output.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            parts.push((line.trim_end_matches(':').to_owned(), Dispatch::default()));
        } else if let Some((_, part)) = parts.last_mut() {
            if let Some(value) = number_after(line, "built-in:") {
                part.builtin = value;
            } else if let Some(value) = number_after(line, "dynamic:") {
                part.dynamic = value;
            } else if let Some(value) = number_after(line, "dynamic/built-in:") {
                part.ratio = value;
            }
        }
    }
    parts.into_iter().filter(|(_, part)| part.ratio > 0.0).collect()
}

async fn dispatch_figures(outcome: &mut Outcome) -> anyhow::Result<()> {
    let mut command = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(crate::artifacts::workspace_root()).args([
        "bench",
        "-q",
        "-p",
        "zimbot-runtime",
        "--bench",
        "plugin_dispatch",
    ]);
    let output = crate::child::output(command).await?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "plugin_dispatch failed: {}", String::from_utf8_lossy(&output.stderr));
    let parts = parse_dispatch(&text);
    anyhow::ensure!(!parts.is_empty(), "plugin_dispatch printed nothing this benchmark can read: {text}");
    for (name, part) in parts {
        let short = name.split(" (").next().unwrap_or(&name).to_owned();
        outcome.figures.extend([
            Figure::new(SCENARIO, format!("{short}: built-in"), "events/s", 0).runs(vec![part.builtin]),
            Figure::new(SCENARIO, format!("{short}: dynamic"), "events/s", 0).runs(vec![part.dynamic]),
            Figure::new(SCENARIO, format!("{short}: dynamic / built-in"), "", 3)
                .runs(vec![part.ratio])
                .goal(Goal::AtLeast(0.8)),
        ]);
    }
    if let Some(header) = text.lines().next() {
        outcome.notes.push(format!("dispatch figures from the runtime's plugin_dispatch benchmark ({header})"));
    }
    Ok(())
}

fn bots_yaml(plugin_dir: &std::path::Path, assets: &std::path::Path) -> String {
    let mut yaml = format!("plugin_dirs: [{:?}]\nbots:\n", plugin_dir.display().to_string());
    for bot in 0..BOTS {
        yaml.push_str(&format!(
            "  - {{ id: e{bot}, user_id: \"@RBT#e{bot}\", plugin: echo, listen: {{ peers: [\"*\"] }}, config: {{ assets: {:?} }} }}\n",
            assets.display().to_string()
        ));
    }
    yaml
}

/// Milliseconds to parse the YAML and start every bot, and to start them only.
async fn start_up(yaml: &str) -> anyhow::Result<(f64, f64)> {
    let began = Instant::now();
    let config = parse_config(yaml)?;
    let parsed = Instant::now();
    let runtime = Runtime::start(&config, &PluginCatalog::new(), loopback_services());
    let started = Instant::now();
    anyhow::ensure!(runtime.failed_bots().is_empty(), "echo bots failed to start: {:?}", runtime.failed_bots());
    anyhow::ensure!(runtime.bots().len() == BOTS, "{} bots started, not {BOTS}", runtime.bots().len());
    runtime.shutdown(Duration::from_secs(5)).await;
    Ok(((started - began).as_secs_f64() * 1000.0, (started - parsed).as_secs_f64() * 1000.0))
}

/// Runs the dispatch comparison once (it takes its own median) and the start-up `runs` times.
pub async fn run(runs: usize) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    dispatch_figures(&mut outcome).await?;
    let plugin_dir = crate::artifacts::ensure_built()?;
    let assets = tempfile::tempdir().context("an assets folder for the echo bots")?;
    let yaml = bots_yaml(&plugin_dir, assets.path());
    let (mut totals, mut starts) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(3) {
        let (total, start) = start_up(&yaml).await?;
        totals.push(total);
        starts.push(start);
    }
    outcome.figures.extend([
        Figure::new(SCENARIO, format!("start-up of {BOTS} echo bots (parse + start)"), "ms", 1)
            .runs(totals)
            .goal(Goal::AtMost(200.0)),
        Figure::new(SCENARIO, format!("start-up of {BOTS} echo bots (Runtime::start)"), "ms", 1).runs(starts),
    ]);
    outcome.notes.push(format!(
        "start-up: {BOTS} bots of the release libecho from {}; the library is opened by the first run, later runs \
         find it loaded (libraries are never unloaded)",
        plugin_dir.display()
    ));
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_dispatch_output_is_read() {
        let output = "plugin_dispatch: 7 rounds, median; dynamic library x.so\nhook call (50000 calls a round):\n  \
                      built-in:       500000 events/s     2.000 µs/event\n  dynamic:        450000 events/s     \
                      2.222 µs/event\n  dynamic/built-in: 0.900   library boundary: +0.222 µs/event\n";
        let parts = parse_dispatch(output);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].1, Dispatch { builtin: 500_000.0, dynamic: 450_000.0, ratio: 0.9 });
        assert!(parts[0].0.starts_with("hook call"));
    }
}
