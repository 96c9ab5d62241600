//! The durable outbox seen from the client: what is stored when, and what a new client resumes after the old one
//! stopped (a crash is a client whose process never wrote again: the store is reopened as it was left).

mod support;

use async_trait::async_trait;
use std::sync::Arc;
use support::fakes::{sparse_file, FakeTransport, GatedStore};
use support::sender;
use zimbot_client::{
    Client, ClientConfig, OutboundMessage, SendHandle, SendJournal, SendReceipt, Transport, UnknownOutcome,
};
use zimbot_model::{
    ConversationType, LocalMessageId, MediaMessage, Priority, SendConfig, SendEvent, SendRequest, ZimCode, ZimError,
};
use zimbot_store::{Durability, Listing, Outbox, Owner, SendState, SqliteStore};
use zimbot_wire::RegisterUserInfo;

/// A service that takes requests and never answers: every send stays on the wire.
struct SilentTransport;

#[async_trait]
impl Transport for SilentTransport {
    async fn send_message(&self, _message: &OutboundMessage) -> Result<SendReceipt, ZimError> {
        std::future::pending().await
    }

    async fn register_bots(&self, _bots: &[RegisterUserInfo]) -> Result<(), ZimError> {
        Ok(())
    }
}

fn open_store(dir: &tempfile::TempDir) -> Arc<SqliteStore> {
    Arc::new(SqliteStore::open(&dir.path().join("zimbot.db"), Durability::Process).unwrap())
}

fn durable(dir: &tempfile::TempDir, transport: Arc<dyn Transport>, config: ClientConfig) -> (Client, Arc<SqliteStore>) {
    let store = open_store(dir);
    let journal = Arc::new(SendJournal::new(Arc::clone(&store), Owner::new("test")));
    let client = Client::durable(config, transport, GatedStore::new(), journal).expect("the outbox opens");
    (client, store)
}

fn text(text: &str, room: &str) -> SendRequest {
    SendRequest::text(text, room, ConversationType::Room)
}

fn texts_seen(transport: &FakeTransport) -> Vec<String> {
    transport.bodies()
}

async fn failure_code(handle: SendHandle) -> ZimCode {
    handle.result().await.expect_err("the send fails").error.code
}

/// Leaves, in `dir`'s outbox, sends of bot "bot" as a crash would: the first of each listed conversation on the
/// wire (claimed), the rest queued behind it. Returns their local ids in the order they were sent.
async fn crash_with(dir: &tempfile::TempDir, sends: &[(&str, &str)], config: ClientConfig) -> Vec<LocalMessageId> {
    let (client, _store) = durable(dir, Arc::new(SilentTransport), config);
    let bot = sender("bot", Priority::Medium);
    let ids: Vec<_> =
        sends.iter().map(|(body, room)| client.send(&bot, text(body, room)).expect("accepted").local_id).collect();
    // Let the dispatcher put the heads on the wire.
    tokio::task::yield_now().await;
    tokio::task::yield_now().await;
    ids
}

#[tokio::test]
async fn an_accepted_send_is_in_the_outbox_under_its_local_id_before_send_returns() {
    let dir = tempfile::tempdir().unwrap();
    let (client, store) = durable(&dir, Arc::new(SilentTransport), ClientConfig::default());
    let handle = client.send(&sender("bot", Priority::Medium), text("hello", "lobby")).unwrap();
    let open = store.list(Listing::Open, Some("bot")).unwrap();
    assert_eq!(open.iter().map(|send| send.id.0).collect::<Vec<_>>(), vec![handle.local_id.0]);
    assert!(open[0].payload.contains("hello"), "the whole request is stored: {}", open[0].payload);
}

#[tokio::test]
async fn a_delivered_send_is_recorded_sent_before_its_result_is_heard() {
    let dir = tempfile::tempdir().unwrap();
    let (client, store) = durable(&dir, FakeTransport::new(), ClientConfig::default());
    let handle = client.send(&sender("bot", Priority::Medium), text("hello", "lobby")).unwrap();
    let local_id = handle.local_id;
    handle.result().await.unwrap();
    let all = store.list(Listing::All, None).unwrap();
    assert_eq!((all[0].id.0, all[0].state), (local_id.0, SendState::Sent));
}

