//! What survives processes going away: the hub keeps history and media across a kill, and a callback that
//! failed while the runtime was down is retried and reaches the bot exactly once.

mod support;

use support::*;

#[tokio::test]
async fn killing_and_restarting_the_hub_keeps_history_and_media() {
    let setup = Setup::new();
    let hub_process = setup.hub().await;
    let hub = setup.hub_url();
    post_text(&hub, "alice", "room", "lobby", "remember me").await;
    let bytes: Vec<u8> = (0..200_000u32).map(|index| (index % 251) as u8).collect();
    let uploaded: serde_json::Value = http()
        .put(format!("{hub}/media/u-restart/data.bin"))
        .bearer_auth(UPLOAD_KEY)
        .body(bytes.clone())
        .send()
        .await
        .expect("the hub answers")
        .json()
        .await
        .expect("the upload's URL");
    hub_process.kill().await;

    let _hub_again = setup.hub().await;
    let history = get_json(&format!("{hub}/client/v1/messages?conv_type=room&conv_id=lobby")).await;
    let texts: Vec<&str> =
        history["messages"].as_array().into_iter().flatten().filter_map(|message| message["text"].as_str()).collect();
    assert_eq!(texts, ["remember me"]);
    assert_eq!(download(uploaded["url"].as_str().expect("url")).await, bytes);
}

const ECHO: &str = r#"  - id: echo
    user_id: "@RBT#echo"
    plugin: echo
    listen: { peers: ["*"] }
    config: { assets: assets }
"#;

#[tokio::test]
async fn a_callback_missed_while_the_runtime_was_down_reaches_the_bot_exactly_once() {
    let setup = Setup::new();
    let _hub_process = setup.hub().await;
    let hub = setup.hub_url();
    let config = setup.write_service_config(ECHO);
    // A first run registers the bot user with the hub, then the runtime goes away.
    assert!(setup.run(&config).await.stop().await.success());

    let mut events = Events::subscribe(&hub, "conv_type=peer&conv_id=@RBT%23echo&user=alice").await;
    post_text(&hub, "alice", "peer", "@RBT#echo", "are you there?").await;
    // The message's first callback (send_msg) fails now and is retried after 2 s; its bot_msg waits behind it,
    // since the hub delivers a conversation's callbacks in order.
    let runtime = setup.run(&config).await;
    let reply = events.next_from("@RBT#echo").await;
    assert!(reply["text"].as_str().unwrap_or_default().contains("are you there?"), "{reply}");

    // The hub delivers a conversation's callbacks in order, so once the callback of the reply itself is
    // delivered, both callbacks of the question (send_msg and bot_msg) were too; the bot has still seen the question once.
    let stats_url = format!("{hub}/stats");
    let stats = json_until(&stats_url, "the three callbacks delivered", |stats| {
        stats["callbacks_delivered"].as_u64().unwrap_or(0) >= 3
    })
    .await;
    let metrics = get_text(&format!("{}/metrics", setup.webhook_url())).await;
    assert!(stats["callbacks_retried"].as_u64().unwrap_or(0) >= 1, "the first attempt failed: {stats}");
    assert_eq!(metric(&metrics, "zimbot_messages_delivered_total{bot=\"echo\"}"), 1.0, "{metrics}\n{stats}");
    assert!(metric(&metrics, "zimbot_callbacks_total{outcome=\"duplicate\"}") >= 1.0, "{metrics}");
    assert!(runtime.stop().await.success());
}
