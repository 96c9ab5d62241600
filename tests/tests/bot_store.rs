//! `ctx.store()` across a crash: a value a plugin stored (and said so) is there after `zimbot run` is killed with
//! SIGKILL and started again on the same bots.yaml.

mod support;

use support::*;

fn keeper_bot() -> String {
    format!(
        "  - id: keeper\n    user_id: \"@RBT#keeper\"\n    plugin: {:?}\n    listen: {{ peers: [\"*\"] }}\n",
        fixture_library("fixture_store_keeper").display().to_string(),
    )
}

/// Posts `text` to the keeper bot and answers its reply.
async fn ask(setup: &Setup, text: &str) -> String {
    let hub = setup.hub_url();
    let mut events = Events::subscribe(&hub, "").await;
    post_text(&hub, "alice", "peer", "@RBT#keeper", text).await;
    events.next_from("@RBT#keeper").await["text"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_value_a_plugin_stored_survives_zimbot_being_killed_and_restarted() {
    let setup = Setup::new();
    let config = setup.write_hub_config(&keeper_bot());
    let first = setup.run(&config).await;
    let put = ask(&setup, "put greeting hello").await;
    assert!(put.starts_with("put greeting r"), "{put}");
    first.kill().await;

    let second = setup.run(&config).await;
    assert_eq!(ask(&setup, "get greeting").await, "greeting = hello by 3.1.0");
    second.stop().await;
}
