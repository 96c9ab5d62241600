//! Driving `wrk` (when installed) against the webhook with a Lua script that posts signed callbacks, each with
//! its own `msg_id`, and reading back its throughput and latency percentiles.

use anyhow::Context as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// What wrk reported.
#[derive(Debug, Clone, Copy)]
pub struct WrkResult {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Non-2xx answers and socket errors.
    pub errors: u64,
}

/// Whether `wrk` can be run.
pub fn available() -> bool {
    std::process::Command::new("wrk").arg("--version").output().is_ok()
}

/// The Lua script: every request a send_msg callback to room `r{id % bots}` with a unique msg_id.
fn script(signature: &str, timestamp: i64, bots: usize) -> String {
    let text = crate::recorder::message_text(0);
    format!(
        r#"wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local prefix = '{{"appid":"1234567","event":"send_msg","nonce":"bench","signature":"{signature}","timestamp":{timestamp},"from_user_id":"user","conv_type":1,"conv_id":"r'
local middle = '","msg_type":1,"msg_body":"{text}","msg_id":"w'
local suffix = '","msg_seq":1,"msg_time":0}}'
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
function request()
  counter = counter + 1
  local id = tid * 1000000000 + counter
  return wrk.format(nil, nil, nil, prefix .. (id % {bots}) .. middle .. id .. suffix)
end
"#
    )
}

fn millis(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(number / 1000.0),
        "ms" => Some(number),
        "s" => Some(number * 1000.0),
        "m" => Some(number * 60_000.0),
        _ => None,
    }
}

/// Parses wrk's `--latency` output.
fn parse(output: &str) -> anyhow::Result<WrkResult> {
    let field = |prefix: &str| {
        output
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with(prefix))
            .and_then(|line| line.split_whitespace().nth(1))
    };
    let requests_per_second =
        field("Requests/sec:").and_then(|value| value.parse().ok()).context("wrk printed no Requests/sec")?;
    let p50_ms = field("50%").and_then(millis).context("wrk printed no 50% latency")?;
    let p99_ms = field("99%").and_then(millis).context("wrk printed no 99% latency")?;
    let non_2xx: u64 = field("Non-2xx")
        .and_then(|_| {
            output
                .lines()
                .find(|line| line.contains("Non-2xx"))
                .and_then(|line| line.split(':').nth(1)?.trim().parse().ok())
        })
        .unwrap_or(0);
    let socket_errors: u64 = output
        .lines()
        .find(|line| line.contains("Socket errors"))
        .map(|line| line.split(',').filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    Ok(WrkResult { requests_per_second, p50_ms, p99_ms, errors: non_2xx + socket_errors })
}

/// Runs wrk with `connections` connections over 2 threads for `duration` against the webhook at `addr`.
pub async fn run(
    addr: SocketAddr,
    directory: &Path,
    signature: &str,
    timestamp: i64,
    bots: usize,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<WrkResult> {
    let path = directory.join("callbacks.lua");
    std::fs::write(&path, script(signature, timestamp, bots)).context("writing the wrk script")?;
    let mut command = std::process::Command::new("wrk");
    command
        .args(["-t2", &format!("-c{connections}"), &format!("-d{}s", duration.as_secs().max(1)), "--latency", "-s"])
        .arg(&path)
        .arg(format!("http://{addr}/zim/callback"));
    let output = crate::child::output(command).await?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "wrk failed: {text}{}", String::from_utf8_lossy(&output.stderr));
    parse(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        let output =
            "  Latency Distribution\n     50%  412.00us\n     75%    1.2ms\n     90%    2.00ms\n     99%    5.10ms\n  \
                      Non-2xx or 3xx responses: 3\nRequests/sec:  21000.50\n";
        let result = parse(output).unwrap();
        assert_eq!(result.requests_per_second, 21000.5);
        assert!((result.p50_ms - 0.412).abs() < 1e-9);
        assert_eq!(result.p99_ms, 5.1);
        assert_eq!(result.errors, 3);
    }
}
