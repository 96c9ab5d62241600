//! The media-poster's behaviour, through the SDK's test harness.

use crate::MediaPoster;
use serde_json::json;
use std::path::{Path, PathBuf};
use zimbot_sdk::prelude::*;
use zimbot_sdk::testing::TestBot;

/// The three sample posts shipped in the repository's assets folder.
fn sample_posts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/posts")
}

fn poster(folder: &Path) -> TestBot<MediaPoster> {
    TestBot::start(json!({ "folder": folder, "targets": [{ "room": "lobby" }, { "group": "team" }] })).unwrap()
}

/// The file names (and kinds) posted since the last call, one entry per send.
fn posted(bot: &mut TestBot<MediaPoster>) -> Vec<(String, MediaKind, String)> {
    bot.take_sends()
        .iter()
        .filter_map(|send| {
            let media = send.media()?;
            Some((media.display_file_name(), media.kind, send.to().0.to_owned()))
        })
        .collect()
}

fn names(bot: &mut TestBot<MediaPoster>) -> Vec<String> {
    posted(bot).into_iter().map(|(name, _, _)| name).collect()
}

#[test]
fn each_tick_posts_the_next_file_to_every_target_with_the_kind_its_extension_suggests() {
    let mut bot = poster(&sample_posts());
    bot.cron("daily").unwrap();
    assert_eq!(
        posted(&mut bot),
        [
            ("01-sunrise.png".to_owned(), MediaKind::Image, "lobby".to_owned()),
            ("01-sunrise.png".to_owned(), MediaKind::Image, "team".to_owned()),
        ]
    );
    bot.cron("daily").unwrap();
    // wav is not among the service's audio formats (mp3, m4a): it goes as a file.
    assert_eq!(posted(&mut bot)[0].1, MediaKind::File);
    bot.cron("daily").unwrap();
    assert_eq!(posted(&mut bot)[0], ("03-notes.txt".to_owned(), MediaKind::File, "lobby".to_owned()));
}

#[test]
fn after_the_last_file_it_starts_again_from_the_first() {
    let mut bot = poster(&sample_posts());
    for _ in 0..3 {
        bot.cron("daily").unwrap();
    }
    bot.take_sends();
    bot.cron("daily").unwrap();
    assert_eq!(names(&mut bot), ["01-sunrise.png", "01-sunrise.png"]);
}

#[test]
fn a_rebuilt_instance_resumes_after_the_last_file_posted() {
    let mut bot = poster(&sample_posts());
    bot.cron("daily").unwrap();
    assert_eq!(bot.snapshot(), json!({ "last_posted": "01-sunrise.png" }));
    let mut bot = bot.restart().unwrap();
    bot.cron("daily").unwrap();
    assert_eq!(names(&mut bot), ["02-jingle.wav", "02-jingle.wav"]);
}

#[test]
fn a_file_added_between_ticks_is_posted_in_name_order() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("a.png"), b"a").unwrap();
    std::fs::write(folder.path().join("c.png"), b"c").unwrap();
    let mut bot = poster(folder.path());
    bot.cron("daily").unwrap();
    std::fs::write(folder.path().join("b.png"), b"b").unwrap();
    bot.cron("daily").unwrap();
    assert_eq!(names(&mut bot), ["a.png", "a.png", "b.png", "b.png"]);
}

#[test]
fn hidden_files_and_subfolders_are_not_posted() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join(".gitkeep"), b"").unwrap();
    std::fs::create_dir(folder.path().join("drafts")).unwrap();
    std::fs::write(folder.path().join("only.pdf"), b"%PDF").unwrap();
    let mut bot = poster(folder.path());
    bot.cron("daily").unwrap();
    bot.cron("daily").unwrap();
    assert_eq!(names(&mut bot), ["only.pdf"; 4]);
}

#[test]
fn a_missing_folder_is_logged_clearly_and_nothing_is_posted() {
    let mut bot = poster(Path::new("no/such/folder"));
    bot.cron("daily").unwrap();
    assert!(bot.sends().is_empty());
    assert!(bot.logged("cannot read the folder 'no/such/folder'"), "{:?}", bot.logs());
    assert!(bot.logged("working directory"), "{:?}", bot.logs());
}

#[test]
fn an_empty_folder_is_logged_clearly_and_nothing_is_posted() {
    let folder = tempfile::tempdir().unwrap();
    let mut bot = poster(folder.path());
    bot.cron("daily").unwrap();
    assert!(bot.sends().is_empty());
    assert!(bot.logged("has no files to post"), "{:?}", bot.logs());
}

#[test]
fn a_config_without_targets_is_refused() {
    let refused = TestBot::<MediaPoster>::start(json!({ "folder": "x", "targets": [] })).err().unwrap_or_default();
    assert!(refused.contains("config.targets is empty"), "{refused}");
}