#[tokio::test]
async fn unfinished_sends_resume_with_their_ids_in_conversation_order_ahead_of_newer_sends() {
    let dir = tempfile::tempdir().unwrap();
    let ids =
        crash_with(&dir, &[("one", "lobby"), ("two", "lobby"), ("three", "lobby")], ClientConfig::default()).await;
    let transport = FakeTransport::new();
    let (client, _store) = durable(&dir, transport.clone(), ClientConfig::default());
    let newer = client.send(&sender("bot", Priority::Medium), text("four", "lobby")).unwrap();
    let resumed = client.take_resumed(&"bot".into());
    assert_eq!(resumed.iter().map(|handle| handle.local_id).collect::<Vec<_>>(), ids);
    assert!(newer.local_id > ids[2], "the store never reuses an id");
    for handle in resumed {
        handle.result().await.unwrap();
    }
    newer.result().await.unwrap();
    assert_eq!(texts_seen(&transport), ["one", "two", "three", "four"]);
}

/// On a runtime with idle workers, a dispatcher spawned before the outbox was read would look at an empty queue
/// and park; with no new send to wake it, the resumed sends would wait forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumed_sends_go_out_when_no_new_send_follows() {
    let dir = tempfile::tempdir().unwrap();
    crash_with(&dir, &[("one", "lobby"), ("two", "hall")], ClientConfig::default()).await;
    let transport = FakeTransport::new();
    let (client, _store) = durable(&dir, transport.clone(), ClientConfig::default());
    for handle in client.take_resumed(&"bot".into()) {
        tokio::time::timeout(std::time::Duration::from_secs(60), handle.result())
            .await
            .expect("the resumed send went out without another send to wake the client")
            .unwrap();
    }
    let mut seen = texts_seen(&transport);
    seen.sort();
    assert_eq!(seen, ["one", "two"]);
}

#[tokio::test]
async fn a_resumed_send_starts_its_events_with_attached_again() {
    let dir = tempfile::tempdir().unwrap();
    let ids = crash_with(&dir, &[("one", "lobby")], ClientConfig::default()).await;
    let (client, _store) = durable(&dir, FakeTransport::new(), ClientConfig::default());
    let mut resumed = client.take_resumed(&"bot".into());
    let events = support::all_events(&mut resumed[0]).await;
    assert!(matches!(&events[0], SendEvent::Attached(attached) if attached.local_id == ids[0]), "{events:?}");
    assert!(matches!(events.last(), Some(SendEvent::Sent(sent)) if sent.local_id == ids[0]), "{events:?}");
}

#[tokio::test]
async fn a_send_on_the_wire_at_a_crash_is_sent_again_by_default() {
    let dir = tempfile::tempdir().unwrap();
    crash_with(&dir, &[("on the wire", "lobby")], ClientConfig::default()).await;
    let transport = FakeTransport::new();
    let (client, _store) = durable(&dir, transport.clone(), ClientConfig::default());
    let resumed = client.take_resumed(&"bot".into()).pop().unwrap();
    let sent = resumed.result().await.unwrap();
    assert_eq!(sent.attempts, 2, "the attempt cut off by the crash counts");
    assert_eq!(texts_seen(&transport), ["on the wire"]);
}

#[tokio::test]
async fn with_unknown_outcome_fail_a_send_on_the_wire_at_a_crash_fails_and_is_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let config = ClientConfig { unknown_outcome: UnknownOutcome::Fail, ..ClientConfig::default() };
    crash_with(&dir, &[("on the wire", "lobby"), ("queued", "lobby")], config.clone()).await;
    let transport = FakeTransport::new();
    let (client, _store) = durable(&dir, transport.clone(), config);
    let mut resumed = client.take_resumed(&"bot".into()).into_iter();
    assert_eq!(failure_code(resumed.next().unwrap()).await, ZimCode::UNKNOWN_OUTCOME);
    resumed.next().unwrap().result().await.expect("a send that never went out is sent");
    assert_eq!(texts_seen(&transport), ["queued"]);
}

