//! Soak: the real `zimbot run` (embedded hub, webhook, 10 echo bots listening to rooms) taking one million
//! signed callbacks at a steady rate from the load generator; its VmRSS after 200 000 and after 1 000 000
//! callbacks shows whether memory grows with the callbacks handled.
//!
//! Each callback is signed with the time it is sent, and the webhook takes callbacks up to 5 s old and remembers
//! them (for deduplication) 5 s: its memory of recent callbacks then holds a few seconds' worth. The load is
//! paced ([`RATE`] a second, under half of what this machine's webhook takes at most) so that memory fills to one
//! level within its first window and stays there: the first sample comes 13 s in, two windows later. (Floods as
//! fast as answers come vary from stretch to stretch, and so does the memory's fill: the process then keeps the
//! room of its fullest moment, which is a peak, not growth. With one fixed timestamp, as the `inbound` scenario
//! signs, nothing would ever leave that memory, and at its cap the webhook answers 503 by design.) The memory's
//! fill is read from `/metrics` at each sample and shown.

use crate::fixtures::CALLBACK_SECRET;
use crate::loadgen::post_paced;
use crate::report::{Figure, Goal, Outcome};
use crate::scenarios::inbound::CONNECTIONS;
use crate::zimbot_child::ZimbotChild;
use anyhow::Context as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use zimbot_wire::callback_signature;

const SCENARIO: &str = "soak";
const BOTS: usize = 10;
const FIRST_SAMPLE: u64 = 200_000;
const LAST_SAMPLE: u64 = 1_000_000;
/// Callbacks a second.
const RATE: f64 = 15_000.0;
/// Each stretch of the generator; the samples are taken between stretches.
const STRETCH: Duration = Duration::from_secs(2);
/// How long past a stretch its last answers may take.
const ANSWER_PATIENCE: Duration = Duration::from_secs(30);
/// Time for the bots' mailboxes to empty before a sample.
const SETTLE: Duration = Duration::from_secs(1);

fn bots_yaml(plugin_dir: &Path, data_dir: &Path) -> String {
    let mut yaml = format!(
        "zim:\n  backend: hub\n  callback_secret: {CALLBACK_SECRET}\n  hub: {{ listen: 127.0.0.1:0, data_dir: {:?} }}\n\
         webhook:\n  listen: 127.0.0.1:0\n  timestamp_window_secs: 5\n  dedupe_window_secs: 5\n\
         plugin_dirs: [{:?}]\nbots:\n",
        data_dir.display().to_string(),
        plugin_dir.display().to_string()
    );
    for bot in 0..BOTS {
        yaml.push_str(&format!(
            "  - {{ id: b{bot}, user_id: \"@RBT#b{bot}\", plugin: echo, mailbox: 8192, listen: {{ rooms: [r{bot}] }} }}\n"
        ));
    }
    yaml
}

/// The body of callback `number`, signed now (see the module documentation).
fn callback_body(number: u64) -> String {
    let timestamp = chrono::Utc::now().timestamp();
    let signature = callback_signature(CALLBACK_SECRET, &timestamp.to_string(), &number.to_string());
    format!(
        r#"{{"appid":"1234567","event":"send_msg","nonce":"{number}","signature":"{signature}","timestamp":{timestamp},"from_user_id":"user","conv_type":1,"conv_id":"r{}","msg_type":1,"msg_body":"soak {number}","msg_id":"s{number}","msg_seq":1,"msg_time":0}}"#,
        number % BOTS as u64
    )
}

/// One run's figures.
struct Run {
    rss_first: f64,
    rss_last: f64,
    /// The webhook's remembered ids and signatures at the two samples.
    remembered: (u64, u64),
    failed: u64,
    rate: f64,
}

/// What the webhook at `address` remembers of recent callbacks, from its `/metrics`.
async fn remembered(address: SocketAddr) -> anyhow::Result<u64> {
    let metrics = crate::loadgen::get(&format!("http://{address}/metrics")).await?;
    let metrics = String::from_utf8_lossy(&metrics);
    let line = metrics
        .lines()
        .find_map(|line| line.strip_prefix("zimbot_webhook_remembered{what=\"entries\"} "))
        .context("/metrics has no zimbot_webhook_remembered entries")?;
    line.trim().parse().with_context(|| format!("zimbot_webhook_remembered entries {line:?}"))
}

