//! Limiter: 100 bots flood media sends through the client to the real hub at a limit of 10/s, with the
//! client's default (adaptive) safety margin, straight over loopback, through a [`JitterProxy`] that holds each
//! request on its way in for 8–10 ms (a service in a nearby region), and through one that holds each for a random
//! 0–50 ms (so arrivals at the hub bunch).
//!
//! The goals: on loopback and to the nearby region, at least 99 % of the limit with no refusal; through the
//! jitter, still no refusal (the rate is shown without a goal: a send counts in its window until its answer, and
//! a path whose round trips vary by 50 ms costs its share of the rate by design).
//!
//! Figures: the sustained send rate as a share of the limit (the starts after the first over the time to the last
//! one in the period), the most sends that started in any one second (at the transport, just before
//! the request goes out), the hub's QPS violations (its own sliding window, counted on arrival) and, for
//! reference, the most messages in one second by the time the hub stored them (which lags arrival, so it can
//! bunch), Jain's fairness index of the flooding bots' sends, and the p99 wait of light bots from the
//! call to the start of the send on the wire.
//!
//! A light bot is one that sends less than its fair share: with 100 backlogged bots at 10/s a round takes 10 s,
//! so each of the light bots sends once every 15 s; together (staggered) they send every 0.5 s. A bot sending
//! more often than once a round is a heavy bot, and waits its turn like the flood (see the client's fair queue).

use crate::fixtures::{server_api, BenchHub};
use crate::jitter_proxy::JitterProxy;
use crate::report::{Figure, Goal, Outcome};
use crate::stats::{jain, median, percentile};
use anyhow::Context as _;
use async_trait::async_trait;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zimbot_client::{ClientConfig, OutboundMessage, RoomSpec, SendReceipt, Sender, ServerApiTransport, Transport};
use zimbot_model::{
    BotId, ConversationId, ConversationType, MediaMessage, Priority, SendConfig, SendRequest, UserId, ZimError,
};
use zimbot_wire::RegisterUserInfo;

const SCENARIO: &str = "limiter";
const FLOOD_BOTS: usize = 100;
const FLOOD_ROOM: &str = "bench-flood";
const LIGHT_ROOM: &str = "bench-light";
const LIGHT_BOTS: usize = 30;
const LIGHT_EVERY: Duration = Duration::from_millis(500);
/// The most a request is held on its way to the hub in the jittered setting.
const JITTER: Duration = Duration::from_millis(50);
/// How long a request is held on its way to a hub in a nearby region: steady, with a little spread.
const NEARBY: (Duration, Duration) = (Duration::from_millis(8), Duration::from_millis(10));
/// Rounds of flood sends left out of the whole-round fairness figure: the start-up (see `flood`).
const SETTLING_ROUNDS: usize = 2;

/// The way from the client to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Loopback,
    /// Through a proxy holding each request a steady 8–10 ms.
    Nearby,
    /// Through a proxy holding each request a random 0–50 ms.
    Jitter,
}

/// One setting of the flood: the margin (None: the adaptive default) and the path to the hub.
#[derive(Debug, Clone, Copy)]
struct Setting {
    margin_ms: Option<u64>,
    path: Path,
}

impl Setting {
    fn label(self) -> String {
        let margin = self.margin_ms.map_or("adaptive margin".to_owned(), |margin| format!("margin {margin} ms"));
        match self.path {
            Path::Loopback => margin,
            Path::Nearby => {
                format!("{margin}, nearby region ({}–{} ms on the way in)", NEARBY.0.as_millis(), NEARBY.1.as_millis())
            }
            Path::Jitter => format!("{margin}, 0–{} ms jitter", JITTER.as_millis()),
        }
    }
}

/// The Server API transport, noting when each attempt starts and who sent it.
struct Stamping {
    inner: ServerApiTransport,
    starts: Mutex<Vec<(String, Instant)>>,
    /// Each attempt's time from its start here to its answer.
    round_trips: Mutex<Vec<Duration>>,
    errors: Mutex<Vec<ZimError>>,
}

