//! One running bot: its plugin instance, its two lanes, and the supervision that keeps a failing plugin from
//! hurting anyone else.
//!
//! - The **inbound lane** takes messages and cron ticks from the mailbox in arrival order, with at most
//!   `max_concurrency` hooks running at once (1: strictly one after another). `on_start` runs first.
//! - The **notification lane** delivers send events (attached, progress, sent, failed) in order, beside the
//!   inbound lane and never blocked by it, so a message hook can await its own send's result.
//! - A hook that errs or times out is logged and counted. A hook that panics is counted, and the instance is
//!   rebuilt from the last snapshot; [`MAX_PANICS`] panics within [`PANIC_WINDOW`] stop this bot alone.

use super::mailbox::{Mailbox, Pushed};
use super::persist::SnapshotWriter;
use crate::config::BotConfig;
use crate::metrics::BotStats;
use crate::outbound::Sender;
use crate::plugin_host::{BotHost, CallOutcome, HostServices, PluginInfo, PluginInstanceHandle};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::Instrument as _;
use zimbot_abi::{BotInfo, CronTick, Event};
use zimbot_model::{ReceivedMessage, SendEvent};

/// Panics within [`PANIC_WINDOW`] after which a bot is stopped.
pub const MAX_PANICS: usize = 3;
/// The window [`MAX_PANICS`] is counted in.
pub const PANIC_WINDOW: Duration = Duration::from_secs(60);

/// What the inbound lane carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Message(ReceivedMessage),
    Cron(CronTick),
}

impl Inbound {
    fn into_event(self) -> Event {
        match self {
            Self::Message(message) => Event::Message { message },
            Self::Cron(tick) => Event::Cron { tick },
        }
    }

