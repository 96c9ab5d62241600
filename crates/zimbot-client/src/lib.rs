//! The shared send client (being built).

mod config;

pub use config::ClientConfig;
