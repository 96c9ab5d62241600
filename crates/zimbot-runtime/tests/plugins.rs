//! Dynamic plugins end to end: the example plugins' real libraries doing their jobs through the runtime, the
//! loader refusing each kind of broken library with a message that names the file, what it found and what it
//! needs (while every other bot starts), and misbehaving plugins kept away from the other bots.
//!
//! The libraries are built by the tests themselves (see `fixtures/plugins/libraries.rs`).

#[path = "fixtures/plugins/libraries.rs"]
mod libraries;

use chrono::{TimeZone, Utc};
use libraries::{example_plugins_dir, fixture_plugins_dir, library_file};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use zimbot_abi::{BotInfo, CronTick, Event};
use zimbot_model::{
    ConversationId, ConversationType, MembershipEvent, MessageContent, OutgoingMessage, ReceivedMessage, RoomMember,
    SendRequest, UserId,
};
use zimbot_runtime::clock::{Clock, ManualClock, SystemClock};
use zimbot_runtime::config::{self, AcceptAnyPlugin};
use zimbot_runtime::internals::{BotHost, CallOutcome, PluginInstanceHandle};
use zimbot_runtime::internals::{Inbound, NotificationQueue};
use zimbot_runtime::Runtime;
use zimbot_runtime::{HostServices, PluginCatalog};
use zimbot_runtime::{LoopbackOutbound, Outbound, Sender};

/// A generous bound for things that happen at once; reached only when something is broken.
const PATIENCE: Duration = Duration::from_secs(30);

/// The loopback outbound, whose sends tests can await.
struct Recorder {
    loopback: Arc<LoopbackOutbound>,
}

impl Recorder {
    fn new() -> Arc<Self> {
        Arc::new(Self { loopback: LoopbackOutbound::new() })
    }

    /// Waits until `count` sends were made in all, and returns them.
    async fn wait_for(&self, count: usize) -> Vec<(Sender, SendRequest)> {
        let waited = tokio::time::timeout(PATIENCE, self.loopback.wait_until_sent(count)).await;
        assert!(waited.is_ok(), "expected {count} sends, saw {:?}", self.loopback.sent());
        self.loopback.sent()
    }
}

/// The repository's sample media.
fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets")
}

/// A runtime for `bots` (bots.yaml entries, indented as list items), looking for plugins in the example and
/// fixture folders, with no built-ins.
fn start_with_clock(bots: &str, clock: Arc<dyn Clock>) -> (Arc<Runtime>, Arc<Recorder>) {
    let yaml = format!(
        "plugin_dirs: [{:?}, {:?}]\nbots:\n{bots}",
        example_plugins_dir().display().to_string(),
        fixture_plugins_dir().display().to_string()
    );
    let config = config::parse(&yaml, Path::new("plugins-test.yaml"), &|_| None, &AcceptAnyPlugin)
        .unwrap_or_else(|errors| panic!("the test's bots.yaml does not parse:\n{errors}\n{yaml}"));
    let recorder = Recorder::new();
    let services = services(recorder.loopback.clone(), clock);
    (Runtime::start(&config, &PluginCatalog::new(), services), recorder)
}

fn start(bots: &str) -> (Arc<Runtime>, Arc<Recorder>) {
    start_with_clock(bots, Arc::new(SystemClock))
}

fn services(outbound: Arc<dyn Outbound>, clock: Arc<dyn Clock>) -> HostServices {
    HostServices::new(outbound, clock)
}

/// A bots.yaml entry; an empty `listen` leaves it out (a bot that only runs on schedules).
fn bot(id: &str, plugin: &str, listen: &str, config: &str) -> String {
    let listen = if listen.is_empty() { String::new() } else { format!("    listen: {listen}\n") };
    format!("  - id: {id}\n    user_id: \"@RBT#{id}\"\n    plugin: {plugin:?}\n{listen}    config: {config}\n")
}

fn text(kind: ConversationType, conversation: &str, from: &str, text: &str) -> ReceivedMessage {
    ReceivedMessage {
        message_id: format!("{conversation}-{text}"),
        seq: 1,
        from_user_id: UserId::new(from),
        conversation_type: kind,
        conversation_id: ConversationId::new(conversation),
        timestamp_ms: 0,
        content: MessageContent::Text { text: text.to_owned() },
    }
}