#[async_trait]
impl Transport for Stamping {
    async fn send_message(&self, message: &OutboundMessage) -> Result<SendReceipt, ZimError> {
        let at = Instant::now();
        self.starts.lock().push((message.from.to_string(), at));
        let result = self.inner.send_message(message).await;
        self.round_trips.lock().push(at.elapsed());
        if let Err(error) = &result {
            self.errors.lock().push(error.clone());
        }
        result
    }

    async fn register_bots(&self, bots: &[RegisterUserInfo]) -> Result<(), ZimError> {
        self.inner.register_bots(bots).await
    }
}

fn sender(name: &str) -> Sender {
    Sender {
        bot: BotId::from(name),
        user_id: UserId::from(format!("@RBT#{name}").as_str()),
        priority: Priority::Medium,
    }
}

/// One flood's figures.
struct Run {
    share_of_limit: f64,
    hub_busiest_second: usize,
    wire_busiest_second: usize,
    hub_violations: u64,
    client_errors: usize,
    jain_worst_round: f64,
    jain_period: f64,
    light_p99_ms: f64,
    light_samples: usize,
    /// Light sends that had not started when the flood was stopped.
    light_missing: usize,
    /// The margin the client counted with at the end.
    margin: Duration,
    /// The sends' mean round trip at the transport, in ms.
    mean_round_trip_ms: f64,
    /// The sends' p99 round trip at the transport, in ms.
    p99_round_trip_ms: f64,
}

/// The sustained rate of starts: the starts after the first over the time from the first to the last. (Starts are
/// paced one slot apart once the window is half full, so a period holds whole slots.)
fn sustained_rate(starts: &[Instant]) -> f64 {
    match (starts.first(), starts.last()) {
        (Some(first), Some(last)) if last > first => (starts.len() - 1) as f64 / (*last - *first).as_secs_f64(),
        _ => 0.0,
    }
}

/// The index just after the send at which every one of the senders in `senders` has sent `times` times (or the
/// end, for a sender that never did).
fn after_rounds(senders: &[&str], times: usize) -> usize {
    let mut counts: HashMap<&str, usize> = senders.iter().map(|sender| (*sender, 0)).collect();
    let mut short = counts.len();
    for (index, sender) in senders.iter().enumerate() {
        let count = counts.entry(sender).or_default();
        *count += 1;
        if *count == times {
            short -= 1;
            if short == 0 {
                return index + 1;
            }
        }
    }
    senders.len()
}

/// The most entries of `times_ms` in any window of 1000 ms.
fn busiest_second(times_ms: &mut [i64]) -> usize {
    times_ms.sort_unstable();
    let mut busiest = 0;
    let mut from = 0;
    for to in 0..times_ms.len() {
        while times_ms[to] - times_ms[from] >= 1000 {
            from += 1;
        }
        busiest = busiest.max(to - from + 1);
    }
    busiest
}

async fn hub_times(base_url: &str, room: &str) -> anyhow::Result<Vec<i64>> {
    let mut times = Vec::new();
    let mut after = 0u64;
    loop {
        let url = format!("{base_url}/client/v1/messages?conv_type=room&conv_id={room}&after_seq={after}&limit=1000");
        let page: serde_json::Value = serde_json::from_slice(&crate::loadgen::get(&url).await?)?;
        let messages = page["messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            return Ok(times);
        }
        for message in &messages {
            times.push(message["time"].as_i64().context("a hub message without a time")?);
            after = after.max(message["seq"].as_u64().unwrap_or(after));
        }
    }
}

