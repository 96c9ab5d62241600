//! Outbox: what keeping accepted sends in the durable outbox adds to the send path, at each durability level.
//!
//! One bot sends text messages one after the other (each waits for the previous one's `Sent`) through the client
//! to a transport that answers at once, with the limits off, so the figures are the client's own path: in memory
//! (no outbox), with the outbox at `process` (commits reach the OS: survives kill -9) and at `power` (every commit
//! synced to the disk). Per send the outbox makes three commits: the accept (before `Attached`), the claim
//! (before the request goes out) and the outcome (before `Sent`). The database is in a temporary folder on the
//! machine's disk.
//!
//! Figures: the median and p99 time from `send` to the request reaching the transport and to `Sent`, and the
//! median added to `send → Sent` against the in-memory client.

use crate::report::{Figure, Outcome};
use crate::stats::{median, percentile};
use anyhow::Context as _;
use async_trait::async_trait;
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Instant;
use zimbot_client::{
    ActionLimits, Client, ClientConfig, MediaStore, OutboundMessage, ProgressCallback, SendJournal, SendReceipt,
    Sender, Transport, UploadRequest,
};
use zimbot_model::{BotId, ConversationType, Priority, SendRequest, UserId, ZimError};
use zimbot_store::{Durability, Owner, SqliteStore};
use zimbot_wire::RegisterUserInfo;

const SCENARIO: &str = "outbox";

/// Answers every send at once, noting when the request arrived.
#[derive(Default)]
struct Instant0 {
    arrivals: Mutex<Vec<Instant>>,
}

#[async_trait]
impl Transport for Instant0 {
    async fn send_message(&self, _message: &OutboundMessage) -> Result<SendReceipt, ZimError> {
        self.arrivals.lock().push(Instant::now());
        Ok(SendReceipt { message_id: Some("m".into()), message_seq: Some(1) })
    }

    async fn register_bots(&self, _bots: &[RegisterUserInfo]) -> Result<(), ZimError> {
        Ok(())
    }
}

/// Text sends upload nothing.
struct NoUploads;

#[async_trait]
impl MediaStore for NoUploads {
    async fn upload(&self, _request: &UploadRequest, _progress: ProgressCallback) -> Result<String, ZimError> {
        Err(ZimError::new(zimbot_model::ZimCode::UPLOAD_FAILED, "the outbox bench sends text only"))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Memory,
    Durable(Durability),
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::Memory => "in memory",
            Mode::Durable(Durability::Process) => "outbox, process",
            Mode::Durable(Durability::Power) => "outbox, power",
        }
    }
}

/// One run's latencies in microseconds: send → transport, send → Sent.
struct Run {
    to_wire: Vec<f64>,
    to_sent: Vec<f64>,
}

fn unlimited() -> ClientConfig {
    let many = 1_000_000;
    ClientConfig {
        sends_per_window: 0,
        action_limits: ActionLimits {
            send_peer_message: many,
            send_room_message: many,
            send_group_message: many,
            robot_register: many,
            create_room: many,
        },
        ..ClientConfig::default()
    }
}

async fn one_run(mode: Mode, sends: usize) -> anyhow::Result<Run> {
    let directory = tempfile::tempdir().context("a folder for the outbox")?;
    let transport = Arc::new(Instant0::default());
    let client = match mode {
        Mode::Memory => Client::new(unlimited(), transport.clone(), Arc::new(NoUploads)),
        Mode::Durable(durability) => {
            let store = Arc::new(SqliteStore::open(&directory.path().join("zimbot.db"), durability)?);
            let journal = Arc::new(SendJournal::new(store, Owner::new("bench")));
            Client::durable(unlimited(), transport.clone(), Arc::new(NoUploads), journal)?
        }
    };
    let sender = Sender { bot: BotId::from("bench"), user_id: UserId::from("@RBT#bench"), priority: Priority::Medium };
    let mut run = Run { to_wire: Vec::with_capacity(sends), to_sent: Vec::with_capacity(sends) };
    for index in 0..sends {
        let request = SendRequest::text(format!("message {index}"), "bench-room", ConversationType::Room);
        let started = Instant::now();
        let handle = client.send(&sender, request).map_err(|rejected| anyhow::anyhow!("{rejected}"))?;
        handle.result().await.map_err(|failure| anyhow::anyhow!("{failure}"))?;
        let sent = Instant::now();
        let arrived = transport.arrivals.lock().last().copied().context("the request reached the transport")?;
        run.to_wire.push(arrived.duration_since(started).as_secs_f64() * 1e6);
        run.to_sent.push(sent.duration_since(started).as_secs_f64() * 1e6);
    }
    client.close(std::time::Duration::from_secs(5)).await;
    Ok(run)
}

pub async fn run(sends: usize, runs: usize) -> anyhow::Result<Outcome> {
    let modes = [Mode::Memory, Mode::Durable(Durability::Process), Mode::Durable(Durability::Power)];
    let mut medians: Vec<(Mode, Vec<f64>)> = Vec::new();
    let mut outcome = Outcome::default();
    for mode in modes {
        let mut results = Vec::new();
        for _ in 0..runs {
            results.push(one_run(mode, sends).await?);
        }
        let values = |pick: &dyn Fn(&Run) -> f64| results.iter().map(pick).collect::<Vec<_>>();
        let label = |what: &str| format!("{}: {what}", mode.label());
        outcome.figures.extend([
            Figure::new(SCENARIO, label("send → request on the wire, p50"), "µs", 0)
                .runs(values(&|run| median(&run.to_wire))),
            Figure::new(SCENARIO, label("send → Sent, p50"), "µs", 0).runs(values(&|run| median(&run.to_sent))),
            Figure::new(SCENARIO, label("send → Sent, p99"), "µs", 0)
                .runs(values(&|run| percentile(&run.to_sent, 99.0))),
        ]);
        medians.push((mode, values(&|run| median(&run.to_sent))));
    }
    let memory = medians.iter().find(|(mode, _)| *mode == Mode::Memory).map(|(_, runs)| median(runs)).unwrap_or(0.0);
    for (mode, runs) in medians.iter().filter(|(mode, _)| *mode != Mode::Memory) {
        let added = runs.iter().map(|value| value - memory).collect();
        outcome
            .figures
            .push(Figure::new(SCENARIO, format!("{}: added to send → Sent, p50", mode.label()), "µs", 0).runs(added));
    }
    outcome.notes.push(format!(
        "{sends} text sends by one bot, each after the previous one's Sent, to a transport that answers at once, \
         limits off; the outbox makes three commits per send (accept, claim, outcome) in a SQLite file on the \
         machine's disk: `process` leaves syncing to the OS and WAL checkpoints, `power` syncs every commit."
    ));
    Ok(outcome)
}
