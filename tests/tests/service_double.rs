//! zimbot against the published contract: `zimbot run` with `zim.backend: service` pointed at the scripted service
//! double (Server API and media store), started twice in a row as a deployment restarts, sending to a peer, a room
//! (which must be created first, as on the service) and a group on both starts. Every request it makes must conform to the published schemas, and every image must
//! carry its real pixel size.

mod support;

use serde_json::json;
use std::path::PathBuf;
use support::*;
use zimbot_double::{Capture, ServiceDouble};
use zimbot_wire::callback_signature;

const APP_ID: u32 = 1234567;
const SERVER_SECRET: &str = "0123456789abcdef0123456789abcdef";
const CALLBACK_SECRET: &str = "double-callback-secret";
const SENDS: [&str; 3] = ["SendPeerMessage", "SendRoomMessage", "SendGroupMessage"];

const BOTS: &str = r#"  - id: announcer
    user_id: "@RBT#announcer"
    plugin: announcer
    listen: { rooms: [lobby], match: "^!announce" }
    config: { rooms: [lobby], text: "Welcome to the lobby", media: assets/announcement.png, media_type: image }
  - id: echo
    user_id: "@RBT#echo"
    plugin: echo
    listen: { peers: ["*"], groups: ["*"] }
    config: { assets: assets }
"#;

/// bots.yaml for the service backend, its Server API and media store on the double.
fn write_config(setup: &Setup, double: &ServiceDouble) -> PathBuf {
    let base = double.base_url();
    let yaml = format!(
        "zim:\n  backend: service\n  app_id: {APP_ID}\n  server_secret: {SERVER_SECRET}\n  callback_secret: {CALLBACK_SECRET}\n  api_base: {base}/\n  media_store:\n    put_url: \"{base}/media/{{uid}}/{{file_name}}\"\n    public_url: \"{base}/media/{{uid}}/{{file_name}}\"\nwebhook:\n  listen: 127.0.0.1:0\nplugin_dirs: [{}]\nstate_dir: {}\nshutdown_grace_secs: 5\nbots:\n{BOTS}",
        target_dir().display(),
        setup.dir.path().join("state").display(),
    );
    let path = setup.dir.path().join("bots.yaml");
    std::fs::write(&path, yaml).expect("write bots.yaml");
    path
}

/// POSTs a signed text-message callback, as ZIM does when a person writes.
async fn callback(setup: &Setup, event: &str, conv_type: u8, conv_id: &str, text: &str, msg_id: &str) {
    callback_with(setup, event, conv_type, conv_id, text, msg_id, json!({})).await;
}

/// POSTs a signed text-message callback with `extra` fields set over the usual ones.
async fn callback_with(
    setup: &Setup,
    event: &str,
    conv_type: u8,
    conv_id: &str,
    text: &str,
    msg_id: &str,
    extra: serde_json::Value,
) {
    let timestamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    // A nonce of its own per callback: the webhook refuses a signature seen again with another body.
    static NEXT_NONCE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(483_920);
    let nonce = NEXT_NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_string();
    let body = json!({
        "appid": APP_ID.to_string(), "event": event, "nonce": nonce,
        "signature": callback_signature(CALLBACK_SECRET, &timestamp.to_string(), &nonce),
        "timestamp": timestamp, "from_user_id": "alice", "conv_type": conv_type, "conv_id": conv_id,
        "msg_type": 1, "sub_msg_type": 0, "source": 0, "msg_body": text, "msg_id": msg_id, "msg_seq": 1,
        "msg_time": timestamp * 1000, "send_result": 0, "payload": "", "user_list": []
    });
    let mut body = body;
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let status = http()
        .post(format!("{}/zim/callback", setup.webhook_url()))
        .json(&body)
        .send()
        .await
        .expect("the webhook answers")
        .status();
    assert!(status.is_success(), "the {event} callback was answered {status}");
}

