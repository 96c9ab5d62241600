//! One module per subcommand, and the shared piece that builds the send client from a bots.yaml.

pub mod check;
pub mod check_online;
pub mod client;
pub mod conversations;
pub mod hub;
pub mod inbox;
pub mod new_plugin;
pub mod outbox;
pub mod outbox_store;
pub mod run;
pub mod schema;
pub mod send;
pub mod stop_signal;
pub mod storage;

use std::path::Path;
use std::process::ExitCode;
use zimbot_runtime::config::{self, Config};
use zimbot_runtime::PluginCatalog;

/// Loads a bots.yaml, printing every problem (FILE:LINE:COL: bot 'ID': message) when there are any.
pub fn load_config(path: &Path, catalog: &PluginCatalog) -> Result<Config, ExitCode> {
    config::load(path, catalog).map_err(|errors| {
        for error in errors.iter() {
            eprintln!("{error}");
        }
        eprintln!("{} problem(s) in {}", errors.len(), path.display());
        ExitCode::FAILURE
    })
}
