//! Upload throughput of the S3 store against a local S3-compatible server (moto, see
//! `tests/support/s3_server.rs`): one `PUT` against a multipart upload of the same file, and the peak memory
//! growth of this process during the multipart uploads.
//!
//! `cargo bench -p zimbot-client --bench s3_upload`. The file is `ZIMBOT_BENCH_S3_MB` MiB (default 64); each figure
//! is the median of `ZIMBOT_BENCH_RUNS` runs (default 5). The local server is in Python and keeps objects in
//! memory, so the figures measure zimbot's side against a slow server, not what a real store sustains.

#[path = "../tests/support/s3_server.rs"]
#[allow(dead_code)]
mod s3_server;

use s3_server::S3TestServer;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;
use zimbot_client::{MediaStore, S3Store, UploadRequest, DEFAULT_PART_CONCURRENCY, DEFAULT_PART_SIZE};

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let runs: usize = std::env::var("ZIMBOT_BENCH_RUNS").ok().and_then(|runs| runs.parse().ok()).unwrap_or(5);
    let mib: u64 = std::env::var("ZIMBOT_BENCH_S3_MB").ok().and_then(|mib| mib.parse().ok()).unwrap_or(64);
    let size = mib * 1024 * 1024;
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("video.mp4");
    let mut file = std::fs::File::create(&path).unwrap();
    let block: Vec<u8> = (0..1024 * 1024).map(|index| (index % 251) as u8).collect();
    for _ in 0..mib {
        file.write_all(&block).unwrap();
    }
    drop(file);

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let server = S3TestServer::start();
        let single = {
            let mut config = server.config();
            config.part_size = size;
            S3Store::new(config).unwrap()
        };
        let parts = {
            let mut config = server.config();
            config.part_size = DEFAULT_PART_SIZE;
            config.part_concurrency = DEFAULT_PART_CONCURRENCY;
            S3Store::new(config).unwrap()
        };
        let mut single_rates = Vec::new();
        let mut part_rates = Vec::new();
        let mut growths = Vec::new();
        for run in 0..runs {
            for (store, rates, name) in [(&single, &mut single_rates, "single"), (&parts, &mut part_rates, "parts")] {
                let request = UploadRequest {
                    uid: format!("{name}{run}"),
                    file_name: "video.mp4".into(),
                    path: path.clone(),
                    size,
                };
                let _ = std::fs::write("/proc/self/clear_refs", "5");
                let rss_before = status_kib("VmRSS:");
                let started = Instant::now();
                store.upload(&request, Arc::new(|_| {})).await.unwrap();
                rates.push(size as f64 / started.elapsed().as_secs_f64() / (1024.0 * 1024.0));
                if name == "parts" {
                    growths.push(status_kib("VmHWM:").saturating_sub(rss_before) as f64 / 1024.0);
                }
                // The server keeps objects in memory: remove each one again.
                let (key, _) = store.key_and_link(&request).unwrap();
                store.delete(&key).await.unwrap();
            }
        }
        let list = |values: &[f64]| values.iter().map(|value| format!("{value:.0}")).collect::<Vec<_>>().join(", ");
        println!("upload of a {mib} MiB file to a local S3-compatible server (moto), median of {runs}:");
        println!(
            "  one PUT                        {:.0} MiB/s   (runs: {})",
            median(single_rates.clone()),
            list(&single_rates)
        );
        println!(
            "  multipart, {} MiB x {} at once   {:.0} MiB/s   (runs: {})",
            DEFAULT_PART_SIZE / (1024 * 1024),
            DEFAULT_PART_CONCURRENCY,
            median(part_rates.clone()),
            list(&part_rates)
        );
        println!(
            "  peak RSS growth, multipart     {:.1} MiB   (runs: {})",
            median(growths.clone()),
            growths.iter().map(|growth| format!("{growth:.1}")).collect::<Vec<_>>().join(", ")
        );
    });
}