fn tick(schedule: &str) -> Inbound {
    Inbound::Cron(CronTick { schedule_id: schedule.to_owned(), scheduled_at_ms: 0, fired_at_ms: 0 })
}

/// What a send says: (to, text) for text, (to, file name) for media.
fn said(send: &(Sender, SendRequest)) -> (String, String) {
    let what = match &send.1.message {
        OutgoingMessage::Text { text } => text.clone(),
        OutgoingMessage::Media(media) => media.display_file_name(),
    };
    (send.1.to_conversation_id.to_string(), what)
}

fn said_all(sends: &[(Sender, SendRequest)]) -> Vec<(String, String)> {
    sends.iter().map(said).collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(to, what)| (to.to_string(), what.to_string())).collect()
}

// --- The example plugins, loaded from their libraries ---

fn announcer_bot() -> String {
    let media = assets().join("announcement.png").display().to_string();
    let config = format!("{{ rooms: [lobby], text: \"Doors open\", media: {media:?} }}");
    bot("announcer", "announcer", "{ rooms: [hall] }", &config)
        + "    schedules: [{ id: every-minute, cron: \"* * * * *\" }]\n"
}

#[tokio::test]
async fn the_announcer_library_posts_at_once_on_announce() {
    let (runtime, sends) = start(&announcer_bot());
    assert!(runtime.failed_bots().is_empty(), "{:?}", runtime.failed_bots());
    assert_eq!(runtime.bots()[0].plugin().name, "announcer");
    runtime.deliver(text(ConversationType::Room, "hall", "alice", "!announce"));
    let posted = said_all(&sends.wait_for(2).await);
    assert_eq!(posted, pairs(&[("hall", "Doors open"), ("hall", "announcement.png")]));
    runtime.shutdown(PATIENCE).await;
}

#[tokio::test]
async fn the_announcer_library_posts_to_its_rooms_when_its_schedule_fires() {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 30).unwrap()));
    let (runtime, sends) = start_with_clock(&announcer_bot(), clock.clone());
    // The scheduler is asleep until 12:01:00; waking it there fires the every-minute schedule.
    clock.wait_for_sleepers(1).await;
    clock.advance(Duration::from_secs(30));
    let posted = said_all(&sends.wait_for(2).await);
    assert_eq!(posted, pairs(&[("lobby", "Doors open"), ("lobby", "announcement.png")]));
    runtime.shutdown(PATIENCE).await;
}

fn poster_bot() -> String {
    let folder = assets().join("posts").display().to_string();
    let config = format!("{{ folder: {folder:?}, targets: [{{ room: lobby }}, {{ group: team }}] }}");
    bot("poster", "media-poster", "", &config)
}

#[tokio::test]
async fn the_media_poster_library_posts_the_next_file_on_each_tick() {
    let (runtime, sends) = start(&poster_bot());
    let poster = runtime.bot(&"poster".into()).expect("the poster started").clone();
    poster.deliver(tick("daily"));
    poster.deliver(tick("daily"));
    let posted = said_all(&sends.wait_for(4).await);
    assert_eq!(
        posted,
        pairs(&[
            ("lobby", "01-sunrise.png"),
            ("team", "01-sunrise.png"),
            ("lobby", "02-jingle.wav"),
            ("team", "02-jingle.wav")
        ])
    );
    runtime.shutdown(PATIENCE).await;
}

