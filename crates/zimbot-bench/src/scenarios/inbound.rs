//! Inbound dispatch: signed `send_msg` callbacks POSTed to the runtime's webhook as fast as the load generator
//! can, to 10 and to 1000 counting bots (bot `i` listens to room `r{i}`; callbacks go round the rooms, so each
//! callback reaches one bot).
//!
//! Latency is measured to the hook being entered, from two points: the generator building the request (its
//! send time, carried in the message text) and the webhook's receive layer (see [`crate::receive_stamp`]). Every
//! callback is signed with one fixed timestamp, so the webhook runs with a ten-year timestamp window, and a nonce
//! of its own (the webhook refuses a signature seen again with another body); msg_ids are unique, so nothing is
//! dropped as a duplicate, and the webhook's memory of recent callbacks is sized for the whole run. The `wrk`
//! script signs every request alike, so past its first request `wrk` measures refusals (401). The generator runs on its own thread in this process and
//! shares the machine's cores with the webhook; `wrk`, when installed, is run the same way as a second opinion.

use crate::fixtures::{counting_catalog, loopback_services, parse_config, CALLBACK_SECRET};
use crate::loadgen::post_flood;
use crate::recorder::{message_text, RECORDER};
use crate::report::{Figure, Goal, Outcome};
use crate::stats::percentile;
use anyhow::Context as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zimbot_runtime::clock::SystemClock;
use zimbot_runtime::webhook::{self, WebhookState};
use zimbot_runtime::HostServices;
use zimbot_runtime::Runtime;
use zimbot_wire::callback_signature;

const SCENARIO: &str = "inbound";
pub(crate) const CONNECTIONS: usize = 64;
const TIMESTAMP: i64 = 1_700_000_000;
const NONCE: &str = "bench";

fn bots_yaml(bots: usize) -> String {
    let mut yaml = format!(
        "zim:\n  callback_secret: {CALLBACK_SECRET}\nwebhook:\n  listen: 127.0.0.1:0\n  timestamp_window_secs: 315360000\n  dedupe_max_entries: 100000000\n  dedupe_max_bytes: 17179869184\nbots:\n"
    );
    for bot in 0..bots {
        yaml.push_str(&format!(
            "  - {{ id: b{bot}, user_id: \"@RBT#b{bot}\", plugin: counting, mailbox: 8192, listen: {{ rooms: [r{bot}] }} }}\n"
        ));
    }
    yaml
}

/// The body of callback `number` to one of `bots` rooms, sent now, with its own nonce and signature.
pub(crate) fn callback_body(bots: usize, number: u64) -> String {
    let text = message_text(crate::clock::now_ns());
    let nonce = number;
    let signature = callback_signature(CALLBACK_SECRET, &TIMESTAMP.to_string(), &nonce.to_string());
    format!(
        r#"{{"appid":"1234567","event":"send_msg","nonce":"{nonce}","signature":"{signature}","timestamp":{TIMESTAMP},"from_user_id":"user","conv_type":1,"conv_id":"r{}","msg_type":1,"msg_body":"{text}","msg_id":"g{number}","msg_seq":1,"msg_time":0}}"#,
        number % bots as u64
    )
}

/// A runtime of `bots` counting bots behind a webhook (with the receive layer) on a free port.
struct Webhook {
    addr: SocketAddr,
    runtime: Arc<Runtime>,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(bots: usize, services: HostServices) -> anyhow::Result<Webhook> {
    let config = parse_config(&bots_yaml(bots))?;
    let runtime = Runtime::start(&config, &counting_catalog(), services);
    anyhow::ensure!(runtime.failed_bots().is_empty(), "bots failed to start: {:?}", runtime.failed_bots());
    let state = WebhookState::new(
        Arc::clone(&runtime),
        &config.webhook,
        CALLBACK_SECRET,
        Arc::new(SystemClock),
        Box::new(Vec::new),
    );
    let router = webhook::router(state).layer(axum::middleware::from_fn(crate::receive_stamp::stamp_receive_time));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding the webhook")?;
    let addr = listener.local_addr().context("the webhook's address")?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Webhook { addr, runtime, stop, server })
}

impl Webhook {
    /// Waits (up to 10 s) until `expected` hooks ran, then stops everything; returns the hooks that ran.
    async fn finish(self, expected: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(10);
        while RECORDER.messages() < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = self.stop.send(());
        let _ = self.server.await;
        self.runtime.shutdown(Duration::from_secs(5)).await;
        RECORDER.messages()
    }
}

/// One run's figures.
pub(super) struct Run {
    pub accepted_per_second: f64,
    pub sent_p50_ms: f64,
    pub sent_p99_ms: f64,
    pub received_p50_ms: f64,
    pub received_p99_ms: f64,
    pub failed: u64,
    pub lost: u64,
}

fn millis(nanos: &[u64], p: f64) -> f64 {
    percentile(&nanos.iter().map(|nanos| *nanos as f64 / 1e6).collect::<Vec<_>>(), p)
}

async fn generator_run(bots: usize, duration: Duration) -> anyhow::Result<Run> {
    generator_run_with(bots, duration, loopback_services()).await
}

