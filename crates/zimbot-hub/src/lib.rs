//! The embedded hub: a local stand-in for the ZIM service, so `zimbot run bots.yaml` works with no account.
//!
//! It speaks the same wire as the service (see `reference/ZIM-API.md`), so the runtime has one code path for
//! both: the runtime's client sends through the hub's Server API and the runtime's webhook receives the hub's
//! callbacks. It is not a chat server for production: one process, one app, one SQLite file.
//!
//! What it serves (all on one listener):
//! - **Server API** at `POST /?Action=...`: `SendPeerMessage`, `SendRoomMessage`, `SendGroupMessage`,
//!   `RobotRegister`, `UserRegister`, `CreateRoom`, `CreateGroup`, `InviteUsersIntoGroup`, read by the hub's own
//!   decoding and checked against the published request schemas (`zimbot-contract`), with the service's signature,
//!   timestamp and app id checks and per-action QPS over a sliding one-second window, counted once a request is
//!   authenticated (code 7). Answers are typed as published. Rooms exist once created and are destroyed after
//!   their destroy delay once empty (see `rooms`); groups are created, invited into and disbanded as documented,
//!   their ids never reused (see `server_api`). A room message reaches only the people in the room as it is sent,
//!   and a person's view of a room's history holds only those (see `delivery`).
//! - **Callbacks**: every accepted message fires `send_msg` (and `bot_msg` for a peer message to an `@RBT#`
//!   user), and rooms, groups and presence fire `room_create`, `room_destroy`, `room_enter`, `room_exit`,
//!   `group_create`, `group_destroy`, `group_join`, `group_exit` and `user_action` (see `membership`), at
//!   [`HubConfig::callback_url`], signed with sha1, retried after each of [`HubConfig::callback_retry_delays`], in
//!   order per conversation, never blocking the APIs.
//! - **Media store**: `PUT /media/{uid}/{file_name}` with an upload token (from `POST /client/v1/uploads`, or
//!   `POST /media/tokens` signed like the Server API, or an operator's upload key) streams a file to disk under a
//!   size cap (413) and the storage quotas (507), never over a stored file (409), and answers `{"url": ...}`; `GET`
//!   serves it back with `Range` support, as an attachment unless its type cannot run script.
//! - **Client API** under `/client/v1/` for people and tests: post as a user (never as a bot), history,
//!   conversations, users, upload tokens, a server-sent event stream of new messages, entering and leaving rooms,
//!   joining and leaving groups, and presence (see `client_api`).
//! - `GET /`, the chat page, with the files it loads (`/app.js`, `/style.css`, `/favicon.svg`), compiled in from
//!   the crate's `static/` folder; `GET /healthz`; `GET /stats` ([`HubStats`]). Every answer carries
//!   `X-Content-Type-Options: nosniff` and a Content-Security-Policy.
//!
//! Everything is served through `zimbot_listener` with [`HubConfig::limits`] (timeouts, connection and request
//! caps). What the hub trusts is summed up in SECURITY.md at the repository root.
//!
//! History, users and per-conversation seqs live in SQLite and media files under [`HubConfig::data_dir`], so a
//! restart on the same directory keeps them, and so does every callback still owed (see `callbacks`).
//!
//! Groups live in the same SQLite file; rooms live in memory (a restart disconnects everyone, so every room goes).
//!
//! Main types: [`HubConfig`] (with its clock, a `zimbot_clock::Clock`), [`Hub`], [`ServerAction`], [`HubStats`],
//! [`HubError`]. The JSON the client API answers with is documented in `client_api`, not as Rust types.

mod callbacks;
mod client_api;
use zimbot_clock as clock;
mod config;
mod conversation;
mod delivery;
mod delivery_order;
mod error;
mod events;
mod hub;
mod media;
mod membership;
mod message;
mod page;
mod qps;
mod rooms;
mod routes;
mod server_api;
mod state;
mod stats;
mod store;

pub use config::HubConfig;
pub use error::HubError;
pub use hub::Hub;
/// How the media store reads a `Range` header; public so it can be fuzzed on its own (see `fuzz/`).
pub use media::{parse_range, RangeRequest};
pub use server_api::ServerAction;
pub use stats::HubStats;