    fn describe(&self) -> String {
        match self {
            // Debug-quoted: an id from a callback may hold newlines or escapes that would forge log lines.
            Self::Message(message) => format!("message {:?}", message.message_id),
            Self::Cron(tick) => format!("cron tick of '{}'", tick.schedule_id),
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

/// A running bot.
pub struct BotRunner {
    config: Arc<BotConfig>,
    info: BotInfo,
    plugin: PluginInfo,
    host: Arc<BotHost>,
    instance: Mutex<Option<Arc<PluginInstanceHandle>>>,
    snapshot: Mutex<Vec<u8>>,
    persist: SnapshotWriter,
    mailbox: Mailbox<Inbound>,
    stats: BotStats,
    panics: Mutex<VecDeque<Instant>>,
    stopped: tokio::sync::watch::Sender<bool>,
    inbound_lane: Mutex<Option<JoinHandle<()>>>,
    notification_lane: Mutex<Option<(JoinHandle<()>, tokio::sync::oneshot::Sender<()>)>>,
    span: tracing::Span,
    /// Mailbox overflow is logged at most once per interval: a flood would otherwise fill the disk.
    dropped_log: zimbot_listener::RateLimitedLog,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl BotRunner {
    /// Creates the plugin instance and starts both lanes; `on_start` is the first hook to run.
    pub fn start(config: Arc<BotConfig>, plugin: PluginInfo, services: HostServices) -> Result<Arc<Self>, StartError> {
        let span = tracing::info_span!("bot", bot = %config.id);
        let (notifications, notification_rx) = mpsc::unbounded_channel();
        let sender = Sender { bot: config.id.clone(), user_id: config.user_id.clone(), priority: config.priority };
        let runtime = services.runtime.clone();
        let kept = match services.state.load(&config.id) {
            Ok(kept) => kept.unwrap_or_default(),
            Err(error) => {
                tracing::warn!(bot = %config.id, "starting without the kept plugin state: {error}");
                Vec::new()
            }
        };
        let persist = SnapshotWriter::spawn(Arc::clone(&services.state), config.id.clone(), &runtime);
        let host = BotHost::new(sender, services, notifications, span.clone());
        let info = BotInfo {
            bot_id: config.id.clone(),
            user_id: config.user_id.clone(),
            name: config.name.clone(),
            plugin: config.plugin.clone(),
            config: config.config.clone(),
        };
        let instance =
            PluginInstanceHandle::create(&plugin, host.api(), &info, Some(&kept)).map_err(|message| StartError {
                bot: config.id.to_string(),
                message: format!("plugin '{}' refused to start: {message}", plugin.name),
            })?;
        let runner = Arc::new(Self {
            mailbox: Mailbox::new(config.mailbox),
            config,
            info,
            plugin,
            host,
            instance: Mutex::new(Some(instance)),
            snapshot: Mutex::new(kept),
            persist,
            stats: BotStats::default(),
            panics: Mutex::new(VecDeque::new()),
            stopped: tokio::sync::watch::Sender::new(false),
            inbound_lane: Mutex::new(None),
            notification_lane: Mutex::new(None),
            span: span.clone(),
            dropped_log: zimbot_listener::RateLimitedLog::default(),
        });
        let inbound = runtime.spawn(Arc::clone(&runner).run_inbound_lane().instrument(span.clone()));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let notification =
            runtime.spawn(Arc::clone(&runner).run_notification_lane(notification_rx, stop_rx).instrument(span));
        *lock(&runner.inbound_lane) = Some(inbound);
        *lock(&runner.notification_lane) = Some((notification, stop_tx));
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

    /// Items waiting in the mailbox.
    pub fn mailbox_depth(&self) -> usize {
        self.mailbox.len()
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
        let is_tick = matches!(item, Inbound::Cron(_));
        match self.mailbox.push(item) {
            Pushed::Queued => {}
            Pushed::DroppedOldest(dropped) => {
                BotStats::add(&self.stats.mailbox_dropped);
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
        BotStats::add(if is_tick { &self.stats.cron_ticks } else { &self.stats.delivered });
        true
    }

    async fn run_inbound_lane(self: Arc<Self>) {
        self.run_hook(Event::Start).await;
        let concurrency = self.config.max_concurrency.max(1);
        if concurrency == 1 {
            while let Some(item) = self.mailbox.pop().await {
                self.run_hook(item.into_event()).await;
            }
            return;
        }
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut running = tokio::task::JoinSet::new();
        while let Some(item) = self.mailbox.pop().await {
            let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { break };
            let runner = Arc::clone(&self);
            running.spawn(
                async move {
                    runner.run_hook(item.into_event()).await;
                    drop(permit);
                }
                .instrument(self.span.clone()),
            );
            while running.try_join_next().is_some() {}
        }
        while running.join_next().await.is_some() {}
    }

    async fn run_notification_lane(
        self: Arc<Self>,
        mut events: mpsc::UnboundedReceiver<SendEvent>,
        mut stop: tokio::sync::oneshot::Receiver<()>,
    ) {
        loop {
            tokio::select! {
                biased;
                event = events.recv() => match event {
                    Some(event) => self.run_hook(notification_event(event)).await,
                    None => return,
                },
                _ = &mut stop => break,
            }
        }
        // Stopping: deliver what is already queued, in order, then end.
        while let Ok(event) = events.try_recv() {
            self.run_hook(notification_event(event)).await;
        }
    }

    /// Runs one hook on the current instance, with the timeout, counting and panic recovery.
    async fn run_hook(&self, event: Event) {
        let Some(instance) = lock(&self.instance).clone() else { return };
        let hook = event.hook_name();
        let started = Instant::now();
        let outcome = tokio::time::timeout(self.config.hook_timeout, instance.clone().call(&event)).await;
        self.stats.observe_hook(started.elapsed());
        match outcome {
            Ok(CallOutcome::Ok) | Ok(CallOutcome::Unsupported) => {
                BotStats::add(&self.stats.hooks_ok);
                self.keep_snapshot(&instance);
            }
            Ok(CallOutcome::Error(message)) => {
                BotStats::add(&self.stats.hook_errors);
                tracing::warn!(hook, "hook returned an error: {message}");
            }
            Ok(CallOutcome::Panicked(message)) => {
                BotStats::add(&self.stats.hook_panics);
                tracing::error!(hook, "hook panicked: {message}");
                self.recover_from_panic(&instance);
            }
            Err(_) => {
                BotStats::add(&self.stats.hook_timeouts);
                tracing::warn!(hook, timeout = ?self.config.hook_timeout, "hook ran past hook_timeout and was cancelled");
            }
        }
    }

    /// Remembers the instance's state after a good hook, and has it written when it changed.
    fn keep_snapshot(&self, instance: &PluginInstanceHandle) {
        let snapshot = instance.snapshot();
        let mut kept = lock(&self.snapshot);
        if *kept != snapshot {
            self.persist.save(snapshot.clone());
            *kept = snapshot;
        }
    }

    /// Rebuilds the instance from its last snapshot, or stops the bot after too many panics.
    fn recover_from_panic(&self, panicked: &Arc<PluginInstanceHandle>) {
        let now = Instant::now();
        let recent = {
            let mut panics = lock(&self.panics);
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
        let mut current = lock(&self.instance);
        // Another hook of the same instance may have rebuilt it already.
        if !current.as_ref().is_some_and(|instance| Arc::ptr_eq(instance, panicked)) {
            return;
        }
        let snapshot = lock(&self.snapshot).clone();
        match PluginInstanceHandle::create(&self.plugin, self.host.api(), &self.info, Some(&snapshot)) {
            Ok(instance) => {
                BotStats::add(&self.stats.instance_rebuilds);
                tracing::warn!("plugin instance rebuilt from its last snapshot after a panic");
                *current = Some(instance);
            }
            Err(message) => {
                tracing::error!("bot stopped: the plugin could not be rebuilt after a panic: {message}");
                drop(current);
                self.halt();
            }
        }
    }

    /// Stops taking messages; running hooks finish on the instance they have.
    fn halt(&self) {
        self.stopped.send_replace(true);
        self.mailbox.close();
        *lock(&self.instance) = None;
    }

    /// Shutdown step 1: stop taking messages and let the inbound lane drain until `deadline`.
    pub async fn drain_inbound(&self, deadline: Instant) {
        self.mailbox.close();
        let lane = lock(&self.inbound_lane).take();
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
    pub async fn finish(&self, deadline: Instant) {
        let lane = lock(&self.notification_lane).take();
        if let Some((mut lane, stop)) = lane {
            let _ = stop.send(());
            if tokio::time::timeout_at(deadline, &mut lane).await.is_err() {
                lane.abort();
            }
        }
        if !self.is_stopped() {
            let on_stop = self.run_hook(Event::Stop).instrument(self.span.clone());
            let _ = tokio::time::timeout_at(deadline, on_stop).await;
        }
        self.stopped.send_replace(true);
        self.host.abort_tasks().await;
        *lock(&self.instance) = None;
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
