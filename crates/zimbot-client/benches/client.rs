//! Figures for the client, against a loopback server in this process (`cargo bench -p zimbot-client`):
//!
//! 1. Send rate: 100 bots flood for ~10 s; the achieved rate as a share of the limit, the most arrivals the server
//!    saw in any one-second window, and the worst wait in send slots of light bots that send one message each.
//!    Run with the default safety margin and with a small one, since the margin is what keeps the sustained rate
//!    below the limit (at most `window / (window + margin)` of it).
//! 2. Upload: a 1 GiB sparse file through the hub store, against `curl -T` of the same file to the same server, and
//!    the peak memory growth of this process while the client uploads.
//!
//! Each figure is the median of `ZIMBOT_BENCH_RUNS` runs (default 3).

#[path = "../tests/support/server.rs"]
#[allow(dead_code)]
mod server;

use server::{TestServer, APP_ID, SECRET};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zimbot_client::{
    Client, ClientConfig, HubMediaStore, MediaStore, Sender, ServerApiConfig, ServerApiTransport, UploadRequest,
};
use zimbot_model::{BotId, ConversationType, Priority, SendRequest, UserId};

const FLOOD_BOTS: usize = 100;
const FLOOD_SECONDS: u64 = 10;
const UPLOAD_SIZE: u64 = 1024 * 1024 * 1024;

fn main() {
    let runs: usize = std::env::var("ZIMBOT_BENCH_RUNS").ok().and_then(|runs| runs.parse().ok()).unwrap_or(3);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        if std::env::var_os("ZIMBOT_BENCH_SKIP_UPLOAD").is_none() {
            upload_figures(runs).await;
        }
        for margin_ms in [ClientConfig::default().safety_margin_ms, Some(5)] {
            rate_figures(runs, margin_ms).await;
        }
    });
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn sender(name: &str) -> Sender {
    Sender {
        bot: BotId::from(name),
        user_id: UserId::from(format!("@RBT#{name}").as_str()),
        priority: Priority::Medium,
    }
}

struct RateRun {
    share_of_limit: f64,
    sent_in_period: usize,
    busiest_second: usize,
    light_worst_slots: usize,
    retried: u64,
    longest_gap: Duration,
}

async fn rate_figures(runs: usize, margin_ms: Option<u64>) {
    let results: Vec<RateRun> = {
        let mut results = Vec::new();
        for _ in 0..runs {
            results.push(rate_run(margin_ms).await);
        }
        results
    };
    let config = ClientConfig { safety_margin_ms: margin_ms, ..ClientConfig::default() };
    println!(
        "send rate, {FLOOD_BOTS} bots flooding {FLOOD_SECONDS} s, limit {}/s, safety margin {} (median of {runs}):",
        config.sends_per_window,
        margin_ms.map_or("adaptive".to_owned(), |margin| format!("{margin} ms"))
    );
    println!(
        "  sustained rate        {:.1} % of the limit   (runs: {})",
        median(results.iter().map(|run| run.share_of_limit * 100.0).collect()),
        results.iter().map(|run| format!("{:.1}", run.share_of_limit * 100.0)).collect::<Vec<_>>().join(", ")
    );
    println!(
        "  sends in the first {FLOOD_SECONDS} s  {}",
        results.iter().map(|run| run.sent_in_period.to_string()).collect::<Vec<_>>().join(", ")
    );
    println!(
        "  busiest 1 s window    {} arrivals at the server (window violations: {})",
        results.iter().map(|run| run.busiest_second).max().unwrap_or(0),
        results.iter().filter(|run| run.busiest_second > config.sends_per_window as usize).count()
    );
    println!(
        "  retried sends         {}   longest gap between arrivals {}",
        results.iter().map(|run| run.retried.to_string()).collect::<Vec<_>>().join(", "),
        results.iter().map(|run| format!("{:?}", run.longest_gap)).collect::<Vec<_>>().join(", ")
    );
    println!(
        "  light bots' worst wait {} send slots   (runs: {})",
        median(results.iter().map(|run| run.light_worst_slots as f64).collect()),
        results.iter().map(|run| run.light_worst_slots.to_string()).collect::<Vec<_>>().join(", ")
    );
}

