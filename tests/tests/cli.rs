//! The `zimbot` commands a person types: check, send, schema and new-plugin, run as real processes.

mod support;

use std::process::Output;
use support::*;

fn zimbot(args: &[&str]) -> Output {
    ensure_built();
    std::process::Command::new(target_dir().join("zimbot"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("zimbot runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_accepts_the_shipped_bots_yaml_and_shows_each_schedules_next_fire_times() {
    let output = zimbot(&["check", "bots.yaml"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", text(&output.stderr));
    for bot in ["announcer", "media-poster", "echo"] {
        assert!(stdout.contains(&format!("bot '{bot}'")), "{stdout}");
    }
    assert!(stdout.contains("built with zimbot-sdk"), "the plugin's SDK version is shown: {stdout}");
    let announcer = &stdout[stdout.find("bot 'announcer'").unwrap()..stdout.find("bot 'media-poster'").unwrap()];
    let fire_times =
        announcer.lines().filter(|line| line.trim_start().ends_with("UTC") && line.contains(":00:00")).count();
    assert_eq!(fire_times, 3, "three next fire times of the hourly schedule: {announcer}");
}

#[test]
fn check_lists_every_problem_with_file_line_and_column_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bots.yaml");
    std::fs::write(
        &path,
        "bots:\n  - id: one\n    user_id: \"@RBT#one\"\n    plugin: nowhere\n    listen: { rooms: [lobby], mach: x }\n  - id: two\n    user_id: \"@RBT#two\"\n    plugin: echo\n    schedules: [{ id: s, cron: \"0 25 * * *\" }]\n",
    )
    .unwrap();
    let output = zimbot(&["check", &path.display().to_string()]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    let file = path.display().to_string();
    assert!(
        stderr.contains(&format!("{file}:5:31: bot 'one': unknown field `mach`, did you mean `match`?")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{file}:9:")) && stderr.contains("bot 'two'") && stderr.contains("hour"),
        "{stderr}"
    );
}

#[test]
fn schema_prints_a_json_schema_naming_the_bot_fields() {
    let output = zimbot(&["schema"]);
    assert!(output.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let text = schema.to_string();
    for field in ["user_id", "listen", "schedules", "max_concurrency", "plugin_dirs"] {
        assert!(text.contains(field), "{field} is in the schema");
    }
}

#[test]
fn new_plugin_scaffolds_a_crate_and_refuses_to_overwrite_it() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().display().to_string();
    let output = zimbot(&["new-plugin", "greeter", "--dir", &plugins]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(dir.path().join("greeter/Cargo.toml").is_file());
    assert!(dir.path().join("greeter/src/lib.rs").is_file());
    let again = zimbot(&["new-plugin", "greeter", "--dir", &plugins]);
    assert!(!again.status.success(), "a second scaffold must not overwrite the first");
}

#[tokio::test]
async fn send_uploads_a_file_with_progress_and_it_lands_in_the_room() {
    let setup = Setup::new();
    let _hub = setup.hub().await;
    let config = setup.write_service_config(
        "  - id: sender\n    user_id: \"@RBT#sender\"\n    plugin: echo\n    config: { assets: assets }\n",
    );
    let hub = setup.hub_url();
    let config = config.display().to_string();
    let output = tokio::task::spawn_blocking(move || {
        zimbot(&[
            "send",
            "--config",
            &config,
            "--as",
            "sender",
            "--to",
            "room:lobby",
            "--file",
            "assets/announcement.png",
        ])
    })
    .await
    .unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("sent:"), "{stdout}");
    assert!(stderr.contains("100%"), "the progress bar reached 100 %: {stderr}");
    let history = get_json(&format!("{hub}/client/v1/messages?conv_type=room&conv_id=lobby")).await;
    let url = history["messages"][0]["media"]["url"].as_str().expect("a media message in the room").to_owned();
    assert_eq!(download(&url).await, std::fs::read(repo_root().join("assets/announcement.png")).unwrap());
}