/// Loads `address` for one stretch from a thread of its own, numbering callbacks from `base`.
async fn stretch(address: SocketAddr, base: u64) -> anyhow::Result<crate::loadgen::LoadResult> {
    let body = Arc::new(move |number: u64| callback_body(base + number));
    let load = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(post_paced(address, "/zim/callback", CONNECTIONS, STRETCH, RATE, body))
    });
    tokio::task::spawn_blocking(move || load.join())
        .await
        .context("waiting for the load generator")?
        .map_err(|_| anyhow::anyhow!("the load generator thread panicked"))?
}

async fn once(zimbot: &Path, plugin_dir: &Path) -> anyhow::Result<Run> {
    let directory = tempfile::tempdir().context("a directory for the soak run")?;
    let config = directory.path().join("bots.yaml");
    std::fs::write(&config, bots_yaml(plugin_dir, &directory.path().join("data"))).context("writing bots.yaml")?;
    let child = ZimbotChild::start(zimbot, &config, BOTS, Duration::from_secs(60)).await?;
    let address = child.webhook;
    let (mut handled, mut failed, mut busy) = (0u64, 0u64, Duration::ZERO);
    let mut first = None;
    while handled < LAST_SAMPLE {
        // A zimbot that stops answering would hold the generator's requests for ever.
        let load =
            tokio::time::timeout(STRETCH + ANSWER_PATIENCE, stretch(address, handled + failed)).await.with_context(
                || format!("zimbot stopped answering callbacks ({handled} accepted, {failed} not answered 200)"),
            )??;
        anyhow::ensure!(
            load.ok > 0,
            "zimbot accepted no callback in a {} s stretch ({} not answered 200) after {handled} accepted",
            STRETCH.as_secs(),
            load.failed
        );
        handled += load.ok;
        failed += load.failed;
        busy += load.elapsed;
        if first.is_none() && handled >= FIRST_SAMPLE {
            tokio::time::sleep(SETTLE).await;
            first = Some((child.rss_mib()?, remembered(address).await?));
        }
    }
    tokio::time::sleep(SETTLE).await;
    let (rss_last, remembered_last) = (child.rss_mib()?, remembered(address).await?);
    child.stop().await?;
    let (rss_first, remembered_first) = first.context("no sample after the first callbacks")?;
    Ok(Run {
        rss_first,
        rss_last,
        remembered: (remembered_first, remembered_last),
        failed,
        rate: handled as f64 / busy.as_secs_f64(),
    })
}

/// Runs the soak `runs` times.
pub async fn run(runs: usize) -> anyhow::Result<Outcome> {
    let dir = crate::artifacts::ensure_built()?;
    let zimbot = dir.join("zimbot");
    let mut results = Vec::new();
    for _ in 0..runs {
        results.push(once(&zimbot, &dir).await?);
    }
    let values = |pick: fn(&Run) -> f64| results.iter().map(pick).collect::<Vec<_>>();
    let mut outcome = Outcome::default();
    outcome.figures.extend([
        Figure::new(SCENARIO, "VmRSS after 200 000 callbacks", "MiB", 1).runs(values(|run| run.rss_first)),
        Figure::new(SCENARIO, "VmRSS after 1 000 000 callbacks", "MiB", 1).runs(values(|run| run.rss_last)),
        Figure::new(SCENARIO, "VmRSS growth, 200 000 → 1 000 000 callbacks", "MiB", 1)
            .runs(values(|run| run.rss_last - run.rss_first))
            .goal(Goal::AtMost(2.0)),
        Figure::new(SCENARIO, "callbacks accepted (paced)", "/s", 0).runs(values(|run| run.rate)),
    ]);
    outcome.notes.push(format!(
        "{} with the embedded hub, the webhook and {BOTS} echo bots (each callback runs a room-message hook across \
         the plugin ABI); the generator: {CONNECTIONS} keep-alive connections paced to {RATE} callbacks/s in {} s \
         stretches, samples after a {} s pause; requests not answered 200 per run: {:?}; ids and signatures the \
         webhook remembered at the two samples, per run: {:?}",
        zimbot.display(),
        STRETCH.as_secs(),
        SETTLE.as_secs(),
        results.iter().map(|run| run.failed).collect::<Vec<_>>(),
        results.iter().map(|run| run.remembered).collect::<Vec<_>>()
    ));
    Ok(outcome)
}
