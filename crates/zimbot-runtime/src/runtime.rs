//! The running set of bots: starts each bot's plugin, routes messages and cron ticks to them, and shuts them
//! down in order.
//!
//! Start: every bot is started on its own; a bot whose plugin cannot be loaded or refuses to start is reported
//! (see [`Runtime::failed_bots`]) and the others run anyway.
//!
//! Shutdown ([`Runtime::shutdown`]), all within one grace period:
//! 1. stop the scheduler and close every mailbox (no new messages or ticks);
//! 2. let each bot's inbound lane finish what it has;
//! 3. close the outbound, so every accepted send ends (sent, or failed as cancelled);
//! 4. deliver the remaining send events, then call `on_stop` — the last hook — and destroy the instances.

use crate::config::{BotConfig, Config};
use crate::dispatch::{BotRunner, Inbound, Router};
use crate::journal::{InboxWriter, JournaledMembership, JournaledMessage, MEMBERSHIP_KEY_PREFIX};
use crate::plugin_host::{HostServices, PluginCatalog};
use crate::schedule::{Job, Scheduler, Tick, TickBatch};
use parking_lot::Mutex;
use sha1::Digest as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use zimbot_model::{BotId, ReceivedMessage};

/// How long past the shutdown grace the journal's last commit is waited for (see [`Runtime::shutdown`]).
const JOURNAL_FLUSH_ALLOWANCE: Duration = Duration::from_millis(500);

/// How long before an instant the scheduler hands its ticks on, so they are journaled and sorted per bot by the
/// time it comes and only reach the mailboxes then: 10 000 ticks of one instant take tens of milliseconds to
/// work out and journal, which would otherwise all be lateness. (Under a second: see the scheduler's `MAX_LEAD`.)
const CRON_LEAD: Duration = Duration::from_millis(250);

/// A bot that did not start, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedBot {
    pub bot: BotId,
    pub message: String,
}

/// The running bots.
pub struct Runtime {
    bots: Vec<Arc<BotRunner>>,
    by_id: HashMap<BotId, usize>,
    router: Router,
    failed: Vec<FailedBot>,
    services: HostServices,
    scheduler: Mutex<Option<(JoinHandle<()>, watch::Sender<bool>)>>,
    /// Group commit into the inbox journal, when the runtime keeps one.
    journal: Option<InboxWriter>,
    retention: Mutex<Option<JoinHandle<()>>>,
}

/// Why [`Runtime::accept`] did not take a message; the webhook's answer follows from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Its `msg_id` was journaled before (answered 200: the service need not retry).
    #[error("duplicate of a message already kept")]
    Duplicate,
    /// A bot it goes to has a full mailbox (answered 503: the service retries later).
    #[error("bot '{0}' has a full mailbox; retry later")]
    Busy(BotId),
    /// The journal could not keep it (answered 503: the service retries later).
    #[error("storage unavailable: {0}")]
    StorageUnavailable(String),
}

impl Runtime {
    /// Starts every bot of `config` whose plugin loads and starts, and the scheduler for their schedules.
    ///
    /// Blocking: it loads libraries, reads each bot's kept state and runs plugins' `create`. From async code,
    /// call it on the blocking pool (`tokio::task::spawn_blocking`), as `zimbot run` does; the bots' tasks run on
    /// `services.runtime` either way.
    pub fn start(config: &Config, catalog: &PluginCatalog, services: HostServices) -> Arc<Self> {
        Self::start_bots(&config.bots, &config.plugin_dirs, catalog, services)
    }

    /// Like [`Runtime::start`] for a list of bots.
    pub fn start_bots(
        bots: &[BotConfig],
        plugin_dirs: &[std::path::PathBuf],
        catalog: &PluginCatalog,
        mut services: HostServices,
    ) -> Arc<Self> {
        if let Some(storage) = &services.storage {
            services.journal_writer = Some(InboxWriter::spawn(Arc::clone(&storage.inbox), &services.runtime));
        }
        let mut runners = Vec::new();
        let mut failed = Vec::new();
        for bot in bots {
            let started =
                catalog.load(&bot.plugin, plugin_dirs).map_err(|error| error.to_string()).and_then(|plugin| {
                    BotRunner::start(Arc::new(bot.clone()), plugin, services.clone()).map_err(|error| error.message)
                });
            match started {
                Ok(runner) => {
                    tracing::info!(bot = %bot.id, plugin = %runner.plugin().name, source = %runner.plugin().source, "bot started");
                    runners.push(runner);
                }
                Err(message) => {
                    tracing::error!(bot = %bot.id, "bot not started: {message}");
                    failed.push(FailedBot { bot: bot.id.clone(), message });
                }
            }
        }
        let router = Router::new(runners.iter().map(|runner| (&runner.config().user_id, &runner.config().listen)));
        let by_id = runners.iter().enumerate().map(|(index, runner)| (runner.config().id.clone(), index)).collect();
        let journal = services.journal_writer.clone();
        let retention = services
            .storage
            .as_ref()
            .map(|storage| crate::journal::spawn_retention(storage, Arc::clone(&services.clock), &services.runtime));
        let runtime = Arc::new(Self {
            bots: runners,
            by_id,
            router,
            failed,
            services,
            scheduler: Mutex::new(None),
            journal,
            retention: Mutex::new(retention),
        });
        runtime.start_scheduler();
        runtime
    }