#[tokio::test]
async fn the_media_poster_library_resumes_after_its_last_post_when_rebuilt_from_its_snapshot() {
    let plugin = PluginCatalog::new().load("media-poster", &[example_plugins_dir().to_owned()]).expect("it loads");
    let recorder = Recorder::new();
    let sender = Sender { bot: "poster".into(), user_id: "@RBT#poster".into(), priority: Default::default() };
    let notifications = Arc::new(NotificationQueue::new());
    let services = services(recorder.loopback.clone(), Arc::new(SystemClock));
    let host = BotHost::new(sender, services, notifications, tracing::Span::none(), "0.0.0");
    let folder = assets().join("posts");
    let info = BotInfo {
        bot_id: "poster".into(),
        user_id: "@RBT#poster".into(),
        name: "poster".into(),
        plugin: "media-poster".into(),
        config: serde_json::json!({ "folder": folder, "targets": [{ "room": "lobby" }] }),
    };
    let cron = Event::Cron { tick: CronTick { schedule_id: "daily".into(), scheduled_at_ms: 0, fired_at_ms: 0 } };

    let first_context = host.context();
    let first = PluginInstanceHandle::create(&plugin, first_context.api(), &info, None).expect("created");
    assert_eq!(first.clone().call(&cron).await, CallOutcome::Ok);
    let snapshot = first.snapshot().expect("the poster keeps its place");
    drop(first);
    first_context.retire().await;
    let context = host.context();
    let rebuilt = PluginInstanceHandle::create(&plugin, context.api(), &info, Some(&snapshot)).expect("rebuilt");
    assert_eq!(rebuilt.clone().call(&cron).await, CallOutcome::Ok);

    let posted = said_all(&recorder.wait_for(2).await);
    assert_eq!(posted, pairs(&[("lobby", "01-sunrise.png"), ("lobby", "02-jingle.wav")]));
    drop(rebuilt);
    context.retire().await;
}

#[tokio::test]
async fn the_echo_library_answers_help_and_echoes_text() {
    let data = tempfile::tempdir().expect("a temp dir");
    let config = format!(
        "{{ assets: {:?}, large_file: {:?}, large_file_mib: 1 }}",
        assets().display().to_string(),
        data.path().join("large.bin").display().to_string()
    );
    let (runtime, sends) = start(&bot("echo", "echo", "{ peers: ['*'], groups: [team] }", &config));
    assert!(runtime.failed_bots().is_empty(), "{:?}", runtime.failed_bots());
    runtime.deliver(text(ConversationType::Peer, "@RBT#echo", "alice", "!help"));
    let help = sends.wait_for(1).await;
    assert_eq!(said(&help[0]).0, "alice", "a peer message is answered to its sender");
    assert!(said(&help[0]).1.contains("!file NAME"), "{help:?}");
    runtime.deliver(text(ConversationType::Group, "team", "bob", "hello team"));
    assert_eq!(said(&sends.wait_for(2).await[1]), ("team".to_owned(), "hello team".to_owned()));
    runtime.shutdown(PATIENCE).await;
}

// --- Refusals: each names the file, what it found and what it needs; the other bots start ---

/// Starts a bot on `plugin` beside a healthy one, and returns why the broken one was refused.
async fn refusal(plugin: &str, config: &str) -> String {
    let bots = bot("broken", plugin, "{ rooms: [lobby] }", config)
        + &bot("healthy", "fixture_behaving", "{ rooms: [lobby] }", "{}");
    let (runtime, sends) = start(&bots);
    let failed = runtime.failed_bots().to_vec();
    assert_eq!(failed.len(), 1, "only the broken bot fails: {failed:?}");
    assert_eq!(failed[0].bot.as_str(), "broken");
    runtime.deliver(text(ConversationType::Room, "lobby", "alice", "count"));
    assert_eq!(said(&sends.wait_for(1).await[0]).1, "count 1", "the healthy bot runs");
    runtime.shutdown(PATIENCE).await;
    failed[0].message.clone()
}