async fn flood(duration: Duration, setting: Setting, image: &std::path::Path) -> anyhow::Result<Run> {
    let hub = BenchHub::start(1024 * 1024).await?;
    let proxy = match setting.path {
        Path::Loopback => None,
        Path::Nearby => Some(JitterProxy::start_between(hub.hub.local_addr(), NEARBY.0, NEARBY.1).await),
        Path::Jitter => Some(JitterProxy::start(hub.hub.local_addr(), JITTER).await),
    };
    let proxy = proxy.transpose().context("starting the proxy")?;
    let inner = match &proxy {
        Some(proxy) => server_api(&proxy.base_url())?,
        None => hub.transport()?,
    };
    let transport =
        Arc::new(Stamping { inner, starts: Mutex::default(), round_trips: Mutex::default(), errors: Mutex::default() });
    let config = ClientConfig { safety_margin_ms: setting.margin_ms, ..ClientConfig::default() };
    let limit = f64::from(config.sends_per_window) * 1000.0 / config.window_ms as f64;
    let client = hub.client(config, Arc::clone(&transport) as Arc<dyn Transport>)?;
    let names: Vec<String> = (0..FLOOD_BOTS)
        .map(|bot| format!("flood{bot}"))
        .chain((0..LIGHT_BOTS).map(|bot| format!("light{bot}")))
        .collect();
    let users = names
        .iter()
        .map(|name| RegisterUserInfo {
            user_id: format!("@RBT#{name}"),
            user_name: name.clone(),
            user_avatar: String::new(),
        })
        .collect();
    client.register_bots(users).await.context("registering the bots with the hub")?;
    for room in [FLOOD_ROOM, LIGHT_ROOM] {
        create_room(&transport.inner, room, "@RBT#flood0").await.with_context(|| format!("creating room {room}"))?;
    }

    // Enough queued that every flooding bot stays backlogged for the whole period.
    let per_bot = ((duration.as_secs_f64() + 2.0) * limit / FLOOD_BOTS as f64).ceil() as usize + 2;
    let mut handles = Vec::new();
    for bot in 0..FLOOD_BOTS {
        for _ in 0..per_bot {
            let request = SendRequest::media(
                MediaMessage::image(image),
                FLOOD_ROOM,
                ConversationType::Room,
                SendConfig::default(),
            );
            handles.push(client.send(&sender(&format!("flood{bot}")), request).context("a flood send refused")?);
        }
    }
    let begin = Instant::now();
    // (light bot user, call time), in call order.
    let mut light_calls: Vec<(String, Instant)> = Vec::new();
    while begin.elapsed() + LIGHT_EVERY + Duration::from_secs(1) < duration {
        tokio::time::sleep(LIGHT_EVERY).await;
        let name = format!("light{}", light_calls.len() % LIGHT_BOTS);
        let request =
            SendRequest::media(MediaMessage::image(image), LIGHT_ROOM, ConversationType::Room, SendConfig::default());
        light_calls.push((format!("@RBT#{name}"), Instant::now()));
        handles.push(client.send(&sender(&name), request).context("a light send refused")?);
    }
    tokio::time::sleep_until((begin + duration).into()).await;
    // Let the light bot's last send start before the flood is stopped.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let starts = transport.starts.lock().clone();
    let margin = client.safety_margin();
    client.close(Duration::ZERO).await;
    drop(handles);

    let Some(first) = starts.first().map(|(_, at)| *at) else { anyhow::bail!("no send reached the wire") };
    let in_period: Vec<&(String, Instant)> = starts.iter().filter(|(_, at)| *at < first + duration).collect();
    let times: Vec<Instant> = in_period.iter().map(|(_, at)| *at).collect();
    let share_of_limit = sustained_rate(&times) / limit;

    let is_flood = |from: &str| from.starts_with("@RBT#flood");
    let flood_in_period: Vec<&str> =
        in_period.iter().map(|(from, _)| from.as_str()).filter(|from| is_flood(from)).collect();
    let flood_all: Vec<&str> = starts.iter().map(|(from, _)| from.as_str()).filter(|from| is_flood(from)).collect();
    let shares = |starts: &[&str]| {
        let mut counts: HashMap<&str, f64> = HashMap::new();
        for from in starts {
            *counts.entry(from).or_default() += 1.0;
        }
        let mut shares: Vec<f64> = (0..FLOOD_BOTS)
            .map(|bot| counts.get(format!("@RBT#flood{bot}").as_str()).copied().unwrap_or(0.0))
            .collect();
        shares.sort_by(f64::total_cmp);
        shares
    };
    // Whole rounds of flood sends once the start-up has settled. While the first uploads run only some bots are
    // ready, and the queue (work-conserving) serves the ready ones; a bot that was not ready at its turn is served
    // as soon as it is, and catches that turn up once in the round being served (the queue's contract). So the
    // first round is uneven and the second carries the catch-ups; from the third on every bot is backlogged and
    // ready, and each round of FLOOD_BOTS sends holds each bot once.
    let flood_sends: Vec<&str> = starts.iter().map(|(from, _)| from.as_str()).filter(|from| is_flood(from)).collect();
    let settled = &flood_sends[after_rounds(&flood_sends, SETTLING_ROUNDS)..];
    let whole_rounds = settled.len() / FLOOD_BOTS * FLOOD_BOTS;
    // Less than one round (a --quick run) gives no figure.
    let jain_worst_round = if whole_rounds == 0 { f64::NAN } else { jain(&shares(&settled[..whole_rounds])) };
    if std::env::var_os("ZIMBOT_BENCH_DEBUG").is_some() {
        eprintln!("first {} flood sends per bot: {:?}", flood_all.len(), shares(&flood_all));
        eprintln!("{whole_rounds} settled flood sends per bot: {:?}", shares(&settled[..whole_rounds]));
    }
    let jain_period = jain(&shares(&flood_in_period));

    // Each light bot's sends reach the wire in the order it made them (one lane), so the k-th call of a bot
    // matches its k-th start.
    let mut light_starts: HashMap<&str, std::collections::VecDeque<Instant>> = HashMap::new();
    for (from, at) in starts.iter().filter(|(from, _)| from.starts_with("@RBT#light")) {
        light_starts.entry(from.as_str()).or_default().push_back(*at);
    }
    let waits: Vec<f64> = light_calls
        .iter()
        .filter_map(|(from, call)| {
            let start = light_starts.get_mut(from.as_str())?.pop_front()?;
            Some(start.saturating_duration_since(*call).as_secs_f64() * 1000.0)
        })
        .collect();
    let light_missing = light_calls.len() - waits.len();

    let base_url = hub.hub.base_url();
    let mut hub_times_ms = hub_times(&base_url, FLOOD_ROOM).await?;
    hub_times_ms.extend(hub_times(&base_url, LIGHT_ROOM).await?);
    let hub_busiest_second = busiest_second(&mut hub_times_ms);
    let mut wire_times_ms: Vec<i64> = starts.iter().map(|(_, at)| (*at - first).as_millis() as i64).collect();
    let wire_busiest_second = busiest_second(&mut wire_times_ms);
    let round_trips: Vec<f64> =
        transport.round_trips.lock().iter().map(|round_trip| round_trip.as_secs_f64() * 1000.0).collect();
    let mean_round_trip_ms = round_trips.iter().sum::<f64>() / round_trips.len().max(1) as f64;
    let hub_violations = hub.hub.stats().qps_violations.values().sum();
    let client_errors = transport.errors.lock().len();
    hub.hub.shutdown().await;
    Ok(Run {
        share_of_limit,
        hub_busiest_second,
        wire_busiest_second,
        hub_violations,
        client_errors,
        jain_worst_round,
        jain_period,
        light_p99_ms: percentile(&waits, 99.0),
        light_samples: waits.len(),
        light_missing,
        margin,
        mean_round_trip_ms,
        p99_round_trip_ms: percentile(&round_trips, 99.0),
    })
}

