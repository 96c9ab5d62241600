//! One running bot: its plugin instance, its two lanes, and the supervision that keeps a failing plugin from
//! hurting anyone else.
//!
//! - The **inbound lane** takes messages and cron ticks from the mailbox in arrival order, with at most
//!   `max_concurrency` hooks running at once (1: strictly one after another). `on_start` runs first.
//! - The **notification lane** delivers send events (attached, progress, sent, failed) in order, beside the
//!   inbound lane and never blocked by it, so a message hook can await its own send's result.
//! - A hook that errs or times out is logged and counted. A hook that panics is counted, and the instance is
//!   rebuilt from the last snapshot; [`MAX_PANICS`] panics within [`PANIC_WINDOW`] stop this bot alone.
//! - Each instance has its own [`InstanceContext`]. Replacing the instance (a rebuild) or stopping the bot retires
//!   the old context at once, so a `BotContext` clone the plugin kept can no longer send, sleep or spawn.
//!
//! This file holds the runner, its start, its lanes and its stop; one hook call is in `hooks`, the panic recovery
//! in `supervision`, cron ticks in `ticks`, the journaled items' attempts in `journaled`, and the lane's items
//! in `inbound`.

mod hooks;
mod inbound;
mod journaled;
mod supervision;
mod ticks;

pub use inbound::Inbound;

use journaled::open_journal;

use super::mailbox::{Mailbox, Pushed};
use super::notifications::NotificationQueue;
use super::persist::SnapshotWriter;
use super::snapshot_pace::SnapshotPace;
use crate::config::BotConfig;
use crate::journal::{BotJournal, JournaledMembership, JournaledMessage, Unfinished};
use crate::metrics::BotStats;
use crate::outbound::Sender;
use crate::plugin_host::{BotHost, HostServices, InstanceContext, PluginInfo, PluginInstanceHandle};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::Instrument as _;
use zimbot_abi::{BotInfo, Event};
use zimbot_model::SendEvent;

/// Panics within `PANIC_WINDOW` (a minute) after which a bot is stopped.
pub const MAX_PANICS: usize = 3;
/// The window [`MAX_PANICS`] is counted in.
pub const PANIC_WINDOW: Duration = Duration::from_secs(60);

/// Why a bot could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bot '{bot}': {message}")]
pub struct StartError {
    pub bot: String,
    pub message: String,
}

/// The bot's current plugin instance and the context it was created with.
struct Current {
    instance: Arc<PluginInstanceHandle>,
    context: InstanceContext,
}

/// A running bot.
pub struct BotRunner {
    config: Arc<BotConfig>,
    info: BotInfo,
    plugin: PluginInfo,
    /// Each schedule's misfire grace in ms, by schedule id: looked up for every tick (a bot may have hundreds of
    /// schedules firing together), so with a fast hasher: the ids come from bots.yaml, not from outside.
    graces_ms: HashMap<String, i64, foldhash::fast::RandomState>,
    /// The grace every schedule of the bot has, when they all have the same (the usual case): the ticks of a
    /// batch then need no lookup (see `BotRunner::batch_deadline_of`).
    uniform_grace_ms: Option<i64>,
    host: Arc<BotHost>,
    instance: Mutex<Option<Current>>,
    /// Held while an instance is rebuilt, so hooks of one instance that panic together rebuild it once.
    rebuilding: tokio::sync::Mutex<()>,
    /// The last good state the plugin gave, as kept (and written) for rebuilds and restarts.
    snapshot: Mutex<Vec<u8>>,
    pace: SnapshotPace,
    persist: SnapshotWriter,
    mailbox: Mailbox<Inbound>,
    /// The bot's lease on the inbox journal, when the runtime keeps one.
    journal: Option<Arc<BotJournal>>,
    stats: BotStats,
    panics: Mutex<VecDeque<Instant>>,
    stopped: tokio::sync::watch::Sender<bool>,
    inbound_lane: Mutex<Option<JoinHandle<()>>>,
    notifications: Arc<NotificationQueue>,
    notification_lane: Mutex<Option<JoinHandle<()>>>,
    span: tracing::Span,
    /// Mailbox overflow is logged at most once per interval: a flood would otherwise fill the disk.
    dropped_log: zimbot_listener::RateLimitedLog,
}

