//! The example plugins compiled into `zimbot`: usable with no library to build, and replaced by a library of the
//! same name in `plugin_dirs`, which `zimbot check` names.

mod support;

use std::path::Path;
use std::process::Output;
use support::*;

const ECHO_BOT: &str = "  - id: echo\n    user_id: \"@RBT#echo\"\n    plugin: echo\n    listen: { peers: [\"*\"] }\n";

/// A bots.yaml on the embedded hub in `dir`, with `plugin_dirs` as given.
fn write_config(dir: &Path, plugin_dirs: &str, bots: &str) -> std::path::PathBuf {
    let yaml = format!(
        "zim:\n  backend: hub\n  hub:\n    listen: 127.0.0.1:0\n    data_dir: {}\nwebhook:\n  listen: 127.0.0.1:0\nplugin_dirs: {plugin_dirs}\nshutdown_grace_secs: 5\nbots:\n{bots}",
        dir.join("hub").display()
    );
    let path = dir.join("bots.yaml");
    std::fs::write(&path, yaml).expect("write bots.yaml");
    path
}

fn check(config: &Path) -> Output {
    ensure_built();
    std::process::Command::new(target_dir().join("zimbot"))
        .args(["check", &config.display().to_string()])
        .output()
        .expect("zimbot check runs")
}

fn plugin_line(output: &Output, bot: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let bot = &stdout[stdout.find(&format!("bot '{bot}'")).unwrap_or_else(|| panic!("no bot '{bot}': {stdout}"))..];
    bot.lines().find(|line| line.trim_start().starts_with("plugin")).unwrap_or_default().to_owned()
}

#[test]
fn check_says_each_example_plugin_is_built_in_when_plugin_dirs_has_no_library_of_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let bots = ["echo", "announcer", "media-poster"]
        .map(|name| format!("  - id: {name}\n    user_id: \"@RBT#{name}\"\n    plugin: {name}\n"))
        .concat();
    let output = check(&write_config(dir.path(), "[]", &bots));
    for name in ["echo", "announcer", "media-poster"] {
        let line = plugin_line(&output, name);
        assert!(line.contains(&format!("plugin    {name} ")) && line.ends_with("from built-in"), "{line}");
    }
}

#[test]
fn check_says_a_library_in_plugin_dirs_is_chosen_over_the_built_in_of_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let output = check(&write_config(dir.path(), &format!("[{:?}]", target_dir().display().to_string()), ECHO_BOT));
    let line = plugin_line(&output, "echo");
    let library = target_dir().join(format!("{}echo{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX));
    assert!(
        line.contains(&format!("from {} (a library in plugin_dirs, chosen over the built-in", library.display())),
        "{line}"
    );
}

#[tokio::test]
async fn a_built_in_echo_answers_with_no_plugin_dirs() {
    let setup = Setup::new();
    let config = write_config(setup.dir.path(), "[]", ECHO_BOT);
    let zimbot = setup.run(&config).await;
    let hub = setup.hub_url();
    let mut events = Events::subscribe(&hub, "conv_type=peer&conv_id=@RBT%23echo&user=alice").await;
    post_text(&hub, "alice", "peer", "@RBT#echo", "hello built-in").await;
    let echoed = events.next_from("@RBT#echo").await;
    assert_eq!(echoed["text"].as_str(), Some("hello built-in"), "{echoed}");
    assert!(zimbot.stop().await.success());
}
