//! `zimbot new-plugin NAME`: scaffolds a plugin crate.

use std::path::Path;
use std::process::ExitCode;

pub fn new_plugin(name: &str, dir: &Path) -> anyhow::Result<ExitCode> {
    let made = crate::scaffold::scaffold(name, dir)?;
    println!("created plugin '{name}' in {}", made.root.display());
    println!("build it with `{}` in {}", made.build, made.build_in.display());
    println!(
        "and point a bot at it in bots.yaml: `plugin: {name}`, with {} in plugin_dirs",
        made.library_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