impl BotRunner {
    /// Creates the plugin instance and starts both lanes; `on_start` is the first hook to run.
    pub fn start(config: Arc<BotConfig>, plugin: PluginInfo, services: HostServices) -> Result<Arc<Self>, StartError> {
        let span = tracing::info_span!("bot", bot = %config.id);
        let notifications = Arc::new(NotificationQueue::new());
        let sender = Sender { bot: config.id.clone(), user_id: config.user_id.clone(), priority: config.priority };
        let runtime = services.runtime.clone();
        let kept = match services.state.load(&config.id) {
            Ok(kept) => kept.unwrap_or_default(),
            Err(error) => {
                tracing::warn!(bot = %config.id, "starting without the kept plugin state: {error}");
                Vec::new()
            }
        };
        let (journal, unfinished) = open_journal(&services, &config);
        let persist = SnapshotWriter::spawn(Arc::clone(&services.state), config.id.clone(), &runtime);
        let host = BotHost::new(sender, services, Arc::clone(&notifications), span.clone(), &plugin.version);
        let info = BotInfo {
            bot_id: config.id.clone(),
            user_id: config.user_id.clone(),
            name: config.name.clone(),
            plugin: config.plugin.clone(),
            config: config.config.clone(),
        };
        let context = host.context();
        let instance =
            PluginInstanceHandle::create(&plugin, context.api(), &info, Some(&kept)).map_err(|message| StartError {
                bot: config.id.to_string(),
                message: format!("plugin '{}' refused to start: {message}", plugin.name),
            })?;
        let graces_ms: HashMap<String, i64, foldhash::fast::RandomState> = config
            .schedules
            .iter()
            .map(|schedule| {
                (schedule.id.clone(), i64::try_from(schedule.misfire_grace.as_millis()).unwrap_or(i64::MAX))
            })
            .collect();
        let mut graces = graces_ms.values().copied();
        let uniform_grace_ms = graces.next().filter(|first| graces.all(|grace| grace == *first));
        let runner = Arc::new(Self {
            graces_ms,
            uniform_grace_ms,
            mailbox: Mailbox::new(config.mailbox),
            journal,
            config,
            info,
            plugin,
            host,
            instance: Mutex::new(Some(Current { instance, context })),
            rebuilding: tokio::sync::Mutex::new(()),
            snapshot: Mutex::new(kept),
            pace: SnapshotPace::default(),
            persist,
            stats: BotStats::default(),
            panics: Mutex::new(VecDeque::new()),
            stopped: tokio::sync::watch::Sender::new(false),
            inbound_lane: Mutex::new(None),
            notifications,
            notification_lane: Mutex::new(None),
            span: span.clone(),
            dropped_log: zimbot_listener::RateLimitedLog::default(),
        });
        if !unfinished.is_empty() {
            let _entered = runner.span.enter();
            tracing::info!(
                messages = unfinished.len(),
                "delivering again the messages not finished before the restart"
            );
        }
        for unfinished in unfinished {
            runner.mailbox.push_beyond_capacity(match unfinished {
                Unfinished::Message(journaled) => Inbound::Journaled(journaled),
                Unfinished::Tick(journaled) => Inbound::JournaledCron(journaled),
                Unfinished::Membership(journaled) => Inbound::JournaledMembership(journaled),
            });
        }
        let inbound = runtime.spawn(Arc::clone(&runner).run_inbound_lane().instrument(span.clone()));
        let notification = runtime.spawn(Arc::clone(&runner).run_notification_lane().instrument(span));
        *runner.inbound_lane.lock() = Some(inbound);
        *runner.notification_lane.lock() = Some(notification);
        runner.host.adopt_resumed();
        Ok(runner)
    }

    pub fn config(&self) -> &BotConfig {
        &self.config
    }

    pub fn plugin(&self) -> &PluginInfo {
        &self.plugin
    }

    pub fn stats(&self) -> &BotStats {
        &self.stats
    }

    /// The send events waiting for the notification lane.
    pub fn notifications(&self) -> &NotificationQueue {
        &self.notifications
    }

    /// Items waiting in the mailbox.
    pub fn mailbox_depth(&self) -> usize {
        self.mailbox.len()
    }

    /// How many tasks the current instance spawned that the host still holds (running, or ended since its last
    /// spawn).
    pub fn plugin_tasks(&self) -> usize {
        self.instance.lock().as_ref().map_or(0, |current| current.context.tasks_held())
    }

    /// Whether the bot was stopped (after repeated panics, or by shutdown).
    pub fn is_stopped(&self) -> bool {
        *self.stopped.borrow()
    }

    /// Resolves once the bot is stopped.
    pub async fn wait_stopped(&self) {
        let mut stopped = self.stopped.subscribe();
        let _ = stopped.wait_for(|stopped| *stopped).await;
    }

