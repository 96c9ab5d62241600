//! Upgrading keeps plugin state: a `{bot}.snapshot.json` an older zimbot left in the state folder is taken into
//! the store on the first start, and the plugin goes on from it.

mod support;

use support::*;

#[tokio::test]
async fn a_snapshot_file_from_an_older_version_is_imported_and_the_plugin_goes_on_from_it() {
    let setup = Setup::new();
    let posts = setup.dir.path().join("posts");
    std::fs::create_dir(&posts).unwrap();
    for name in ["01-first.png", "02-second.png", "03-third.png"] {
        std::fs::copy(repo_root().join("assets/announcement.png"), posts.join(name)).unwrap();
    }
    // What an older zimbot kept for the poster: it had posted the first file.
    let state = setup.dir.path().join(".zimbot-data/state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("poster.snapshot.json"), br#"{"last_posted":"01-first.png"}"#).unwrap();
    let poster = format!(
        "  - id: poster\n    user_id: \"@RBT#poster\"\n    plugin: media-poster\n    \
         schedules: [{{ id: often, cron: \"* * * * * *\" }}]\n    \
         config: {{ folder: {:?}, targets: [{{ room: lobby }}] }}\n",
        posts.display().to_string()
    );
    let config = setup.write_hub_config(&poster);

    let zimbot = setup.run(&config).await;
    let mut lobby = Events::subscribe(&setup.hub_url(), "conv_type=room&conv_id=lobby").await;
    let post = lobby.next_from("@RBT#poster").await;
    let url = post["media"]["url"].as_str().unwrap_or_else(|| panic!("a media post: {post}"));
    assert!(url.ends_with("/02-second.png"), "the poster went on after the imported position: {url}");
    assert!(zimbot.stop().await.success());

    assert!(!state.join("poster.snapshot.json").exists(), "the file is taken once");
    assert!(state.join("poster.snapshot.json.imported").exists(), "and kept beside, renamed");
}
