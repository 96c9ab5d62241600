//! Running zimbot for real in tests: the `zimbot` binary as a child process on a temp data dir, listening on
//! ports it picks itself (port 0) and reports in its ready line, the example plugins from the build's target folder, and small clients for the hub's client API,
//! its event stream, its stats and the runtime's metrics.

#![allow(dead_code)]

use futures::StreamExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// How long a test waits for something that should happen in well under a second; only a failure bound.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_owned).unwrap_or_default()
}

/// The build's target folder for this profile (where `zimbot` and the plugin libraries are).
pub fn target_dir() -> PathBuf {
    // The test binary lives in target/<profile>/deps/.
    let exe = std::env::current_exe().expect("the test binary has a path");
    exe.parent().and_then(Path::parent).map(Path::to_owned).expect("target/<profile>")
}

/// How the runtime's loading tests build the example plugins; it builds the whole workspace, the binary too.
#[path = "../../../crates/zimbot-runtime/tests/fixtures/plugins/libraries.rs"]
mod libraries;

mod relay;
pub use relay::Relay;

/// Builds the binary and the example plugins once per test binary (a no-op when the test command already did).
pub fn ensure_built() {
    libraries::example_plugins_dir();
}

/// The folder holding the runtime's fixture plugin libraries (deliberately misbehaving plugins), built once per
/// test binary.
pub fn fixture_plugins_dir() -> &'static Path {
    libraries::fixture_plugins_dir()
}

/// The path of fixture library `name` (e.g. `fixture_kept_context`).
pub fn fixture_library(name: &str) -> PathBuf {
    fixture_plugins_dir().join(libraries::library_file(name))
}

/// A running `zimbot` child process; SIGTERM on `stop`, killed on drop.
pub struct Zimbot {
    child: Child,
    pub output: Vec<String>,
}

