//! Counters the runtime keeps per bot, and `/metrics`: every component's counters are read into a
//! [`Collector`] at a scrape and encoded together by `prometheus-client` (names and labels as documented in the
//! README; the format's `_total` suffix is added by the encoder).

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
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
        self.observe_hooks(elapsed, 1);
    }

    /// Records `count` hooks that each ran `elapsed` (the ticks of one batch call share its time out).
    pub fn observe_hooks(&self, elapsed: Duration, count: u64) {
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(count, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(count, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_micros.fetch_add(micros.saturating_mul(count), Ordering::Relaxed);
    }
}

/// The metrics a scrape of `/metrics` encodes: any number of [`Collector`]s, each a snapshot of some counters.
pub type Collectors = Vec<Box<dyn Collector>>;

/// Encodes `collectors` in the OpenMetrics text format (which Prometheus scrapes), through one registry.
pub fn encode(collectors: Collectors) -> String {
    let mut registry = Registry::default();
    for collector in collectors {
        registry.register_collector(collector);
    }
    let mut text = String::new();
    // Writing into a String cannot fail; an encoder error would be a bug in a collector.
    if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &registry) {
        tracing::error!("metrics could not be encoded: {error}");
    }
    text
}

/// The content type of [`encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A counter family: `name` (without `_total`, which the format adds), help, and a value per label set.
pub fn counter_family<L: EncodeLabelSet>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, u64)>,
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in samples {
        ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

/// A gauge family: `name`, help, and a value per label set.
pub fn gauge_family<L: EncodeLabelSet>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, i64)>,
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, value) in samples {
        ConstGauge::new(value).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

/// What one bot's counters read at a scrape.
#[derive(Debug)]
pub struct BotSample {
    pub bot: String,
    counters: Vec<u64>,
    mailbox_depth: usize,
    /// Hook latencies: the count in each bucket of [`LATENCY_BUCKETS`] (not cumulative), then above the last.
    latency_buckets: Vec<u64>,
    latency_sum: f64,
    /// The bot's notification lane: events waiting, progress events coalesced.
    lane: (usize, u64),
}

impl BotSample {
    /// Reads `stats` now, with the bot's mailbox depth and its notification lane.
    pub fn read(bot: &str, stats: &BotStats, mailbox_depth: usize, lane: (usize, u64)) -> Self {
        let cumulative: Vec<u64> = stats.latency_buckets.iter().map(|bucket| bucket.load(Ordering::Relaxed)).collect();
        let count = stats.latency_count.load(Ordering::Relaxed);
        let mut latency_buckets = Vec::with_capacity(cumulative.len() + 1);
        let mut below = 0;
        for at_most in cumulative.iter().copied().chain([count]) {
            latency_buckets.push(at_most.saturating_sub(below));
            below = below.max(at_most);
        }
        Self {
            bot: bot.to_owned(),
            counters: COUNTERS.iter().map(|(_, _, counter)| BotStats::get(counter(stats))).collect(),
            mailbox_depth,
            latency_buckets,
            latency_sum: stats.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
            lane,
        }
    }
}

/// Every bot's counters at a scrape.
#[derive(Debug)]
pub struct BotsCollector(pub Vec<BotSample>);

/// The per-bot counters: name (the format adds `_total`), help, and where each lives in [`BotStats`].
const COUNTERS: &[CounterDef] = &[
    ("zimbot_messages_delivered", "Messages delivered to the bot's mailbox.", |s| &s.delivered),
    ("zimbot_mailbox_dropped", "Oldest messages dropped because the mailbox was full.", |s| &s.mailbox_dropped),
    ("zimbot_cron_ticks", "Cron ticks delivered.", |s| &s.cron_ticks),
    ("zimbot_membership_events_delivered", "Membership and presence events delivered to the bot's mailbox.", |s| {
        &s.membership_events
    }),
    ("zimbot_hooks_ok", "Hooks that returned Ok.", |s| &s.hooks_ok),
    ("zimbot_hook_errors", "Hooks that returned an error.", |s| &s.hook_errors),
    ("zimbot_hook_timeouts", "Hooks that ran past hook_timeout.", |s| &s.hook_timeouts),
    ("zimbot_hook_panics", "Hooks that panicked.", |s| &s.hook_panics),
    ("zimbot_instance_rebuilds", "Plugin instances rebuilt after a panic.", |s| &s.instance_rebuilds),
    ("zimbot_dead_letters", "Messages moved to the dead letters after max_attempts.", |s| &s.dead_letters),
    ("zimbot_snapshots", "Reads of the plugin's state.", |s| &s.snapshots_taken),
    ("zimbot_snapshot_failures", "State reads that failed; the last good state was kept.", |s| &s.snapshot_failures),
];

impl Collector for BotsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let bots = &self.0;
        for (index, (name, help, _)) in COUNTERS.iter().enumerate() {
            counter_family(&mut encoder, name, help, bots.iter().map(|bot| (bot_label(bot), bot.counters[index])))?;
        }
        gauge_family(
            &mut encoder,
            "zimbot_mailbox_depth",
            "Messages waiting in the bot's mailbox.",
            bots.iter().map(|bot| (bot_label(bot), gauge(bot.mailbox_depth))),
        )?;
        let mut family = encoder.encode_descriptor(
            "zimbot_hook_duration_seconds",
            "How long hooks ran.",
            None,
            MetricType::Histogram,
        )?;
        for bot in bots {
            let buckets: Vec<(f64, u64)> = LATENCY_BUCKETS
                .iter()
                .copied()
                .chain([f64::INFINITY])
                .zip(bot.latency_buckets.iter().copied())
                .collect();
            let count = bot.latency_buckets.iter().sum();
            family.encode_family(&bot_label(bot))?.encode_histogram::<NoLabelSet>(
                bot.latency_sum,
                count,
                &buckets,
                None,
            )?;
        }
        gauge_family(
            &mut encoder,
            "zimbot_notification_queue_depth",
            "Send events waiting for the bot's notification lane.",
            bots.iter().map(|bot| (bot_label(bot), gauge(bot.lane.0))),
        )?;
        counter_family(
            &mut encoder,
            "zimbot_progress_coalesced",
            "Upload progress events replaced by a newer one of the same send before delivery.",
            bots.iter().map(|bot| (bot_label(bot), bot.lane.1)),
        )
    }
}

