//! Creating the rooms and groups a bots.yaml declares (`rooms:`, `groups:`) once the bots are registered.
//!
//! A room that exists is fine; a room that cannot be created is logged and `zimbot run` goes on (its first send
//! creates it again). A group id in use is fine too, but it may belong to a group that was disbanded: ids are never
//! reused, so zimbot never makes such a group again, and sends to it fail with a message saying so.

use anyhow::Context as _;
use std::time::Duration;
use zimbot_client::{Created, GroupSpec, RoomSpec, ServerApiConfig, ServerApiTransport};
use zimbot_model::UserId;
use zimbot_runtime::config::Config;

/// Creates the declared rooms (as the first bot's user, who does not join them) and groups.
pub async fn create_declared(config: &Config) -> anyhow::Result<()> {
    if config.rooms.is_empty() && config.groups.is_empty() {
        return Ok(());
    }
    let transport = ServerApiTransport::new(ServerApiConfig {
        base_url: config.zim.api_base.clone(),
        app_id: config.zim.app_id,
        server_secret: config.zim.server_secret.clone(),
        request_timeout: Duration::from_millis(config.client.request_timeout_ms),
    })
    .with_context(|| format!("{}: zim: the Server API settings", config.source.display()))?;
    if let Some(creator) = config.bots.first().map(|bot| bot.user_id.clone()) {
        for room in &config.rooms {
            create_room(&transport, &creator, room).await;
        }
    } else if !config.rooms.is_empty() {
        tracing::warn!("rooms are declared but no bot is: nobody can create them (a room needs a registered creator)");
    }
    for group in &config.groups {
        let spec = GroupSpec {
            group_id: group.id.clone(),
            name: group.name.clone(),
            owner: group.owner.clone(),
            members: group.members.clone(),
        };
        match transport.create_group(&spec).await {
            Ok(Created::Created) => tracing::info!(group = %group.id, "created the declared group"),
            Ok(Created::Existed) => tracing::info!(
                group = %group.id,
                "the declared group's id is in use already (if that group was disbanded, sends to it fail: a group \
                 id is never used again, so declare a new one)"
            ),
            Err(error) => tracing::warn!(group = %group.id, "could not create the declared group: {error}"),
        }
    }
    Ok(())
}

async fn create_room(transport: &ServerApiTransport, creator: &UserId, room: &zimbot_runtime::config::RoomConfig) {
    let spec =
        RoomSpec { room_id: room.id.clone(), name: room.name.clone(), destroy_delay_secs: room.destroy_delay_secs };
    match transport.create_declared_room(creator, &spec).await {
        Ok(Created::Created) => tracing::info!(room = %room.id, "created the declared room"),
        Ok(Created::Existed) => tracing::debug!(room = %room.id, "the declared room exists"),
        Err(error) => {
            tracing::warn!(room = %room.id, "could not create the declared room (its first send will): {error}")
        }
    }
}
