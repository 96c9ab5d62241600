//! Scaffolding a new plugin crate (placeholder until the template lands).

use std::path::{Path, PathBuf};

pub fn scaffold(name: &str, dir: &Path) -> anyhow::Result<PathBuf> {
    anyhow::bail!("new-plugin is not available yet (wanted '{name}' in {})", dir.display())
}
