//! A poison message: a plugin that aborts the whole `zimbot run` process on one message. The message was
//! journaled before the webhook answered 200, and each attempt is counted before its hook runs, so every restart
//! delivers it again until its attempts run out; then it is a dead letter (`zimbot inbox list --dead` shows it),
//! the process stays up, and every bot — the poisoned one too — answers.

mod support;

use std::path::Path;
use std::process::Stdio;
use support::*;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

const ECHO: &str = r#"  - id: echo
    user_id: "@RBT#echo"
    plugin: echo
    listen: { peers: ["*"] }
    config: { assets: assets }
"#;

fn poison_bot() -> String {
    format!(
        "  - id: poisoned\n    user_id: \"@RBT#poisoned\"\n    plugin: {:?}\n    listen: {{ peers: [\"*\"] }}\n",
        fixture_library("fixture_poison").display().to_string(),
    )
}

/// How one restart went.
enum Restart {
    /// The process died before it moved the message to the dead letters.
    Crashed,
    /// It moved the message to the dead letters and is serving: the child, and its ready line.
    Serving(Box<Child>, String),
}

/// Starts `zimbot run CONFIG` and waits until it dies, or until it has both printed its ready line and logged a
/// dead letter.
async fn restart(config: &Path) -> Restart {
    let mut child = Command::new(target_dir().join("zimbot"))
        .args(["run", &config.display().to_string()])
        .current_dir(repo_root())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("zimbot starts");
    let (lines, mut incoming) = mpsc::unbounded_channel::<String>();
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut stderr = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
    let out = lines.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = stdout.next_line().await {
            let _ = out.send(line);
        }
    });
    tokio::spawn(async move {
        while let Ok(Some(line)) = stderr.next_line().await {
            eprintln!("{line}");
            let _ = lines.send(line);
        }
    });
    let (mut ready, mut buried) = (None, false);
    let outcome = tokio::time::timeout(PATIENCE, async {
        loop {
            tokio::select! {
                line = incoming.recv() => {
                    let Some(line) = line else { continue };
                    if line.starts_with("zimbot running") {
                        ready = Some(line);
                    } else if line.contains("moved to the dead letters") {
                        buried = true;
                    }
                    if buried && ready.is_some() {
                        return true;
                    }
                }
                _ = child.wait() => return false,
            }
        }
    })
    .await
    .expect("zimbot either crashes or serves");
    if outcome {
        Restart::Serving(Box::new(child), ready.unwrap_or_default())
    } else {
        Restart::Crashed
    }
}

#[tokio::test]
async fn a_message_that_aborts_the_process_ends_in_the_dead_letters_and_every_bot_serves_after_restarts() {
    let setup = Setup::new();
    let config = setup.write_hub_config(&format!("{}{ECHO}", poison_bot()));
    let first = setup.run(&config).await;
    post_text(&setup.hub_url(), "alice", "peer", "@RBT#poisoned", "poison").await;
    assert!(!first.exited().await.success(), "the poison aborted the process");

    let mut crashes_after_restart = 0;
    let (mut serving, ready) = loop {
        match restart(&config).await {
            Restart::Crashed => crashes_after_restart += 1,
            Restart::Serving(child, ready) => break (child, ready),
        }
        assert!(crashes_after_restart <= 5, "the poison keeps crashing the process");
    };
    // max_attempts is 3: the first run and two restarts each died running it.
    assert_eq!(crashes_after_restart, 2);

    let hub = format!("http://127.0.0.1:{}", port_after(&ready, "hub and chat page at http://").expect("hub port"));
    let mut events = Events::subscribe(&hub, "").await;
    post_text(&hub, "alice", "peer", "@RBT#echo", "are you there?").await;
    let echoed = events.next_from("@RBT#echo").await;
    assert!(echoed["text"].as_str().unwrap_or_default().contains("are you there?"), "{echoed}");
    post_text(&hub, "alice", "peer", "@RBT#poisoned", "hello").await;
    assert_eq!(events.next_from("@RBT#poisoned").await["text"], "ok: hello");

    let listed = std::process::Command::new(target_dir().join("zimbot"))
        .args(["inbox", "--config", &config.display().to_string(), "list", "--dead"])
        .output()
        .expect("zimbot inbox runs");
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{listing}{}", String::from_utf8_lossy(&listed.stderr));
    assert!(listing.contains("poisoned") && listing.contains("\"poison\""), "{listing}");
    assert!(listing.contains("1 dead message(s)"), "{listing}");

    let _ = std::process::Command::new("kill").args(["-TERM", &serving.id().unwrap_or_default().to_string()]).status();
    let _ = tokio::time::timeout(PATIENCE, serving.wait()).await;
}
