//! The release artifacts some scenarios use: the `zimbot` binary and the echo plugin's library, built with
//! cargo when they are missing or stale (a no-op when current).

use anyhow::Context as _;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The workspace root (two folders above this crate).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The folder this binary runs from (`target/release` under `cargo run --release`).
pub fn profile_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("the benchmark's own path")?;
    exe.parent().map(PathBuf::from).context("the benchmark binary has no folder")
}

/// Builds `zimbot` and the echo plugin in this binary's profile, once; returns the folder holding them.
pub fn ensure_built() -> anyhow::Result<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = profile_dir().map_err(|error| error.to_string())?;
            let mut command = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            command.current_dir(workspace_root()).args(["build", "-q", "-p", "zimbot-cli", "-p", "echo"]);
            if dir.file_name().is_some_and(|name| name == "release") {
                command.arg("--release");
            }
            match command.status() {
                Ok(status) if status.success() => Ok(dir),
                Ok(status) => Err(format!("cargo build -p zimbot-cli -p echo failed: {status}")),
                Err(error) => Err(format!("cannot run cargo to build zimbot and the echo plugin: {error}")),
            }
        })
        .clone()
        .map_err(|message| anyhow::anyhow!(message))
}