    fn start_scheduler(self: &Arc<Self>) {
        let jobs: Vec<Job> = self
            .bots
            .iter()
            .flat_map(|runner| {
                let bot = runner.config().id.clone();
                let last_fires = last_fires(runner);
                runner.config().schedules.iter().map(move |schedule| Job {
                    resume_after: last_fires.get(&schedule.id).copied(),
                    bot: bot.clone(),
                    schedule_id: schedule.id.clone(),
                    spec: schedule.spec.clone(),
                    timezone: schedule.timezone,
                    misfire: schedule.misfire,
                    misfire_grace: schedule.misfire_grace,
                })
            })
            .collect();
        if jobs.is_empty() {
            return;
        }
        // Batches of ticks due together (at most `MAX_BATCH` each): 64 of them hold a whole instant of 65 536
        // schedules without holding the scheduler back.
        let (ticks_tx, mut ticks) = mpsc::channel::<TickBatch>(64);
        let (stop_tx, stop_rx) = watch::channel(false);
        let clock = Arc::clone(&self.services.clock);
        let scheduler = Scheduler::new(Arc::clone(&clock), jobs).preparing_ahead(CRON_LEAD);
        let runtime = Arc::downgrade(self);
        // The forwarding runs as a task of its own: while the scheduler works out the later ticks of a large
        // instant, the first batches are already being readied (on another worker thread).
        let mut stopped = stop_rx.clone();
        let forward = self.services.runtime.spawn(async move {
            let mut ready: Vec<(usize, Inbound)> = Vec::new();
            while let Some(batch) = ticks.recv().await {
                let Some(runtime) = runtime.upgrade() else { return };
                ready.extend(runtime.prepare_ticks(batch.ticks).await);
                if !batch.last {
                    continue;
                }
                // A sleep is a hint (the wall clock may be set meanwhile): the clock is read again after each.
                loop {
                    let wait = (batch.release_at - clock.now()).to_std().unwrap_or(Duration::ZERO);
                    if wait.is_zero() {
                        break;
                    }
                    tokio::select! {
                        biased;
                        _ = stopped.wait_for(|stop| *stop) => {
                            runtime.give_back_ticks(ready);
                            return;
                        }
                        // Precisely: tokio's timer alone wakes up to a millisecond after the instant.
                        () = clock.sleep_precisely(wait) => {}
                    }
                }
                let fired_at_ms = clock.now().timestamp_millis();
                for (index, mut item) in ready.drain(..) {
                    item.stamp_fired_at(fired_at_ms);
                    runtime.bots[index].deliver(item);
                }
            }
            // The scheduler stopped in the middle of an instant.
            if let Some(runtime) = runtime.upgrade() {
                runtime.give_back_ticks(ready);
            }
        });
        let mut stop = stop_rx;
        let task = self.services.runtime.spawn(async move {
            scheduler
                .run_batches(ticks_tx, async move {
                    let _ = stop.wait_for(|stop| *stop).await;
                })
                .await;
            let _ = forward.await;
        });
        *self.scheduler.lock() = Some((task, stop_tx));
    }

    /// Readies each bot's ticks of `batch` for its mailbox (see [`BotRunner::prepare_ticks`]), with the bot's
    /// place in the runtime.
    async fn prepare_ticks(&self, batch: Vec<Tick>) -> Vec<(usize, Inbound)> {
        let mut ready = Vec::new();
        for (index, ticks) in crate::dispatch::ticks_by_bot(batch, |bot| self.by_id.get(bot).copied()) {
            ready.extend(self.bots[index].prepare_ticks(ticks).await.into_iter().map(|item| (index, item)));
        }
        ready
    }

    /// Gives back the attempts counted for readied ticks that never reached their bot (the runtime stopped before
    /// their instant): journaled, they are delivered at the next start.
    fn give_back_ticks(&self, ready: Vec<(usize, Inbound)>) {
        for (index, item) in ready {
            self.bots[index].give_back(&item);
        }
    }

