//! The echo bot's behaviour, through the SDK's test harness.

use crate::Echo;
use serde_json::json;
use std::path::PathBuf;
use zimbot_sdk::model::{ReceivedMedia, ZimCode, ZimError};
use zimbot_sdk::prelude::*;
use zimbot_sdk::testing::{received, TestBot, TEST_BOT_USER};

/// An echo bot using the repository's assets and a 1 MiB progress file in `data`.
fn echo(data: &tempfile::TempDir) -> TestBot<Echo> {
    let assets = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    let config = json!({ "assets": assets, "large_file": data.path().join("large.bin"), "large_file_mib": 1 });
    TestBot::start(config).unwrap()
}

/// The texts sent since the last call, with where they went.
fn texts(bot: &mut TestBot<Echo>) -> Vec<(String, String)> {
    bot.take_sends().iter().filter_map(|send| Some((send.to().0.to_owned(), send.text()?.to_owned()))).collect()
}

#[test]
fn help_lists_the_commands() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    bot.peer_message("alice", "!help").unwrap();
    let help = "Commands:\n!help - this list\n!file NAME - send the file NAME from my assets\n\
                !progress - send a large file and report the upload at 25, 50, 75 and 100 %\n\
                Send me any other text, or a picture or file, and I send it back.";
    assert_eq!(texts(&mut bot), [("alice".to_owned(), help.to_owned())]);
}

#[test]
fn peer_text_is_echoed_to_the_sender() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    bot.peer_message("alice", "hello there").unwrap();
    assert_eq!(bot.sends()[0].to(), ("alice", ConversationType::Peer));
    assert_eq!(bot.sends()[0].text(), Some("hello there"));
}

#[test]
fn group_text_is_echoed_to_the_group() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    bot.group_message("team", "bob", "hi all").unwrap();
    assert_eq!(bot.sends()[0].to(), ("team", ConversationType::Group));
    assert_eq!(bot.sends()[0].text(), Some("hi all"));
}

#[test]
fn an_unknown_command_points_to_help() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    bot.peer_message("alice", "!dance now").unwrap();
    assert_eq!(texts(&mut bot)[0].1, "unknown command !dance; send !help for the commands");
}

#[test]
fn a_command_without_its_argument_answers_with_its_usage() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    bot.peer_message("alice", "!file").unwrap();
    assert_eq!(texts(&mut bot)[0].1, "!file: NAME is missing; usage: !file NAME");
}

#[test]
fn a_quoted_file_name_may_hold_spaces() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    bot.peer_message("alice", "!file \"no such file.png\"").unwrap();
    assert!(texts(&mut bot)[0].1.contains("no such file.png"));
}

#[test]
fn file_sends_the_named_asset_with_the_kind_its_extension_suggests() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    bot.peer_message("alice", "!file announcement.png").unwrap();
    let media = bot.sends()[0].media().cloned().unwrap();
    assert_eq!((media.kind, media.display_file_name()), (MediaKind::Image, "announcement.png".to_owned()));
    assert!(media.file_local_path.unwrap().is_file());
}

#[test]
fn file_refuses_names_that_leave_the_assets_folder() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    for name in ["../Cargo.toml", "posts/01-sunrise.png", "..", "\"\""] {
        bot.peer_message("alice", &format!("!file {name}")).unwrap();
        let answer = texts(&mut bot);
        assert!(answer[0].1.contains("is not a file name I can send"), "{name}: {answer:?}");
    }
}

#[test]
fn file_says_when_there_is_no_such_asset() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    bot.peer_message("alice", "!file missing.png").unwrap();
    assert_eq!(texts(&mut bot)[0].1, "I have no asset named 'missing.png'");
}

#[test]
fn the_large_file_is_made_at_start_when_missing() {
    let data = tempfile::tempdir().unwrap();
    let bot = echo(&data);
    assert_eq!(std::fs::metadata(data.path().join("large.bin")).unwrap().len(), 1024 * 1024);
    assert!(bot.logged("made"));
}

#[test]
fn an_unwritable_large_file_path_refuses_to_start_and_says_what_to_do() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("blocker"), b"a file, not a folder").unwrap();
    let config = json!({ "large_file": data.path().join("blocker/large.bin") });
    let refused = TestBot::<Echo>::start(config).err().unwrap_or_default();
    assert!(refused.contains("cannot make config.large_file"), "{refused}");
    assert!(refused.contains("point it at a writable path"), "{refused}");
}

#[test]
fn progress_posts_each_upload_milestone_once() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    bot.group_message("team", "bob", "!progress").unwrap();
    let large = bot.take_sends().remove(0);
    assert_eq!(large.media().map(|media| media.kind), Some(MediaKind::File));
    let total = 1024 * 1024;
    bot.attached(large.local_id).unwrap();
    bot.progress(large.local_id, total / 10, total).unwrap();
    assert!(texts(&mut bot).is_empty(), "10 % is no milestone");
    bot.progress(large.local_id, total * 8 / 10, total).unwrap();
    bot.progress(large.local_id, total, total).unwrap();
    bot.progress(large.local_id, total, total).unwrap();
    let expected: Vec<_> = ["upload 25 %", "upload 50 %", "upload 75 %", "upload 100 %"]
        .map(|text| ("team".to_owned(), text.to_owned()))
        .into();
    assert_eq!(texts(&mut bot), expected);
}

#[test]
fn progress_of_other_sends_posts_nothing() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    bot.peer_message("alice", "!file announcement.png").unwrap();
    let image = bot.take_sends().remove(0).local_id;
    bot.attached(image).unwrap();
    bot.progress(image, 10, 10).unwrap();
    assert!(bot.take_sends().is_empty());
}

#[test]
fn a_failed_reply_is_logged() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    bot.peer_message("alice", "hi").unwrap();
    let reply = bot.sends()[0].local_id;
    bot.failed(reply, ZimError::new(ZimCode::USER_NOT_FOUND, "user does not exist")).unwrap();
    assert!(bot.logged("reply to alice failed"), "{:?}", bot.logs());
}

#[test]
fn media_is_sent_back_by_its_url() {
    let data = tempfile::tempdir().unwrap();
    let mut bot = echo(&data);
    let photo = ReceivedMedia {
        kind: MediaKind::Image,
        download_url: "https://media.test/cat.png".to_owned(),
        file_name: "cat.png".to_owned(),
        file_size: 2048,
        duration_secs: None,
    };
    bot.message(received(ConversationType::Peer, TEST_BOT_USER, "alice", MessageContent::Media(photo))).unwrap();
    let media = bot.sends()[0].media().cloned().unwrap();
    assert_eq!(media, MediaMessage::from_url(MediaKind::Image, "https://media.test/cat.png", "cat.png"));
    assert_eq!(bot.sends()[0].to(), ("alice", ConversationType::Peer));
}
