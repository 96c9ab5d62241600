//! `zimbot outbox`, run as a real process on a bots.yaml whose state dir holds an outbox: listing the dead list
//! with each send's error, queueing a failed send again, purging, and refusing ids that are not failed sends.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use support::*;
use zimbot_store::{Durability, Leases, Outbox, Outcome, Owner, SqliteStore};

fn zimbot(args: &[&str]) -> Output {
    ensure_built();
    std::process::Command::new(target_dir().join("zimbot")).args(args).output().expect("zimbot runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A bots.yaml in `dir` with its state dir beside it, and an outbox there holding one failed send (returned)
/// and one queued send.
fn outbox_with_a_failed_send(dir: &Path) -> (PathBuf, u64) {
    let config = dir.join("bots.yaml");
    let yaml = "state_dir: state\nbots:\n  - id: echo\n    user_id: \"@RBT#echo\"\n    plugin: echo\n    listen: { peers: [\"*\"] }\n";
    std::fs::write(&config, yaml).unwrap();
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let store = SqliteStore::open(&dir.join("state/zimbot.db"), Durability::Process).unwrap();
    let lease = store.acquire("echo", &Owner::new("test")).unwrap();
    let send = |conversation: &str| zimbot_store::NewSend {
        conversation: conversation.into(),
        payload: "{}".into(),
        accepted_ms: 1_700_000_000_000,
        deadline_ms: None,
    };
    let failed = store.enqueue(&lease, send("peer:alice")).unwrap();
    let outcome = r#"{"event":"failed","local_id":1,"conversation_id":"alice","conversation_type":"peer","error":{"code":660200001,"message":"user does not exist"},"attempts":1}"#;
    store.complete(&lease, failed, Outcome::Failed(outcome.into()), 1_700_000_001_000).unwrap();
    store.enqueue(&lease, send("room:lobby")).unwrap();
    (config, failed.0)
}

#[test]
fn list_failed_shows_each_dead_send_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let (config, failed) = outbox_with_a_failed_send(dir.path());
    let output = zimbot(&["outbox", "--config", config.to_str().unwrap(), "list", "--failed"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains(&format!("local-{failed}  failed  bot echo  to peer:alice")), "{stdout}");
    assert!(stdout.contains("error 660200001: user does not exist"), "{stdout}");
    assert!(stdout.contains("1 send(s)"), "only the failed one: {stdout}");
}

#[test]
fn a_retried_send_is_pending_again() {
    let dir = tempfile::tempdir().unwrap();
    let (config, failed) = outbox_with_a_failed_send(dir.path());
    let config = config.to_str().unwrap();
    let retried = zimbot(&["outbox", "--config", config, "retry", &failed.to_string()]);
    assert!(retried.status.success(), "{}", text(&retried.stderr));
    let pending = text(&zimbot(&["outbox", "--config", config, "list"]).stdout);
    assert!(pending.contains(&format!("local-{failed}  queued")), "{pending}");
    assert!(pending.contains("2 send(s)"), "{pending}");
}

#[test]
fn purge_removes_a_failed_send_and_refuses_one_that_is_not_failed() {
    let dir = tempfile::tempdir().unwrap();
    let (config, failed) = outbox_with_a_failed_send(dir.path());
    let config = config.to_str().unwrap();
    let purged = zimbot(&["outbox", "--config", config, "purge", &failed.to_string()]);
    assert!(purged.status.success(), "{}", text(&purged.stderr));
    let again = zimbot(&["outbox", "--config", config, "purge", &failed.to_string()]);
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("not a failed send in the outbox"), "{}", text(&again.stderr));
    let everything = text(&zimbot(&["outbox", "--config", config, "list", "--all"]).stdout);
    assert!(!everything.contains(&format!("local-{failed} ")), "{everything}");
}
