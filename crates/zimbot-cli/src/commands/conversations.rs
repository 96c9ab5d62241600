//! Creating the rooms and groups a bots.yaml declares (`rooms:`, `groups:`), in the background of `zimbot run`,
//! each as soon as the bot users it needs are registered.
//!
//! Sends to a declared conversation are held in the client until zimbot has tried to create it, so that no bot
//! sends to a declared group before it exists (a send to a group that does not exist fails for good: group ids are
//! never reused). A room that exists is fine; a room that cannot be created is logged and its sends go on (a send
//! creates its room again). A group id in use is fine too, but it may belong to a group that was disbanded: ids are
//! never reused, so zimbot never makes such a group again, and sends to it fail with a message saying so.

use anyhow::Context as _;
use std::time::Duration;
use zimbot_client::{Client, Created, GroupSpec, RoomSpec, ServerApiConfig, ServerApiTransport};
use zimbot_model::{ConversationId, ConversationType, UserId};
use zimbot_runtime::config::Config;

/// The declared rooms and groups of a bots.yaml, with the transport that creates them.
pub struct Declared {
    transport: ServerApiTransport,
    /// The user rooms are created as (the first bot's, who does not join them).
    creator: Option<UserId>,
    rooms: Vec<RoomSpec>,
    groups: Vec<GroupSpec>,
}

impl Declared {
    /// The declared conversations of `config`, or `None` when it declares none.
    pub fn of(config: &Config) -> anyhow::Result<Option<Declared>> {
        if config.rooms.is_empty() && config.groups.is_empty() {
            return Ok(None);
        }
        let transport = ServerApiTransport::new(ServerApiConfig {
            base_url: config.zim.api_base.clone(),
            app_id: config.zim.app_id,
            server_secret: config.zim.server_secret.clone(),
            request_timeout: Duration::from_millis(config.client.request_timeout_ms),
        })
        .with_context(|| format!("{}: zim: the Server API settings", config.source.display()))?;
        let rooms = config
            .rooms
            .iter()
            .map(|room| RoomSpec {
                room_id: room.id.clone(),
                name: room.name.clone(),
                destroy_delay_secs: room.destroy_delay_secs,
            })
            .collect();
        let groups = config
            .groups
            .iter()
            .map(|group| GroupSpec {
                group_id: group.id.clone(),
                name: group.name.clone(),
                owner: group.owner.clone(),
                members: group.members.clone(),
            })
            .collect();
        let creator = config.bots.first().map(|bot| bot.user_id.clone());
        Ok(Some(Declared { transport, creator, rooms, groups }))
    }

    /// Every declared conversation, to hold its sends until [`Declared::create`] has tried to make it.
    pub fn conversations(&self) -> Vec<(ConversationType, ConversationId)> {
        let rooms = self.rooms.iter().map(|room| (ConversationType::Room, room.room_id.clone()));
        let groups = self.groups.iter().map(|group| (ConversationType::Group, group.group_id.clone()));
        rooms.chain(groups).collect()
    }

    /// Creates each declared room and group once the users it needs are registered (a room its creator, a group
    /// its owner and members), releasing its held sends after the attempt, whatever its outcome.
    pub async fn create(self, client: Client) {
        match &self.creator {
            Some(creator) => {
                for room in &self.rooms {
                    match client.registered(std::slice::from_ref(creator)).await {
                        Ok(()) => create_room(&self.transport, creator, room).await,
                        Err(error) => tracing::warn!(
                            room = %room.room_id,
                            "not creating the declared room: its creator {creator} could not be registered: {error}"
                        ),
                    }
                    client.release_conversation(ConversationType::Room, &room.room_id);
                }
            }
            None if !self.rooms.is_empty() => {
                tracing::warn!(
                    "rooms are declared but no bot is: nobody can create them (a room needs a registered creator)"
                );
                for room in &self.rooms {
                    client.release_conversation(ConversationType::Room, &room.room_id);
                }
            }
            None => {}
        }
        for group in &self.groups {
            let users: Vec<UserId> = std::iter::once(group.owner.clone()).chain(group.members.clone()).collect();
            match client.registered(&users).await {
                Ok(()) => create_group(&self.transport, group).await,
                Err(error) => tracing::warn!(
                    group = %group.group_id,
                    "not creating the declared group: a bot user it needs could not be registered: {error}"
                ),
            }
            client.release_conversation(ConversationType::Group, &group.group_id);
        }
    }
}

async fn create_room(transport: &ServerApiTransport, creator: &UserId, room: &RoomSpec) {
    match transport.create_declared_room(creator, room).await {
        Ok(Created::Created) => tracing::info!(room = %room.room_id, "created the declared room"),
        Ok(Created::Existed) => tracing::debug!(room = %room.room_id, "the declared room exists"),
        Err(error) => {
            tracing::warn!(room = %room.room_id, "could not create the declared room (its first send will): {error}")
        }
    }
}

async fn create_group(transport: &ServerApiTransport, group: &GroupSpec) {
    match transport.create_group(group).await {
        Ok(Created::Created) => tracing::info!(group = %group.group_id, "created the declared group"),
        Ok(Created::Existed) => tracing::info!(
            group = %group.group_id,
            "the declared group's id is in use already (if that group was disbanded, sends to it fail: a group \
             id is never used again, so declare a new one)"
        ),
        Err(error) => tracing::warn!(group = %group.group_id, "could not create the declared group: {error}"),
    }
}
