//! zimbot as a person uses it: the `zimbot` binary with the embedded hub and the example plugins, driven through
//! the hub's client API over loopback HTTP.

mod support;

use support::*;

const ANNOUNCER: &str = r#"  - id: announcer
    user_id: "@RBT#announcer"
    plugin: announcer
    listen: { rooms: [lobby], match: "^!announce" }
    config: { rooms: [lobby], text: "Welcome to the lobby", media: assets/announcement.png, media_type: image }
"#;

const ECHO: &str = r#"  - id: echo
    user_id: "@RBT#echo"
    plugin: echo
    listen: { peers: ["*"], groups: ["*"] }
    config: { assets: assets }
"#;

/// Waits for the bot's media message and checks that its bytes are the asset's bytes.
async fn assert_media_matches(events: &mut Events, bot: &str, asset: &str) {
    let reply = loop {
        let event = events.next_from(bot).await;
        if event.get("media").is_some_and(|media| !media.is_null()) {
            break event;
        }
    };
    let url = reply["media"]["url"].as_str().expect("a media URL");
    let expected = std::fs::read(repo_root().join(asset)).expect("the asset");
    assert_eq!(download(url).await, expected, "{bot}'s media at {url} is byte-identical to {asset}");
}

#[tokio::test]
async fn a_room_command_reaches_the_bot_and_its_media_post_lands_byte_identical() {
    let setup = Setup::new();
    let zimbot = setup.run(&setup.write_hub_config(ANNOUNCER)).await;
    let hub = setup.hub_url();
    let mut events = Events::subscribe(&hub, "conv_type=room&conv_id=lobby").await;
    post_text(&hub, "alice", "room", "lobby", "!announce").await;
    let text = events.next_from("@RBT#announcer").await;
    assert_eq!(text["text"], "Welcome to the lobby");
    assert_media_matches(&mut events, "@RBT#announcer", "assets/announcement.png").await;
    assert!(zimbot.stop().await.success());
}

#[tokio::test]
async fn a_peer_command_gets_a_reply_in_the_peer_chat_with_identical_bytes() {
    let setup = Setup::new();
    let zimbot = setup.run(&setup.write_hub_config(ECHO)).await;
    let hub = setup.hub_url();
    let mut events = Events::subscribe(&hub, "conv_type=peer&conv_id=@RBT%23echo&user=alice").await;
    post_text(&hub, "alice", "peer", "@RBT#echo", "!file chime.wav").await;
    assert_media_matches(&mut events, "@RBT#echo", "assets/chime.wav").await;
    assert!(zimbot.stop().await.success());
}

#[tokio::test]
async fn a_group_command_gets_a_reply_in_the_group_with_identical_bytes() {
    let setup = Setup::new();
    let zimbot = setup.run(&setup.write_hub_config(ECHO)).await;
    let hub = setup.hub_url();
    let mut events = Events::subscribe(&hub, "conv_type=group&conv_id=team").await;
    post_text(&hub, "alice", "group", "team", "!file guide.pdf").await;
    assert_media_matches(&mut events, "@RBT#echo", "assets/guide.pdf").await;
    assert!(zimbot.stop().await.success());
}

#[tokio::test]
async fn a_bots_own_messages_never_come_back_to_it() {
    let setup = Setup::new();
    let zimbot = setup.run(&setup.write_hub_config(ECHO)).await;
    let hub = setup.hub_url();
    let mut events = Events::subscribe(&hub, "conv_type=group&conv_id=team").await;
    post_text(&hub, "alice", "group", "team", "hello there").await;
    let echoed = events.next_from("@RBT#echo").await;
    assert!(echoed["text"].as_str().unwrap_or_default().contains("hello there"), "{echoed}");
    // The echo's own message went through the hub's callbacks like any other; a second user message shows
    // the webhook has processed everything before it.
    post_text(&hub, "alice", "group", "team", "second").await;
    events.next_from("@RBT#echo").await;
    let metrics = get_text(&format!("{}/metrics", setup.webhook_url())).await;
    assert_eq!(metric(&metrics, "zimbot_messages_delivered_total{bot=\"echo\"}"), 2.0, "{metrics}");
    assert!(zimbot.stop().await.success());
}

