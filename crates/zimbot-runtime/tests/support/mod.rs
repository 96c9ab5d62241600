//! A probe plugin, compiled in as a built-in, that reports every hook it sees to the test; and helpers to start
//! a runtime around it.

#![allow(dead_code)]

pub mod db;
pub mod webhook;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;
use zimbot_runtime::clock::{Clock, SystemClock};
use zimbot_runtime::config::{self, AcceptAnyPlugin, Config};
use zimbot_runtime::Runtime;
use zimbot_runtime::{HostServices, PluginCatalog};
use zimbot_runtime::{LoopbackOutbound, Outbound};
use zimbot_sdk::prelude::*;

/// Where each probe instance reports, by the `probe` key of its bot's config.
fn reporters() -> &'static Mutex<HashMap<String, mpsc::UnboundedSender<String>>> {
    static REPORTERS: OnceLock<Mutex<HashMap<String, mpsc::UnboundedSender<String>>>> = OnceLock::new();
    REPORTERS.get_or_init(Default::default)
}

/// Receives one probe's reports.
pub struct Reports {
    receiver: mpsc::UnboundedReceiver<String>,
}

impl Reports {
    /// A fresh probe key and its report stream.
    pub fn new() -> (String, Self) {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let key = format!("probe-{}", NEXT.fetch_add(1, Ordering::SeqCst));
        let (sender, receiver) = mpsc::unbounded_channel();
        reporters().lock().unwrap().insert(key.clone(), sender);
        (key, Self { receiver })
    }

    /// The next report; fails the test if none comes within a generous bound.
    pub async fn next(&mut self) -> String {
        match tokio::time::timeout(Duration::from_secs(20), self.receiver.recv()).await {
            Ok(Some(report)) => report,
            Ok(None) => panic!("the probe's report channel closed"),
            Err(_) => panic!("no report from the probe"),
        }
    }

    /// Reports until (and including) one equal to `last`.
    pub async fn until(&mut self, last: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let report = self.next().await;
            let done = report == last;
            seen.push(report);
            if done {
                return seen;
            }
        }
    }

    /// Reports already waiting, without waiting for more.
    pub fn drain(&mut self) -> Vec<String> {
        let mut seen = Vec::new();
        while let Ok(report) = self.receiver.try_recv() {
            seen.push(report);
        }
        seen
    }
}

#[derive(serde::Deserialize)]
struct ProbeConfig {
    probe: String,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct ProbeState {
    seen: u64,
}

/// The probe: reports hooks; the text of a message says what to do.
pub struct Probe {
    report: mpsc::UnboundedSender<String>,
    state: Mutex<ProbeState>,
}

impl Probe {
    fn say(&self, report: impl Into<String>) {
        let _ = self.report.send(report.into());
    }

    async fn handle(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        let text = message.text().unwrap_or_default().to_owned();
        let seen = {
            let mut state = self.state.lock().unwrap();
            state.seen += 1;
            state.seen
        };
        if text == "panic" || text == format!("panic {}", ctx.bot_id()) {
            panic!("probe was told to panic");
        }
        match text.as_str() {
            "fail" => Err("probe was told to fail".into()),
            "hang" => {
                ctx.sleep(Duration::from_secs(3600)).await;
                Ok(())
            }
            "block" => {
                self.say("blocking");
                ctx.sleep(Duration::from_secs(3600)).await;
                Ok(())
            }
            "send and wait" => {
                let handle = ctx.reply_text(&message, "reply").await?;
                let result = handle.result().await;
                self.say(format!("result {}", if result.is_ok() { "sent" } else { "failed" }));
                Ok(())
            }
            "send bad" => {
                let rejected = ctx.send_text("x", "", ConversationType::Room).await;
                self.say(format!("rejected {}", rejected.is_err()));
                Ok(())
            }
            "seen" => {
                self.say(format!("seen {seen}"));
                Ok(())
            }
            _ => {
                let again = if ctx.is_redelivery(&message) { "again " } else { "" };
                self.say(format!("{again}{} {} {}", message.conversation_type, message.conversation_id, text));
                Ok(())
            }
        }
    }
}

#[async_trait]
impl Plugin for Probe {
    async fn on_start(&self, _ctx: &BotContext) -> HookResult {
        self.say("start");
        Ok(())
    }
    async fn on_peer_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        self.handle(ctx, message).await
    }
    async fn on_room_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        self.handle(ctx, message).await
    }
    async fn on_group_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        self.handle(ctx, message).await
    }
    /// Says `cron SCHEDULE`; a schedule whose id starts with `fail` then fails its hook.
    async fn on_cron(&self, _ctx: &BotContext, tick: CronTick) -> HookResult {
        self.say(format!("cron {}", tick.schedule_id));
        if tick.schedule_id.starts_with("fail") {
            return Err("this schedule's hook fails".into());
        }
        Ok(())
    }
    /// Says `entered ROOM USER`; a member named `blocker` makes it say `blocking` and wait for an hour.
    async fn on_room_member_entered(&self, ctx: &BotContext, member: RoomMember) -> HookResult {
        if member.user_id.as_str() == "blocker" {
            self.say("blocking");
            ctx.sleep(Duration::from_secs(3600)).await;
        }
        self.say(format!("entered {} {}", member.room_id, member.user_id));
        Ok(())
    }
    async fn on_message_attached(&self, _ctx: &BotContext, message: AttachedMessage) -> HookResult {
        self.say(format!("attached {}", message.local_id.0));
        Ok(())
    }
    async fn on_message_sent(&self, _ctx: &BotContext, result: MessageSentResult) -> HookResult {
        self.say(format!("sent {}", result.local_id.0));
        Ok(())
    }
    async fn on_message_send_failed(&self, _ctx: &BotContext, failure: SendFailure) -> HookResult {
        self.say(format!("failed {}", failure.local_id.0));
        Ok(())
    }
    async fn on_stop(&self, _ctx: &BotContext) -> HookResult {
        self.say("stop");
        Ok(())
    }
    fn snapshot(&self) -> Option<serde_json::Value> {
        serde_json::to_value(&*self.state.lock().unwrap()).ok()
    }
}