impl Zimbot {
    /// Starts `zimbot ARGS...` from the repository root and waits for a stdout line starting with `ready`.
    pub async fn start(args: &[&str], ready: &str) -> Self {
        ensure_built();
        let mut child = Command::new(target_dir().join("zimbot"))
            .args(args)
            .current_dir(repo_root())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("zimbot starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut output = Vec::new();
        let found = tokio::time::timeout(PATIENCE, async {
            while let Ok(Some(line)) = lines.next_line().await {
                let done = line.starts_with(ready);
                output.push(line);
                if done {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(found, Ok(true), "zimbot {args:?} never printed '{ready}…'; output: {output:?}");
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { child, output }
    }

    /// SIGTERM, then wait for a clean exit.
    pub async fn stop(mut self) -> std::process::ExitStatus {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
        tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("zimbot exits after SIGTERM")
            .expect("exit status")
    }

    /// Waits for the process to exit on its own (a crash the test caused), up to [`PATIENCE`].
    pub async fn exited(mut self) -> std::process::ExitStatus {
        tokio::time::timeout(PATIENCE, self.child.wait()).await.expect("zimbot exits").expect("exit status")
    }

    /// SIGKILL: the process dies without any shutdown.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A temp folder with a bots.yaml. The hub and the webhook of `zimbot run`, and a separately run hub, listen on
/// port 0 and the ports they got are read from their ready lines; a separately run hub calls back a [`Relay`] that
/// passes each callback on to the webhook of the run that is up.
pub struct Setup {
    pub dir: tempfile::TempDir,
    hub_port: AtomicU16,
    webhook_port: AtomicU16,
    /// The separately run hub's callback URL, started with the first such hub.
    relay: tokio::sync::OnceCell<Relay>,
}

impl Setup {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temp dir"),
            hub_port: AtomicU16::new(0),
            webhook_port: AtomicU16::new(0),
            relay: tokio::sync::OnceCell::new(),
        }
    }

    /// The hub's URL, once a started hub reported its port.
    pub fn hub_url(&self) -> String {
        let port = self.hub_port.load(Ordering::Relaxed);
        assert_ne!(port, 0, "no hub has reported its port yet");
        format!("http://127.0.0.1:{port}")
    }

    pub fn webhook_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.webhook_port.load(Ordering::Relaxed))
    }

    /// Writes bots.yaml with the embedded hub and `bots` (YAML list items, indented by two spaces).
    pub fn write_hub_config(&self, bots: &str) -> PathBuf {
        self.write_hub_config_with("", bots)
    }

    /// Like [`Setup::write_hub_config`], with more `zim.hub` settings (lines indented by four spaces).
    pub fn write_hub_config_with(&self, hub_settings: &str, bots: &str) -> PathBuf {
        let yaml = format!(
            "zim:\n  backend: hub\n  hub:\n    listen: 127.0.0.1:0\n    data_dir: {}\n{hub_settings}webhook:\n  listen: 127.0.0.1:0\nplugin_dirs: [{}]\nshutdown_grace_secs: 5\nbots:\n{bots}",
            self.dir.path().join("hub").display(),
            target_dir().display(),
        );
        self.write("bots.yaml", &yaml)
    }

    /// Writes bots.yaml that talks to a separately running hub as if it were the real service.
    pub fn write_service_config(&self, bots: &str) -> PathBuf {
        let hub = self.hub_url();
        let yaml = format!(
            "zim:\n  backend: service\n  app_id: 1234567\n  server_secret: 0123456789abcdef0123456789abcdef\n  callback_secret: zimbot-dev-callback-secret\n  api_base: {hub}/\n  media_store:\n    put_url: \"{hub}/media/{{uid}}/{{file_name}}\"\n    public_url: \"{hub}/media/{{uid}}/{{file_name}}\"\n    auth_header: \"Authorization: Bearer {UPLOAD_KEY}\"\nwebhook:\n  listen: 127.0.0.1:0\nplugin_dirs: [{}]\nshutdown_grace_secs: 5\nbots:\n{bots}",
            target_dir().display(),
        );
        self.write("bots.yaml", &yaml)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write the config");
        path
    }

    /// `zimbot run` on the written bots.yaml; the ports its webhook and embedded hub got are read from its ready
    /// line (`zimbot running: …; webhook ADDR; hub and chat page at URL/`).
    pub async fn run(&self, config: &Path) -> Zimbot {
        let zimbot = Zimbot::start(&["run", &config.display().to_string()], "zimbot running").await;
        let ready = zimbot.output.last().cloned().unwrap_or_default();
        let webhook = port_after(&ready, "; webhook ").unwrap_or_else(|| panic!("no webhook address in '{ready}'"));
        self.webhook_port.store(webhook, Ordering::Relaxed);
        if let Some(relay) = self.relay.get() {
            relay.point_at(webhook);
        }
        if let Some(hub) = port_after(&ready, "hub and chat page at http://") {
            self.hub_port.store(hub, Ordering::Relaxed);
        }
        zimbot
    }

    /// `zimbot hub` on this setup's data dir, calling back the relay to the webhook of the run that is up: the
    /// first on a port of its choosing (read from its ready line), a restart on the port of the one before (URLs it
    /// handed out name it).
    pub async fn hub(&self) -> Zimbot {
        let listen = format!("127.0.0.1:{}", self.hub_port.load(Ordering::Relaxed));
        let data_dir = self.dir.path().join("hub").display().to_string();
        let callback = self.relay.get_or_init(Relay::start).await.url.clone();
        let hub = Zimbot::start(
            &[
                "hub",
                "--listen",
                &listen,
                "--data-dir",
                &data_dir,
                "--callback-url",
                &callback,
                "--upload-key",
                UPLOAD_KEY,
            ],
            "zimbot hub listening",
        )
        .await;
        let ready = hub.output.last().cloned().unwrap_or_default();
        let port = port_after(&ready, "listening on ").unwrap_or_else(|| panic!("no hub address in '{ready}'"));
        self.hub_port.store(port, Ordering::Relaxed);
        hub
    }
}

/// The port of the `HOST:PORT` right after `marker` in `line`.
pub fn port_after(line: &str, marker: &str) -> Option<u16> {
    let rest = &line[line.find(marker)? + marker.len()..];
    let address = rest.split(|c: char| c.is_whitespace() || c == ';' || c == '/').next()?;
    address.parse::<std::net::SocketAddr>().ok().map(|address| address.port())
}

/// The upload key the separately run hub accepts, as an operator gives one to a generic HTTP PUT store.
pub const UPLOAD_KEY: &str = "end-to-end-upload-key";

/// An HTTP client for the hub's client API and the runtime's endpoints.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Posts a text message as `from` through the hub's client API.
pub async fn post_text(hub: &str, from: &str, conv_type: &str, conv_id: &str, text: &str) -> serde_json::Value {
    let response = http()
        .post(format!("{hub}/client/v1/messages"))
        .json(&serde_json::json!({ "from": from, "conv_type": conv_type, "conv_id": conv_id, "text": text }))
        .send()
        .await
        .expect("the hub answers");
    assert!(response.status().is_success(), "posting failed: {}", response.status());
    response.json().await.expect("the stored message")
}

/// GETs a JSON document.
pub async fn get_json(url: &str) -> serde_json::Value {
    http().get(url).send().await.expect("answers").json().await.expect("JSON")
}

/// GETs the JSON document at `url` until `done` holds for it (the hub's counters have no event to await) and
/// fails the test, showing the last document, when it does not within [`PATIENCE`].
pub async fn json_until(url: &str, what: &str, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let document = get_json(url).await;
        if done(&document) {
            return document;
        }
        assert!(tokio::time::Instant::now() < deadline, "{url} never showed {what}: {document}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// GETs a text document.
pub async fn get_text(url: &str) -> String {
    http().get(url).send().await.expect("answers").text().await.expect("text")
}

/// The hub's live message stream, as parsed JSON messages.
pub struct Events {
    stream: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl Events {
    /// Subscribes to every new message (`query` may filter, e.g. `conv_type=room&conv_id=lobby`).
    pub async fn subscribe(hub: &str, query: &str) -> Self {
        let response =
            http().get(format!("{hub}/client/v1/events?{query}")).send().await.expect("the hub streams events");
        assert!(response.status().is_success());
        Self { stream: response.bytes_stream().boxed(), buffer: String::new() }
    }

    /// The next message event.
    pub async fn next(&mut self) -> serde_json::Value {
        tokio::time::timeout(PATIENCE, async {
            loop {
                while let Some(end) = self.buffer.find("\n\n") {
                    let frame: String = self.buffer.drain(..end + 2).collect();
                    let data: String = frame
                        .lines()
                        .filter_map(|line| line.strip_prefix("data:"))
                        .map(str::trim_start)
                        .collect::<Vec<_>>()
                        .join("\n");
                    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&data) {
                        if value.get("sender").is_some() || value.get("from").is_some() {
                            return value;
                        }
                    }
                }
                match self.stream.next().await {
                    Some(Ok(chunk)) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                    other => panic!("the event stream ended: {other:?}"),
                }
            }
        })
        .await
        .expect("a message event arrives")
    }

    /// The next message sent by `sender`.
    pub async fn next_from(&mut self, sender: &str) -> serde_json::Value {
        loop {
            let event = self.next().await;
            if sender_of(&event) == sender {
                return event;
            }
        }
    }
}

/// Who sent a hub message.
pub fn sender_of(message: &serde_json::Value) -> &str {
    message.get("sender").or_else(|| message.get("from")).and_then(|value| value.as_str()).unwrap_or_default()
}

/// Downloads a URL's bytes.
pub async fn download(url: &str) -> Vec<u8> {
    let response = http().get(url).send().await.expect("the media answers");
    assert!(response.status().is_success(), "GET {url}: {}", response.status());
    response.bytes().await.expect("bytes").to_vec()
}

/// Reads a Prometheus counter from metrics text (0 when absent).
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines().find_map(|line| line.strip_prefix(series).and_then(|rest| rest.trim().parse().ok())).unwrap_or(0.0)
}
