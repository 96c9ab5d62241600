//! Upload: a 1 GiB sparse file sent as a file message through the client to the real hub (upload, then the
//! Server API send), against `curl -T` of the same file to the same store in the same run; and four such files
//! sent at once (the client's default of four uploads at a time), for the time and the peak RSS.
//!
//! The client runs in a child process (this binary with `--upload-child`), so its peak RSS (VmHWM) is that of
//! the upload alone and not of whatever the benchmark did before.
//!
//! The first upload of a file is also measured alone ("cold"): the file's pages are dropped from the page cache
//! first (`posix_fadvise(DONTNEED)`), so the kernel reads it from disk (for a sparse file: allocates and zeroes
//! its pages) during the upload. Every other upload reads the file from the page cache, as curl does.

use crate::fixtures::{server_api, BenchHub};
use crate::report::{Figure, Goal, Outcome};
use anyhow::Context as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zimbot_client::{Client, ClientConfig, HubMediaStore, Sender};
use zimbot_model::{ConversationType, MediaLimits, MediaMessage, Priority, SendConfig, SendRequest};
use zimbot_wire::RegisterUserInfo;

const SCENARIO: &str = "upload";
const SIZE: u64 = 1024 * 1024 * 1024;
/// The flag that makes this binary the upload child: `--upload-child BASE_URL FILE...`.
pub const CHILD_FLAG: &str = "--upload-child";
/// Files sent at once in the concurrent figure.
const AT_ONCE: usize = 4;
/// Client and curl uploads per run, taking turns.
const PAIRS: usize = 3;

/// The child: sends each of `paths` as a file message to the hub at `base_url`, all at once, and prints
/// `SECONDS PEAK_RSS_KIB` (the time until the last one was sent).
pub fn child(base_url: &str, paths: &[std::path::PathBuf]) -> anyhow::Result<()> {
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
        let started = Instant::now();
        let mut handles = Vec::new();
        for path in paths {
            let request = SendRequest::media(
                MediaMessage::file(path),
                "bench-upload",
                ConversationType::Room,
                SendConfig::default(),
            );
            handles
                .push(client.send(&sender, request).map_err(|refused| anyhow::anyhow!("send refused: {refused:?}"))?);
        }
        for handle in handles {
            handle.result().await.map_err(|failure| anyhow::anyhow!("send failed: {failure:?}"))?;
        }
        let seconds = started.elapsed().as_secs_f64();
        client.close(Duration::from_secs(5)).await;
        anyhow::Ok(seconds)
    })?;
    println!("{seconds} {}", crate::process::status_kib("self", "VmHWM:")?);
    Ok(())
}

/// Sends `paths` at once through a child; returns (seconds, peak RSS in MiB).
async fn client_upload(base_url: &str, paths: &[&Path]) -> anyhow::Result<(f64, f64)> {
    let exe = std::env::current_exe().context("the benchmark's own path")?;
    let mut command = std::process::Command::new(exe);
    command.arg(CHILD_FLAG).arg(base_url).args(paths);
    let output = crate::child::output(command).await.context("the upload child")?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "the upload child failed: {}", String::from_utf8_lossy(&output.stderr));
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    match (fields.next(), fields.next()) {
        (Some(Ok(seconds)), Some(Ok(peak_kib))) => Ok((seconds, peak_kib / 1024.0)),
        _ => anyhow::bail!("the upload child printed {text:?}"),
    }
}

