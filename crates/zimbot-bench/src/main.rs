//! `zimbot-bench`: the figures that show how fast zimbot is, from one reproducible command.
//!
//! ```sh
//! cargo run --release -p zimbot-bench -- [--quick] [--only NAME] [--runs N] [--no-write] [--peers]
//! ```
//!
//! Every scenario starts the real components in this process (the hub, the client, the runtime with its
//! webhook and scheduler) or, where memory is the figure, as a child process; everything talks over loopback.
//! - `limiter`: 100 bots flooding media sends at 10/s through the client to the hub (adaptive margin; loopback,
//!   and through a proxy delaying each request on its way in by 0–50 ms);
//! - `inbound`: signed callbacks flooded at the webhook, to 10 and to 1000 counting bots (and `wrk` if present);
//! - `outbox`: the send path's latency in memory and with the durable outbox at each durability level;
//! - `inbound_journal`: the same flood to 10 bots with the inbox journal on, at each durability level;
//! - `upload`: a 1 GiB sparse file through the client to the hub, against `curl -T`, and the client's peak RSS;
//!   four such files at once;
//! - `cron`: 10 000 every-second schedules through the scheduler into a counting plugin: lateness and CPU; and
//!   the CPU of 100 000 schedules idle between their ticks;
//! - `plugins`: dynamic against built-in dispatch (the runtime's `plugin_dispatch` bench) and start-up of 100 bots;
//! - `idle`: resident memory of `zimbot run` with 100 idle bots, and with 1 000 (start-up time, memory per bot);
//! - `soak`: `zimbot run` taking one million callbacks: its resident memory after 200 000 and after 1 000 000;
//! - `peers` (only with `--peers` or `--only peers`): zimbot's webhook against Hubot and errbot (installed pinned
//!   under `target/peers/` from npm and PyPI) and a bare hyper server (the machine's ceiling), driven alike.
//!
//! It prints a table and writes it into `BENCHMARKS.md` at the workspace root (between markers, keeping the
//! text around them) with the machine, the command and the date. Each figure is the median of 3 runs (1 with
//! `--quick`, which also shortens the timed scenarios).

mod artifacts;
mod bare_server;
mod child;
mod clock;
mod counting;
mod fixtures;
mod jitter_proxy;
mod loadgen;
mod machine;
mod peer_install;
mod process;
mod receive_stamp;
mod recorder;
mod report;
mod scenarios;
mod stats;
mod wrk;
mod zimbot_child;

use anyhow::Context as _;
use clap::Parser;
use report::{Outcome, Report};
use std::path::PathBuf;
use std::time::Duration;

/// Runs zimbot's benchmark scenarios and writes BENCHMARKS.md.
#[derive(Debug, Parser)]
#[command(name = "zimbot-bench")]
struct Args {
    /// Shorter timed scenarios and one run each: a quick look, not figures to publish.
    #[arg(long)]
    quick: bool,
    /// Run only these scenarios (limiter, inbound, inbound_journal, outbox, upload, cron, plugins, idle, soak,
    /// peers); may be repeated.
    #[arg(long, value_name = "NAME")]
    only: Vec<String>,
    /// Runs per figure (default 3, or 1 with --quick).
    #[arg(long)]
    runs: Option<usize>,
    /// Also measure the peers (Hubot, errbot, a bare hyper server), installing Hubot and errbot under target/peers.
    #[arg(long)]
    peers: bool,
    /// Print the table only; leave BENCHMARKS.md as it is.
    #[arg(long)]
    no_write: bool,
    /// Where to write the results.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    clock::init();
    let arguments: Vec<String> = std::env::args().collect();
    if arguments.get(1).map(String::as_str) == Some(scenarios::upload::CHILD_FLAG) {
        let (Some(base_url), Some(paths)) = (arguments.get(2), arguments.get(3..).filter(|paths| !paths.is_empty()))
        else {
            anyhow::bail!("usage: zimbot-bench {} BASE_URL FILE...", scenarios::upload::CHILD_FLAG);
        };
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        return scenarios::upload::child(base_url, &paths);
    }
    let args = Args::parse();
    for name in &args.only {
        anyhow::ensure!(
            scenarios::NAMES.contains(&name.as_str()) || name == scenarios::PEERS,
            "no scenario '{name}'; the scenarios are {}, {}",
            scenarios::NAMES.join(", "),
            scenarios::PEERS
        );
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runs = args.runs.unwrap_or(if args.quick { 1 } else { 3 }).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let mut outcomes = Vec::new();
    for name in scenarios::NAMES.iter().chain(&[scenarios::PEERS]) {
        let chosen = match *name {
            scenarios::PEERS => args.peers || args.only.iter().any(|only| only == name),
            _ => args.only.is_empty() || args.only.iter().any(|only| only == name),
        };
        if !chosen {
            continue;
        }
        eprintln!("zimbot-bench: {name} ...");
        let outcome =
            runtime.block_on(run_scenario(name, args.quick, runs)).with_context(|| format!("scenario {name}"))?;
        outcomes.push((*name, outcome));
    }
    let command = std::iter::once("cargo run --release -p zimbot-bench --".to_owned())
        .chain(arguments.iter().skip(1).cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let report = Report {
        machine: machine::describe(),
        command,
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        runs,
        outcomes,
    };
    println!("{}", report.markdown());
    if !args.no_write {
        let path = args.output.unwrap_or_else(|| artifacts::workspace_root().join("BENCHMARKS.md"));
        report.write(&path)?;
        eprintln!("zimbot-bench: wrote {}", path.display());
    }
    Ok(())
}

async fn run_scenario(name: &str, quick: bool, runs: usize) -> anyhow::Result<Outcome> {
    let seconds = |full: u64, short: u64| Duration::from_secs(if quick { short } else { full });
    match name {
        "limiter" => scenarios::limiter::run(seconds(60, 10), runs).await,
        "inbound" => scenarios::inbound::run(seconds(5, 3), runs).await,
        "outbox" => scenarios::outbox::run(if quick { 300 } else { 2000 }, runs).await,
        "inbound_journal" => scenarios::inbound_journal::run(seconds(5, 3), runs).await,
        "upload" => scenarios::upload::run(runs).await,
        "cron" => scenarios::cron::run(seconds(30, 10), runs).await,
        "plugins" => scenarios::plugins::run(runs).await,
        "idle" => scenarios::idle::run(runs).await,
        "soak" => scenarios::soak::run(runs).await,
        scenarios::PEERS => scenarios::peers::run(seconds(5, 3), runs).await,
        other => anyhow::bail!("no scenario '{other}'"),
    }
}
