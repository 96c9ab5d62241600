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

use super::mailbox::{Mailbox, Pushed};
use super::notifications::NotificationQueue;
use super::persist::SnapshotWriter;
use super::snapshot_pace::{Read, SnapshotPace};
use crate::config::BotConfig;
use crate::journal::{BotJournal, JournaledMembership, JournaledMessage, JournaledTick, Unfinished};
use crate::metrics::BotStats;
use crate::outbound::Sender;
use crate::plugin_host::{
    within_tick, BotHost, CallOutcome, HostServices, InstanceContext, PluginInfo, PluginInstanceHandle,
};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::Instrument as _;
use zimbot_abi::{BotInfo, CronTick, Event};
use zimbot_model::{MembershipEvent, ReceivedMessage, SendEvent};
use zimbot_store::{Claim, EntryId};

/// Panics within [`PANIC_WINDOW`] after which a bot is stopped.
pub const MAX_PANICS: usize = 3;
/// The window [`MAX_PANICS`] is counted in.
pub const PANIC_WINDOW: Duration = Duration::from_secs(60);

/// What the inbound lane carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Message(ReceivedMessage),
    /// A message kept in the inbox journal: claimed before its hook runs, completed after (see `journal`).
    Journaled(JournaledMessage),
    Cron(CronTick),
    /// A membership or presence event (entered a room, joined a group, came online, ...).
    Membership(MembershipEvent),
    /// A cron tick kept in the journal with its schedule's last fire, run like a journaled message.
    JournaledCron(JournaledTick),
    /// A membership or presence event kept in the journal, run like a journaled message.
    JournaledMembership(JournaledMembership),
    /// Several ticks of the bot due at one instant, in one mailbox place: the lane runs their hooks one after
    /// another, through one plugin call when the plugin takes batches (see [`BotRunner::deliver_ticks`]).
    CronBatch(Vec<CronTick>),
    /// Several journaled ticks due at one instant, in one mailbox place: claimed together (one journal commit),
    /// run like a [`Inbound::CronBatch`], each completed or retried on its own.
    JournaledCronBatch(Vec<JournaledTick>),
}