async fn curl_upload(base_url: &str, path: &Path, run: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut command = std::process::Command::new("curl");
    command
        .args(["-sS", "-o", "/dev/null", "--fail", "-H"])
        .arg(format!("Authorization: Bearer {}", crate::fixtures::UPLOAD_KEY))
        .arg("-T")
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

/// Drops `path`'s pages from the page cache, so that the next read of it goes to the disk.
fn evict_from_page_cache(path: &Path) -> anyhow::Result<()> {
    use std::os::fd::AsRawFd as _;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    // SAFETY: the descriptor is open for the call; offset 0 and length 0 mean the whole file.
    let status = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    anyhow::ensure!(status == 0, "posix_fadvise(DONTNEED) on {} failed: {status}", path.display());
    Ok(())
}

/// Sparse files of `SIZE` in `directory`.
fn sparse_files(directory: &Path, count: usize) -> anyhow::Result<Vec<std::path::PathBuf>> {
    (0..count)
        .map(|index| {
            let path = directory.join(format!("big{index}.bin"));
            std::fs::File::create(&path).and_then(|file| file.set_len(SIZE)).context("creating a sparse file")?;
            Ok(path)
        })
        .collect()
}

const MIB: f64 = 1024.0 * 1024.0;

/// Per run: the file once by the client with a cold page cache, then [`PAIRS`] turns each of client and curl,
/// then four files at once.
pub async fn run(runs: usize) -> anyhow::Result<Outcome> {
    // Removed with everything in it when this returns.
    let directory = tempfile::tempdir().context("a directory for the sparse files")?;
    let paths = sparse_files(directory.path(), AT_ONCE)?;
    let path = paths[0].as_path();
    let curl = std::process::Command::new("curl").arg("--version").output().is_ok();
    let (mut client_rates, mut curl_rates, mut peaks, mut cold_rates) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut together_seconds, mut together_peaks) = (Vec::new(), Vec::new());
    let mut pairs_in_memory = true;
    for run in 0..runs {
        // A fresh hub for each upload or pair, so stored files do not pile up on disk.
        let hub = BenchHub::start(2 * SIZE).await?;
        evict_from_page_cache(path)?;
        flush_written_files().await?;
        let (cold_seconds, _) = client_upload(&hub.hub.base_url(), &[path]).await?;
        cold_rates.push(SIZE as f64 / cold_seconds / MIB);
        hub.hub.shutdown().await;
        // Client and curl take turns, which goes first alternating, and each run's figure is the median of its
        // pairs: one upload of each is at the mercy of the disk's write-back and the neighbours' load.
        let (mut client_pairs, mut curl_pairs, mut peak) = (Vec::new(), Vec::new(), 0.0_f64);
        for pair in 0..PAIRS {
            let (hub, in_memory) = BenchHub::start_in_memory(2 * SIZE, 3 * SIZE).await?;
            pairs_in_memory &= in_memory;
            let base_url = hub.hub.base_url();
            for client_turn in [pair % 2 == 0, pair % 2 == 1] {
                flush_written_files().await?;
                if client_turn {
                    let (seconds, pair_peak) = client_upload(&base_url, &[path]).await?;
                    client_pairs.push(SIZE as f64 / seconds / MIB);
                    peak = peak.max(pair_peak);
                } else if curl {
                    curl_pairs.push(curl_upload(&base_url, path, run * PAIRS + pair).await? / MIB);
                }
            }
            hub.hub.shutdown().await;
        }
        client_rates.push(crate::stats::median(&client_pairs));
        peaks.push(peak);
        if curl {
            curl_rates.push(crate::stats::median(&curl_pairs));
        }

        let hub = BenchHub::start(2 * SIZE).await?;
        let all: Vec<&Path> = paths.iter().map(std::path::PathBuf::as_path).collect();
        // Read once so that all four come from the page cache, like the single uploads above.
        if run == 0 {
            for path in &all[1..] {
                std::io::copy(&mut std::fs::File::open(path)?, &mut std::io::sink())?;
            }
        }
        flush_written_files().await?;
        let (seconds, peak) = client_upload(&hub.hub.base_url(), &all).await?;
        together_seconds.push(seconds);
        together_peaks.push(peak);
        hub.hub.shutdown().await;
    }
    let mut outcome = Outcome::default();
    outcome.figures.push(Figure::new(SCENARIO, "client send of 1 GiB file", "MiB/s", 0).runs(client_rates.clone()));
    outcome.figures.push(
        Figure::new(SCENARIO, "client send of 1 GiB file, first read of the file (cold page cache)", "MiB/s", 0)
            .runs(cold_rates),
    );
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
    outcome.figures.extend([
        Figure::new(SCENARIO, format!("{AT_ONCE} × 1 GiB at once: time to the last sent"), "s", 1)
            .runs(together_seconds.clone()),
        Figure::new(SCENARIO, format!("{AT_ONCE} × 1 GiB at once: rate"), "MiB/s", 0)
            .runs(together_seconds.iter().map(|seconds| AT_ONCE as f64 * SIZE as f64 / seconds / MIB).collect()),
        Figure::new(SCENARIO, format!("{AT_ONCE} × 1 GiB at once: client peak RSS (VmHWM)"), "MiB", 1)
            .runs(together_peaks)
            .goal(Goal::AtMost(64.0)),
    ]);
    outcome.notes.push(
        "the client figure is the whole send (upload, store acknowledgement, Server API send) in a child \
         process; for the cold upload and the four at once the hub stores the files on disk in a temporary \
         directory; dirty pages are written out (sync) before each upload; 'cold' drops the file from the page cache first \
         (posix_fadvise DONTNEED), the other uploads read it from the cache; the sparse files are made in a \
         temporary directory and removed at the end"
            .to_owned(),
    );
    outcome.notes.push(format!(
        "client and curl take {PAIRS} turns each per run, which goes first alternating, each pair on a fresh hub \
         keeping its files {}; a run's client and curl figures are the medians of its turns, and its ratio is theirs",
        match pairs_in_memory {
            true => "in memory (/dev/shm), so the disk's write-back is in neither",
            false => "on disk (/dev/shm had no room)",
        }
    ));
    Ok(outcome)
}
