//! Specifications of the hub, run against a real hub on 127.0.0.1 with a real HTTP client and, for callbacks,
//! a real receiver.

mod callback_restart;
mod callbacks;
mod client_api;
mod listener;
mod media;
mod media_attacks;
mod membership_callbacks;
mod page;
mod page_security;
mod qps;
mod restart;
mod room_delivery;
mod rooms_groups;
mod server_api;
mod support;
