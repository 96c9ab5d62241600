//! The zimbot binary with an S3 media store, against a real local S3-compatible server (see
//! `crates/zimbot-client/tests/support/s3_server.rs`): `zimbot send` posts a link receivers download the file
//! from, and `zimbot check --online` proves the store.

mod support;

#[path = "../../crates/zimbot-client/tests/support/s3_server.rs"]
#[allow(dead_code)]
mod s3_server;

use s3_server::{S3Access, S3ServerOptions, S3TestServer};
use std::path::Path;
use std::process::Output;
use support::*;

/// The `zim:` section of a bots.yaml for the hub at `hub` as the service, with the S3 store of `server`.
fn service_with_s3(hub: &str, server: &S3TestServer) -> String {
    let access = &server.access;
    format!(
        "zim:\n  backend: service\n  app_id: 1234567\n  server_secret: 0123456789abcdef0123456789abcdef\n  callback_secret: zimbot-dev-callback-secret\n  api_base: {hub}/\n  media_store:\n    kind: s3\n    endpoint: {}\n    path_style: true\n    region: {}\n    bucket: {}\n    access_key_id: ${{S3_ACCESS_KEY_ID}}\n    secret_access_key: ${{S3_SECRET_ACCESS_KEY}}\n    key_prefix: posts/\n    public_url: \"{}/{}/{{key}}\"\n",
        access.endpoint, access.region, access.bucket, access.endpoint, access.bucket
    )
}

/// Runs zimbot with the S3 credentials of `server` in its environment.
fn zimbot_with_credentials(access: &S3Access, args: Vec<String>, state: &Path) -> Output {
    ensure_built();
    std::process::Command::new(target_dir().join("zimbot"))
        .args(args)
        .current_dir(state)
        .env("S3_ACCESS_KEY_ID", &access.access_key_id)
        .env("S3_SECRET_ACCESS_KEY", &access.secret_access_key)
        .output()
        .expect("zimbot runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn send_uploads_to_the_s3_store_and_the_room_gets_a_link_to_the_same_bytes() {
    let server = S3TestServer::start();
    let setup = Setup::new();
    let _hub = setup.hub().await;
    let yaml = format!(
        "{}webhook:\n  listen: 127.0.0.1:0\nplugin_dirs: [{}]\nstate_dir: state\nbots:\n  - id: sender\n    user_id: \"@RBT#sender\"\n    plugin: echo\n",
        service_with_s3(&setup.hub_url(), &server),
        target_dir().display()
    );
    let config = setup.dir.path().join("bots.yaml");
    std::fs::write(&config, yaml).unwrap();
    let file = repo_root().join("assets/announcement.png");
    let args = ["send", "--config", &config.display().to_string(), "--as", "sender", "--to", "room:lobby", "--file"]
        .iter()
        .map(|arg| arg.to_string())
        .chain([file.display().to_string()])
        .collect();
    let state = setup.dir.path().to_owned();
    let access = server.access.clone();
    let output = tokio::task::spawn_blocking(move || zimbot_with_credentials(&access, args, &state)).await.unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let history = get_json(&format!("{}/client/v1/messages?conv_type=room&conv_id=lobby", setup.hub_url())).await;
    let url = history["messages"][0]["media"]["url"].as_str().expect("a media message in the room").to_owned();
    assert!(url.starts_with(&format!("{}/{}/posts/", server.access.endpoint, server.access.bucket)), "{url}");
    assert!(url.ends_with("/announcement.png"), "{url}");
    assert_eq!(download(&url).await, std::fs::read(&file).unwrap());
}

fn check_online(server: &S3TestServer) -> Output {
    let directory = tempfile::tempdir().unwrap();
    let yaml = format!("{}bots: []\n", service_with_s3("http://127.0.0.1:9", server));
    std::fs::write(directory.path().join("bots.yaml"), yaml).unwrap();
    zimbot_with_credentials(
        &server.access,
        vec!["check".into(), "--online".into(), "bots.yaml".into()],
        directory.path(),
    )
}

#[test]
fn check_online_writes_reads_back_and_deletes_one_object() {
    let server = S3TestServer::start();
    let output = check_online(&server);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("read them back from") && stdout.contains("deleted them"), "{stdout}");
}

#[test]
fn check_online_fails_when_receivers_could_not_download() {
    let server = S3TestServer::start_with(S3ServerOptions { private: true, ..Default::default() });
    let output = check_online(&server);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("bots.yaml: zim.media_store: the online check failed"), "{stderr}");
    assert!(stderr.contains("HTTP 403") && stderr.contains("publicly readable"), "{stderr}");
}
