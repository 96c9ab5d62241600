//! Upload: a 1 GiB sparse file sent as a file message through the client to the real hub (upload, then the
//! Server API send), against `curl -T` of the same file to the same store in the same run.
//!
//! The client runs in a child process (this binary with `--upload-child`), so its peak RSS (VmHWM) is that of
//! the upload alone and not of whatever the benchmark did before.

use crate::fixtures::{server_api, BenchHub};
use crate::report::{Figure, Goal, Outcome};
use anyhow::Context as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zimbot_client::{Client, ClientConfig, HubMediaStore, Sender};
use zimbot_model::wire::RegisterUserInfo;
use zimbot_model::{ConversationType, MediaLimits, MediaMessage, Priority, SendConfig, SendRequest};

const SCENARIO: &str = "upload";
const SIZE: u64 = 1024 * 1024 * 1024;
/// The flag that makes this binary the upload child: `--upload-child BASE_URL FILE`.
pub const CHILD_FLAG: &str = "--upload-child";

/// The child: sends `path` as a file message to the hub at `base_url`, prints `SECONDS PEAK_RSS_KIB`.
pub fn child(base_url: &str, path: &Path) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let seconds = runtime.block_on(async {
        let limits = MediaLimits { file: 2 * SIZE, ..MediaLimits::default() };
        let config = ClientConfig { media_limits: limits, ..ClientConfig::default() };
        let defaults = zimbot_hub::HubConfig::default();
        let store = HubMediaStore::new(base_url)
            .context("the hub's media store")?
            .with_credentials(defaults.app_id, defaults.server_secret);
        let client = Client::new(config, Arc::new(server_api(base_url)?), Arc::new(store));
        let user = RegisterUserInfo {
            user_id: "@RBT#uploader".into(),
            user_name: "uploader".into(),
            user_avatar: String::new(),
        };
        client.register_bots(vec![user]).await.context("registering the uploader")?;
        let sender = Sender { bot: "uploader".into(), user_id: "@RBT#uploader".into(), priority: Priority::Medium };
        let request =
            SendRequest::media(MediaMessage::file(path), "bench-upload", ConversationType::Room, SendConfig::default());
        let started = Instant::now();
        let handle = client.send(&sender, request).map_err(|refused| anyhow::anyhow!("send refused: {refused:?}"))?;
        handle.result().await.map_err(|failure| anyhow::anyhow!("send failed: {failure:?}"))?;
        let seconds = started.elapsed().as_secs_f64();
        client.close(Duration::from_secs(5)).await;
        anyhow::Ok(seconds)
    })?;
    println!("{seconds} {}", crate::process::status_kib("self", "VmHWM:")?);
    Ok(())
}

async fn client_upload(base_url: &str, path: &Path) -> anyhow::Result<(f64, f64)> {
    let exe = std::env::current_exe().context("the benchmark's own path")?;
    let mut command = std::process::Command::new(exe);
    command.arg(CHILD_FLAG).arg(base_url).arg(path);
    let output = crate::child::output(command).await.context("the upload child")?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "the upload child failed: {}", String::from_utf8_lossy(&output.stderr));
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    match (fields.next(), fields.next()) {
        (Some(Ok(seconds)), Some(Ok(peak_kib))) => Ok((SIZE as f64 / seconds, peak_kib / 1024.0)),
        _ => anyhow::bail!("the upload child printed {text:?}"),
    }
}

async fn curl_upload(base_url: &str, path: &Path, run: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut command = std::process::Command::new("curl");
    command
        .args(["-sS", "-o", "/dev/null", "--fail", "-T"])
        .arg(path)
        .arg(format!("{base_url}/media/curl{run}/big.bin"));
    let output = crate::child::output(command).await?;
    anyhow::ensure!(output.status.success(), "curl -T failed: {}", String::from_utf8_lossy(&output.stderr));
    Ok(SIZE as f64 / started.elapsed().as_secs_f64())
}

/// Writes the page cache's dirty pages out, so that an upload does not pay for writing back the file stored by
/// the upload before it (the hub writes every upload to disk).
async fn flush_written_files() -> anyhow::Result<()> {
    // SAFETY: sync takes no arguments and only asks the kernel to write dirty pages.
    tokio::task::spawn_blocking(|| unsafe { libc::sync() }).await.context("the blocking pool")
}

/// Uploads the file `runs` times each way, alternating client and curl.
pub async fn run(runs: usize) -> anyhow::Result<Outcome> {
    let directory = tempfile::tempdir().context("a directory for the sparse file")?;
    let path = directory.path().join("big.bin");
    std::fs::File::create(&path).and_then(|file| file.set_len(SIZE)).context("creating the sparse file")?;
    let curl = std::process::Command::new("curl").arg("--version").output().is_ok();
    let (mut client_rates, mut curl_rates, mut peaks) = (Vec::new(), Vec::new(), Vec::new());
    // One unmeasured round first: the first client upload of a benchmark process is consistently about half as
    // fast as the later ones (the first curl upload is not), which would otherwise be one run of every median.
    for run in 0..=runs {
        // A fresh hub each run, so stored files do not pile up on disk.
        let hub = BenchHub::start(2 * SIZE).await?;
        let base_url = hub.hub.base_url();
        flush_written_files().await?;
        let (rate, peak) = client_upload(&base_url, &path).await?;
        let curl_rate = if curl {
            flush_written_files().await?;
            Some(curl_upload(&base_url, &path, run).await? / (1024.0 * 1024.0))
        } else {
            None
        };
        if run > 0 {
            client_rates.push(rate / (1024.0 * 1024.0));
            peaks.push(peak);
            curl_rates.extend(curl_rate);
        }
        hub.hub.shutdown().await;
    }
    let mut outcome = Outcome::default();
    outcome.figures.push(Figure::new(SCENARIO, "client send of 1 GiB file", "MiB/s", 0).runs(client_rates.clone()));
    if curl {
        let ratios = client_rates.iter().zip(&curl_rates).map(|(client, curl)| client / curl).collect();
        outcome.figures.push(Figure::new(SCENARIO, "curl -T of the same file", "MiB/s", 0).runs(curl_rates));
        outcome
            .figures
            .push(Figure::new(SCENARIO, "client / curl (same run)", "", 2).runs(ratios).goal(Goal::AtLeast(0.8)));
    } else {
        outcome.notes.push("curl is not installed, so there is no ratio".to_owned());
    }
    outcome
        .figures
        .push(Figure::new(SCENARIO, "client process peak RSS (VmHWM)", "MiB", 1).runs(peaks).goal(Goal::AtMost(64.0)));
    outcome.notes.push(
        "the client figure is the whole send (upload, store acknowledgement, Server API send) in a child \
         process; the hub stores the file on disk in a temporary directory in both cases, and dirty pages are \
         written out (sync) before each upload; one unmeasured round runs first"
            .to_owned(),
    );
    Ok(outcome)
}
