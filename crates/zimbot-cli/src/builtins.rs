//! The plugins compiled into the `zimbot` binary: the three example plugins, usable as `plugin: echo`,
//! `plugin: announcer` and `plugin: media-poster` with no library to build. A library of the same name in
//! `plugin_dirs` is chosen over a built-in (see `PluginCatalog`), and `zimbot check` says which was.

use zimbot_runtime::PluginCatalog;
use zimbot_sdk::PluginFactory;

/// A catalog holding this binary's built-in plugins, each under its plugin name.
pub fn catalog() -> PluginCatalog {
    let mut catalog = PluginCatalog::new();
    register::<echo_plugin::Echo>(&mut catalog);
    register::<announcer_plugin::Announcer>(&mut catalog);
    register::<media_poster_plugin::MediaPoster>(&mut catalog);
    catalog
}

fn register<P: PluginFactory>(catalog: &mut PluginCatalog) {
    catalog.register_builtin(P::NAME, zimbot_sdk::builtin::<P>());
}
