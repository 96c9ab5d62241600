//! Peers: zimbot's webhook against Hubot and errbot, and against a bare hyper server (this machine's ceiling), in
//! one run, driven alike: the in-repo load generator (64 keep-alive connections on a thread of its own) POSTs the
//! same signed `send_msg` callbacks (same bodies, same size) to each for the same time.
//!
//! zimbot: the runtime's webhook with 10 counting bots, as in `inbound`. Hubot and errbot: the pinned releases
//! installed under `target/peers/` (see [`crate::peer_install`]), each running the benchmark's minimal app from
//! `fixtures/`: Hubot's express route turns each callback into a text message for the robot's listeners; errbot's
//! webhook (its Webserver plugin: flask on werkzeug's threaded server) decodes and counts it. The bare server
//! answers 200 without reading the body. Every figure is requests answered 200 per second; the ratios are taken
//! within each run, so a busier or quieter moment of the machine shifts them less than the rates.

use crate::bare_server::BareServer;
use crate::peer_install::{self, ERRBOT_VERSION, HUBOT_VERSION};
use crate::report::{Figure, Goal, Outcome};
use anyhow::Context as _;
use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SCENARIO: &str = "peers";

/// A peer's process, killed when dropped, and the loopback port it listens on.
struct PeerProcess {
    child: Child,
    address: SocketAddr,
}

impl PeerProcess {
    /// Starts `command` and waits (up to a minute) for its "listening on PORT" line on stdout.
    async fn start(mut command: Command, name: &str) -> anyhow::Result<Self> {
        command.stdout(Stdio::piped()).stderr(Stdio::null()).stdin(Stdio::null());
        let mut child = command.spawn().with_context(|| format!("starting {name}"))?;
        let stdout = child.stdout.take().with_context(|| format!("{name}'s stdout"))?;
        let (port_sender, port) = tokio::sync::oneshot::channel::<u16>();
        // A thread reads its output to the end, so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut port_sender = Some(port_sender);
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                let port = line.split("listening on ").nth(1).and_then(|port| port.trim().parse().ok());
                if let Some(port) = port {
                    if let Some(sender) = port_sender.take() {
                        let _ = sender.send(port);
                    }
                }
            }
        });
        let mut process = Self { child, address: SocketAddr::from(([127, 0, 0, 1], 0)) };
        let port = tokio::time::timeout(Duration::from_secs(60), port)
            .await
            .with_context(|| format!("{name} did not say its port within a minute"))?
            .with_context(|| format!("{name} ended without saying its port"))?;
        process.address.set_port(port);
        Ok(process)
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hubot(directory: &Path) -> Command {
    let mut command = Command::new(directory.join("node_modules/.bin/hubot"));
    command
        .current_dir(directory)
        .args(["-f", "./ZimBenchAdapter.mjs", "-r", "zim-scripts", "-n", "zimbench"])
        .env("EXPRESS_PORT", "0")
        .env("EXPRESS_BIND_ADDRESS", "127.0.0.1")
        .env("HUBOT_LOG_LEVEL", "error");
    command
}

fn errbot(directory: &Path) -> Command {
    let mut command = Command::new(directory.join("venv/bin/errbot"));
    command.current_dir(directory).args(["-c", "config.py"]);
    command
}

/// Requests answered 200 per second by the server at `address`, the requests that failed, and the connections
/// the server closed.
async fn rate(address: SocketAddr, duration: Duration) -> anyhow::Result<(f64, u64, u64)> {
    let load = crate::scenarios::inbound::flood_from_thread(address, 10, duration).await?;
    Ok((load.ok as f64 / load.elapsed.as_secs_f64(), load.failed, load.reconnected))
}

struct Run {
    zimbot: f64,
    hubot: f64,
    errbot: f64,
    ceiling: f64,
    failed: [u64; 3],
    reconnected: [u64; 3],
}

async fn one_run(peers: &peer_install::Peers, duration: Duration) -> anyhow::Result<Run> {
    let zimbot = crate::scenarios::inbound::zimbot_rate(10, duration).await?;
    let ceiling = {
        let server = BareServer::start().await.context("starting the bare server")?;
        rate(server.address(), duration).await?
    };
    let hubot = {
        let process = PeerProcess::start(hubot(&peers.hubot), "hubot").await?;
        rate(process.address, duration).await?
    };
    let errbot = {
        let process = PeerProcess::start(errbot(&peers.errbot), "errbot").await?;
        rate(process.address, duration).await?
    };
    Ok(Run {
        zimbot,
        hubot: hubot.0,
        errbot: errbot.0,
        ceiling: ceiling.0,
        failed: [ceiling.1, hubot.1, errbot.1],
        reconnected: [ceiling.2, hubot.2, errbot.2],
    })
}

/// Installs the peers (when needed) and measures zimbot and each of them `runs` times.
pub async fn run(duration: Duration, runs: usize) -> anyhow::Result<Outcome> {
    let root = crate::artifacts::workspace_root().join("target/peers");
    let peers = tokio::task::spawn_blocking(move || peer_install::install(&root)).await??;
    let mut results = Vec::new();
    for _ in 0..runs {
        results.push(one_run(&peers, duration).await?);
    }
    let values = |pick: fn(&Run) -> f64| results.iter().map(pick).collect::<Vec<_>>();
    let mut outcome = Outcome::default();
    outcome.figures.extend([
        Figure::new(SCENARIO, "zimbot webhook, 10 bots", "/s", 0).runs(values(|run| run.zimbot)),
        Figure::new(SCENARIO, format!("Hubot {HUBOT_VERSION}"), "/s", 0).runs(values(|run| run.hubot)),
        Figure::new(SCENARIO, format!("errbot {ERRBOT_VERSION}"), "/s", 0).runs(values(|run| run.errbot)),
        Figure::new(SCENARIO, "bare hyper server (ceiling)", "/s", 0).runs(values(|run| run.ceiling)),
        Figure::new(SCENARIO, "zimbot / Hubot (same run)", "", 2)
            .runs(values(|run| run.zimbot / run.hubot))
            .goal(Goal::AtLeast(1.0)),
        Figure::new(SCENARIO, "zimbot / errbot (same run)", "", 2)
            .runs(values(|run| run.zimbot / run.errbot))
            .goal(Goal::AtLeast(1.0)),
        Figure::new(SCENARIO, "zimbot / ceiling (same run)", "", 2)
            .runs(values(|run| run.zimbot / run.ceiling))
            .goal(Goal::AtLeast(0.3)),
    ]);
    outcome.notes.push(format!(
        "the same load generator ({} keep-alive connections, {} s per server) and the same signed send_msg \
         bodies for every server; requests not answered 200 per run (ceiling, Hubot, errbot): {}; connections \
         the server closed and the generator opened again, per run (ceiling, Hubot, errbot): {}",
        crate::scenarios::inbound::CONNECTIONS,
        duration.as_secs(),
        results.iter().map(|run| format!("{:?}", run.failed)).collect::<Vec<_>>().join(", "),
        results.iter().map(|run| format!("{:?}", run.reconnected)).collect::<Vec<_>>().join(", ")
    ));
    outcome.notes.push(
        "Hubot runs the benchmark's adapter (no chat service) and a script whose express route hands each callback \
         to the robot as a text message; errbot runs its Null backend and a plugin whose webhook decodes and counts \
         each callback; both from target/peers/, installed by this command"
            .to_owned(),
    );
    Ok(outcome)
}