#[tokio::test]
async fn one_hundred_bots_answering_at_once_never_exceed_the_services_qps() {
    let bots: String = (0..100)
        .map(|index| {
            format!(
                "  - id: echo{index}\n    user_id: \"@RBT#echo{index}\"\n    plugin: echo\n    listen: {{ groups: [flood] }}\n    config: {{ assets: assets }}\n"
            )
        })
        .collect();
    let setup = Setup::new();
    let zimbot = setup.run(&setup.write_hub_config(&bots)).await;
    let hub = setup.hub_url();
    let mut events = Events::subscribe(&hub, "conv_type=group&conv_id=flood").await;
    post_text(&hub, "alice", "group", "flood", "everyone say hi").await;
    let mut answered = std::collections::HashSet::new();
    while answered.len() < 100 {
        let event = events.next().await;
        if event["is_bot"] == true {
            answered.insert(sender_of(&event).to_owned());
        }
    }
    let stats = get_json(&format!("{hub}/stats")).await;
    let violations: u64 = stats["qps_violations"]
        .as_object()
        .map(|per_action| per_action.values().filter_map(|count| count.as_u64()).sum())
        .unwrap_or(0);
    assert_eq!(violations, 0, "the hub counted QPS violations: {stats}");
    assert!(zimbot.stop().await.success());
}

#[tokio::test]
async fn bots_whose_users_are_registered_after_the_ready_line_answer_once_registered() {
    // 100 bots are five RobotRegister calls; at two calls a second the last is made two seconds after the first,
    // well after `zimbot running`, so most bots get the message before their user is registered. The hub refuses
    // a send from a user it does not know: every answer below went out after its bot's registration.
    let bots: String = (0..100)
        .map(|index| {
            format!(
                "  - id: echo{index}\n    user_id: \"@RBT#echo{index}\"\n    plugin: echo\n    listen: {{ groups: [roll] }}\n    config: {{ assets: assets }}\n"
            )
        })
        .collect();
    let setup = Setup::new();
    let config = setup.write_hub_config(&format!("{bots}client:\n  action_limits: {{ robot_register: 2 }}\n"));
    let zimbot = setup.run(&config).await;
    let hub = setup.hub_url();
    let mut events = Events::subscribe(&hub, "conv_type=group&conv_id=roll").await;
    post_text(&hub, "alice", "group", "roll", "roll call").await;
    let mut answered = std::collections::HashSet::new();
    while answered.len() < 100 {
        let event = events.next().await;
        if event["is_bot"] == true {
            answered.insert(sender_of(&event).to_owned());
        }
    }
    let metrics = get_text(&format!("{}/metrics", setup.webhook_url())).await;
    for series in ["{state=\"registering\"} 0", "{state=\"failed\"} 0"] {
        assert!(metrics.contains(&format!("zimbot_bot_users_unregistered{series}")), "{metrics}");
    }
    assert!(zimbot.stop().await.success());
}

#[tokio::test]
async fn zimbot_stops_cleanly_while_bot_users_are_still_being_registered() {
    // One registration call a second: the fifth of these 100 bots' calls would come four seconds in.
    let bots: String = (0..100)
        .map(|index| {
            format!(
                "  - id: echo{index}\n    user_id: \"@RBT#echo{index}\"\n    plugin: echo\n    listen: {{ groups: [roll] }}\n    config: {{ assets: assets }}\n"
            )
        })
        .collect();
    let setup = Setup::new();
    let config = setup.write_hub_config(&format!("{bots}client:\n  action_limits: {{ robot_register: 1 }}\n"));
    let zimbot = setup.run(&config).await;
    let hub = setup.hub_url();
    let mut events = Events::subscribe(&hub, "conv_type=group&conv_id=roll").await;
    post_text(&hub, "alice", "group", "roll", "roll call").await;
    // Once a first bot has answered, the bots of the later calls have their answers waiting for registration.
    while events.next().await["is_bot"] != true {}
    assert!(zimbot.stop().await.success());
}
