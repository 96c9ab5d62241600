//! The plugin author's exercise, end to end, as the README and the guide describe it: `zimbot new-plugin`, a
//! plugin with a schedule, a command and a counter, harness tests that fire the schedule through `advance()`, the
//! documented build command, then `zimbot run` loading the library, talked to over the hub's client API, and a
//! restart that keeps the counter.
//!
//! The crate is made outside any workspace (its own, as for an author outside this repository); since the SDK is
//! not on crates.io yet, its released-SDK dependency is pointed at this tree's `crates/zimbot-sdk`, and it builds
//! into this build's target folder, so crates already built there are reused.

mod support;

use std::path::Path;
use support::*;

const PLUGIN: &str = r#"//! Posts on a schedule, answers `!ping` with a count kept across restarts.

use std::sync::atomic::{AtomicU64, Ordering};
use zimbot_sdk::prelude::*;

#[derive(serde::Deserialize)]
pub struct Config {
    room: String,
}

pub struct Ticker {
    config: Config,
    pings: AtomicU64,
}

#[async_trait]
impl Plugin for Ticker {
    async fn on_room_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        if message.text().map(str::trim) == Some("!ping") {
            let count = self.pings.fetch_add(1, Ordering::SeqCst) + 1;
            ctx.reply_text(&message, format!("pong {count}")).await?;
        }
        Ok(())
    }

    async fn on_cron(&self, ctx: &BotContext, tick: CronTick) -> HookResult {
        ctx.send_text(format!("tick {}", tick.schedule_id), self.config.room.as_str(), ConversationType::Room).await?;
        Ok(())
    }

    fn snapshot(&self) -> Option<serde_json::Value> {
        Some(json!({ "pings": self.pings.load(Ordering::SeqCst) }))
    }
}

impl PluginFactory for Ticker {
    const NAME: &'static str = "ticker";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(init: PluginInit) -> Result<Self, PluginError> {
        let pings = init.snapshot::<serde_json::Value>().and_then(|state| state["pings"].as_u64()).unwrap_or(0);
        Ok(Self { config: init.config()?, pings: AtomicU64::new(pings) })
    }
}

export_plugin!(Ticker);

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use zimbot_sdk::testing::TestBot;

    #[test]
    fn an_every_ten_seconds_schedule_posts_three_times_in_thirty_seconds() {
        let mut bot = TestBot::<Ticker>::start(json!({ "room": "lobby" })).unwrap();
        bot.schedule("every-10s", "*/10 * * * * *", "UTC").unwrap();
        bot.advance(Duration::from_secs(30));
        let texts: Vec<_> = bot.text_sends().iter().map(|send| send.text().unwrap().to_owned()).collect();
        assert_eq!(texts, ["tick every-10s"; 3]);
    }

    #[test]
    fn the_ping_count_survives_a_restart() {
        let mut bot = TestBot::<Ticker>::start(json!({ "room": "lobby" })).unwrap();
        bot.room_message("lobby", "alice", "!ping").unwrap();
        let mut bot = bot.restart().unwrap();
        bot.room_message("lobby", "alice", "!ping").unwrap();
        assert_eq!(bot.text_sends()[0].text(), Some("pong 2"));
    }
}
"#;

/// Runs `command` (a documented one, split at spaces) in `dir`, building into this build's target folder.
fn cargo(command: &str, dir: &Path) {
    let mut words = command.split(' ');
    assert_eq!(words.next(), Some("cargo"), "{command}");
    let output = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(words)
        .args(["--offline", "-q"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir().parent().expect("target/"))
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "{command} failed:\n{}", String::from_utf8_lossy(&output.stderr));
}

#[tokio::test]
async fn a_new_plugin_is_tested_built_loaded_talked_to_and_restarted() {
    ensure_built();
    let setup = Setup::new();
    let dir = setup.dir.path();
    let made = std::process::Command::new(target_dir().join("zimbot"))
        .args(["new-plugin", "ticker", "--dir", &dir.display().to_string()])
        .output()
        .expect("zimbot new-plugin runs");
    let printed = String::from_utf8_lossy(&made.stdout).into_owned();
    assert!(made.status.success(), "{printed}");
    let build = printed.lines().find_map(|line| line.strip_prefix("build it with `")).expect("a build command");
    let build = build.split('`').next().unwrap_or_default().to_owned();
    assert_eq!(build, "cargo build --release");

    let root = dir.join("ticker");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let sdk = repo_root().join("crates/zimbot-sdk").display().to_string();
    let manifest = manifest.replace(
        &format!("zimbot-sdk = \"{}\"", env!("CARGO_PKG_VERSION")),
        &format!("zimbot-sdk = {{ path = {sdk:?} }}"),
    );
    let manifest = manifest.replace(
        &format!("zimbot-sdk = {{ version = \"{}\", features", env!("CARGO_PKG_VERSION")),
        &format!("zimbot-sdk = {{ path = {sdk:?}, features"),
    );
    assert!(manifest.matches(&sdk).count() == 2, "both SDK dependencies point at this tree: {manifest}");
    std::fs::write(root.join("Cargo.toml"), manifest).unwrap();
    // The versions this tree was built and tested with, so the offline build finds every crate.
    std::fs::copy(repo_root().join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    std::fs::write(root.join("src/lib.rs"), PLUGIN).unwrap();

    cargo("cargo test", &root);
    cargo(&build, &root);

    let library_dir = target_dir().parent().expect("target/").join("release");
    let yaml = format!(
        "zim:\n  backend: hub\n  hub:\n    listen: 127.0.0.1:0\n    data_dir: {hub}\nwebhook:\n  listen: 127.0.0.1:0\n\
         plugin_dirs: [{library_dir:?}]\nstate_dir: {state}\nshutdown_grace_secs: 5\nbots:\n  - id: ticker\n    \
         user_id: \"@RBT#ticker\"\n    plugin: ticker\n    listen: {{ rooms: [lobby] }}\n    \
         schedules: [{{ id: every-second, cron: \"* * * * * *\" }}]\n    config: {{ room: lobby }}\n",
        hub = dir.join("hub").display(),
        library_dir = library_dir.display().to_string(),
        state = dir.join("state").display(),
    );
    let config = dir.join("bots.yaml");
    std::fs::write(&config, yaml).unwrap();

    let zimbot = setup.run(&config).await;
    let hub = setup.hub_url();
    let mut lobby = Events::subscribe(&hub, "conv_type=room&conv_id=lobby").await;
    let tick = lobby.next_from("@RBT#ticker").await;
    assert_eq!(tick["text"].as_str(), Some("tick every-second"), "{tick}");
    post_text(&hub, "alice", "room", "lobby", "!ping").await;
    assert_eq!(next_reply(&mut lobby).await, "pong 1");
    assert!(zimbot.stop().await.success());

    let zimbot = setup.run(&config).await;
    let hub = setup.hub_url();
    let mut lobby = Events::subscribe(&hub, "conv_type=room&conv_id=lobby").await;
    post_text(&hub, "alice", "room", "lobby", "!ping").await;
    assert_eq!(next_reply(&mut lobby).await, "pong 2", "the count came back from the saved state");
    assert!(zimbot.stop().await.success());
}

/// The bot's next message in the lobby that is not a tick.
async fn next_reply(lobby: &mut Events) -> String {
    loop {
        let message = lobby.next_from("@RBT#ticker").await;
        let text = message["text"].as_str().unwrap_or_default().to_owned();
        if !text.starts_with("tick ") {
            return text;
        }
    }
}
