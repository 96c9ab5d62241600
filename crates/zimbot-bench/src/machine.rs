//! The machine the figures were taken on: CPUs, CPU model and memory.

/// One line describing this machine, e.g. `2 CPUs (AMD EPYC 7B13), 23.5 GiB memory`.
pub fn describe() -> String {
    let cpus = std::thread::available_parallelism().map(|count| count.get()).unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, model)| model.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib: u64 = meminfo
        .lines()
        .find(|line| line.starts_with("MemTotal:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    format!("{cpus} CPUs (nproc) — {model} — {:.1} GiB memory", memory_kib as f64 / (1024.0 * 1024.0))
}
