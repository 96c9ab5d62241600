//! `zimbot new-plugin NAME`: writes a new plugin crate to start from — a Cargo.toml that builds a cdylib, a
//! `src/lib.rs` with one `impl Plugin`, `export_plugin!`, and tests on the SDK's harness, and a README.
//!
//! The crate is its own workspace (an empty `[workspace]` table), so it builds wherever it is put; inside the
//! zimbot repository, delete that table and list the crate in the root `members` instead.

use anyhow::{bail, Context as _};
use std::path::{Path, PathBuf};

/// Writes the crate `NAME` into `dir/NAME` and returns that folder. Refuses a name cargo would not accept as a
/// package name, and a folder that exists already (nothing is overwritten).
pub fn scaffold(name: &str, dir: &Path) -> anyhow::Result<PathBuf> {
    check_name(name)?;
    let root = dir.join(name);
    if root.exists() {
        bail!("{} exists already; choose another name or remove it first", root.display());
    }
    let files = [
        ("Cargo.toml", cargo_toml(name)),
        ("src/lib.rs", lib_rs(name)),
        ("README.md", readme(name)),
        (".gitignore", "/target\n".to_owned()),
    ];
    for (file, text) in files {
        let path = root.join(file);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(root)
}

fn check_name(name: &str) -> anyhow::Result<()> {
    let mut characters = name.chars();
    let starts_with_letter = characters.next().is_some_and(|first| first.is_ascii_lowercase());
    let rest_allowed = characters.all(|next| next.is_ascii_lowercase() || next.is_ascii_digit() || "-_".contains(next));
    if !starts_with_letter || !rest_allowed {
        bail!(
            "'{name}' is not a plugin name: use lowercase letters, digits, '-' and '_', starting with a letter \
             (for example: room-greeter)"
        );
    }
    Ok(())
}

/// `room-greeter` → `RoomGreeter`.
fn type_name(name: &str) -> String {
    name.split(['-', '_'])
        .map(|word| {
            let mut letters = word.chars();
            letters.next().map(|first| first.to_ascii_uppercase().to_string() + letters.as_str()).unwrap_or_default()
        })
        .collect()
}

/// How the new crate finds zimbot-sdk: this source tree's copy when it is there (a development checkout), else
/// the released crate.
fn sdk_dependency(features: &str) -> String {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../zimbot-sdk");
    match sdk.canonicalize() {
        Ok(path) if path.join("Cargo.toml").is_file() => {
            format!("{{ path = {:?}{features} }}", path.display().to_string())
        }
        _ => format!("{{ version = \"{}\"{features} }}", env!("CARGO_PKG_VERSION")),
    }
}

fn cargo_toml(name: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
# cdylib: the library zimbot loads (`plugin: {name}` in bots.yaml, with its folder in plugin_dirs);
# rlib: so the tests can link it.
crate-type = ["cdylib", "rlib"]

[dependencies]
zimbot-sdk = {sdk}
serde = {{ version = "1", features = ["derive"] }}

[dev-dependencies]
zimbot-sdk = {sdk_testing}
serde_json = "1"

# A workspace of its own, so it builds where it is. Inside the zimbot repository, delete this table and add
# the crate to the root Cargo.toml's `members`.
[workspace]
"#,
        sdk = sdk_dependency(""),
        sdk_testing = sdk_dependency(", features = [\"testing\"]"),
    )
}

fn lib_rs(name: &str) -> String {
    let plugin = type_name(name);
    format!(
        r#"//! The {name} plugin: replies to `!ping` in its rooms with its configured answer.

use serde::Deserialize;
use zimbot_sdk::prelude::*;

/// The bot's `config:` section in bots.yaml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {{
    /// What `!ping` is answered with.
    #[serde(default = "default_answer")]
    pub answer: String,
}}

fn default_answer() -> String {{
    "pong".to_owned()
}}

/// One instance per bot. Hooks take `&self` and may run at the same time: keep mutable state behind a Mutex.
pub struct {plugin} {{
    config: Config,
}}

#[async_trait]
impl Plugin for {plugin} {{
    async fn on_room_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {{
        if message.text().map(str::trim) == Some("!ping") {{
            ctx.reply_text(&message, &self.config.answer).await?;
        }}
        Ok(())
    }}