fn bot_label(bot: &BotSample) -> [(&'static str, &str); 1] {
    [("bot", bot.bot.as_str())]
}

/// A count as a gauge value.
pub fn gauge(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
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
        let sample = BotSample::read("echo", &stats, 3, (0, 0));
        let text = encode(vec![Box::new(BotsCollector(vec![sample]))]);
        assert!(text.contains("# TYPE zimbot_hook_panics counter\n"), "{text}");
        assert!(text.contains("zimbot_hook_panics_total{bot=\"echo\"} 1\n"), "{text}");
        assert!(text.contains("zimbot_mailbox_depth{bot=\"echo\"} 3\n"), "{text}");
        assert!(text.contains("zimbot_hook_duration_seconds_bucket{le=\"0.001\",bot=\"echo\"} 0\n"), "{text}");
        assert!(text.contains("zimbot_hook_duration_seconds_bucket{le=\"0.005\",bot=\"echo\"} 1\n"), "{text}");
        assert!(text.contains("zimbot_hook_duration_seconds_bucket{le=\"0.5\",bot=\"echo\"} 2\n"), "{text}");
        assert!(text.contains("zimbot_hook_duration_seconds_bucket{le=\"+Inf\",bot=\"echo\"} 2\n"), "{text}");
        assert!(text.contains("zimbot_hook_duration_seconds_count{bot=\"echo\"} 2\n"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn hooks_observed_together_count_each() {
        let stats = BotStats::default();
        stats.observe_hooks(Duration::from_millis(2), 3);
        stats.observe_hook(Duration::from_millis(20));
        let text = encode(vec![Box::new(BotsCollector(vec![BotSample::read("cron", &stats, 0, (0, 0))]))]);
        assert!(text.contains("zimbot_hook_duration_seconds_bucket{le=\"0.001\",bot=\"cron\"} 0\n"), "{text}");
        assert!(text.contains("zimbot_hook_duration_seconds_bucket{le=\"0.005\",bot=\"cron\"} 3\n"), "{text}");
        assert!(text.contains("zimbot_hook_duration_seconds_bucket{le=\"0.05\",bot=\"cron\"} 4\n"), "{text}");
        assert!(text.contains("zimbot_hook_duration_seconds_count{bot=\"cron\"} 4\n"), "{text}");
        assert!(text.contains("zimbot_hook_duration_seconds_sum{bot=\"cron\"} 0.026\n"), "{text}");
    }

    #[test]
    fn label_values_are_escaped() {
        let sample = BotSample::read("a\"b\\c", &BotStats::default(), 0, (0, 0));
        let text = encode(vec![Box::new(BotsCollector(vec![sample]))]);
        assert!(text.contains("zimbot_mailbox_depth{bot=\"a\\\"b\\\\c\"} 0\n"), "{text}");
    }
}