/// Runs the flood `runs` times with each safety margin.
pub async fn run(duration: Duration, runs: usize) -> anyhow::Result<Outcome> {
    let directory = tempfile::tempdir().context("a directory for the image")?;
    let image = directory.path().join("bench.png");
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(1024, 0);
    std::fs::write(&image, bytes).context("writing the image")?;

    let mut outcome = Outcome::default();
    let adaptive = ClientConfig::default().safety_margin_ms;
    for path in [Path::Loopback, Path::Nearby, Path::Jitter] {
        let setting = Setting { margin_ms: adaptive, path };
        let mut results = Vec::new();
        for _ in 0..runs {
            results.push(flood(duration, setting, &image).await?);
        }
        let label = |what: &str| format!("{what}, {}", setting.label());
        let values = |pick: fn(&Run) -> f64| results.iter().map(pick).collect::<Vec<_>>();
        outcome.figures.extend([
            match path {
                Path::Loopback | Path::Nearby => Figure::new(SCENARIO, label("send rate / limit"), "%", 1)
                    .runs(values(|run| run.share_of_limit * 100.0))
                    .goal(Goal::AtLeast(99.0)),
                Path::Jitter => Figure::new(SCENARIO, label("send rate / limit"), "%", 1)
                    .runs(values(|run| run.share_of_limit * 100.0)),
            },
            Figure::new(SCENARIO, label("busiest 1 s of send starts"), "sends", 0)
                .runs(values(|run| run.wire_busiest_second as f64))
                .goal(Goal::AtMost(10.0)),
            Figure::new(SCENARIO, label("hub: busiest 1 s by stored time"), "sends", 0)
                .runs(values(|run| run.hub_busiest_second as f64)),
            Figure::new(SCENARIO, label("hub: QPS violations"), "", 0)
                .runs(values(|run| run.hub_violations as f64))
                .goal(Goal::AtMost(0.0)),
            Figure::new(SCENARIO, label("Jain index, whole rounds after the second"), "", 4)
                .runs(values(|run| run.jain_worst_round))
                .goal(Goal::AtLeast(0.995)),
            Figure::new(SCENARIO, label("Jain index, whole period"), "", 4).runs(values(|run| run.jain_period)),
            Figure::new(SCENARIO, label("light bot p99 wait"), "ms", 1)
                .runs(values(|run| run.light_p99_ms))
                .goal(Goal::AtMost(500.0)),
        ]);
        let margins: Vec<f64> = results.iter().map(|run| run.margin.as_secs_f64() * 1000.0).collect();
        let round_trips = values(|run| run.mean_round_trip_ms);
        outcome.notes.push(format!(
            "{}: margin at the end {} ms; a send counts until the earlier of its answer and its start + margin, so \
             the rate is about window / (window + mean round trip): mean round trip per run {} ms (p99 {} ms), \
             {:.1} % of the limit at the median; send errors seen by the client: {}; light sends measured per \
             run: {} (not started by the end: {}); median share {:.2} %",
            setting.label(),
            margins.iter().map(|margin| format!("{margin:.1}")).collect::<Vec<_>>().join(", "),
            round_trips.iter().map(|ms| format!("{ms:.1}")).collect::<Vec<_>>().join(", "),
            values(|run| run.p99_round_trip_ms).iter().map(|ms| format!("{ms:.1}")).collect::<Vec<_>>().join(", "),
            100_000.0 / (1000.0 + median(&round_trips).min(median(&margins))),
            results.iter().map(|run| run.client_errors.to_string()).collect::<Vec<_>>().join(", "),
            results.iter().map(|run| run.light_samples.to_string()).collect::<Vec<_>>().join(", "),
            results.iter().map(|run| run.light_missing.to_string()).collect::<Vec<_>>().join(", "),
            median(&values(|run| run.share_of_limit * 100.0)),
        ));
    }
    outcome.notes.push(format!(
        "{FLOOD_BOTS} bots each keep media sends (a 1 KiB image, uploaded to the hub first) queued for {} s; \
         {LIGHT_BOTS} light bots send once every {} s each, one of them every {} ms. 'Whole rounds after the \
         second' is the Jain index of the largest multiple of {FLOOD_BOTS} flood sends after every flood bot has \
         sent twice (while the first uploads run only some bots are ready: the queue, work-conserving, serves the \
         ready ones, and a bot not ready at its turn catches it up once in the next round); 'whole period' \
         counts every flood send in the period, whose integer counts cap it below 1 when the total is not a \
         multiple of {FLOOD_BOTS}.",
        duration.as_secs(),
        (LIGHT_EVERY * LIGHT_BOTS as u32).as_secs(),
        LIGHT_EVERY.as_millis()
    ));
    Ok(outcome)
}

