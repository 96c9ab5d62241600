//! `zim.media_store.kind: local`: `zimbot run` keeps uploads in its own folder and serves them on its own
//! listener, and the bot's media message links there.

mod support;

use support::*;

#[tokio::test]
async fn a_bots_media_is_served_by_zimbot_itself_under_an_unguessable_link() {
    let setup = Setup::new();
    let yaml = format!(
        "zim:\n  backend: hub\n  hub:\n    listen: 127.0.0.1:0\n    data_dir: {}\n  media_store:\n    kind: local\n    listen: 127.0.0.1:0\n    data_dir: {}\nwebhook:\n  listen: 127.0.0.1:0\nplugin_dirs: [{}]\nshutdown_grace_secs: 5\nbots:\n  - id: echo\n    user_id: \"@RBT#echo\"\n    plugin: echo\n    listen: {{ peers: [\"*\"] }}\n    config: {{ assets: assets }}\n",
        setup.dir.path().join("hub").display(),
        setup.dir.path().join("media").display(),
        target_dir().display(),
    );
    let config = setup.dir.path().join("bots.yaml");
    std::fs::write(&config, yaml).unwrap();
    let zimbot = setup.run(&config).await;
    let ready = zimbot.output.last().cloned().unwrap_or_default();
    let media_port = port_after(&ready, "; media at ").unwrap_or_else(|| panic!("no media address in '{ready}'"));
    let hub = setup.hub_url();
    let mut events = Events::subscribe(&hub, "conv_type=peer&conv_id=@RBT%23echo&user=alice").await;
    post_text(&hub, "alice", "peer", "@RBT#echo", "!file chime.wav").await;
    let reply = loop {
        let event = events.next_from("@RBT#echo").await;
        if event.get("media").is_some_and(|media| !media.is_null()) {
            break event;
        }
    };
    let url = reply["media"]["url"].as_str().expect("a media URL").to_owned();
    let token = url
        .strip_prefix(&format!("http://127.0.0.1:{media_port}/"))
        .and_then(|rest| rest.strip_suffix("/chime.wav"))
        .unwrap_or_else(|| panic!("not a link to zimbot's own listener: {url}"));
    assert_eq!(token.len(), 32, "{url}");
    assert_eq!(download(&url).await, std::fs::read(repo_root().join("assets/chime.wav")).unwrap());
    assert!(zimbot.stop().await.success());
}