#[tokio::test]
async fn a_resumed_send_whose_file_changed_fails_with_that_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = sparse_file(&dir, "report.png", 1000);
    {
        let (client, _store) = durable(&dir, Arc::new(SilentTransport), ClientConfig::default());
        let request =
            SendRequest::media(MediaMessage::image(&file), "lobby", ConversationType::Room, SendConfig::default());
        client.send(&sender("bot", Priority::Medium), request).unwrap();
    }
    sparse_file(&dir, "report.png", 2000);
    let (client, _store) = durable(&dir, FakeTransport::new(), ClientConfig::default());
    let resumed = client.take_resumed(&"bot".into()).pop().unwrap();
    let failure = resumed.result().await.unwrap_err();
    assert_eq!(failure.error.code, ZimCode::FILE_CHANGED);
    assert!(failure.error.message.contains("report.png"), "{}", failure.error.message);
}

#[tokio::test]
async fn a_resumed_send_whose_file_vanished_fails_with_that_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = sparse_file(&dir, "report.png", 1000);
    {
        let (client, _store) = durable(&dir, Arc::new(SilentTransport), ClientConfig::default());
        let request =
            SendRequest::media(MediaMessage::image(&file), "lobby", ConversationType::Room, SendConfig::default());
        client.send(&sender("bot", Priority::Medium), request).unwrap();
    }
    std::fs::remove_file(&file).unwrap();
    let (client, _store) = durable(&dir, FakeTransport::new(), ClientConfig::default());
    let resumed = client.take_resumed(&"bot".into()).pop().unwrap();
    assert_eq!(failure_code(resumed).await, ZimCode::FILE_CHANGED);
}

#[tokio::test]
async fn a_send_whose_deadline_passed_while_stopped_fails_instead_of_going_out() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (client, _store) = durable(&dir, Arc::new(SilentTransport), ClientConfig::default());
        let bot = sender("bot", Priority::Medium);
        client.send(&bot, text("blocker", "lobby")).unwrap();
        let soon = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64 + 1;
        client.send(&bot, text("stale", "lobby").with_deadline_ms(soon)).unwrap();
        tokio::task::yield_now().await;
    }
    std::thread::sleep(std::time::Duration::from_millis(5)); // wall-clock deadlines: the store outlives processes
    let transport = FakeTransport::new();
    let (client, _store) = durable(&dir, transport.clone(), ClientConfig::default());
    let mut resumed = client.take_resumed(&"bot".into()).into_iter();
    resumed.next().unwrap().result().await.unwrap();
    assert_eq!(failure_code(resumed.next().unwrap()).await, ZimCode::DEADLINE_PASSED);
    assert_eq!(texts_seen(&transport), ["blocker"]);
}

#[tokio::test]
async fn a_queued_send_past_its_deadline_fails_instead_of_going_out() {
    let transport = FakeTransport::new();
    let client = Client::new(ClientConfig::default(), transport.clone(), GatedStore::new());
    let handle = client.send(&sender("bot", Priority::Medium), text("late", "lobby").with_deadline_ms(1)).unwrap();
    assert_eq!(failure_code(handle).await, ZimCode::DEADLINE_PASSED);
    assert!(texts_seen(&transport).is_empty());
}

#[tokio::test]
async fn closing_leaves_open_sends_in_the_outbox_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let (client, store) = durable(&dir, Arc::new(SilentTransport), ClientConfig::default());
    let mut handle = client.send(&sender("bot", Priority::Medium), text("slow", "lobby")).unwrap();
    client.close(std::time::Duration::from_millis(10)).await;
    let open = store.list(Listing::Open, Some("bot")).unwrap();
    assert_eq!(open.iter().map(|send| send.id.0).collect::<Vec<_>>(), vec![handle.local_id.0]);
    let events = std::iter::from_fn(|| handle.events.try_recv().ok()).collect::<Vec<_>>();
    assert!(events.iter().all(|event| !event.is_terminal()), "no terminal event: it is not over: {events:?}");
}

