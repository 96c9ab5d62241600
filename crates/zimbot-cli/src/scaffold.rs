//! `zimbot new-plugin NAME`: writes a new plugin crate to start from — a Cargo.toml that builds a cdylib, a
//! `src/lib.rs` with one `impl Plugin`, `export_plugin!`, and tests on the SDK's harness, and a README.
//!
//! Inside a zimbot source tree (a folder above `dir` holds the workspace and `crates/zimbot-sdk`), the crate joins
//! that workspace: it is added to the root `members` and depends on the SDK by a relative path, so it builds with
//! `cargo build --release -p NAME` against the same SDK as everything else. Anywhere else it is a workspace of its
//! own depending on the released SDK, built with `cargo build --release` in its folder.

use anyhow::{bail, Context as _};
use std::path::{Path, PathBuf};

/// Writes the crate `NAME` into `dir/NAME` and returns that folder. Refuses a name cargo would not accept as a
/// package name, and a folder that exists already (nothing is overwritten).
pub fn scaffold(name: &str, dir: &Path) -> anyhow::Result<Scaffolded> {
    check_name(name)?;
    let root = dir.join(name);
    if root.exists() {
        bail!("{} exists already; choose another name or remove it first", root.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir.canonicalize().with_context(|| format!("cannot resolve {}", dir.display()))?;
    let root = dir.join(name);
    let workspace = find_zimbot_workspace(&dir);
    let scaffolded = match &workspace {
        Some(workspace) => Scaffolded {
            build: format!("cargo build --release -p {name}"),
            build_in: workspace.clone(),
            library_dir: workspace.join("target/release"),
            root: root.clone(),
        },
        None => Scaffolded {
            build: "cargo build --release".to_owned(),
            build_in: root.clone(),
            library_dir: root.join("target/release"),
            root: root.clone(),
        },
    };
    let (sdk, sdk_testing, own_workspace) = match &workspace {
        Some(workspace) => {
            let sdk = relative_sdk_path(workspace, &root);
            (format!("{{ path = {sdk:?} }}"), format!("{{ path = {sdk:?}, features = [\"testing\"] }}"), "")
        }
        None => {
            let version = env!("CARGO_PKG_VERSION");
            (
                format!("\"{version}\""),
                format!("{{ version = \"{version}\", features = [\"testing\"] }}"),
                "\n# A workspace of its own, so it builds where it is.\n[workspace]\n",
            )
        }
    };
    // The workspace's manifest is changed first: when that fails, nothing has been written.
    if let Some(workspace) = &workspace {
        add_member(workspace, &root)?;
    }
    let files = [
        ("Cargo.toml", cargo_toml(name, &sdk, &sdk_testing, own_workspace)),
        ("src/lib.rs", lib_rs(name)),
        ("README.md", readme(name, &scaffolded)),
        (".gitignore", "/target\n".to_owned()),
    ];
    for (file, text) in files {
        let path = root.join(file);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(scaffolded)
}

/// Where a new plugin crate went and the one way to build it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scaffolded {
    /// The crate's folder.
    pub root: PathBuf,
    /// The build command, run in `build_in`.
    pub build: String,
    pub build_in: PathBuf,
    /// The folder the built library lands in (for `plugin_dirs`).
    pub library_dir: PathBuf,
}

/// The zimbot workspace `dir` is inside: the nearest folder at or above it with a `[workspace]` manifest and
/// `crates/zimbot-sdk`.
fn find_zimbot_workspace(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|folder| {
            folder.join("crates/zimbot-sdk/Cargo.toml").is_file()
                && std::fs::read_to_string(folder.join("Cargo.toml")).is_ok_and(|text| text.contains("[workspace]"))
        })
        .map(Path::to_path_buf)
}

/// The SDK's path as seen from the crate at `root` inside `workspace`, with `/` separators (as Cargo.toml wants).
fn relative_sdk_path(workspace: &Path, root: &Path) -> String {
    let depth = root.strip_prefix(workspace).map(|inside| inside.components().count()).unwrap_or(0);
    "../".repeat(depth) + "crates/zimbot-sdk"
}

/// Lists the crate at `root` in the workspace's `members`.
fn add_member(workspace: &Path, root: &Path) -> anyhow::Result<()> {
    let manifest = workspace.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
    let member = root.strip_prefix(workspace).unwrap_or(root).to_string_lossy().replace('\\', "/");
    let Some(start) = text.find("\nmembers = [").map(|at| at + "\nmembers = [".len()) else {
        bail!("{} has no `members = [` list to add {member} to; add it by hand", manifest.display());
    };
    let updated = format!("{}\n    {member:?},{}", &text[..start], &text[start..]);
    std::fs::write(&manifest, updated).with_context(|| format!("cannot write {}", manifest.display()))
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

fn cargo_toml(name: &str, sdk: &str, sdk_testing: &str, own_workspace: &str) -> String {
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
{own_workspace}"#
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

/// Every hook is here; the ones this plugin does not need do nothing (delete them to keep the defaults).
#[async_trait]
impl Plugin for {plugin} {{
    async fn on_start(&self, _ctx: &BotContext) -> HookResult {{
        Ok(())
    }}

    async fn on_peer_message(&self, _ctx: &BotContext, _message: ReceivedMessage) -> HookResult {{
        Ok(())
    }}

    async fn on_room_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {{
        if message.text().map(str::trim) == Some("!ping") {{
            ctx.reply_text(&message, &self.config.answer).await?;
        }}
        Ok(())
    }}

    async fn on_group_message(&self, _ctx: &BotContext, _message: ReceivedMessage) -> HookResult {{
        Ok(())
    }}

    /// Runs for each of the bot's `schedules:` in bots.yaml.
    async fn on_cron(&self, _ctx: &BotContext, _tick: CronTick) -> HookResult {{
        Ok(())
    }}

    async fn on_message_attached(&self, _ctx: &BotContext, _message: AttachedMessage) -> HookResult {{
        Ok(())
    }}

    async fn on_media_uploading_progress(&self, _ctx: &BotContext, _progress: UploadProgress) -> HookResult {{
        Ok(())
    }}

    async fn on_message_sent(&self, _ctx: &BotContext, _result: MessageSentResult) -> HookResult {{
        Ok(())
    }}

    async fn on_message_send_failed(&self, ctx: &BotContext, failure: SendFailure) -> HookResult {{
        let (id, to) = (failure.local_id, &failure.conversation_id);
        ctx.warn(format!("{{id}}: reply to {{to}} failed: {{}}", failure.error));
        Ok(())
    }}

    /// Membership and presence: the bot hears them for the rooms, groups and users its `listen:` selects.
    async fn on_room_member_entered(&self, _ctx: &BotContext, _member: RoomMember) -> HookResult {{
        Ok(())
    }}

    async fn on_room_member_left(&self, _ctx: &BotContext, _member: RoomMember) -> HookResult {{
        Ok(())
    }}

    async fn on_room_created(&self, _ctx: &BotContext, _room: ConversationLifecycle) -> HookResult {{
        Ok(())
    }}

    async fn on_room_destroyed(&self, _ctx: &BotContext, _room: ConversationLifecycle) -> HookResult {{
        Ok(())
    }}

    async fn on_group_members_joined(&self, _ctx: &BotContext, _members: GroupMembers) -> HookResult {{
        Ok(())
    }}

    async fn on_group_members_left(&self, _ctx: &BotContext, _members: GroupMembers) -> HookResult {{
        Ok(())
    }}

    async fn on_group_created(&self, _ctx: &BotContext, _group: ConversationLifecycle) -> HookResult {{
        Ok(())
    }}

    async fn on_group_destroyed(&self, _ctx: &BotContext, _group: ConversationLifecycle) -> HookResult {{
        Ok(())
    }}

    async fn on_user_online(&self, _ctx: &BotContext, _presence: Presence) -> HookResult {{
        Ok(())
    }}

    async fn on_user_offline(&self, _ctx: &BotContext, _presence: Presence) -> HookResult {{
        Ok(())
    }}

    async fn on_stop(&self, _ctx: &BotContext) -> HookResult {{
        Ok(())
    }}

    /// The state to rebuild the plugin from after a panic or a restart (`PluginInit::snapshot` reads it back).
    fn snapshot(&self) -> Option<serde_json::Value> {{
        None
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

fn readme(name: &str, scaffolded: &Scaffolded) -> String {
    let library = name.replace('-', "_");
    let (build, library_dir) = (&scaffolded.build, relative_to(&scaffolded.library_dir, &scaffolded.root));
    format!(
        r#"# {name}

A zimbot plugin. It answers `!ping` in its rooms with `config.answer`.

- Test: `cargo test` (on the SDK's harness: no runtime, virtual time).
- Build: `{build}`, which writes `{library_dir}/lib{library}.so` (`.dylib` on macOS,
  `{library}.dll` on Windows); the folder is relative to this one.
- Run: add the library's folder to `plugin_dirs` in bots.yaml, and a bot:

```yaml
plugin_dirs: [{library_dir}]  # relative to bots.yaml's folder: adjust
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

/// `path` as seen from `from`, when `path` is inside `from` or one of its ancestors; else `path` itself.
fn relative_to(path: &Path, from: &Path) -> String {
    for (up, ancestor) in from.ancestors().enumerate() {
        if let Ok(inside) = path.strip_prefix(ancestor) {
            return "../".repeat(up) + &inside.to_string_lossy();
        }
    }
    path.display().to_string()
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
        let root = scaffold("room-greeter", &folder).unwrap().root;
        assert_eq!(root, folder.canonicalize().unwrap().join("room-greeter"));
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

    /// A folder laid out like a zimbot checkout: a workspace manifest and crates/zimbot-sdk.
    fn fake_workspace(test: &str) -> PathBuf {
        let folder = empty_folder(test);
        std::fs::write(folder.join("Cargo.toml"), "[workspace]\nmembers = [\n    \"crates/zimbot-sdk\",\n]\n").unwrap();
        std::fs::create_dir_all(folder.join("crates/zimbot-sdk")).unwrap();
        std::fs::write(folder.join("crates/zimbot-sdk/Cargo.toml"), "").unwrap();
        folder
    }

    #[test]
    fn inside_a_zimbot_workspace_the_crate_becomes_a_member() {
        let folder = fake_workspace("member");
        scaffold("finder", &folder.join("plugins")).unwrap();
        let workspace = std::fs::read_to_string(folder.join("Cargo.toml")).unwrap();
        assert!(workspace.contains("\"plugins/finder\","), "{workspace}");
        std::fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn inside_a_zimbot_workspace_the_sdk_is_a_relative_path_and_there_is_no_own_workspace() {
        let folder = fake_workspace("relative");
        let root = scaffold("finder", &folder.join("plugins")).unwrap().root;
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("zimbot-sdk = { path = \"../../crates/zimbot-sdk\" }"), "{manifest}");
        assert!(!manifest.contains("[workspace]"), "{manifest}");
        std::fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn inside_a_zimbot_workspace_the_readme_gives_the_workspace_build_command() {
        let folder = fake_workspace("build");
        let made = scaffold("finder", &folder.join("plugins")).unwrap();
        assert_eq!(made.build, "cargo build --release -p finder");
        assert_eq!(made.library_dir, folder.canonicalize().unwrap().join("target/release"));
        let readme = std::fs::read_to_string(made.root.join("README.md")).unwrap();
        assert!(
            readme.contains("`cargo build --release -p finder`, which writes `../../target/release/libfinder.so`"),
            "{readme}"
        );
        std::fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn outside_a_zimbot_workspace_the_crate_is_its_own_workspace_on_the_released_sdk() {
        let folder = empty_folder("alone");
        let made = scaffold("finder", &folder).unwrap();
        let manifest = std::fs::read_to_string(made.root.join("Cargo.toml")).unwrap();
        assert!(manifest.contains(&format!("zimbot-sdk = \"{}\"", env!("CARGO_PKG_VERSION"))), "{manifest}");
        assert!(manifest.contains("[workspace]"), "{manifest}");
        assert_eq!((made.build.as_str(), made.build_in.clone()), ("cargo build --release", made.root.clone()));
        std::fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn every_hook_is_stubbed() {
        let folder = empty_folder("hooks");
        let library = std::fs::read_to_string(scaffold("stubs", &folder).unwrap().root.join("src/lib.rs")).unwrap();
        let sdk_hooks = include_str!("../../zimbot-sdk/src/plugin.rs");
        let hooks: Vec<&str> = sdk_hooks
            .lines()
            .filter_map(|line| {
                line.trim().strip_prefix("async fn ").or_else(|| line.trim().strip_prefix("fn snapshot"))
            })
            .map(|rest| rest.split('(').next().unwrap_or(rest))
            .collect();
        assert!(hooks.len() >= 10, "{hooks:?}");
        for hook in hooks {
            let stub = if hook.is_empty() { "fn snapshot(".to_owned() } else { format!("async fn {hook}(") };
            assert!(library.contains(&stub), "{stub} is not stubbed");
        }
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
