//! The send windows' safety margin, seen from a service that counts arrivals, on virtual time: the adaptive
//! default (which also counts each send only until its answer) reaches the limit when latencies are steady, and
//! keeps every service window within the limit when each request takes a random 0–50 ms to arrive and its answer
//! a random 0–50 ms more to come back.

mod support;

use async_trait::async_trait;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::fakes::GatedStore;
use support::sender;
use tokio::time::Instant;
use zimbot_client::{Client, ClientConfig, OutboundMessage, SendReceipt, Transport};
use zimbot_model::{ConversationType, Priority, SendRequest, ZimError};
use zimbot_wire::RegisterUserInfo;

/// A service reached through a jittery path: each request arrives a random 0..=`jitter` after it was sent, and is
/// answered on arrival. Arrival instants are what the service counts.
struct JitteryService {
    jitter_ms: u64,
    /// The most an answer takes to come back after its request arrived.
    return_ms: u64,
    rng: Mutex<StdRng>,
    arrivals: Mutex<Vec<Instant>>,
}

impl JitteryService {
    fn new(jitter_ms: u64) -> Arc<Self> {
        Self::with_return(jitter_ms, 0)
    }

    fn with_return(jitter_ms: u64, return_ms: u64) -> Arc<Self> {
        let rng = Mutex::new(StdRng::seed_from_u64(16));
        Arc::new(Self { jitter_ms, return_ms, rng, arrivals: Mutex::default() })
    }

    fn arrivals(&self) -> Vec<Instant> {
        let mut arrivals = self.arrivals.lock().unwrap().clone();
        arrivals.sort();
        arrivals
    }
}

#[async_trait]
impl Transport for JitteryService {
    async fn send_message(&self, _message: &OutboundMessage) -> Result<SendReceipt, ZimError> {
        let (delay, back) = {
            let mut rng = self.rng.lock().unwrap();
            (rng.random_range(0..=self.jitter_ms), rng.random_range(0..=self.return_ms))
        };
        tokio::time::sleep(Duration::from_millis(delay)).await;
        self.arrivals.lock().unwrap().push(Instant::now());
        tokio::time::sleep(Duration::from_millis(back)).await;
        Ok(SendReceipt { message_id: Some("m".into()), message_seq: Some(1) })
    }

    async fn register_bots(&self, _bots: &[RegisterUserInfo]) -> Result<(), ZimError> {
        Ok(())
    }
}

/// The most of `sorted` instants inside any half-open window `[t, t + window)`.
fn busiest_window(sorted: &[Instant], window: Duration) -> usize {
    let mut from = 0;
    let mut busiest = 0;
    for to in 0..sorted.len() {
        while sorted[to] - sorted[from] >= window {
            from += 1;
        }
        busiest = busiest.max(to - from + 1);
    }
    busiest
}

/// Floods `count` room sends from ten bots through a client on `service` and waits for all of them.
async fn flood(service: &Arc<JitteryService>, config: ClientConfig, count: usize) -> Client {
    let client = Client::new(config, service.clone(), GatedStore::new());
    let handles: Vec<_> = (0..count)
        .map(|index| {
            let bot = sender(&format!("bot{}", index % 10), Priority::Medium);
            client.send(&bot, SendRequest::text(index.to_string(), format!("room{index}"), ConversationType::Room))
        })
        .collect::<Result<_, _>>()
        .unwrap();
    for handle in handles {
        handle.result().await.unwrap();
    }
    client
}

#[tokio::test(start_paused = true)]
async fn with_instant_answers_the_adaptive_default_reaches_the_limit() {
    let service = JitteryService::new(0);
    let begin = Instant::now();
    let client = flood(&service, ClientConfig::default(), 200).await;
    assert_eq!(client.safety_margin(), Duration::from_millis(5));
    // Each send counts until its answer, which comes at once: ten in the first window, then one a slot of
    // 100 ms, the 200th at 1 s + 189 slots, the limit itself (timers fire on whole milliseconds).
    let arrivals = service.arrivals();
    let expected = begin + Duration::from_millis(1000) + Duration::from_millis(100) * 189;
    let last = arrivals.last().copied().unwrap();
    assert!(last >= expected && last - expected <= Duration::from_millis(2), "{:?}", last - begin);
    assert_eq!(busiest_window(&arrivals, Duration::from_secs(1)), 10);
}

#[tokio::test(start_paused = true)]
async fn with_steady_latencies_and_a_fixed_margin_of_5_ms_the_rate_is_99_5_percent_of_the_limit() {
    let service = JitteryService::new(0);
    let begin = Instant::now();
    flood(&service, ClientConfig { safety_margin_ms: Some(5), ..ClientConfig::default() }, 200).await;
    // Ten in the first window, then one a slot of 100.5 ms (the counted window of 1005 ms over ten): the 200th at
    // 1.005 s + 189 slots, 99.5 % of 10/s (timers fire on whole milliseconds, and the lateness does not add up).
    let arrivals = service.arrivals();
    let expected = begin + Duration::from_millis(1005) + Duration::from_micros(100_500) * 189;
    let last = arrivals.last().copied().unwrap();
    assert!(last >= expected && last - expected <= Duration::from_millis(1), "{:?}", last - begin);
    assert_eq!(busiest_window(&arrivals, Duration::from_secs(1)), 10);
}

#[tokio::test(start_paused = true)]
async fn with_jittered_arrivals_and_slow_answers_no_service_window_holds_more_than_the_limit() {
    // Requests take 0–50 ms to arrive and answers 0–50 ms more to come back: an answer says little about when its
    // request arrived, and every window still holds the limit at most.
    let service = JitteryService::with_return(50, 50);
    flood(&service, ClientConfig::default(), 600).await;
    assert_eq!(busiest_window(&service.arrivals(), Duration::from_secs(1)), 10);
}

#[tokio::test(start_paused = true)]
async fn with_arrivals_jittered_by_up_to_50_ms_no_service_window_holds_more_than_the_limit() {
    let service = JitteryService::new(50);
    let client = flood(&service, ClientConfig::default(), 600).await;
    assert_eq!(busiest_window(&service.arrivals(), Duration::from_secs(1)), 10);
    let margin = client.safety_margin();
    assert!(margin >= Duration::from_millis(50) && margin <= Duration::from_millis(63), "margin {margin:?}");
}

#[tokio::test(start_paused = true)]
async fn without_a_margin_the_same_jitter_puts_more_than_the_limit_in_a_service_window() {
    // The case the margin exists for: it shows the test above can fail.
    let service = JitteryService::new(50);
    flood(&service, ClientConfig { safety_margin_ms: Some(0), ..ClientConfig::default() }, 600).await;
    assert!(busiest_window(&service.arrivals(), Duration::from_secs(1)) > 10);
}

#[tokio::test(start_paused = true)]
async fn a_fixed_margin_is_kept_whatever_the_latencies() {
    let service = JitteryService::new(50);
    let client = flood(&service, ClientConfig { safety_margin_ms: Some(20), ..ClientConfig::default() }, 40).await;
    assert_eq!(client.safety_margin(), Duration::from_millis(20));
}
