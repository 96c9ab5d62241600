//! `zimbot new-plugin NAME`: scaffolds a plugin crate.

use std::path::Path;
use std::process::ExitCode;

pub fn new_plugin(name: &str, dir: &Path) -> anyhow::Result<ExitCode> {
    let created = crate::scaffold::scaffold(name, dir)?;
    println!("created plugin '{name}' in {}", created.display());
    println!("build it with `cargo build --manifest-path {}/Cargo.toml`", created.display());
    println!("and point a bot at it in bots.yaml: `plugin: {name}` (with its target folder in plugin_dirs)");
    Ok(ExitCode::SUCCESS)
}