impl Inbound {
    /// The events of the item's hooks: one, or one per tick of a batch.
    fn into_events(self) -> Vec<Event> {
        match self {
            Self::Message(message) => vec![Event::Message { message, redelivery: false }],
            Self::Journaled(journaled) => vec![Event::Message { message: journaled.message, redelivery: false }],
            Self::Cron(tick) | Self::JournaledCron(JournaledTick { tick, .. }) => vec![Event::Cron { tick }],
            Self::CronBatch(ticks) => ticks.into_iter().map(|tick| Event::Cron { tick }).collect(),
            Self::JournaledCronBatch(ticks) => {
                ticks.into_iter().map(|journaled| Event::Cron { tick: journaled.tick }).collect()
            }
            Self::Membership(event) | Self::JournaledMembership(JournaledMembership { event, .. }) => {
                vec![Event::Membership { event }]
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            // Debug-quoted: an id from a callback may hold newlines or escapes that would forge log lines.
            Self::Message(message) | Self::Journaled(JournaledMessage { message, .. }) => {
                format!("message {:?}", message.message_id)
            }
            Self::Cron(tick) | Self::JournaledCron(JournaledTick { tick, .. }) => {
                format!("cron tick of '{}'", tick.schedule_id)
            }
            Self::CronBatch(ticks) => format!("{} cron ticks due together", ticks.len()),
            Self::JournaledCronBatch(ticks) => format!("{} journaled cron ticks due together", ticks.len()),
            // Debug-quoted for the same reason.
            Self::Membership(event) | Self::JournaledMembership(JournaledMembership { event, .. }) => {
                format!("{} event of {:?}", event.hook_name(), event.actor().as_str())
            }
        }
    }
}

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
    /// schedules firing together).
    graces_ms: HashMap<String, i64>,
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
        let graces_ms = config
            .schedules
            .iter()
            .map(|schedule| {
                (schedule.id.clone(), i64::try_from(schedule.misfire_grace.as_millis()).unwrap_or(i64::MAX))
            })
            .collect();
        let runner = Arc::new(Self {
            graces_ms,
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

    /// Puts a tick in the mailbox: journaled with its schedule's last fire first when the bot keeps a journal
    /// (a tick that cannot be journaled is still delivered, unjournaled).
    pub async fn deliver_tick(&self, tick: CronTick) -> bool {
        let Some(journal) = &self.journal else { return self.deliver(Inbound::Cron(tick)) };
        match journal.record_tick(&tick).await {
            Ok(entry) => self.deliver(Inbound::JournaledCron(JournaledTick { entry, tick })),
            Err(error) => {
                let _entered = self.span.enter();
                tracing::error!(
                    "storage unavailable: the cron tick of '{}' is not journaled: {error}",
                    tick.schedule_id
                );
                self.deliver(Inbound::Cron(tick))
            }
        }
    }

    /// Puts ticks due at one instant in the mailbox as one entry (a batch takes one mailbox place, and its hooks
    /// run one after another). When the bot keeps a journal they are first journaled in one commit, each with its
    /// schedule's last fire (or one by one as [`BotRunner::deliver_tick`] does, when that commit fails). Returns
    /// false when the bot no longer takes any.
    pub async fn deliver_ticks(&self, mut ticks: Vec<CronTick>) -> bool {
        if let Some(journal) = &self.journal {
            if ticks.len() > 1 {
                if let Ok(entries) = journal.record_ticks(&ticks).await {
                    let journaled =
                        entries.into_iter().zip(ticks).map(|(entry, tick)| JournaledTick { entry, tick }).collect();
                    return self.deliver(Inbound::JournaledCronBatch(journaled));
                }
            }
            let mut delivered = true;
            for tick in ticks {
                delivered &= self.deliver_tick(tick).await;
            }
            return delivered;
        }
        match ticks.len() {
            0 => true,
            1 => ticks.pop().is_some_and(|tick| self.deliver(Inbound::Cron(tick))),
            _ => self.deliver(Inbound::CronBatch(ticks)),
        }
    }

    /// Runs one item of the lane.
    async fn run_item(self: &Arc<Self>, item: Inbound) {
        match item {
            Inbound::Journaled(journaled) => {
                let what = Inbound::Journaled(journaled.clone()).describe();
                let message = journaled.message;
                self.run_journaled(journaled.entry, what, |redelivery| Event::Message {
                    message: message.clone(),
                    redelivery,
                })
                .await
            }
            Inbound::JournaledCron(journaled) => {
                let what = Inbound::JournaledCron(journaled.clone()).describe();
                let tick = journaled.tick;
                self.run_journaled(journaled.entry, what, |_| Event::Cron { tick: tick.clone() }).await
            }
            Inbound::JournaledCronBatch(ticks) => self.run_journaled_ticks(ticks).await,
            Inbound::CronBatch(ticks) => {
                // Unjournaled: run_ticks logs and counts each failure, and there is nothing to retry from.
                let _ = self.run_ticks(ticks).await;
            }
            Inbound::JournaledMembership(journaled) => {
                let what = Inbound::JournaledMembership(journaled.clone()).describe();
                let event = journaled.event;
                self.run_journaled(journaled.entry, what, |_| Event::Membership { event: event.clone() }).await
            }
            other => {
                // Unjournaled: run_hook logs and counts a failure, and there is nothing to retry from.
                for event in other.into_events() {
                    let _ = self.run_hook(event).await;
                }
            }
        }
    }

    /// Runs a journaled message's hook: each attempt is counted in the journal before the hook runs; a hook that
    /// ends well completes the entry; one that fails (error, panic, timeout) is tried again at once, in its
    /// place in line, until its attempts run out and it becomes a dead letter. When the journal cannot be
    /// written the hook still runs (the entry stays, and is delivered again after a restart).
    async fn run_journaled(self: &Arc<Self>, entry: EntryId, what: String, event: impl Fn(bool) -> Event) {
        let Some(journal) = self.journal.clone() else {
            let _ = self.run_hook(event(false)).await;
            return;
        };
        loop {
            let attempt = match journal.claim(entry).await {
                Ok(Claim::Run { attempt }) => Some(attempt),
                Ok(Claim::Dead { attempts }) => {
                    BotStats::add(&self.stats.dead_letters);
                    tracing::error!(
                        entry = %entry,
                        attempts,
                        "{what} moved to the dead letters: its hook never finished well in {attempts} attempt(s) \
                         (see `zimbot inbox`)"
                    );
                    return;
                }
                Ok(Claim::Gone) => return,
                Err(error) => {
                    tracing::error!(entry = %entry, "storage unavailable: the attempt is not counted: {error}");
                    None
                }
            };
            let redelivery = attempt.is_some_and(|attempt| attempt > 1);
            let failure = self.run_hook(event(redelivery)).await.err();
            let Some(attempt) = attempt else { return };
            let Some(failure) = failure else {
                journal.complete(entry);
                return;
            };
            if !self.settle_failure(&journal, entry, &what, attempt, failure).await {
                return;
            }
        }
    }

    /// After a failed attempt on a journaled entry: true when it is to be tried again at once; else it stays in
    /// the journal for the next start (the bot is stopping) or, its attempts spent, becomes a dead letter.
    async fn settle_failure(
        &self,
        journal: &Arc<BotJournal>,
        entry: EntryId,
        what: &str,
        attempt: u32,
        failure: String,
    ) -> bool {
        if attempt < journal.max_attempts() && !self.is_stopped() {
            return true;
        }
        if self.is_stopped() && attempt < journal.max_attempts() {
            // Left in the journal: the next start delivers it again.
            return false;
        }
        let reason = format!("its hook failed {attempt} time(s); the last: {failure}");
        BotStats::add(&self.stats.dead_letters);
        tracing::error!(entry = %entry, "{what} moved to the dead letters: {reason}");
        if let Err(error) = journal.bury(entry, reason).await {
            tracing::error!(entry = %entry, "storage unavailable: could not move it to the dead letters: {error}");
        }
        false
    }

    /// Runs journaled ticks due together: every tick's attempt is claimed at once (the journal writer commits
    /// them together), their hooks run as one batch, the ticks whose hook ended well are completed, and each
    /// failed one goes on alone as [`BotRunner::run_journaled`] runs a tick (tried again, or a dead letter).
    async fn run_journaled_ticks(self: &Arc<Self>, ticks: Vec<JournaledTick>) {
        let Some(journal) = self.journal.clone() else {
            let _ = self.run_ticks(ticks.into_iter().map(|journaled| journaled.tick).collect()).await;
            return;
        };
        let claims = futures::future::join_all(ticks.iter().map(|journaled| journal.claim(journaled.entry))).await;
        let mut runnable: Vec<(JournaledTick, Option<u32>)> = Vec::with_capacity(ticks.len());
        for (journaled, claim) in ticks.into_iter().zip(claims) {
            match claim {
                Ok(Claim::Run { attempt }) => runnable.push((journaled, Some(attempt))),
                Ok(Claim::Dead { attempts }) => {
                    BotStats::add(&self.stats.dead_letters);
                    tracing::error!(
                        entry = %journaled.entry,
                        attempts,
                        "{} moved to the dead letters: its hook never finished well in {attempts} attempt(s) \
                         (see `zimbot inbox`)",
                        Inbound::JournaledCron(journaled.clone()).describe()
                    );
                }
                Ok(Claim::Gone) => {}
                Err(error) => {
                    tracing::error!(entry = %journaled.entry, "storage unavailable: the attempt is not counted: {error}");
                    runnable.push((journaled, None));
                }
            }
        }
        let outcomes = self.run_ticks(runnable.iter().map(|(journaled, _)| journaled.tick.clone()).collect()).await;
        for ((journaled, attempt), outcome) in runnable.into_iter().zip(outcomes) {
            // An attempt the journal did not count leaves the entry for the next start, as `run_journaled` does.
            let Some(attempt) = attempt else { continue };
            let failure = match outcome {
                Ok(()) => {
                    journal.complete(journaled.entry);
                    continue;
                }
                Err(failure) => failure,
            };
            let what = Inbound::JournaledCron(journaled.clone()).describe();
            if self.settle_failure(&journal, journaled.entry, &what, attempt, failure).await {
                let tick = journaled.tick;
                self.run_journaled(journaled.entry, what, |_| Event::Cron { tick: tick.clone() }).await;
            }
        }
    }

    /// Runs the hooks of ticks due together, in order: through one plugin call per run of ticks sharing a send
    /// deadline when the plugin takes batches (ABI 1.2), else one call per tick. One result per tick.
    async fn run_ticks(self: &Arc<Self>, ticks: Vec<CronTick>) -> Vec<Result<(), String>> {
        if ticks.len() < 2 || !self.plugin.takes_cron_batches() {
            let mut results = Vec::with_capacity(ticks.len());
            for tick in ticks {
                results.push(self.run_hook(Event::Cron { tick }).await);
            }
            return results;
        }
        let mut results = Vec::with_capacity(ticks.len());
        for run in super::tick_batch::by_deadline(ticks, |tick| self.deadline_of(tick)) {
            results.extend(self.run_tick_batch(run).await);
        }
        results
    }

    /// One plugin call for `ticks` (which share a send deadline), with the hook timeout of each tick added up;
    /// each tick's outcome is counted and logged as its own hook's would be, and a tick that panicked rebuilds
    /// the instance (after the call: the other ticks' hooks have run).
    async fn run_tick_batch(self: &Arc<Self>, ticks: Vec<CronTick>) -> Vec<Result<(), String>> {
        let count = ticks.len();
        let Some(instance) = self.instance.lock().as_ref().map(|current| Arc::clone(&current.instance)) else {
            return vec![Err("the bot is stopped".to_owned()); count];
        };
        let deadline = ticks.first().and_then(|tick| self.deadline_of(tick));
        let started = Instant::now();
        let call = instance.clone().call_ticks(ticks);
        let call = match deadline {
            Some(deadline_ms) => futures::future::Either::Left(within_tick(deadline_ms, call)),
            None => futures::future::Either::Right(call),
        };
        let timeout = self.config.hook_timeout.saturating_mul(u32::try_from(count).unwrap_or(u32::MAX));
        let outcomes = tokio::time::timeout(timeout, call).await;
        // The call's time is shared out: each tick's hook ran for about its part of it.
        let each = started.elapsed() / u32::try_from(count).unwrap_or(u32::MAX).max(1);
        // A batch that ran past its time is cancelled as a whole: every tick counts as timed out.
        let outcomes: Vec<Option<CallOutcome>> = match outcomes {
            Ok(outcomes) => outcomes.into_iter().map(Some).collect(),
            Err(_) => vec![None; count],
        };
        let mut results = Vec::with_capacity(count);
        for outcome in outcomes {
            self.stats.observe_hook(each);
            results.push(self.settle_hook("on_cron", outcome, &instance, timeout).await);
        }
        if results.iter().any(Result::is_ok) {
            self.keep_state_soon();
        }
        results
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

    /// Runs one hook on the current instance, with the timeout, counting and panic recovery; says how it failed
    /// when it did not end well.
    async fn run_hook(self: &Arc<Self>, event: Event) -> Result<(), String> {
        let Some(instance) = self.instance.lock().as_ref().map(|current| Arc::clone(&current.instance)) else {
            return Err("the bot is stopped".to_owned());
        };
        let hook = event.hook_name();
        let started = Instant::now();
        let call = instance.clone().call(&event);
        let call = match self.tick_deadline(&event) {
            Some(deadline_ms) => futures::future::Either::Left(within_tick(deadline_ms, call)),
            None => futures::future::Either::Right(call),
        };
        let outcome = tokio::time::timeout(self.config.hook_timeout, call).await;
        self.stats.observe_hook(started.elapsed());
        let result = self.settle_hook(hook, outcome.ok(), &instance, self.config.hook_timeout).await;
        if result.is_ok() && !matches!(event, Event::Progress { .. }) {
            self.keep_state_soon();
        }
        result
    }

    /// Counts and logs how a hook ended (`None`: it ran past `timeout`), and rebuilds the instance after a panic;
    /// says how it failed when it did not end well.
    async fn settle_hook(
        &self,
        hook: &str,
        outcome: Option<CallOutcome>,
        instance: &Arc<PluginInstanceHandle>,
        timeout: Duration,
    ) -> Result<(), String> {
        match outcome {
            Some(CallOutcome::Ok) | Some(CallOutcome::Unsupported) => {
                BotStats::add(&self.stats.hooks_ok);
                Ok(())
            }
            Some(CallOutcome::Error(message)) => {
                BotStats::add(&self.stats.hook_errors);
                tracing::warn!(hook, "hook returned an error: {message}");
                Err(format!("{hook} returned an error: {message}"))
            }
            Some(CallOutcome::Panicked(message)) => {
                BotStats::add(&self.stats.hook_panics);
                tracing::error!(hook, "hook panicked: {message}");
                self.recover_from_panic(instance).await;
                Err(format!("{hook} panicked: {message}"))
            }
            None => {
                BotStats::add(&self.stats.hook_timeouts);
                tracing::warn!(hook, ?timeout, "hook ran past hook_timeout and was cancelled");
                Err(format!("{hook} ran past hook_timeout ({timeout:?})"))
            }
        }
    }

    /// The default deadline of the sends of a tick's hook: its fire time plus its schedule's misfire grace (see
    /// `plugin_host::within_tick`).
    fn tick_deadline(&self, event: &Event) -> Option<i64> {
        let Event::Cron { tick } = event else { return None };
        self.deadline_of(tick)
    }

    /// The default send deadline of `tick`'s hook (see [`BotRunner::tick_deadline`]).
    fn deadline_of(&self, tick: &CronTick) -> Option<i64> {
        let grace_ms = *self.graces_ms.get(&tick.schedule_id)?;
        Some(tick.fired_at_ms.saturating_add(grace_ms))
    }

    /// After a good hook: reads the state now, or schedules one read for when the interval allows (see
    /// `snapshot_pace`).
    fn keep_state_soon(self: &Arc<Self>) {
        match self.pace.after_hook(Instant::now()) {
            Read::Now => self.keep_state(),
            Read::At(at) => {
                let runner = Arc::downgrade(self);
                tokio::spawn(async move {
                    tokio::time::sleep_until(at).await;
                    if let Some(runner) = runner.upgrade() {
                        runner.pace.scheduled_read_done(Instant::now());
                        runner.keep_state();
                    }
                });
            }
            Read::Scheduled => {}
        }
    }

    /// Reads the current instance's state and has it written when it changed. A plugin that cannot give its
    /// state (its `snapshot` panicked, or the result is not JSON) leaves the last good state in place.
    fn keep_state(&self) {
        let Some(instance) = self.instance.lock().as_ref().map(|current| Arc::clone(&current.instance)) else {
            return;
        };
        BotStats::add(&self.stats.snapshots_taken);
        let Some(snapshot) = instance.snapshot() else {
            BotStats::add(&self.stats.snapshot_failures);
            let _entered = self.span.enter();
            tracing::warn!(
                "the plugin could not give its state (snapshot panicked or was not JSON); keeping the last good one"
            );
            return;
        };
        let mut kept = self.snapshot.lock();
        if *kept != snapshot {
            self.persist.save(snapshot.clone());
            *kept = snapshot;
        }
    }

    /// Rebuilds the instance from its last snapshot, or stops the bot after too many panics.
    async fn recover_from_panic(&self, panicked: &Arc<PluginInstanceHandle>) {
        let now = Instant::now();
        let recent = {
            let mut panics = self.panics.lock();
            panics.push_back(now);
            while panics.front().is_some_and(|at| now.duration_since(*at) > PANIC_WINDOW) {
                panics.pop_front();
            }
            panics.len()
        };
        if recent >= MAX_PANICS {
            tracing::error!(
                panics = recent,
                "bot stopped: its plugin panicked {recent} times within {} s; fix the plugin and restart",
                PANIC_WINDOW.as_secs()
            );
            self.halt();
            return;
        }
        let _rebuilding = self.rebuilding.lock().await;
        // Another hook of the same instance may have rebuilt it already, or the bot may have stopped.
        if !self.is_current(panicked) {
            return;
        }
        let context = self.host.context();
        let (plugin, api, info) = (self.plugin.clone(), context.api(), self.info.clone());
        let snapshot = self.snapshot.lock().clone();
        // `create` is plugin code: it runs on the blocking pool, and under no lock the lanes need.
        let created =
            tokio::task::spawn_blocking(move || PluginInstanceHandle::create(&plugin, api, &info, Some(&snapshot)))
                .await
                .unwrap_or_else(|error| Err(format!("the rebuild task failed: {error}")));
        match created {
            Ok(instance) => {
                let replaced = {
                    let mut current = self.instance.lock();
                    if current.is_none() {
                        // The bot stopped while the instance was being built; it is not used.
                        return;
                    }
                    current.replace(Current { instance, context })
                };
                if let Some(replaced) = replaced {
                    replaced.context.retire_now();
                }
                BotStats::add(&self.stats.instance_rebuilds);
                tracing::warn!("plugin instance rebuilt from its last snapshot after a panic");
            }
            Err(message) => {
                tracing::error!("bot stopped: the plugin could not be rebuilt after a panic: {message}");
                self.halt();
            }
        }
    }

    fn is_current(&self, instance: &Arc<PluginInstanceHandle>) -> bool {
        self.instance.lock().as_ref().is_some_and(|current| Arc::ptr_eq(&current.instance, instance))
    }

    /// Stops taking messages and retires the instance's context; running hooks finish on the instance they have
    /// (their calls through the context are refused).
    fn halt(&self) {
        self.stopped.send_replace(true);
        self.mailbox.close();
        let retired = self.instance.lock().take();
        if let Some(retired) = retired {
            retired.context.retire_now();
        }
    }

    /// Shutdown step 1: stop taking messages and let the inbound lane drain until `deadline`.
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

/// Takes the bot's journal lease and its unfinished messages, when the runtime keeps a journal. A store that
/// cannot be used leaves the bot running unjournaled (said in the log): it still serves.
fn open_journal(services: &HostServices, config: &BotConfig) -> (Option<Arc<BotJournal>>, Vec<Unfinished>) {
    let (Some(storage), Some(writer)) = (&services.storage, &services.journal_writer) else {
        return (None, Vec::new());
    };
    let opened = BotJournal::acquire(storage, writer.clone(), config.id.as_str())
        .and_then(|journal| journal.unfinished().map(|unfinished| (journal, unfinished)));
    match opened {
        Ok((journal, unfinished)) => (Some(Arc::new(journal)), unfinished),
        Err(error) => {
            tracing::error!(bot = %config.id, "storage unavailable: this bot's messages are not journaled: {error}");
            (None, Vec::new())
        }
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