    /// Routes a received message to every bot that listens to it; returns the bots it went to.
    pub fn deliver(&self, message: ReceivedMessage) -> Vec<BotId> {
        let targets = self.router.route(&message);
        let mut delivered = Vec::with_capacity(targets.len());
        if let Some((last, rest)) = targets.split_last() {
            for index in rest {
                if self.bots[*index].deliver(Inbound::Message(message.clone())) {
                    delivered.push(self.bots[*index].config().id.clone());
                }
            }
            if self.bots[*last].deliver(Inbound::Message(message)) {
                delivered.push(self.bots[*last].config().id.clone());
            }
        }
        delivered
    }

    /// Routes a membership or presence event to every bot that listens to its room, group or user; returns the
    /// bots it went to.
    pub fn deliver_membership(&self, event: zimbot_model::MembershipEvent) -> Vec<BotId> {
        let mut delivered = Vec::new();
        for index in self.router.route_membership(&event) {
            if self.bots[index].deliver(Inbound::Membership(event.clone())) {
                delivered.push(self.bots[index].config().id.clone());
            }
        }
        delivered
    }

    /// Takes a message the webhook is about to acknowledge: with a journal, it is kept (group commit) before this
    /// returns, deduplicated by `msg_id` across restarts until `remember_until_ms`, then put in the bots'
    /// mailboxes; without one, it is delivered as [`Runtime::deliver`] does. Times are ms since the Unix epoch
    /// on the caller's clock (the webhook's, which its timestamp check reads). Returns the bots it went to.
    pub async fn accept(
        &self,
        message: ReceivedMessage,
        now_ms: i64,
        remember_until_ms: i64,
    ) -> Result<Vec<BotId>, Refusal> {
        let Some(journal) = &self.journal else { return Ok(self.deliver(message)) };
        let targets: Vec<usize> = self.router.route(&message);
        let payload = serde_json::to_vec(&message).map_err(|error| Refusal::StorageUnavailable(error.to_string()))?;
        let kept = Kept { dedupe_key: format!("msg:{}", message.message_id), payload, now_ms, remember_until_ms };
        self.journal_then_deliver(
            journal,
            targets,
            kept,
            |runner, entry, claimed| {
                runner.deliver_journaled(JournaledMessage { entry, message: message.clone(), claimed })
            },
            |runner| runner.deliver(Inbound::Message(message.clone())),
        )
        .await
    }

    /// Takes a membership or presence event the webhook is about to acknowledge, as [`Runtime::accept`] takes a
    /// message: with a journal it is kept before this returns (so a crash does not lose a `room_enter` a bot was
    /// answering), deduplicated by its content (a retry of the same callback is the same event), then put in the
    /// listening bots' mailboxes; without one it is delivered as [`Runtime::deliver_membership`] does.
    pub async fn accept_membership(
        &self,
        event: zimbot_model::MembershipEvent,
        now_ms: i64,
        remember_until_ms: i64,
    ) -> Result<Vec<BotId>, Refusal> {
        let Some(journal) = &self.journal else { return Ok(self.deliver_membership(event)) };
        let targets = self.router.route_membership(&event);
        let payload = serde_json::to_vec(&event).map_err(|error| Refusal::StorageUnavailable(error.to_string()))?;
        let digest: [u8; 20] = sha1::Sha1::digest(&payload).into();
        let dedupe_key = format!("{MEMBERSHIP_KEY_PREFIX}{}", hex(&digest));
        let kept = Kept { dedupe_key, payload, now_ms, remember_until_ms };
        self.journal_then_deliver(
            journal,
            targets,
            kept,
            |runner, entry, claimed| {
                runner.deliver_journaled_membership(JournaledMembership { entry, event: event.clone(), claimed })
            },
            |runner| runner.deliver(Inbound::Membership(event.clone())),
        )
        .await
    }