fn is_image_send(capture: &Capture, action: &str) -> bool {
    capture.action == action && capture.body["MessageType"] == 11
}

/// The pixel size a PNG's IHDR chunk states.
fn png_size(path: &str) -> (u64, u64) {
    let bytes = std::fs::read(repo_root().join(path)).expect("the asset");
    let read = |at: usize| u64::from(u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")));
    (read(16), read(20))
}

/// One `zimbot run`: peer, room and group commands by callback, each answered with an image through the double;
/// every send ends as sent. Returns the captures of this run.
async fn one_run(setup: &Setup, double: &ServiceDouble, config: &std::path::Path, run: usize) -> Vec<Capture> {
    let before = double.captures().len();
    let zimbot = setup.run(config).await;
    // Neither of these may reach a bot: one was sent through the Server API (as the bots' own sends are), the
    // other was not delivered.
    let server_sent = json!({"source": 1});
    callback_with(setup, "send_msg", 1, "lobby", "!announce", &format!("server-{run}"), server_sent).await;
    let undelivered = json!({"send_result": 1});
    callback_with(setup, "send_msg", 1, "lobby", "!announce", &format!("undelivered-{run}"), undelivered).await;
    callback(setup, "bot_msg", 0, "@RBT#echo", "!file announcement.png", &format!("peer-{run}")).await;
    callback(setup, "send_msg", 1, "lobby", "!announce", &format!("room-{run}")).await;
    callback(setup, "send_msg", 2, "team", "!file announcement.png", &format!("group-{run}")).await;
    let all_sent = double
        .wait_until(PATIENCE, |captures| {
            SENDS.iter().all(|action| captures[before..].iter().any(|capture| is_image_send(capture, action)))
        })
        .await;
    assert!(all_sent, "run {run}: not every image send arrived: {:?}", double.captures());

    // The client counts a send as sent or failed once it has read the answer; wait for all of this run's. (A room
    // send answered "room does not exist" is sent again after CreateRoom: only accepted attempts count.)
    let accepted = |capture: &&Capture| {
        SENDS.contains(&capture.action.as_str()) && capture.answer.as_ref().is_some_and(|answer| answer["Code"] == 0)
    };
    let sends = double.captures()[before..].iter().filter(accepted).count();
    let metrics_url = format!("{}/metrics", setup.webhook_url());
    let mut metrics = get_text(&metrics_url).await;
    for _ in 0..1200 {
        let ended = metric(&metrics, "zimbot_sends_total{result=\"sent\"}")
            + metric(&metrics, "zimbot_sends_total{result=\"failed\"}");
        if ended >= sends as f64 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        metrics = get_text(&metrics_url).await;
    }
    assert_eq!(metric(&metrics, "zimbot_sends_total{result=\"failed\"}"), 0.0, "run {run}: {metrics}");
    assert_eq!(metric(&metrics, "zimbot_messages_delivered_total{bot=\"announcer\"}"), 1.0, "run {run}: {metrics}");
    assert_eq!(metric(&metrics, "zimbot_callbacks_total{outcome=\"ignored\"}"), 2.0, "run {run}: {metrics}");
    assert_eq!(metric(&metrics, "zimbot_sends_total{result=\"sent\"}"), sends as f64, "run {run}: {metrics}");
    assert!(zimbot.stop().await.success(), "run {run}: zimbot exits cleanly");
    double.captures()[before..].to_vec()
}

#[tokio::test]
async fn zimbot_runs_twice_in_a_row_against_the_service_double_within_the_published_contract() {
    let double = ServiceDouble::start(APP_ID, SERVER_SECRET).await;
    double.rooms_must_exist();
    let setup = Setup::new();
    let config = write_config(&setup, &double);

    let first = one_run(&setup, &double, &config, 1).await;
    let second = one_run(&setup, &double, &config, 2).await;

    // The second start registered bots that exist already: the service says so with a non-zero Code.
    let registers = double.captures_of("RobotRegister");
    assert_eq!(registers.len(), 2, "one registration per start");
    assert_eq!(registers[1].answer.as_ref().expect("an answer")["Code"], 660700002);

    // The room did not exist: the first room send created it, and the second start found it.
    let creates = double.captures_of("CreateRoom");
    assert_eq!(creates.len(), 1, "the room is created once");
    assert_eq!(creates[0].body["RoomId"], "lobby");

    let (width, height) = png_size("assets/announcement.png");
    for capture in first.iter().chain(&second) {
        assert!(capture.signature_ok, "{} was not signed right", capture.action);
        assert!(
            capture.request_errors.is_empty(),
            "{} {} breaks the schema: {:?}",
            capture.action,
            capture.body,
            capture.request_errors
        );
        assert!(
            capture.answer_errors.is_empty(),
            "the double answered outside the contract: {:?}",
            capture.answer_errors
        );
        if capture.body["MessageType"] == 11 {
            let description = capture.media_description().expect("an image description");
            assert_eq!(
                (description["Origin"]["Width"].as_u64(), description["Origin"]["Height"].as_u64()),
                (Some(width), Some(height)),
                "{description}"
            );
        }
    }
    let stored: Vec<_> = double.files().into_iter().filter(|file| file.file_name == "announcement.png").collect();
    assert_eq!(stored.len(), 6, "three images uploaded on each start");
}

/// `zimbot check --online CONFIG`, to completion: (success, stdout and stderr).
async fn check_online(config: &std::path::Path) -> (bool, String) {
    ensure_built();
    let output = tokio::process::Command::new(target_dir().join("zimbot"))
        .args(["check", "--online", &config.display().to_string()])
        .current_dir(repo_root())
        .env("RUST_LOG", "error")
        .output()
        .await
        .expect("zimbot check runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[tokio::test]
async fn check_online_registers_the_bots_and_reports_the_credentials_accepted() {
    let double = ServiceDouble::start(APP_ID, SERVER_SECRET).await;
    let setup = Setup::new();
    let config = write_config(&setup, &double);
    let (passed, output) = check_online(&config).await;
    assert!(passed, "{output}");
    assert!(output.contains("app id and server secret: accepted"), "{output}");
    assert!(output.contains("bot users: 2 registered"), "{output}");
    let (passed_again, output) = check_online(&config).await;
    assert!(passed_again, "checking again, with the bots registered already, passes too: {output}");
    assert_eq!(double.captures_of("RobotRegister").len(), 2);
}

#[tokio::test]
async fn check_online_reports_a_wrong_secret_with_the_services_code_and_fails() {
    let double = ServiceDouble::start(APP_ID, "a-different-secret").await;
    let setup = Setup::new();
    let config = write_config(&setup, &double);
    let (passed, output) = check_online(&config).await;
    assert!(!passed, "{output}");
    assert!(output.contains("REFUSED (code 100000005"), "{output}");
    assert!(output.contains("zim.server_secret"), "{output}");
}

#[tokio::test]
async fn run_with_a_wrong_secret_fails_at_start_naming_the_refused_registration() {
    let double = ServiceDouble::start(APP_ID, "a-different-secret").await;
    let setup = Setup::new();
    let config = write_config(&setup, &double);
    ensure_built();
    let output = tokio::process::Command::new(target_dir().join("zimbot"))
        .args(["run", &config.display().to_string()])
        .current_dir(repo_root())
        .env("RUST_LOG", "error")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(PATIENCE, output).await.expect("zimbot run exits").expect("zimbot runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "{text}");
    assert!(!text.contains("zimbot running"), "no bot started: {text}");
    assert!(text.contains("registering the bot users with the service at"), "{text}");
    assert!(text.contains("100000005"), "the service's code is quoted: {text}");
    assert_eq!(double.captures_of("RobotRegister").len(), 1);
    assert!(SENDS.iter().all(|action| double.captures_of(action).is_empty()), "nothing was sent");
}