/// The flood against `bots` counting bots started with `services` (the `inbound_journal` scenario gives them a
/// journal).
pub(super) async fn generator_run_with(bots: usize, duration: Duration, services: HostServices) -> anyhow::Result<Run> {
    let webhook = start(bots, services).await?;
    RECORDER.reset(0);
    // The generator gets a thread and a single-threaded tokio of its own, like an outside client would.
    let load = flood_from_thread(webhook.addr, bots, duration).await?;
    let hooks = webhook.finish(load.ok).await;
    let (from_sent, from_received) = RECORDER.take_message_latencies();
    Ok(Run {
        accepted_per_second: load.ok as f64 / load.elapsed.as_secs_f64(),
        sent_p50_ms: millis(&from_sent, 50.0),
        sent_p99_ms: millis(&from_sent, 99.0),
        received_p50_ms: millis(&from_received, 50.0),
        received_p99_ms: millis(&from_received, 99.0),
        failed: load.failed,
        lost: load.ok.saturating_sub(hooks),
    })
}

/// Floods `address` with the callbacks of `generator_run` (to `bots` rooms) from a thread of its own.
pub(crate) async fn flood_from_thread(
    address: SocketAddr,
    bots: usize,
    duration: Duration,
) -> anyhow::Result<crate::loadgen::LoadResult> {
    let body = Arc::new(move |number: u64| callback_body(bots, number));
    let load = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(post_flood(address, "/zim/callback", CONNECTIONS, duration, body))
    });
    tokio::task::spawn_blocking(move || load.join())
        .await
        .context("waiting for the load generator")?
        .map_err(|_| anyhow::anyhow!("the load generator thread panicked"))?
}

/// Callbacks accepted per second by the webhook with `bots` counting bots (the `peers` scenario's zimbot figure).
pub(crate) async fn zimbot_rate(bots: usize, duration: Duration) -> anyhow::Result<f64> {
    Ok(generator_run(bots, duration).await?.accepted_per_second)
}

async fn wrk_run(bots: usize, duration: Duration) -> anyhow::Result<(crate::wrk::WrkResult, f64)> {
    let webhook = start(bots, loopback_services()).await?;
    let directory = tempfile::tempdir().context("a directory for the wrk script")?;
    let signature = callback_signature(CALLBACK_SECRET, &TIMESTAMP.to_string(), NONCE);
    RECORDER.reset(0);
    let result =
        crate::wrk::run(webhook.addr, directory.path(), &signature, TIMESTAMP, bots, CONNECTIONS, duration).await?;
    webhook.finish(0).await;
    let (_, from_received) = RECORDER.take_message_latencies();
    Ok((result, millis(&from_received, 99.0)))
}

/// Runs the flood against 10 and 1000 bots, `runs` times each.
pub async fn run(duration: Duration, runs: usize) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    for bots in [10, 1000] {
        let mut results = Vec::new();
        for _ in 0..runs {
            results.push(generator_run(bots, duration).await?);
        }
        let values = |pick: fn(&Run) -> f64| results.iter().map(pick).collect::<Vec<_>>();
        let label = |what: &str| format!("{bots} bots: {what}");
        outcome.figures.extend([
            Figure::new(SCENARIO, label("callbacks accepted"), "/s", 0)
                .runs(values(|run| run.accepted_per_second))
                .goal(Goal::AtLeast(20_000.0)),
            Figure::new(SCENARIO, label("p50 request sent → hook"), "ms", 2).runs(values(|run| run.sent_p50_ms)),
            Figure::new(SCENARIO, label("p99 request sent → hook"), "ms", 2)
                .runs(values(|run| run.sent_p99_ms))
                .goal(Goal::AtMost(5.0)),
            Figure::new(SCENARIO, label("p50 webhook received → hook"), "ms", 3)
                .runs(values(|run| run.received_p50_ms)),
            Figure::new(SCENARIO, label("p99 webhook received → hook"), "ms", 3)
                .runs(values(|run| run.received_p99_ms))
                .goal(Goal::AtMost(5.0)),
        ]);
        outcome.notes.push(format!(
            "{bots} bots: requests not answered 200 per run: {}; accepted callbacks whose hook did not run: {}",
            results.iter().map(|run| run.failed.to_string()).collect::<Vec<_>>().join(", "),
            results.iter().map(|run| run.lost.to_string()).collect::<Vec<_>>().join(", "),
        ));
        if crate::wrk::available() {
            let mut wrk_results = Vec::new();
            for _ in 0..runs {
                wrk_results.push(wrk_run(bots, duration).await?);
            }
            let rates = wrk_results.iter().map(|(result, _)| result.requests_per_second).collect();
            let p50s = wrk_results.iter().map(|(result, _)| result.p50_ms).collect();
            let p99s = wrk_results.iter().map(|(result, _)| result.p99_ms).collect();
            let hook_p99s = wrk_results.iter().map(|(_, p99)| *p99).collect();
            outcome.figures.extend([
                Figure::new(SCENARIO, label("wrk: requests"), "/s", 0).runs(rates).goal(Goal::AtLeast(20_000.0)),
                Figure::new(SCENARIO, label("wrk: p50 response"), "ms", 2).runs(p50s),
                Figure::new(SCENARIO, label("wrk: p99 response"), "ms", 2).runs(p99s),
                Figure::new(SCENARIO, label("wrk: p99 webhook received → hook"), "ms", 3).runs(hook_p99s),
            ]);
            outcome.notes.push(format!(
                "{bots} bots, wrk -t2 -c{CONNECTIONS}: errors (non-2xx, socket) per run: {}",
                wrk_results.iter().map(|(result, _)| result.errors.to_string()).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    outcome.notes.push(format!(
        "{CONNECTIONS} keep-alive connections, {} s per run; the generator (one thread) and the webhook share the \
         machine's cores, so the rate is that of the pair.",
        duration.as_secs()
    ));
    if !crate::wrk::available() {
        outcome.notes.push("wrk is not installed, so there is no wrk figure (apt-get install wrk)".to_owned());
    }
    Ok(outcome)
}