/// Waits until the runtime has read `bot`'s plugin state `reads` times.
async fn state_reads(runtime: &Runtime, bot: &str, reads: u64) {
    let stats = runtime.bot(&bot.into()).expect("the bot runs").stats();
    let waited = tokio::time::timeout(PATIENCE, async {
        while stats.snapshots_taken.load(Ordering::Relaxed) < reads {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "{bot}'s state was never read {reads} times");
}

fn fixture_path(library: &str) -> String {
    fixture_plugins_dir().join(library_file(library)).display().to_string()
}

fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "the refusal should mention '{part}': {message}");
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_library_is_refused() {
    let folder = tempfile::tempdir().expect("a temp dir");
    let path = folder.path().join(library_file("x"));
    std::fs::write(&path, "just text, not a shared object").expect("written");
    let message = refusal(&path.display().to_string(), "{}").await;
    assert_mentions(&message, &[&path.display().to_string(), "not a loadable library"]);
}

#[tokio::test]
async fn a_library_without_the_entry_point_is_refused() {
    let message = refusal(&fixture_path("fixture_no_entry"), "{}").await;
    assert_mentions(
        &message,
        &[&fixture_path("fixture_no_entry"), "does not export zimbot_plugin_entry_v1", "export_plugin!"],
    );
}

#[tokio::test]
async fn a_library_for_an_older_abi_major_is_refused() {
    let message = refusal(&fixture_path("fixture_old_abi"), "{}").await;
    assert_mentions(
        &message,
        &[
            &fixture_path("fixture_old_abi"),
            "exports zimbot_plugin_entry_v0",
            "needs zimbot_plugin_entry_v1",
            &format!("rebuild it against zimbot-sdk {}", zimbot_abi::SDK_SERIES),
        ],
    );
}

#[tokio::test]
async fn a_header_with_a_newer_abi_major_is_refused() {
    let message = refusal(&fixture_path("fixture_newer_abi"), "{}").await;
    assert_mentions(
        &message,
        &[&fixture_path("fixture_newer_abi"), "plugin ABI 2.x", "runtime's 1.x", "upgrade zimbot"],
    );
}

#[tokio::test]
async fn a_header_whose_struct_sizes_do_not_match_is_refused() {
    let message = refusal(&fixture_path("fixture_bad_sizes"), "{}").await;
    // The fixture is built against this SDK, so its header names this build's minor.
    let minor = format!("but plugin ABI 1.{} has", zimbot_abi::ABI_MINOR);
    assert_mentions(&message, &[&fixture_path("fixture_bad_sizes"), "struct sizes", &minor, "rebuild it against"]);
}

#[tokio::test]
async fn a_panic_abort_build_is_refused() {
    let message = refusal(&fixture_path("fixture_panic_abort"), "{}").await;
    assert_mentions(&message, &[&fixture_path("fixture_panic_abort"), "built with panic=abort", "panic=\"unwind\""]);
}

#[tokio::test]
async fn a_create_error_refuses_the_bot_with_the_plugins_own_message() {
    let message = refusal("fixture_behaving", "{ refuse: \"set config.token to start me\" }").await;
    assert_mentions(&message, &["plugin 'behaving' refused to start", "set config.token to start me"]);
}

#[tokio::test]
async fn a_panic_in_create_refuses_the_bot() {
    let message = refusal("fixture_behaving", "{ panic_in_create: true }").await;
    assert_mentions(&message, &["plugin 'behaving' refused to start", "create panicked", "told to panic in create"]);
}

// --- Misbehaving plugins do not hurt anyone else ---

#[tokio::test]
async fn a_hook_that_panics_gets_the_instance_rebuilt_from_its_snapshot() {
    let (runtime, sends) = start(&bot("fragile", "fixture_behaving", "{ rooms: [lobby] }", "{}"));
    runtime.deliver(text(ConversationType::Room, "lobby", "alice", "count"));
    // on_start's state read, then the one after "count" (reads are paced: at most one per SNAPSHOT_INTERVAL).
    state_reads(&runtime, "fragile", 2).await;
    for message in ["panic", "count"] {
        runtime.deliver(text(ConversationType::Room, "lobby", "alice", message));
    }
    let replies = said_all(&sends.wait_for(2).await);
    assert_eq!(replies, pairs(&[("lobby", "count 1"), ("lobby", "count 2")]), "the count survived the rebuild");
    let stats = runtime.bot(&"fragile".into()).expect("running").stats();
    assert_eq!(stats.hook_panics.load(Ordering::Relaxed), 1);
    assert_eq!(stats.instance_rebuilds.load(Ordering::Relaxed), 1);
    runtime.shutdown(PATIENCE).await;
}

#[tokio::test]
async fn a_hook_that_blocks_does_not_stall_other_bots() {
    let bots = bot("stuck", "fixture_behaving", "{ rooms: [stuck] }", "{}")
        + &bot("lively", "fixture_behaving", "{ rooms: [lively] }", "{}");
    let (runtime, sends) = start(&bots);
    runtime.deliver(text(ConversationType::Room, "stuck", "alice", "block"));
    runtime.deliver(text(ConversationType::Room, "lively", "alice", "count"));
    assert_eq!(said_all(&sends.wait_for(1).await), pairs(&[("lively", "count 1")]));
    let stuck = runtime.bot(&"stuck".into()).expect("running");
    assert_eq!(
        stuck.stats().hooks_ok.load(Ordering::Relaxed),
        1,
        "only on_start has ended; the block hook still waits"
    );
    runtime.shutdown(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_blocked_hook_is_cancelled_when_the_shutdown_grace_ends() {
    // On a manual clock the hook's hour-long sleep is a sleeper the test can see: it is gone only when the
    // hook's future was dropped, and it would never end by itself.
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()));
    let (runtime, _) = start_with_clock(&bot("stuck", "fixture_behaving", "{ rooms: [stuck] }", "{}"), clock.clone());
    runtime.deliver(text(ConversationType::Room, "stuck", "alice", "block"));
    clock.wait_for_sleepers(1).await;
    runtime.shutdown(Duration::from_millis(200)).await;
    let cancelled = tokio::time::timeout(PATIENCE, clock.wait_for_sleepers_at_most(0)).await;
    assert!(cancelled.is_ok(), "the blocked hook is still sleeping after the shutdown");
}

#[tokio::test]
async fn two_bots_from_one_library_keep_separate_state() {
    let bots = bot("first", "fixture_behaving", "{ rooms: [one] }", "{}")
        + &bot("second", "fixture_behaving", "{ rooms: [two] }", "{}");
    let (runtime, sends) = start(&bots);
    runtime.deliver(text(ConversationType::Room, "one", "alice", "count"));
    sends.wait_for(1).await;
    runtime.deliver(text(ConversationType::Room, "one", "alice", "count"));
    sends.wait_for(2).await;
    runtime.deliver(text(ConversationType::Room, "two", "alice", "count"));
    let replies = said_all(&sends.wait_for(3).await);
    assert_eq!(replies, pairs(&[("one", "count 1"), ("one", "count 2"), ("two", "count 1")]));
    runtime.shutdown(PATIENCE).await;
}

#[tokio::test]
async fn a_plugin_built_with_the_sdk_before_checked_contexts_loads_works_and_its_kept_context_is_refused() {
    let bots = bot("frozen", &fixture_path("fixture_sdk_0_1_frozen"), "{ rooms: [lobby] }", "{}");
    let (runtime, sends) = start(&bots);
    assert!(runtime.failed_bots().is_empty(), "{:?}", runtime.failed_bots());
    let say = |what: &str| runtime.deliver(text(ConversationType::Room, "lobby", "alice", what));
    say("count");
    assert_eq!(said(&sends.wait_for(1).await[0]).1, "count 1");
    say("keep");
    assert_eq!(said(&sends.wait_for(2).await[1]).1, "kept");
    state_reads(&runtime, "frozen", 2).await;
    say("panic");
    say("kept");
    let answer = said(&sends.wait_for(3).await[2]).1;
    // That SDK does not know the BotGone reason, so it reads it as Other; the message says why.
    assert!(answer.starts_with("kept send refused (Other)") && answer.contains("is gone"), "{answer}");
    say("count");
    assert_eq!(said(&sends.wait_for(4).await[3]).1, "count 2", "rebuilt from the old SDK's snapshot");
    runtime.shutdown(PATIENCE).await;
}

#[tokio::test]
async fn a_plugin_built_before_membership_events_reads_them_as_unknown_and_keeps_working() {
    let bots = bot("frozen", &fixture_path("fixture_sdk_0_1_frozen"), "{ rooms: [lobby] }", "{}");
    let (runtime, sends) = start(&bots);
    let entered = RoomMember { room_id: ConversationId::new("lobby"), user_id: UserId::new("alice"), at_ms: 1 };
    let delivered = runtime.deliver_membership(MembershipEvent::RoomEntered(entered));
    assert_eq!(delivered.len(), 1, "the event is routed to the bot listening to the room");
    runtime.deliver(text(ConversationType::Room, "lobby", "alice", "count"));
    assert_eq!(said(&sends.wait_for(1).await[0]).1, "count 1", "the event reached no hook and changed nothing");
    let stats = runtime.bot(&"frozen".into()).unwrap().stats();
    let failures =
        [&stats.hook_errors, &stats.hook_panics, &stats.instance_rebuilds].map(|count| count.load(Ordering::Relaxed));
    assert_eq!(failures, [0, 0, 0], "an unknown event is neither an error nor a panic");
    runtime.shutdown(PATIENCE).await;
}
