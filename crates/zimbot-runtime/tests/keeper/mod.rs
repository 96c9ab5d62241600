//! The keeper: a built-in plugin that does what a careless (or hostile) plugin may do with the SDK's safe API,
//! on request: keep a clone of its `BotContext` for later, sleep forever, spawn many tasks, break its own
//! `snapshot`. Room messages say what to do; it reports to the test through a channel named by its config.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};
use zimbot_runtime::clock::SystemClock;
use zimbot_runtime::config::{self, AcceptAnyPlugin};
use zimbot_runtime::Outbound;
use zimbot_runtime::Runtime;
use zimbot_runtime::{HostServices, PluginCatalog};
use zimbot_sdk::prelude::*;

/// A generous bound for what happens at once; reached only when something is broken.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// What one keeper bot shares with its test.
pub struct Shared {
    reports: Mutex<Option<mpsc::UnboundedSender<String>>>,
    /// The context clone kept by `keep`.
    pub kept: Mutex<Option<BotContext>>,
    /// `on_message_attached` waits for a permit here when the config says `hold_attached: true`.
    pub attached_gate: Semaphore,
    pub progress_seen: Mutex<Vec<UploadProgress>>,
    /// The local ids of sends whose `SendHandle` reached the hook that made them (`track N`).
    pub handed: Mutex<std::collections::HashSet<LocalMessageId>>,
    /// How many `on_message_attached` ran for a send whose handle had not yet reached its hook.
    pub attached_before_handle: AtomicU64,
}

fn shared_by_key() -> &'static Mutex<HashMap<String, Arc<Shared>>> {
    static SHARED: OnceLock<Mutex<HashMap<String, Arc<Shared>>>> = OnceLock::new();
    SHARED.get_or_init(Default::default)
}

/// A fresh keeper key, what it shares, and its report stream.
pub fn keeper() -> (String, Arc<Shared>, Reports) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let key = format!("keeper-{}", NEXT.fetch_add(1, Ordering::SeqCst));
    let (sender, receiver) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        reports: Mutex::new(Some(sender)),
        kept: Mutex::new(None),
        attached_gate: Semaphore::new(0),
        progress_seen: Mutex::new(Vec::new()),
        handed: Mutex::new(Default::default()),
        attached_before_handle: AtomicU64::new(0),
    });
    shared_by_key().lock().unwrap().insert(key.clone(), Arc::clone(&shared));
    (key, shared, Reports { receiver })
}

/// One keeper's reports.
pub struct Reports {
    receiver: mpsc::UnboundedReceiver<String>,
}

impl Reports {
    pub async fn next(&mut self) -> String {
        match tokio::time::timeout(PATIENCE, self.receiver.recv()).await {
            Ok(Some(report)) => report,
            Ok(None) => panic!("the keeper's report channel closed"),
            Err(_) => panic!("no report from the keeper"),
        }
    }

    /// Reports until (and including) `last`.
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
}

#[derive(serde::Deserialize)]
struct KeeperConfig {
    key: String,
    #[serde(default)]
    hold_attached: bool,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct KeeperState {
    count: u64,
}

pub struct Keeper {
    shared: Arc<Shared>,
    hold_attached: bool,
    count: AtomicU64,
    broken_snapshot: AtomicBool,
}

impl Keeper {
    fn say(&self, report: impl Into<String>) {
        if let Some(reports) = &*self.shared.reports.lock().unwrap() {
            let _ = reports.send(report.into());
        }
    }
}

#[async_trait]
impl Plugin for Keeper {
    async fn on_start(&self, _ctx: &BotContext) -> HookResult {
        self.say("start");
        Ok(())
    }

