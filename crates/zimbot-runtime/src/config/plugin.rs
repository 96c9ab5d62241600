//! How bots.yaml checks that a bot's `plugin` names something loadable, without the config knowing how
//! plugins are loaded (that is the plugin host's business).

use std::path::PathBuf;

/// Answers whether a bot's `plugin` value resolves to a plugin: a built-in name, a library name found in
/// one of `plugin_dirs`, or a path to a library.
///
/// `check` is called once per bot while loading bots.yaml. It must not load or run anything; an `Err` holds a
/// message saying what was looked for and where (it is shown after the file, line and bot id).
pub trait PluginResolver {
    fn check(&self, plugin: &str, plugin_dirs: &[PathBuf]) -> Result<(), String>;
}

/// Accepts every plugin: for tools that read bots.yaml without hosting plugins (schema checks, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptAnyPlugin;

impl PluginResolver for AcceptAnyPlugin {
    fn check(&self, _plugin: &str, _plugin_dirs: &[PathBuf]) -> Result<(), String> {
        Ok(())
    }
}
