//! bots.yaml: loading, `${VAR}` expansion, checking, and the typed configuration the runtime runs with.
//!
//! [`load`] (or [`parse`]) returns either a checked [`Config`] or [`ConfigErrors`]: every problem in the
//! file at once, each with `FILE:LINE:COL`, the bot it is in, and what to do.
//!
//! How it reads a file:
//! 1. `node` parses the YAML with yaml-rust2's event parser into a small tree that keeps each node's line
//!    and column in the original text (serde_yaml's `Value` forgets them).
//! 2. `env` expands `${VAR}` / `${VAR:-default}` inside scalar values, so positions stay those of the file.
//! 3. `de` is a serde `Deserializer` over that tree; the typed shapes in `raw` (with `deny_unknown_fields`)
//!    are read through it, the settings and each bot separately, and `recover` re-reads a part after each
//!    problem with the offending entry hidden, so one problem does not hide the next.
//! 4. `resolve_settings` and `resolve_bot` check meaning (ids, regexes, cron, time zones, plugins) and build
//!    the types below; `load` adds the checks across bots (unique ids and user ids).
//!
//! Main types: [`Config`], [`BotConfig`], [`Listen`], [`ScheduleConfig`], [`ConfigErrors`], [`PluginResolver`].

mod bot;
mod de;
mod de_error;
mod env;
mod error;
mod listen;
mod load;
mod location;
mod node;
mod plugin;
mod raw;
mod recover;
mod report;
mod resolve_bot;
mod resolve_settings;
mod schema;
mod settings;
mod suggest;

#[cfg(test)]
mod tests;

pub use bot::{BotConfig, ScheduleConfig};
pub use error::{ConfigError, ConfigErrors};
pub use listen::{Listen, Selector};
pub use load::{load, parse};
pub use location::Location;
pub use plugin::{AcceptAnyPlugin, PluginResolver};
pub use schema::json_schema;
pub use settings::{Backend, Config, HubSettings, MediaStoreSettings, WebhookConfig, ZimConfig};
