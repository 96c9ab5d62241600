//! A room as the service keeps it, end to end: the `zimbot` binary with the embedded hub and the announcer, a
//! person entering and leaving `lobby` through the hub's client API, the room destroyed once empty for its
//! (test-shortened) destroy delay, and the announcer's next scheduled post creating it again.

mod support;

use serde_json::json;
use support::*;

const ANNOUNCER: &str = r#"  - id: announcer
    user_id: "@RBT#announcer"
    plugin: announcer
    listen: { rooms: [lobby] }
    schedules: [{ id: often, cron: "*/3 * * * * *" }]
    config: { rooms: [lobby], text: "Scheduled news", greeting: "Welcome, {user}!" }
"#;

/// Rooms are destroyed one second after they empty.
const SHORT_DELAY: &str = "    max_room_destroy_delay_secs: 1\n";

async fn client_post(hub: &str, path: &str, body: serde_json::Value) {
    let response = http().post(format!("{hub}{path}")).json(&body).send().await.expect("the hub answers");
    assert_eq!(response.status(), 200, "POST {path}");
}

fn lists_lobby(rooms: &serde_json::Value) -> bool {
    rooms["rooms"].as_array().is_some_and(|rooms| rooms.iter().any(|room| room["room_id"] == "lobby"))
}

/// The next text the announcer says in the subscribed conversation that is `text`, skipping its other posts.
async fn announcer_says(events: &mut Events, text: &str) -> serde_json::Value {
    loop {
        let event = events.next_from("@RBT#announcer").await;
        if event["text"] == text {
            return event;
        }
    }
}

#[tokio::test]
async fn a_person_entering_lobby_is_greeted_and_the_emptied_room_is_destroyed_then_recreated_by_the_next_post() {
    let setup = Setup::new();
    let zimbot = setup.run(&setup.write_hub_config_with(SHORT_DELAY, ANNOUNCER)).await;
    let hub = setup.hub_url();

    let mut events = Events::subscribe(&hub, "conv_type=room&conv_id=lobby").await;
    client_post(&hub, "/client/v1/rooms/lobby/enter", json!({"user": "alice"})).await;
    announcer_says(&mut events, "Welcome, alice!").await;

    client_post(&hub, "/client/v1/rooms/lobby/leave", json!({"user": "alice"})).await;
    json_until(&format!("{hub}/client/v1/rooms"), "lobby destroyed", |rooms| !lists_lobby(rooms)).await;

    // Subscribed once the room is gone: a post seen now went to a room that had to be created again.
    let mut after = Events::subscribe(&hub, "conv_type=room&conv_id=lobby").await;
    announcer_says(&mut after, "Scheduled news").await;
    let rooms = get_json(&format!("{hub}/client/v1/rooms")).await;
    let lobby = rooms["rooms"].as_array().unwrap().iter().find(|room| room["room_id"] == "lobby").cloned();
    assert_eq!(lobby.map(|room| room["members"].clone()), Some(json!([])), "re-created, with nobody in it: {rooms}");
    assert!(zimbot.stop().await.success());
}

#[tokio::test]
async fn the_declared_rooms_and_groups_are_created_as_zimbot_starts() {
    let declared = format!(
        "{ANNOUNCER}rooms:\n  - {{ id: hall, name: Great Hall, destroy_delay_secs: 600 }}\ngroups:\n  - {{ id: staff, owner: \"@RBT#announcer\" }}\n"
    );
    let setup = Setup::new();
    let zimbot = setup.run(&setup.write_hub_config(&declared)).await;
    let hub = setup.hub_url();
    // Created in the background of the start, once their creators are registered: soon after the ready line.
    let has_hall = |rooms: &serde_json::Value| {
        rooms["rooms"].as_array().is_some_and(|rooms| rooms.iter().any(|room| room["room_id"] == "hall"))
    };
    let rooms = json_until(&format!("{hub}/client/v1/rooms"), "the declared room hall", has_hall).await;
    json_until(&format!("{hub}/client/v1/groups/staff"), "the declared group staff", |staff| {
        staff["members"] == json!(["@RBT#announcer"])
    })
    .await;
    let hall = rooms["rooms"].as_array().unwrap().iter().find(|room| room["room_id"] == "hall").cloned();
    assert_eq!(hall.map(|room| room["name"].clone()), Some(json!("Great Hall")), "{rooms}");
    let joined = http().post(format!("{hub}/client/v1/groups/staff/join")).json(&json!({"user": "alice"})).send().await;
    let staff: serde_json::Value = joined.unwrap().json().await.unwrap();
    assert_eq!(staff["members"], json!(["@RBT#announcer", "alice"]), "created with its owner: {staff}");
    assert!(zimbot.stop().await.success());
}

#[tokio::test]
async fn a_declared_room_found_gone_is_created_again_with_its_declared_name_and_delay_and_counted() {
    // Declared with a one-second delay: created empty at start, it is gone before the announcer's first post.
    let declared = format!("{ANNOUNCER}rooms:\n  - {{ id: lobby, name: Lobby Hall, destroy_delay_secs: 1 }}\n");
    let setup = Setup::new();
    let zimbot = setup.run(&setup.write_hub_config(&declared)).await;
    let hub = setup.hub_url();

    let metrics_url = format!("{}/metrics", setup.webhook_url());
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while metric(&get_text(&metrics_url).await, "zimbot_rooms_recreated_total") < 1.0 {
        assert!(tokio::time::Instant::now() < deadline, "no room was created again");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Any lobby from now on was made by a send that found it gone (each lives a second, every 3 s).
    let lobby = json_until(&format!("{hub}/client/v1/rooms/lobby"), "lobby again", |room| room["exists"] == true).await;
    assert_eq!(
        (lobby["name"].clone(), lobby["destroy_delay_secs"].clone()),
        (json!("Lobby Hall"), json!(1)),
        "created as declared, not with the service's defaults: {lobby}"
    );
    assert!(zimbot.stop().await.success());
}
