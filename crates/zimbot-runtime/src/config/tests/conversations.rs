//! The declared `rooms:` and `groups:`.

use super::support::{only_problem, valid};
use zimbot_model::{ConversationId, UserId};

#[test]
fn declared_rooms_and_groups_are_read_with_their_settings() {
    let config = valid(
        "rooms:\n  - { id: lobby, name: Lobby, destroy_delay_secs: 600 }\n  - { id: hall }\ngroups:\n  - { id: team, owner: \"@RBT#a\", members: [alice, bob] }\nbots: []\n",
    );
    let rooms: Vec<_> =
        config.rooms.iter().map(|room| (room.id.as_str(), room.name.as_str(), room.destroy_delay_secs)).collect();
    assert_eq!(rooms, [("lobby", "Lobby", Some(600)), ("hall", "hall", None)]);
    assert_eq!(config.groups[0].id, ConversationId::new("team"));
    assert_eq!(config.groups[0].owner, UserId::new("@RBT#a"));
    assert_eq!(config.groups[0].members, [UserId::new("alice"), UserId::new("bob")]);
}

#[test]
fn a_destroy_delay_over_the_services_limit_is_refused_at_its_place() {
    let (line, _, _, message) = only_problem("rooms:\n  - { id: lobby, destroy_delay_secs: 10801 }\nbots: []\n");
    assert_eq!(line, 2, "{message}");
    assert!(message.contains("10800"), "{message}");
}

#[test]
fn a_group_id_starting_with_a_hash_is_refused() {
    let (_, _, _, message) = only_problem("groups:\n  - { id: \"#1\", owner: alice }\nbots: []\n");
    assert!(message.contains("starts with '#'"), "{message}");
}

#[test]
fn a_room_declared_twice_is_refused() {
    let (line, _, _, message) = only_problem("rooms:\n  - { id: lobby }\n  - { id: lobby }\nbots: []\n");
    assert_eq!(line, 3, "{message}");
    assert!(message.contains("declared twice"), "{message}");
}