/// Creates a room the bots send to, as a room must exist before it takes messages (else a send would meet "room
/// does not exist" and be retried after the client creates it, which the light bots' waits would include).
async fn create_room(transport: &ServerApiTransport, room: &str, creator: &str) -> Result<(), ZimError> {
    let room = RoomSpec { room_id: ConversationId::new(room), name: String::new(), destroy_delay_secs: None };
    transport.create_declared_room(&UserId::new(creator), &room).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn through_a_path_jittered_by_up_to_50_ms_the_hub_refuses_no_send() {
        let hub = BenchHub::start(1024).await.unwrap();
        let proxy = JitterProxy::start(hub.hub.local_addr(), JITTER).await.unwrap();
        let transport = Arc::new(server_api(&proxy.base_url()).unwrap());
        let client = hub.client(ClientConfig::default(), Arc::clone(&transport) as Arc<dyn Transport>).unwrap();
        let users = (0..10)
            .map(|bot| RegisterUserInfo {
                user_id: format!("@RBT#bot{bot}"),
                user_name: format!("bot{bot}"),
                user_avatar: String::new(),
            })
            .collect();
        client.register_bots(users).await.unwrap();
        create_room(&transport, FLOOD_ROOM, "@RBT#bot0").await.unwrap();
        let handles: Vec<_> = (0..60)
            .map(|index| {
                let request = SendRequest::text(format!("jittered {index}"), FLOOD_ROOM, ConversationType::Room);
                client.send(&sender(&format!("bot{}", index % 10)), request).unwrap()
            })
            .collect();
        for handle in handles {
            let sent = handle.result().await.unwrap();
            assert_eq!(sent.attempts, 1, "a send was refused and retried: {sent:?}");
        }
        let violations: u64 = hub.hub.stats().qps_violations.values().sum();
        assert_eq!(violations, 0);
        assert!(client.safety_margin() >= Duration::from_millis(20), "margin {:?}", client.safety_margin());
        hub.hub.shutdown().await;
    }

    #[test]
    fn the_settling_rounds_end_when_every_sender_has_sent_that_many_times() {
        let senders = ["a", "b", "a", "c", "b", "a", "c"];
        assert_eq!(after_rounds(&senders, 1), 4);
        assert_eq!(after_rounds(&senders, 2), 7);
        assert_eq!(after_rounds(&senders, 3), 7);
    }

    #[test]
    fn the_busiest_second_counts_a_sliding_window() {
        let mut times = vec![0, 100, 999, 1000, 1001, 1999];
        assert_eq!(busiest_second(&mut times), 4);
    }

    #[test]
    fn the_sustained_rate_counts_the_slots_between_the_first_and_the_last_start() {
        let start = Instant::now();
        let starts: Vec<Instant> = (0..21).map(|slot| start + Duration::from_micros(100_500) * slot).collect();
        let rate = sustained_rate(&starts);
        assert!((rate - 20.0 / 2.01).abs() < 1e-9, "{rate}");
    }
}
