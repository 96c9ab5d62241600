//! The announcer's behaviour, through the SDK's test harness.

use crate::Announcer;
use serde_json::json;
use std::path::PathBuf;
use zimbot_sdk::model::{ZimCode, ZimError};
use zimbot_sdk::prelude::*;
use zimbot_sdk::testing::TestBot;

/// The banner shipped in the repository's assets folder.
fn banner() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/announcement.png")
}

fn announcer() -> TestBot<Announcer> {
    let config = json!({ "rooms": ["lobby", "hall"], "text": "Doors open at 9", "media": banner() });
    TestBot::start(config).unwrap()
}

#[test]
fn a_tick_posts_the_text_then_the_media_to_every_room() {
    let mut bot = announcer();
    bot.cron("hourly").unwrap();
    let sends = bot.sends();
    let posted: Vec<_> =
        sends.iter().map(|send| (send.to().0, send.text(), send.media().map(|media| media.kind))).collect();
    assert_eq!(
        posted,
        [
            ("lobby", Some("Doors open at 9"), None),
            ("lobby", None, Some(MediaKind::Image)),
            ("hall", Some("Doors open at 9"), None),
            ("hall", None, Some(MediaKind::Image)),
        ]
    );
    assert_eq!(sends[1].media().and_then(|media| media.file_local_path.clone()), Some(banner()));
}

#[test]
fn announce_in_a_room_posts_to_that_room_only() {
    let mut bot = announcer();
    bot.room_message("kitchen", "alice", "!announce").unwrap();
    let rooms: Vec<_> = bot.sends().iter().map(|send| send.to().0.to_owned()).collect();
    assert_eq!(rooms, ["kitchen", "kitchen"]);
}

#[test]
fn other_room_messages_post_nothing() {
    let mut bot = announcer();
    bot.room_message("lobby", "alice", "announce it please").unwrap();
    assert!(bot.sends().is_empty());
}

#[test]
fn upload_progress_and_the_result_are_logged() {
    let mut bot = announcer();
    bot.room_message("lobby", "alice", "!announce").unwrap();
    let media = bot.sends()[1].local_id;
    bot.attached(media).unwrap();
    bot.progress(media, 512, 1024).unwrap();
    bot.sent(media).unwrap();
    assert!(bot.logged(&format!("{media}: uploaded 50 % (512 of 1024 bytes)")), "{:?}", bot.logs());
    assert!(bot.logged(&format!("{media}: announced in room lobby after 1 attempt(s)")), "{:?}", bot.logs());
}

#[test]
fn a_failed_send_is_logged_with_its_error() {
    let mut bot = announcer();
    bot.cron("hourly").unwrap();
    let text = bot.sends()[0].local_id;
    bot.failed(text, ZimError::new(ZimCode::ROOM_NOT_FOUND, "room does not exist")).unwrap();
    assert!(bot.logged("announcement to room lobby failed after 1 attempt(s)"), "{:?}", bot.logs());
    assert!(bot.logged("room does not exist"));
}

#[test]
fn a_refused_send_is_logged_and_the_other_rooms_still_get_the_announcement() {
    let mut bot = announcer();
    bot.reject_next_send(SendRejected::new(zimbot_sdk::model::RejectReason::QueueFull, "queue full"));
    bot.cron("hourly").unwrap();
    assert!(bot.logged("announcement text to room lobby was refused"), "{:?}", bot.logs());
    assert_eq!(bot.sends().len(), 3);
}

#[test]
fn text_only_announcements_need_no_media() {
    let mut bot = TestBot::<Announcer>::start(json!({ "rooms": ["lobby"], "text": "hi" })).unwrap();
    bot.cron("hourly").unwrap();
    assert_eq!(bot.sends().len(), 1);
}

#[test]
fn a_missing_media_file_refuses_to_start_and_says_where_it_looked() {
    let config = json!({ "rooms": ["lobby"], "text": "hi", "media": "no/such/banner.png" });
    let refused = TestBot::<Announcer>::start(config).err().unwrap_or_default();
    assert!(refused.contains("config.media 'no/such/banner.png' is not a file"), "{refused}");
    assert!(refused.contains("working directory"), "{refused}");
}

#[test]
fn a_config_without_rooms_is_refused() {
    let refused = TestBot::<Announcer>::start(json!({ "rooms": [], "text": "hi" })).err().unwrap_or_default();
    assert!(refused.contains("config.rooms is empty"), "{refused}");
}

#[test]
fn a_person_entering_a_room_is_greeted_there_by_name() {
    let config = json!({ "rooms": ["lobby"], "text": "Doors open at 9", "greeting": "Welcome, {user}!" });
    let mut bot = TestBot::<Announcer>::start(config).unwrap();
    bot.room_entered("hall", "alice").unwrap();
    let sends = bot.sends();
    let greeted: Vec<_> = sends.iter().map(|send| (send.to().0, send.text())).collect();
    assert_eq!(greeted, [("hall", Some("Welcome, alice!"))]);
}

#[test]
fn without_a_greeting_nobody_is_greeted() {
    let mut bot = announcer();
    bot.room_entered("lobby", "alice").unwrap();
    assert!(bot.sends().is_empty());
}
