//! Counters the runtime keeps per bot, and their Prometheus text form for `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the hook latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 10] = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0];

/// A counter's name, help text and where it lives in [`BotStats`].
type CounterDef = (&'static str, &'static str, fn(&BotStats) -> &AtomicU64);

/// One bot's counters. All relaxed atomics: they are read for reporting only.
#[derive(Debug, Default)]
pub struct BotStats {
    pub delivered: AtomicU64,
    pub mailbox_dropped: AtomicU64,
    pub cron_ticks: AtomicU64,
    /// Membership and presence events delivered (entered a room, joined a group, came online, ...).
    pub membership_events: AtomicU64,
    pub hooks_ok: AtomicU64,
    pub hook_errors: AtomicU64,
    pub hook_timeouts: AtomicU64,
    pub hook_panics: AtomicU64,
    pub instance_rebuilds: AtomicU64,
    /// Journaled messages moved to the dead letters (their attempts ran out).
    pub dead_letters: AtomicU64,
    /// Reads of the plugin's state (see `dispatch::SNAPSHOT_INTERVAL`).
    pub snapshots_taken: AtomicU64,
    /// Reads that gave no usable state (the last good one was kept).
    pub snapshot_failures: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

impl BotStats {
    pub fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Records how long one hook ran.
    pub fn observe_hook(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

/// Writes Prometheus text for a set of bots (with `extra` lines appended, e.g. the client's counters).
pub fn render_prometheus<'a>(bots: impl Iterator<Item = (&'a str, &'a BotStats, usize)>, extra: &str) -> String {
    let bots: Vec<_> = bots.collect();
    let mut out = String::new();
    let counters: &[CounterDef] = &[
        ("zimbot_messages_delivered_total", "Messages delivered to the bot's mailbox.", |s| &s.delivered),
        ("zimbot_mailbox_dropped_total", "Oldest messages dropped because the mailbox was full.", |s| {
            &s.mailbox_dropped
        }),
        ("zimbot_cron_ticks_total", "Cron ticks delivered.", |s| &s.cron_ticks),
        (
            "zimbot_membership_events_delivered_total",
            "Membership and presence events delivered to the bot's mailbox.",
            |s| &s.membership_events,
        ),
        ("zimbot_hooks_ok_total", "Hooks that returned Ok.", |s| &s.hooks_ok),
        ("zimbot_hook_errors_total", "Hooks that returned an error.", |s| &s.hook_errors),
        ("zimbot_hook_timeouts_total", "Hooks that ran past hook_timeout.", |s| &s.hook_timeouts),
        ("zimbot_hook_panics_total", "Hooks that panicked.", |s| &s.hook_panics),
        ("zimbot_instance_rebuilds_total", "Plugin instances rebuilt after a panic.", |s| &s.instance_rebuilds),
        ("zimbot_dead_letters_total", "Messages moved to the dead letters after max_attempts.", |s| &s.dead_letters),
        ("zimbot_snapshots_total", "Reads of the plugin's state.", |s| &s.snapshots_taken),
        ("zimbot_snapshot_failures_total", "State reads that failed; the last good state was kept.", |s| {
            &s.snapshot_failures
        }),
    ];
    for &(name, help, counter) in counters {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (bot, stats, _) in &bots {
            let _ = writeln!(out, "{name}{{bot=\"{}\"}} {}", escape(bot), BotStats::get(counter(stats)));
        }
    }
    let _ = writeln!(
        out,
        "# HELP zimbot_mailbox_depth Messages waiting in the bot's mailbox.\n# TYPE zimbot_mailbox_depth gauge"
    );
    for (bot, _, depth) in &bots {
        let _ = writeln!(out, "zimbot_mailbox_depth{{bot=\"{}\"}} {depth}", escape(bot));
    }
    let name = "zimbot_hook_duration_seconds";
    let _ = writeln!(out, "# HELP {name} How long hooks ran.\n# TYPE {name} histogram");
    for (bot, stats, _) in &bots {
        let bot = escape(bot);
        for (bucket, bound) in stats.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            let _ = writeln!(out, "{name}_bucket{{bot=\"{bot}\",le=\"{bound}\"}} {}", bucket.load(Ordering::Relaxed));
        }
        let count = stats.latency_count.load(Ordering::Relaxed);
        let sum = stats.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_bucket{{bot=\"{bot}\",le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum{{bot=\"{bot}\"}} {sum}\n{name}_count{{bot=\"{bot}\"}} {count}");
    }
    out.push_str(extra);
    out
}

/// Prometheus text for the bots' notification lanes: (bot, events waiting, progress events coalesced).
pub fn render_notification_lanes<'a>(lanes: impl Iterator<Item = (&'a str, usize, u64)>) -> String {
    let lanes: Vec<_> = lanes.collect();
    let mut out = String::new();
    let depth = "zimbot_notification_queue_depth";
    let _ = writeln!(out, "# HELP {depth} Send events waiting for the bot's notification lane.\n# TYPE {depth} gauge");
    for (bot, waiting, _) in &lanes {
        let _ = writeln!(out, "{depth}{{bot=\"{}\"}} {waiting}", escape(bot));
    }
    let coalesced = "zimbot_progress_coalesced_total";
    let _ = writeln!(
        out,
        "# HELP {coalesced} Upload progress events replaced by a newer one of the same send before delivery.\n\
         # TYPE {coalesced} counter"
    );
    for (bot, _, count) in &lanes {
        let _ = writeln!(out, "{coalesced}{{bot=\"{}\"}} {count}", escape(bot));
    }
    out
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_has_counters_and_a_cumulative_histogram() {
        let stats = BotStats::default();
        BotStats::add(&stats.hook_panics);
        stats.observe_hook(Duration::from_millis(2));
        stats.observe_hook(Duration::from_millis(200));
        let text = render_prometheus([("echo", &stats, 3)].into_iter(), "");
        assert!(text.contains("zimbot_hook_panics_total{bot=\"echo\"} 1"), "{text}");
        assert!(text.contains("zimbot_mailbox_depth{bot=\"echo\"} 3"), "{text}");
        assert!(text.contains("zimbot_hook_duration_seconds_bucket{bot=\"echo\",le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("zimbot_hook_duration_seconds_bucket{bot=\"echo\",le=\"0.5\"} 2"), "{text}");
        assert!(text.contains("zimbot_hook_duration_seconds_count{bot=\"echo\"} 2"), "{text}");
    }
}
