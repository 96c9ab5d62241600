//! Ids that the service would refuse are reported at load, with their place: a bot's user id and the ids it
//! listens to are used as `FromUserId`, `ToUserId`, `RoomId` and `GroupId`, whose character set the service's
//! send actions document.

use super::support::only_problem;

#[test]
fn a_bot_user_id_with_a_character_the_send_actions_refuse_is_reported_where_it_is() {
    let text = "bots:\n  - id: echo\n    user_id: \"@RBT#echo/1\"\n    plugin: echo\n";
    let (line, column, bot, message) = only_problem(text);
    assert_eq!((line, column, bot.as_deref()), (3, 14, Some("echo")));
    assert!(message.contains("'/' at byte 9"), "{message}");
}

#[test]
fn a_listened_room_id_with_a_character_the_send_actions_refuse_is_reported_where_it_is() {
    let text =
        "bots:\n  - id: echo\n    user_id: \"@RBT#echo\"\n    plugin: echo\n    listen: { rooms: [\"l\u{f6}bby\"] }\n";
    let (line, _, bot, message) = only_problem(text);
    assert_eq!((line, bot.as_deref()), (5, Some("echo")));
    assert!(message.starts_with("`listen.rooms`: the conversation id 'l\u{f6}bby' has '\u{f6}'"), "{message}");
}