impl PluginFactory for Probe {
    const NAME: &'static str = "probe";
    const VERSION: &'static str = "0.0.1";

    fn create(init: PluginInit) -> Result<Self, PluginError> {
        let config: ProbeConfig = init.config()?;
        let report = reporters()
            .lock()
            .unwrap()
            .get(&config.probe)
            .cloned()
            .ok_or_else(|| format!("no reporter named {}", config.probe))?;
        let state = init.snapshot::<ProbeState>().unwrap_or_default();
        let _ = report.send(format!("created seen={}", state.seen));
        Ok(Self { report, state: Mutex::new(state) })
    }
}

/// A catalog with the probe as built-in `probe`.
pub fn catalog() -> PluginCatalog {
    let mut catalog = PluginCatalog::new();
    catalog.register_builtin("probe", zimbot_sdk::builtin::<Probe>());
    catalog
}

/// Parses a bots.yaml text (plugins are not checked).
pub fn parse(yaml: &str) -> Config {
    match config::parse(yaml, std::path::Path::new("test.yaml"), &|_| None, &AcceptAnyPlugin) {
        Ok(config) => config,
        Err(errors) => panic!("test config does not parse:\n{errors}"),
    }
}

/// Services on the system clock with the given outbound.
pub fn services(outbound: Arc<dyn Outbound>) -> HostServices {
    services_with_clock(outbound, Arc::new(SystemClock))
}

pub fn services_with_clock(outbound: Arc<dyn Outbound>, clock: Arc<dyn Clock>) -> HostServices {
    HostServices::new(outbound, clock)
}

/// Starts a runtime for `yaml` on a loopback outbound.
pub fn start(yaml: &str) -> (Arc<Runtime>, Arc<LoopbackOutbound>) {
    let outbound = LoopbackOutbound::new();
    let runtime = Runtime::start(&parse(yaml), &catalog(), services(outbound.clone()));
    (runtime, outbound)
}

/// Starts a runtime for `yaml` on a loopback outbound, keeping plugin state in `state_dir`.
pub fn start_with_state(yaml: &str, state_dir: &std::path::Path) -> Arc<Runtime> {
    let services = services(LoopbackOutbound::new()).with_state(zimbot_runtime::StateStore::in_dir(state_dir));
    Runtime::start(&parse(yaml), &catalog(), services)
}

/// Starts a runtime for `yaml` on a loopback outbound, journaling messages in `storage`.
pub fn start_journaled(yaml: &str, storage: zimbot_runtime::Storage) -> Arc<Runtime> {
    start_journaled_on(yaml, storage, Arc::new(SystemClock))
}

/// Like [`start_journaled`], on `clock` (the journal's retention reads it).
pub fn start_journaled_on(yaml: &str, storage: zimbot_runtime::Storage, clock: Arc<dyn Clock>) -> Arc<Runtime> {
    let services = services_with_clock(LoopbackOutbound::new(), clock).with_storage(storage);
    Runtime::start(&parse(yaml), &catalog(), services)
}

/// A received text message.
pub fn text(kind: ConversationType, conversation: &str, from: &str, text: &str) -> ReceivedMessage {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Ordering::SeqCst);
    ReceivedMessage {
        message_id: format!("m{id}"),
        seq: id,
        from_user_id: UserId::new(from),
        conversation_type: kind,
        conversation_id: ConversationId::new(conversation),
        timestamp_ms: 0,
        content: MessageContent::Text { text: text.to_owned() },
    }
}
