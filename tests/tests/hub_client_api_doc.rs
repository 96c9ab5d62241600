//! docs/hub-client-api.md is true: each of its shell examples, run with bash (`-eu`) and the real curl against a real
//! `zimbot hub`, succeeds and shows what the page says.

mod support;

use std::process::Stdio;
use std::time::Duration;
use support::*;
use tokio::process::Command;

/// The ```sh blocks of the page, in order.
fn examples() -> Vec<String> {
    let page = std::fs::read_to_string(repo_root().join("docs/hub-client-api.md")).expect("the page exists");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in page.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), line) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

fn bash(script: &str, hub: &str, dir: &std::path::Path) -> Command {
    let mut command = Command::new("bash");
    // No pipefail: as a person runs them (the stream example ends its curl by closing the pipe).
    command.args(["-eu", "-c", script]).env("HUB", hub).current_dir(dir);
    command.stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    command
}

async fn run(script: &str, hub: &str, dir: &std::path::Path) -> String {
    let output = bash(script, hub, dir).output().await.expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{script}\nfailed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

/// Runs the streaming example, posting to the lobby until it has printed the first message (the stream may
/// connect after any one post, so posting goes on until the example ends).
async fn run_stream(script: &str, hub: &str, dir: &std::path::Path) -> String {
    let child = bash(script, hub, dir).spawn().expect("bash runs");
    let finished = tokio::spawn(child.wait_with_output());
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !finished.is_finished() {
        assert!(tokio::time::Instant::now() < deadline, "the event stream never showed a message");
        post_text(hub, "bob", "room", "lobby", "streamed").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let output = finished.await.expect("the example ran").expect("bash ran");
    assert!(output.status.success(), "{script}\nfailed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn every_example_of_the_client_api_page_works_against_a_real_hub() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub").display().to_string();
    let hub = Zimbot::start(&["hub", "--listen", "127.0.0.1:0", "--data-dir", &data], "zimbot hub listening").await;
    let ready = hub.output.last().cloned().unwrap_or_default();
    let port = port_after(&ready, "listening on ").unwrap_or_else(|| panic!("no hub address in '{ready}'"));
    let url = format!("http://127.0.0.1:{port}");
    let examples = examples();
    assert_eq!(examples.len(), 5, "the page's examples: {examples:?}");

    let posted = run(&examples[0], &url, dir.path()).await;
    assert!(posted.contains("!help") && posted.contains("alice"), "{posted}");
    let history = run(&examples[1], &url, dir.path()).await;
    assert!(history.contains("\"messages\"") && history.contains("!help"), "{history}");
    let directory = run(&examples[2], &url, dir.path()).await;
    assert!(directory.contains("lobby") && directory.contains("alice"), "{directory}");
    let streamed = run_stream(&examples[3], &url, dir.path()).await;
    assert!(streamed.starts_with("data:") && streamed.contains("streamed"), "{streamed}");
    let uploaded = run(&examples[4], &url, dir.path()).await;
    assert!(uploaded.trim_end().ends_with("hello from a file"), "{uploaded}");
    let lobby = get_json(&format!("{url}/client/v1/messages?conv_type=room&conv_id=lobby")).await;
    assert!(lobby.to_string().contains("note.txt"), "the media message is in the lobby: {lobby}");
    hub.stop().await;
}