    /// Puts a message or tick in the mailbox. Returns false when the bot no longer takes any.
    pub fn deliver(&self, item: Inbound) -> bool {
        let (counter, count) = match &item {
            Inbound::Message(_) | Inbound::Journaled(_) => (&self.stats.delivered, 1),
            Inbound::Cron(_) | Inbound::JournaledCron(_) => (&self.stats.cron_ticks, 1),
            Inbound::CronBatch(ticks) => (&self.stats.cron_ticks, ticks.len() as u64),
            Inbound::JournaledCronBatch(ticks) => (&self.stats.cron_ticks, ticks.len() as u64),
            Inbound::Membership(_) | Inbound::JournaledMembership(_) => (&self.stats.membership_events, 1),
        };
        // A journaled bot's mailbox never drops: what it holds may be acknowledged messages (the webhook bounds
        // those with 503s; ticks come at the schedules' pace).
        let pushed =
            if self.journal.is_some() { self.mailbox.push_beyond_capacity(item) } else { self.mailbox.push(item) };
        match pushed {
            Pushed::Queued => {}
            Pushed::DroppedOldest(dropped) => {
                // A dropped batch counts each of its ticks.
                let ticks = if let Inbound::CronBatch(ticks) = &dropped { ticks.len() as u64 } else { 1 };
                self.stats.mailbox_dropped.fetch_add(ticks, std::sync::atomic::Ordering::Relaxed);
                let _entered = self.span.enter();
                self.dropped_log.log(|unlogged| {
                    tracing::warn!(
                        capacity = self.config.mailbox,
                        unlogged,
                        "mailbox full: dropped the oldest waiting {} to make room (raise `mailbox` or \
                         `max_concurrency`)",
                        dropped.describe()
                    )
                });
            }
            Pushed::Closed(refused) => {
                let _entered = self.span.enter();
                tracing::warn!("bot is stopped: {} not delivered", refused.describe());
                self.give_back(&refused);
                return false;
            }
        }
        counter.fetch_add(count, std::sync::atomic::Ordering::Relaxed);
        true
    }

    /// Whether the bot keeps its messages in the inbox journal (storage is on and its lease was taken).
    pub fn is_journaled(&self) -> bool {
        self.journal.is_some()
    }

    /// Whether the mailbox has room for one more journaled message. The webhook answers 503 when it has not,
    /// rather than drop a message it acknowledged: the service retries.
    pub fn has_room(&self) -> bool {
        self.mailbox.len() < self.config.mailbox.max(1)
    }

    /// Puts a journaled message in the mailbox (never dropping one: see [`BotRunner::has_room`]). Returns false
    /// when the bot no longer takes any; the message stays in the journal for the next start.
    pub fn deliver_journaled(&self, journaled: JournaledMessage) -> bool {
        self.push_journaled(Inbound::Journaled(journaled), &self.stats.delivered)
    }

    /// Puts a journaled membership or presence event in the mailbox, as [`BotRunner::deliver_journaled`] does a
    /// message.
    pub fn deliver_journaled_membership(&self, journaled: JournaledMembership) -> bool {
        self.push_journaled(Inbound::JournaledMembership(journaled), &self.stats.membership_events)
    }

    fn push_journaled(&self, item: Inbound, counter: &std::sync::atomic::AtomicU64) -> bool {
        match self.mailbox.push_beyond_capacity(item) {
            Pushed::Closed(refused) => {
                let _entered = self.span.enter();
                tracing::warn!("bot is stopped: {} kept in the journal for the next start", refused.describe());
                self.give_back(&refused);
                false
            }
            _ => {
                BotStats::add(counter);
                true
            }
        }
    }

    /// Whether the bot journals its ticks (see [`BotRunner::deliver_tick`]).
    pub fn journal(&self) -> Option<&Arc<BotJournal>> {
        self.journal.as_ref()
    }

    /// Gives back the attempts the journal counted for `item`'s entries when they were journaled: their hooks
    /// never started (the bot stopped first), so the next start delivers them as first deliveries.
    pub fn give_back(&self, item: &Inbound) {
        let Some(journal) = &self.journal else { return };
        let single = |entry, claimed: bool| claimed.then_some(entry);
        let entries: Vec<zimbot_store::EntryId> = match item {
            Inbound::Journaled(journaled) => single(journaled.entry, journaled.claimed).into_iter().collect(),
            Inbound::JournaledCron(journaled) => single(journaled.entry, journaled.claimed).into_iter().collect(),
            Inbound::JournaledMembership(journaled) => single(journaled.entry, journaled.claimed).into_iter().collect(),
            Inbound::JournaledCronBatch(ticks) => {
                ticks.iter().filter(|journaled| journaled.claimed).map(|journaled| journaled.entry).collect()
            }
            Inbound::Message(_) | Inbound::Cron(_) | Inbound::CronBatch(_) | Inbound::Membership(_) => Vec::new(),
        };
        for entry in entries {
            journal.release_soon(entry);
        }
    }

