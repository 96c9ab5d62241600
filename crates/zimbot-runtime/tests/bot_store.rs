//! `ctx.store()` through the runtime: a real plugin library (the `store-keeper` fixture) keeping values in a
//! real database file, answering what each call did in its replies.

#[path = "fixtures/plugins/libraries.rs"]
// The example plugins are not needed here.
#[allow(dead_code)]
mod libraries;

#[path = "support/db.rs"]
mod db;

use db::Db;
use libraries::{fixture_plugins_dir, library_file};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use zimbot_model::{ConversationId, ConversationType, MessageContent, OutgoingMessage, ReceivedMessage, UserId};
use zimbot_runtime::clock::SystemClock;
use zimbot_runtime::config::{self, AcceptAnyPlugin};
use zimbot_runtime::LoopbackOutbound;
use zimbot_runtime::Runtime;
use zimbot_runtime::Storage;
use zimbot_runtime::{HostServices, PluginCatalog};
use zimbot_store::{Leases, Owner};

/// A generous bound for things that happen at once; reached only when something is broken.
const PATIENCE: Duration = Duration::from_secs(30);

/// A runtime with one bot, `keeper`, running the store-keeper fixture; journaled in `storage` when given.
struct Keeper {
    runtime: Arc<Runtime>,
    sends: Arc<LoopbackOutbound>,
}

impl Keeper {
    fn start(storage: Option<Storage>) -> Self {
        let library = fixture_plugins_dir().join(library_file("fixture_store_keeper"));
        let yaml = format!(
            "bots:\n  - id: keeper\n    user_id: \"@RBT#keeper\"\n    plugin: {:?}\n    listen: {{ peers: ['*'] }}\n",
            library.display().to_string()
        );
        let config = config::parse(&yaml, Path::new("store-test.yaml"), &|_| None, &AcceptAnyPlugin)
            .unwrap_or_else(|errors| panic!("the test's bots.yaml does not parse:\n{errors}"));
        let sends = LoopbackOutbound::new();
        let mut services = HostServices::new(sends.clone(), Arc::new(SystemClock));
        if let Some(storage) = storage {
            services = services.with_storage(storage);
        }
        let runtime = Runtime::start(&config, &PluginCatalog::new(), services);
        assert!(runtime.failed_bots().is_empty(), "{:?}", runtime.failed_bots());
        Self { runtime, sends }
    }

    /// Sends `text` to the bot and answers its reply.
    async fn ask(&self, text: &str) -> String {
        let before = self.sends.sent().len();
        self.runtime.deliver(peer_message(text));
        let waited = tokio::time::timeout(PATIENCE, self.sends.wait_until_sent(before + 1)).await;
        assert!(waited.is_ok(), "no reply to {text:?}");
        match &self.sends.sent()[before].1.message {
            OutgoingMessage::Text { text } => text.clone(),
            other => panic!("a text reply was expected, not {other:?}"),
        }
    }

    async fn stop(self) {
        self.runtime.shutdown(PATIENCE).await;
    }
}

fn peer_message(text: &str) -> ReceivedMessage {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let seq = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ReceivedMessage {
        message_id: format!("m{seq}"),
        seq,
        from_user_id: UserId::new("alice"),
        conversation_type: ConversationType::Peer,
        conversation_id: ConversationId::new("@RBT#keeper"),
        timestamp_ms: 0,
        content: MessageContent::Text { text: text.to_owned() },
    }
}

#[tokio::test]
async fn a_value_put_by_a_plugin_library_is_read_back_with_the_plugins_version() {
    let db = Db::new();
    let keeper = Keeper::start(Some(db.storage()));
    assert!(keeper.ask("put greeting hello").await.starts_with("put greeting r"));
    assert_eq!(keeper.ask("get greeting").await, "greeting = hello by 3.1.0");
    keeper.stop().await;
}

#[tokio::test]
async fn a_value_is_still_there_after_the_runtime_is_started_again_on_the_same_database() {
    let db = Db::new();
    let keeper = Keeper::start(Some(db.storage()));
    keeper.ask("put greeting hello").await;
    keeper.stop().await;
    let keeper = Keeper::start(Some(db.storage()));
    assert_eq!(keeper.ask("get greeting").await, "greeting = hello by 3.1.0");
    keeper.stop().await;
}

#[tokio::test]
async fn list_delete_and_compare_and_swap_reach_the_database() {
    let db = Db::new();
    let keeper = Keeper::start(Some(db.storage()));
    keeper.ask("put user/bob b").await;
    keeper.ask("put user/alice a").await;
    assert_eq!(keeper.ask("list user/").await, "user/alice=a,user/bob=b");
    assert_eq!(keeper.ask("del user/bob").await, "deleted true");
    assert!(keeper.ask("swap count none 1").await.starts_with("swapped r"));
    assert!(keeper.ask("swap count none 2").await.starts_with("conflict Some(Revision("));
    keeper.stop().await;
}

#[tokio::test]
async fn a_value_over_the_size_limit_is_refused_naming_the_key() {
    let db = Db::new();
    let keeper = Keeper::start(Some(db.storage()));
    let answer = keeper.ask(&format!("big notes {}", zimbot_abi::store::MAX_VALUE_BYTES)).await;
    assert!(answer.starts_with("error value_too_large") && answer.contains("\"notes\""), "{answer}");
    assert_eq!(keeper.ask("get notes").await, "notes absent");
    keeper.stop().await;
}

#[tokio::test]
async fn a_bot_taken_over_by_another_owner_can_no_longer_write_its_data() {
    let db = Db::new();
    let keeper = Keeper::start(Some(db.storage()));
    keeper.ask("put greeting hello").await;
    db.store.acquire("keeper", &Owner::new("another instance")).unwrap();
    let answer = keeper.ask("put greeting bye").await;
    assert!(answer.starts_with("error fenced") && answer.contains("another instance"), "{answer}");
    keeper.stop().await;
}

#[tokio::test]
async fn a_runtime_without_storage_answers_store_calls_with_storage_unavailable() {
    let keeper = Keeper::start(None);
    let answer = keeper.ask("put greeting hello").await;
    assert!(answer.starts_with("error storage_unavailable"), "{answer}");
    keeper.stop().await;
}

#[tokio::test]
async fn a_read_only_database_fails_writes_with_storage_unavailable_and_still_answers_reads() {
    let db = Db::new();
    let keeper = Keeper::start(Some(db.storage()));
    keeper.ask("put greeting hello").await;
    db.store.refuse_writes(true).unwrap();
    let answer = keeper.ask("put greeting bye").await;
    assert!(answer.starts_with("error storage_unavailable") && answer.contains("\"greeting\""), "{answer}");
    assert_eq!(keeper.ask("get greeting").await, "greeting = hello by 3.1.0");
    db.store.refuse_writes(false).unwrap();
    assert!(keeper.ask("put greeting bye").await.starts_with("put greeting r"));
    keeper.stop().await;
}