    /// Keeps an arrival for the journaled bots among `targets` (refused whole when one of their mailboxes is full,
    /// or as a duplicate), then hands each journaled bot its entry and each other bot the item directly; returns
    /// the bots it went to.
    async fn journal_then_deliver(
        &self,
        journal: &InboxWriter,
        targets: Vec<usize>,
        kept: Kept,
        journaled_item: impl Fn(&BotRunner, zimbot_store::EntryId, bool) -> bool,
        direct_item: impl Fn(&BotRunner) -> bool,
    ) -> Result<Vec<BotId>, Refusal> {
        if let Some(full) =
            targets.iter().map(|index| &self.bots[*index]).find(|bot| bot.is_journaled() && !bot.has_room())
        {
            return Err(Refusal::Busy(full.config().id.clone()));
        }
        let (journaled, direct): (Vec<usize>, Vec<usize>) =
            targets.into_iter().partition(|index| self.bots[*index].is_journaled());
        // The entries go straight to the bots' lanes: their first attempt is counted in this same commit.
        let claimed = journaled
            .iter()
            .all(|index| self.bots[*index].journal().is_some_and(|journal| journal.claims_when_journaled()));
        let arrival = zimbot_store::Arrival {
            dedupe_key: kept.dedupe_key,
            remember_until_ms: kept.remember_until_ms,
            arrived_at_ms: kept.now_ms,
            payload: kept.payload,
            bots: journaled.iter().map(|index| self.bots[*index].config().id.to_string()).collect(),
            claimed,
        };
        let entries = match journal.accept(arrival).await {
            Ok(zimbot_store::Accepted::Journaled(entries)) => entries,
            Ok(zimbot_store::Accepted::Duplicate) => return Err(Refusal::Duplicate),
            Err(error) => return Err(Refusal::StorageUnavailable(error.0)),
        };
        let mut delivered = Vec::with_capacity(entries.len() + direct.len());
        for (index, entry) in journaled.into_iter().zip(entries) {
            if journaled_item(&self.bots[index], entry, claimed) {
                delivered.push(self.bots[index].config().id.clone());
            }
        }
        for index in direct {
            if direct_item(&self.bots[index]) {
                delivered.push(self.bots[index].config().id.clone());
            }
        }
        Ok(delivered)
    }

    /// Whether `user` is a bot user of this runtime.
    pub fn is_bot_user(&self, user: &zimbot_model::UserId) -> bool {
        self.router.is_bot_user(user)
    }

    /// The running bots.
    pub fn bots(&self) -> &[Arc<BotRunner>] {
        &self.bots
    }

    /// A running bot by id.
    pub fn bot(&self, id: &BotId) -> Option<&Arc<BotRunner>> {
        self.by_id.get(id).map(|index| &self.bots[*index])
    }

    /// The bots that did not start.
    pub fn failed_bots(&self) -> &[FailedBot] {
        &self.failed
    }

    /// The `/metrics` text: every bot's counters, the calls through retired contexts, and `extra` (other
    /// components' counters, read at this scrape).
    pub fn metrics_text(&self, extra: crate::metrics::Collectors) -> String {
        let bots = self
            .bots
            .iter()
            .map(|runner| {
                let lane = (runner.notifications().len(), runner.notifications().coalesced());
                crate::metrics::BotSample::read(
                    runner.config().id.as_str(),
                    runner.stats(),
                    runner.mailbox_depth(),
                    lane,
                )
            })
            .collect();
        let mut collectors: crate::metrics::Collectors =
            vec![Box::new(crate::metrics::BotsCollector(bots)), Box::new(crate::plugin_host::stale_context_calls())];
        collectors.extend(extra);
        crate::metrics::encode(collectors)
    }

    /// Stops everything in order within `grace` (see the module docs).
    pub async fn shutdown(&self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        if let Some(retention) = self.retention.lock().take() {
            retention.abort();
        }
        let scheduler = self.scheduler.lock().take();
        if let Some((task, stop)) = scheduler {
            let _ = stop.send(true);
            let _ = tokio::time::timeout_at(deadline, task).await;
        }
        futures::future::join_all(self.bots.iter().map(|runner| runner.drain_inbound(deadline))).await;
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if let Some(journal) = &self.journal {
            // The lanes' last completions and the attempts given back are queued without waiting; they are
            // committed before the process ends, even when the lanes used up the grace (a commit takes
            // milliseconds; what is not committed is delivered again, marked as a redelivery).
            let flushed_by = deadline.max(tokio::time::Instant::now() + JOURNAL_FLUSH_ALLOWANCE);
            let _ = tokio::time::timeout_at(flushed_by, journal.flush()).await;
        }
        self.services.outbound.close(left).await;
        futures::future::join_all(self.bots.iter().map(|runner| runner.finish(deadline))).await;
        tracing::info!(bots = self.bots.len(), "runtime stopped");
    }
}

/// The last fire of each of `runner`'s schedules, as its journal kept them (none without a journal).
fn last_fires(runner: &BotRunner) -> HashMap<String, chrono::DateTime<chrono::Utc>> {
    let Some(journal) = runner.journal() else { return HashMap::new() };
    match journal.last_fires() {
        Ok(fires) => fires
            .into_iter()
            .filter_map(|(schedule, at)| Some((schedule, chrono::DateTime::from_timestamp_millis(at)?)))
            .collect(),
        Err(error) => {
            tracing::error!(bot = %runner.config().id, "storage unavailable: schedules start from now: {error}");
            HashMap::new()
        }
    }
}

/// `bytes` as lowercase hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What an arrival is kept under in the inbox journal.
struct Kept {
    dedupe_key: String,
    payload: Vec<u8>,
    now_ms: i64,
    remember_until_ms: i64,
}