#[tokio::test]
async fn a_failed_send_is_kept_in_the_dead_list_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let transport = FakeTransport::new();
    transport.fail_next([ZimCode::USER_NOT_FOUND]);
    let (client, store) = durable(&dir, transport, ClientConfig::default());
    let handle = client.send(&sender("bot", Priority::Medium), text("to nobody", "lobby")).unwrap();
    handle.result().await.unwrap_err();
    let failed = store.list(Listing::Failed, Some("bot")).unwrap();
    assert!(failed[0].outcome.as_deref().is_some_and(|outcome| outcome.contains("660200001")), "{failed:?}");
}

#[tokio::test]
async fn a_send_the_read_only_outbox_cannot_store_is_refused_as_storage_unavailable_and_the_next_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let transport = FakeTransport::new();
    let (client, store) = durable(&dir, transport.clone(), ClientConfig::default());
    let bot = sender("bot", Priority::Medium);
    // SQLite's own read-only refusal (query_only): file permissions would not stop a test running as root.
    store.refuse_writes(true).unwrap();
    let refused = client.send(&bot, text("lost", "lobby")).expect_err("refused");
    assert_eq!(refused.reason, zimbot_model::RejectReason::StorageUnavailable, "{}", refused.message);
    store.refuse_writes(false).unwrap();
    client.send(&bot, text("kept", "lobby")).expect("accepted").result().await.unwrap();
    assert_eq!(texts_seen(&transport), ["kept"]);
}

/// Registers the first call's users; every later call either fails with `later` or, without it, never answers.
struct FirstRegisterOnly {
    calls: std::sync::atomic::AtomicUsize,
    later: Option<ZimError>,
}

#[async_trait]
impl Transport for FirstRegisterOnly {
    async fn send_message(&self, _message: &OutboundMessage) -> Result<SendReceipt, ZimError> {
        Ok(SendReceipt { message_id: Some("m".into()), message_seq: Some(1) })
    }

    async fn register_bots(&self, _bots: &[RegisterUserInfo]) -> Result<(), ZimError> {
        if self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            return Ok(());
        }
        match &self.later {
            Some(error) => Err(error.clone()),
            None => std::future::pending().await,
        }
    }
}

/// Users `@RBT#b0` … `@RBT#b20`: two registration calls, `b20` alone in the second.
fn twenty_one_bots() -> Vec<RegisterUserInfo> {
    (0..21)
        .map(|index| RegisterUserInfo {
            user_id: format!("@RBT#b{index}"),
            user_name: format!("b{index}"),
            user_avatar: String::new(),
        })
        .collect()
}

#[tokio::test]
async fn a_send_still_waiting_for_its_registration_at_close_stays_in_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let transport = Arc::new(FirstRegisterOnly { calls: Default::default(), later: None });
    let (client, store) = durable(&dir, transport, ClientConfig::default());
    let _registration = client.start_registration(twenty_one_bots()).await.unwrap();
    let handle = client.send(&sender("b20", Priority::Medium), text("later", "lobby")).unwrap();
    client.close(std::time::Duration::from_millis(10)).await;
    let open = store.list(Listing::Open, Some("b20")).unwrap();
    assert_eq!(open.iter().map(|send| send.id.0).collect::<Vec<_>>(), vec![handle.local_id.0]);
}

#[tokio::test]
async fn a_send_failed_by_its_registration_is_kept_in_the_dead_list_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let refused = ZimError::new(ZimCode(660_700_006), "RobotRegister did not register @RBT#b20: name too long");
    let transport = Arc::new(FirstRegisterOnly { calls: Default::default(), later: Some(refused) });
    let (client, store) = durable(&dir, transport, ClientConfig::default());
    let _registration = client.start_registration(twenty_one_bots()).await.unwrap();
    let handle = client.send(&sender("b20", Priority::Medium), text("never", "lobby")).unwrap();
    assert_eq!(failure_code(handle).await, ZimCode(660_700_006));
    let failed = store.list(Listing::Failed, Some("b20")).unwrap();
    assert!(failed[0].outcome.as_deref().is_some_and(|outcome| outcome.contains("name too long")), "{failed:?}");
}
