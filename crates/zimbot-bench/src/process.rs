//! What the kernel says about a process: resident memory and CPU time, from /proc.

use anyhow::Context as _;
use std::time::Duration;

/// A `Vm*:` field of `/proc/{pid}/status` in KiB (`pid` "self" for this process).
pub fn status_kib(pid: &str, field: &str) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|value| value.parse().ok())
        .with_context(|| format!("{path} has no {field} line"))
}

/// User plus system CPU time this process has used so far.
pub fn cpu_time() -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are plain.
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).context("/proc/self/stat has no command name")?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, so 11 and 12 after the name (state is field 3).
    let ticks: u64 =
        [11, 12].iter().map(|index| fields.get(*index).and_then(|field| field.parse::<u64>().ok()).unwrap_or(0)).sum();
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Ok(Duration::from_secs_f64(ticks as f64 / per_second as f64))
}