    /// Runs one item of the lane.
    async fn run_item(self: &Arc<Self>, item: Inbound) {
        match item {
            Inbound::Journaled(journaled) => {
                let what = Inbound::Journaled(journaled.clone()).describe();
                let message = journaled.message;
                self.run_journaled(journaled.entry, journaled.claimed, what, |redelivery| Event::Message {
                    message: message.clone(),
                    redelivery,
                })
                .await
            }
            Inbound::JournaledCron(journaled) => {
                let what = Inbound::JournaledCron(journaled.clone()).describe();
                let tick = journaled.tick;
                self.run_journaled(journaled.entry, journaled.claimed, what, |_| Event::Cron { tick: tick.clone() })
                    .await
            }
            Inbound::JournaledCronBatch(ticks) => self.run_journaled_ticks(ticks).await,
            Inbound::CronBatch(ticks) => {
                // Unjournaled: run_ticks logs and counts each failure, and there is nothing to retry from.
                let _ = self.run_ticks(ticks).await;
            }
            Inbound::JournaledMembership(journaled) => {
                let what = Inbound::JournaledMembership(journaled.clone()).describe();
                let event = journaled.event;
                self.run_journaled(journaled.entry, journaled.claimed, what, |_| Event::Membership {
                    event: event.clone(),
                })
                .await
            }
            other => {
                // Unjournaled: run_hook logs and counts a failure, and there is nothing to retry from.
                for event in other.into_events() {
                    let _ = self.run_hook(event).await;
                }
            }
        }
    }

    async fn run_inbound_lane(self: Arc<Self>) {
        let _ = self.run_hook(Event::Start).await;
        let concurrency = self.config.max_concurrency.max(1);
        if concurrency == 1 {
            while let Some(item) = self.mailbox.pop().await {
                self.run_item(item).await;
            }
            return;
        }
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut running = tokio::task::JoinSet::new();
        while let Some(item) = self.mailbox.pop().await {
            // A batch's ticks may run side by side like any other items of this lane.
            let items = match item {
                Inbound::CronBatch(ticks) => ticks.into_iter().map(Inbound::Cron).collect(),
                Inbound::JournaledCronBatch(ticks) => ticks.into_iter().map(Inbound::JournaledCron).collect(),
                item => vec![item],
            };
            for item in items {
                let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { break };
                let runner = Arc::clone(&self);
                running.spawn(
                    async move {
                        runner.run_item(item).await;
                        drop(permit);
                    }
                    .instrument(self.span.clone()),
                );
                while running.try_join_next().is_some() {}
            }
        }
        while running.join_next().await.is_some() {}
    }

    /// Delivers send events in order until the queue is closed (at shutdown) and drained.
    async fn run_notification_lane(self: Arc<Self>) {
        while let Some(event) = self.notifications.pop().await {
            let _ = self.run_hook(notification_event(event)).await;
        }
    }

    /// Shutdown step 1: stop taking messages and let the inbound lane drain until `deadline`. What is still
    /// waiting then stays in the journal for the next start, with the attempts counted for it given back.
    pub async fn drain_inbound(&self, deadline: Instant) {
        self.mailbox.close();
        let lane = self.inbound_lane.lock().take();
        if let Some(mut lane) = lane {
            if tokio::time::timeout_at(deadline, &mut lane).await.is_err() {
                let _entered = self.span.enter();
                tracing::warn!(waiting = self.mailbox.len(), "shutdown deadline passed: cancelling the inbound lane");
                lane.abort();
            }
        }
        for item in self.mailbox.take_all() {
            self.give_back(&item);
        }
    }

    /// Shutdown step 2 (after the outbound was closed, so every send has ended): deliver the remaining send
    /// events, then `on_stop`, then end the plugin's tasks and destroy the instance.
    pub async fn finish(self: &Arc<Self>, deadline: Instant) {
        let lane = self.notification_lane.lock().take();
        if let Some(mut lane) = lane {
            self.notifications.close();
            if tokio::time::timeout_at(deadline, &mut lane).await.is_err() {
                lane.abort();
            }
        }
        if !self.is_stopped() {
            let on_stop = self.run_hook(Event::Stop).instrument(self.span.clone());
            let _ = tokio::time::timeout_at(deadline, on_stop).await;
            // The last read, whatever the pacing held back.
            self.keep_state();
        }
        self.stopped.send_replace(true);
        let retired = self.instance.lock().take();
        if let Some(retired) = retired {
            retired.context.retire().await;
        }
        let _ = tokio::time::timeout_at(deadline, self.persist.flush()).await;
    }
}

fn notification_event(event: SendEvent) -> Event {
    match event {
        SendEvent::Attached(message) => Event::Attached { message },
        SendEvent::Progress(progress) => Event::Progress { progress },
        SendEvent::Sent(result) => Event::Sent { result },
        SendEvent::Failed(failure) => Event::Failed { failure },
    }
}
