//! bots.yaml: loading, `${VAR}` expansion, checking, and the typed configuration the runtime runs with.
//!
//! [`load`] (or [`parse`]) returns either a checked [`Config`] or [`ConfigErrors`]: every problem in the
//! file at once, each with `FILE:LINE:COL`, the bot it is in, and what to do.
//!
//! How it reads a file:
//! 1. `document` parses the text with serde_yaml into a `serde_yaml::Value`; malformed YAML is reported
//!    with serde_yaml's own line and column.
//! 2. The same text is scanned once more, by `positions`, with yaml-rust2's event parser, keeping only
//!    where each value and key starts, by `path` (`bots[1].listen.match`). Two parsers, because serde_yaml
//!    is the parser of record for the data but its `Value` keeps no positions and its `from_value` errors
//!    carry none; the index gives every later problem its `FILE:LINE:COL`.
//! 3. `env` expands `${VAR}` / `${VAR:-default}` in the `Value`'s strings (never keys, never the raw text),
//!    so a secret holding `#` or `:` cannot change the document and positions stay those of the file.
//! 4. serde_yaml reads the typed shapes in `raw` (with `deny_unknown_fields`) from the `Value`: the settings
//!    and each bot separately, so one bad bot does not hide another's problems (text fields take any scalar,
//!    see `text`: `rooms: [10001]` is the room "10001"). `recover` finds the path of
//!    each serde error with `serde_path_to_error`, places it through the index, takes the offending entry
//!    out and reads again, so one problem does not hide the next; `wording` adds "did you mean".
//! 5. `resolve_settings` and `resolve_bot` check meaning (ids, regexes, cron, time zones, plugins) and build
//!    the types below, placing problems through the index; `load` adds the checks across bots (unique ids
//!    and user ids).
//!
//! Main types: [`Config`], [`BotConfig`], [`Listen`], [`ScheduleConfig`], [`ConfigErrors`], [`PluginResolver`].

mod bot;
mod conversations;
mod document;
mod env;
mod error;
mod listen;
mod load;
mod location;
mod path;
mod plugin;
mod positions;
mod raw;
mod raw_media_store;
mod raw_storage;
mod recover;
mod report;
mod resolve_bot;
mod resolve_media_store;
mod resolve_settings;
mod schema;
mod settings;
mod storage;
mod suggest;
mod text;
mod wording;

#[cfg(test)]
mod tests;

pub use crate::schedule::Misfire;
pub use bot::{BotConfig, ScheduleConfig};
pub use conversations::{GroupConfig, RoomConfig};
pub use document::{MAX_CONFIG_BYTES, MAX_NESTING};
pub use error::{ConfigError, ConfigErrors};
pub use listen::{Listen, Selector};
pub use load::{load, parse};
pub use location::Location;
pub use plugin::{AcceptAnyPlugin, PluginResolver};
pub use schema::json_schema;
pub use settings::{
    Backend, Config, HttpPutStoreSettings, HubSettings, LocalStoreSettings, MediaStoreSettings, WebhookConfig,
    ZimConfig,
};
pub use storage::StorageConfig;