    async fn on_message_send_failed(&self, ctx: &BotContext, failure: SendFailure) -> HookResult {{
        let (id, to) = (failure.local_id, &failure.conversation_id);
        ctx.warn(format!("{{id}}: reply to {{to}} failed: {{}}", failure.error));
        Ok(())
    }}
}}

impl PluginFactory for {plugin} {{
    const NAME: &'static str = "{name}";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(init: PluginInit) -> Result<Self, PluginError> {{
        let config = init.config()?;
        Ok(Self {{ config }})
    }}
}}

export_plugin!({plugin});

#[cfg(test)]
mod tests {{
    use super::*;
    use zimbot_sdk::testing::TestBot;

    #[test]
    fn ping_is_answered_in_the_room_it_came_from() {{
        let config = serde_json::json!({{ "answer": "here" }});
        let mut bot = TestBot::<{plugin}>::start(config).unwrap();
        bot.room_message("lobby", "alice", "!ping").unwrap();
        let reply = &bot.sends()[0];
        assert_eq!(reply.text(), Some("here"));
        assert_eq!(reply.to(), ("lobby", ConversationType::Room));
    }}

    #[test]
    fn other_messages_are_not_answered() {{
        let config = serde_json::json!({{}});
        let mut bot = TestBot::<{plugin}>::start(config).unwrap();
        bot.room_message("lobby", "alice", "hello").unwrap();
        assert!(bot.sends().is_empty());
    }}
}}
"#
    )
}

fn readme(name: &str) -> String {
    let library = name.replace('-', "_");
    format!(
        r#"# {name}

A zimbot plugin. It answers `!ping` in its rooms with `config.answer`.

- Test: `cargo test` (on the SDK's harness: no runtime, virtual time).
- Build: `cargo build --release`, which writes `target/release/lib{library}.so` (`.dylib` on macOS,
  `{library}.dll` on Windows).
- Run: add the library's folder to `plugin_dirs` in bots.yaml, and a bot:

```yaml
plugin_dirs: [path/to/{name}/target/release]
bots:
  - id: {name}
    user_id: "@RBT#{name}"
    plugin: {name}
    listen: {{ rooms: [lobby] }}
    config: {{ answer: pong }}
```
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh, empty folder for one test.
    fn empty_folder(test: &str) -> PathBuf {
        let folder = std::env::temp_dir().join(format!("zimbot-scaffold-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).unwrap();
        folder
    }

    #[test]
    fn scaffolding_writes_a_cdylib_crate_with_a_plugin_and_its_tests() {
        let folder = empty_folder("writes");
        let root = scaffold("room-greeter", &folder).unwrap();
        assert_eq!(root, folder.join("room-greeter"));
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("name = \"room-greeter\""), "{manifest}");
        assert!(manifest.contains("crate-type = [\"cdylib\", \"rlib\"]"), "{manifest}");
        assert!(manifest.contains("features = [\"testing\"]"), "{manifest}");
        let library = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
        assert!(library.contains("impl Plugin for RoomGreeter"), "{library}");
        assert!(library.contains("export_plugin!(RoomGreeter);"), "{library}");
        assert!(library.contains("TestBot::<RoomGreeter>"), "{library}");
        assert!(std::fs::read_to_string(root.join("README.md")).unwrap().contains("libroom_greeter.so"));
        std::fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn the_sdk_is_found_in_this_source_tree() {
        let folder = empty_folder("sdk");
        let manifest = std::fs::read_to_string(scaffold("finder", &folder).unwrap().join("Cargo.toml")).unwrap();
        let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../zimbot-sdk").canonicalize().unwrap();
        assert!(manifest.contains(&format!("path = {:?}", sdk.display().to_string())), "{manifest}");
        std::fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn names_cargo_would_refuse_are_refused_with_an_example() {
        let folder = empty_folder("names");
        for name in ["", "Greeter", "9lives", "has space", "../escape"] {
            let error = scaffold(name, &folder).unwrap_err().to_string();
            assert!(error.contains("is not a plugin name") && error.contains("room-greeter"), "{name}: {error}");
        }
        assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0, "nothing was written");
        std::fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn an_existing_folder_is_never_overwritten() {
        let folder = empty_folder("exists");
        std::fs::create_dir(folder.join("taken")).unwrap();
        let error = scaffold("taken", &folder).unwrap_err().to_string();
        assert!(error.contains("exists already"), "{error}");
        std::fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn type_names_are_camel_case() {
        assert_eq!(type_name("room-greeter_bot"), "RoomGreeterBot");
    }
}
