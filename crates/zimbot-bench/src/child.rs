//! Running child processes from async code without tokio's `process` feature (kept out of the workspace's
//! tokio so this crate does not change how the others build): the blocking calls go to the blocking pool.

use anyhow::Context as _;
use std::process::{Command, Output};

/// Runs `command` to completion and returns its output.
pub async fn output(mut command: Command) -> anyhow::Result<Output> {
    let program = command.get_program().to_string_lossy().into_owned();
    tokio::task::spawn_blocking(move || command.output())
        .await
        .context("the blocking pool")?
        .with_context(|| format!("running {program}"))
}