    async fn on_room_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        let text = message.text().unwrap_or_default().to_owned();
        let mut words = text.split(' ');
        match (words.next().unwrap_or_default(), words.next()) {
            ("keep", _) => {
                *self.shared.kept.lock().unwrap() = Some(ctx.clone());
                self.say("kept");
            }
            ("send", _) => {
                let sent = ctx.reply_text(&message, "fresh").await;
                self.say(if sent.is_ok() { "send accepted" } else { "send refused" });
            }
            ("upload", None) => {
                let media = MediaMessage::from_url(MediaKind::File, "https://media.test/big.bin", "big.bin");
                ctx.reply_media(&message, media, SendConfig::default()).await?;
            }
            ("upload", Some("file")) => {
                let media = MediaMessage::from_path(MediaKind::File, "/srv/media/big.bin");
                let sent = ctx.reply_media(&message, media, SendConfig::default()).await;
                self.say(if sent.is_ok() { "upload accepted" } else { "upload refused" });
            }
            ("track", Some(count)) => {
                for _ in 0..count.parse::<u32>()? {
                    let handle = ctx.reply_text(&message, "tracked").await?;
                    self.shared.handed.lock().unwrap().insert(handle.local_id());
                }
                self.say("tracked");
            }
            ("sleep", Some("forever")) => {
                ctx.sleep(Duration::MAX).await;
                self.say("woke");
            }
            ("spawn", Some(count)) => {
                let count: u32 = count.parse()?;
                for _ in 0..count {
                    let (done, finished) = futures::channel::oneshot::channel::<()>();
                    ctx.spawn(async move {
                        let _ = done.send(());
                    });
                    let _ = finished.await;
                }
                self.say("spawned");
            }
            ("count", _) => {
                let count = self.count.fetch_add(1, Ordering::SeqCst) + 1;
                self.say(format!("count {count}"));
            }
            ("break", Some("snapshot")) => {
                self.broken_snapshot.store(true, Ordering::SeqCst);
                self.say("snapshot broken");
            }
            ("panic", _) => panic!("the keeper was told to panic"),
            _ => self.say(format!("unknown {text}")),
        }
        Ok(())
    }

    async fn on_message_attached(&self, _ctx: &BotContext, message: AttachedMessage) -> HookResult {
        if self.hold_attached {
            self.say("holding attached");
            let _permit = self.shared.attached_gate.acquire().await?;
        }
        if !self.shared.handed.lock().unwrap().contains(&message.local_id) {
            self.shared.attached_before_handle.fetch_add(1, Ordering::SeqCst);
        }
        self.say(format!("attached {}", message.local_id.0));
        Ok(())
    }

    async fn on_media_uploading_progress(&self, _ctx: &BotContext, progress: UploadProgress) -> HookResult {
        self.shared.progress_seen.lock().unwrap().push(progress);
        Ok(())
    }

    async fn on_message_sent(&self, _ctx: &BotContext, result: MessageSentResult) -> HookResult {
        self.say(format!("sent {}", result.local_id.0));
        Ok(())
    }

    fn snapshot(&self) -> Option<serde_json::Value> {
        if self.broken_snapshot.load(Ordering::SeqCst) {
            panic!("the keeper's snapshot was broken on purpose");
        }
        serde_json::to_value(KeeperState { count: self.count.load(Ordering::SeqCst) }).ok()
    }
}

impl PluginFactory for Keeper {
    const NAME: &'static str = "keeper";
    const VERSION: &'static str = "0.0.1";

    fn create(init: PluginInit) -> Result<Self, PluginError> {
        let config: KeeperConfig = init.config()?;
        let shared = shared_by_key()
            .lock()
            .unwrap()
            .get(&config.key)
            .cloned()
            .ok_or_else(|| format!("no keeper named {}", config.key))?;
        let state = init.snapshot::<KeeperState>().unwrap_or_default();
        let keeper = Self {
            shared,
            hold_attached: config.hold_attached,
            count: AtomicU64::new(state.count),
            broken_snapshot: AtomicBool::new(false),
        };
        keeper.say(format!("created count={}", state.count));
        Ok(keeper)
    }
}

/// One keeper bot listening to room `lobby`, with `extra` config (`key: value, ...`).
pub fn bot_yaml(id: &str, key: &str, extra: &str) -> String {
    format!(
        "  - id: {id}\n    user_id: \"@RBT#{id}\"\n    plugin: keeper\n    hook_timeout_secs: 5\n    \
         config: {{ key: {key}{extra} }}\n    listen: {{ rooms: [lobby] }}\n"
    )
}

/// Starts a runtime for these bots (bots.yaml list items) on `outbound`.
pub fn start(bots: &str, outbound: Arc<dyn Outbound>) -> Arc<Runtime> {
    let yaml = format!("bots:\n{bots}");
    let config = match config::parse(&yaml, std::path::Path::new("test.yaml"), &|_| None, &AcceptAnyPlugin) {
        Ok(config) => config,
        Err(errors) => panic!("test config does not parse:\n{errors}"),
    };
    let mut catalog = PluginCatalog::new();
    catalog.register_builtin("keeper", zimbot_sdk::builtin::<Keeper>());
    Runtime::start(&config, &catalog, HostServices::new(outbound, Arc::new(SystemClock)))
}

/// Waits until `condition` holds, checking it after each short pause; fails the test after [`PATIENCE`].
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(PATIENCE, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "never happened: {what}");
}