async fn rate_run(margin_ms: Option<u64>) -> RateRun {
    let server = TestServer::start().await;
    let transport = ServerApiTransport::new(ServerApiConfig {
        base_url: server.base_url(),
        app_id: APP_ID,
        server_secret: SECRET.into(),
        request_timeout: Duration::from_secs(5),
    })
    .unwrap();
    let config = ClientConfig { safety_margin_ms: margin_ms, ..ClientConfig::default() };
    let limit = config.sends_per_window as usize;
    let client = Client::new(config, Arc::new(transport), Arc::new(HubMediaStore::new(server.base_url()).unwrap()));
    // Enough queued that every bot stays backlogged for the whole period.
    let per_bot = (FLOOD_SECONDS as usize + 2) * limit / FLOOD_BOTS + 2;
    let mut handles = Vec::new();
    for bot in 0..FLOOD_BOTS {
        for index in 0..per_bot {
            let request =
                SendRequest::text(format!("flood {bot} {index}"), format!("room{bot}"), ConversationType::Room);
            handles.push(client.send(&sender(&format!("flood{bot}")), request).unwrap());
        }
    }
    let begin = Instant::now();
    // Every 0.7 s another light bot sends its single message; its wait is the number of other sends that reached
    // the server between its send and its own arrival.
    let mut light_worst_slots = 0;
    let mut light_index = 0;
    while begin.elapsed() < Duration::from_secs(FLOOD_SECONDS) {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let arrived_before = server.calls().len();
        let text = format!("light {light_index}");
        let request = SendRequest::text(text.clone(), "light-room", ConversationType::Room);
        client.send(&sender(&format!("light{light_index}")), request).unwrap().result().await.unwrap();
        light_index += 1;
        let calls = server.calls();
        let position = calls.iter().position(|call| call.body["MessageBody"]["Message"] == text.as_str()).unwrap();
        light_worst_slots = light_worst_slots.max(position.saturating_sub(arrived_before));
    }
    let retried = client.stats().retried;
    client.close(Duration::ZERO).await;
    drop(handles);

    let arrivals: Vec<Instant> = server.calls().iter().map(|call| call.at).collect();
    let first = arrivals[0];
    let last = *arrivals.last().unwrap();
    let period = Duration::from_secs(FLOOD_SECONDS);
    let sent_in_period = arrivals.iter().filter(|at| **at < first + period).count();
    // Sustained rate of a window limiter: the arrivals before the start of the last burst over the time since the
    // first one (the last burst may be cut short by `close`, so it is left out rather than counted partly).
    let last_burst = arrivals
        .windows(2)
        .rfind(|pair| pair[1] - pair[0] > Duration::from_millis(100))
        .map(|pair| pair[1])
        .unwrap_or(last);
    let before_last_burst = arrivals.iter().filter(|at| **at < last_burst).count();
    let share_of_limit = before_last_burst as f64 / (last_burst - first).as_secs_f64() / limit as f64;
    let busiest_second = arrivals
        .iter()
        .map(|from| arrivals.iter().filter(|at| **at >= *from && **at < *from + Duration::from_secs(1)).count())
        .max()
        .unwrap_or(0);
    let longest_gap = arrivals.windows(2).map(|pair| pair[1] - pair[0]).max().unwrap_or_default();
    RateRun { share_of_limit, sent_in_period, busiest_second, light_worst_slots, retried, longest_gap }
}

/// A field of /proc/self/status in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

async fn upload_figures(runs: usize) {
    let server = TestServer::start().await;
    let store = HubMediaStore::new(server.base_url()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("big.bin");
    std::fs::File::create(&path).unwrap().set_len(UPLOAD_SIZE).unwrap();
    let curl = std::process::Command::new("curl").arg("--version").output().is_ok_and(|output| output.status.success());

    let mut client_rates = Vec::new();
    let mut curl_rates = Vec::new();
    let mut growths = Vec::new();
    for run in 0..runs {
        // Reset the peak-RSS mark so VmHWM shows this upload's peak only.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let rss_before = status_kib("VmRSS:");
        let request = UploadRequest {
            uid: format!("client{run}"),
            file_name: "big.bin".into(),
            path: path.clone(),
            size: UPLOAD_SIZE,
        };
        let started = Instant::now();
        store.upload(&request, Arc::new(|_| {})).await.unwrap();
        client_rates.push(UPLOAD_SIZE as f64 / started.elapsed().as_secs_f64());
        growths.push(status_kib("VmHWM:").saturating_sub(rss_before) as f64 / 1024.0);

        if curl {
            let url = format!("{}/media/curl{run}/big.bin", server.base_url());
            let path = path.clone();
            let started = Instant::now();
            let status = tokio::task::spawn_blocking(move || {
                std::process::Command::new("curl").args(["-sS", "-o", "/dev/null", "-T"]).arg(&path).arg(&url).status()
            })
            .await
            .unwrap()
            .unwrap();
            assert!(status.success(), "curl failed: {status}");
            curl_rates.push(UPLOAD_SIZE as f64 / started.elapsed().as_secs_f64());
        }
    }
    let received: Vec<u64> = server.uploads().iter().map(|upload| upload.received).collect();
    assert!(received.iter().all(|bytes| *bytes == UPLOAD_SIZE), "the server did not receive every byte: {received:?}");

    let mib = |rate: f64| rate / (1024.0 * 1024.0);
    let client_rate = median(client_rates.clone());
    println!("upload of a 1 GiB sparse file to a loopback server (median of {runs}):");
    println!(
        "  client                {:.0} MiB/s   (runs: {})",
        mib(client_rate),
        client_rates.iter().map(|rate| format!("{:.0}", mib(*rate))).collect::<Vec<_>>().join(", ")
    );
    if curl {
        let curl_rate = median(curl_rates.clone());
        println!(
            "  curl -T               {:.0} MiB/s   (runs: {})",
            mib(curl_rate),
            curl_rates.iter().map(|rate| format!("{:.0}", mib(*rate))).collect::<Vec<_>>().join(", ")
        );
        println!("  ratio client / curl   {:.2}", client_rate / curl_rate);
    } else {
        println!("  curl -T               skipped: curl is not installed, so there is no ratio");
    }
    println!(
        "  peak RSS growth       {:.1} MiB   (runs: {})",
        median(growths.clone()),
        growths.iter().map(|growth| format!("{growth:.1}")).collect::<Vec<_>>().join(", ")
    );
}
