//! A large file goes up to S3 in parts without the client's memory growing with it. Alone in its test binary, so
//! the peak RSS measured is this upload's.

mod support;

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use support::s3_server::S3TestServer;
use zimbot_client::{MediaStore, S3Store, UploadRequest, DEFAULT_PART_SIZE};

const SIZE_MIB: u64 = 150;
const RSS_LIMIT_MIB: u64 = 64;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("/proc/self/status")
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .expect("a VmHWM line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_150_mib_file_goes_up_in_parts_with_progress_within_64_mib_of_memory() {
    let server = S3TestServer::start();
    let mut config = server.config();
    config.part_size = DEFAULT_PART_SIZE;
    let store = S3Store::new(config).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("video.mp4");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![7u8; 1024 * 1024];
    for _ in 0..SIZE_MIB {
        file.write_all(&block).unwrap();
    }
    drop(file);
    let size = SIZE_MIB * 1024 * 1024;
    let request = UploadRequest { uid: "large".into(), file_name: "video.mp4".into(), path, size };
    let furthest = Arc::new(Mutex::new(0));
    let recorder = Arc::clone(&furthest);
    store.upload(&request, Arc::new(move |taken| *recorder.lock().unwrap() = taken)).await.unwrap();

    let parts = server
        .requests()
        .await
        .iter()
        .filter(|(method, _, query)| method == "PUT" && query.contains("partNumber="))
        .count();
    assert_eq!(parts as u64, size.div_ceil(DEFAULT_PART_SIZE));
    assert!(*furthest.lock().unwrap() > size / 2, "progress did not follow the parts");
    let peak_mib = peak_rss_kib() / 1024;
    println!("peak RSS of the test process: {peak_mib} MiB");
    assert!(peak_mib <= RSS_LIMIT_MIB, "peak RSS {peak_mib} MiB for a {SIZE_MIB} MiB upload");
}
