//! The echo bot's `config:` section, and the files it names.

use serde::Deserialize;
use std::io::Write as _;
use std::path::PathBuf;
use zimbot_sdk::model::MediaKind;

/// Where the echo bot's files are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EchoConfig {
    /// The folder `!file NAME` sends from. Relative paths are relative to the directory zimbot runs in.
    pub assets: PathBuf,
    /// The file `!progress` sends; made at start when missing.
    pub large_file: PathBuf,
    /// The size of a made `large_file`, in MiB.
    pub large_file_mib: u64,
}

impl Default for EchoConfig {
    fn default() -> Self {
        Self {
            assets: PathBuf::from("assets"),
            large_file: std::env::temp_dir().join("zimbot-echo").join("progress.bin"),
            large_file_mib: 8,
        }
    }
}

impl EchoConfig {
    /// The path and media kind of asset `name`, or the answer to give when there is none.
    pub fn asset(&self, name: &str) -> Result<(PathBuf, MediaKind), String> {
        // Only names inside the folder: no way up or out of it.
        if name.is_empty() || name.contains(['/', '\\']) || name.contains("..") {
            return Err(format!("'{name}' is not a file name I can send; send !file NAME with a name from my assets"));
        }
        let path = self.assets.join(name);
        if !path.is_file() {
            return Err(format!("I have no asset named '{name}'"));
        }
        let kind = MediaKind::from_extension(path.extension().and_then(|ext| ext.to_str()).unwrap_or_default());
        Ok((path, kind))
    }

    /// The name receivers see for the `!progress` file (and how its sends are recognised).
    pub fn large_file_name(&self) -> String {
        format!("echo-progress-{}MiB.bin", self.large_file_mib)
    }

    /// Makes `large_file` when it is missing; `Ok(true)` when it was made.
    pub fn ensure_large_file(&self) -> Result<bool, String> {
        if self.large_file.is_file() {
            return Ok(false);
        }
        let failed = |error: std::io::Error| {
            format!(
                "cannot make config.large_file '{}': {error}; point it at a writable path",
                self.large_file.display()
            )
        };
        if let Some(folder) = self.large_file.parent().filter(|folder| !folder.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(failed)?;
        }
        // Written under a temporary name and renamed, so a second bot never sees a half-written file.
        let partial = self.large_file.with_extension(format!("partial-{}", std::process::id()));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&partial).map_err(failed)?);
        let chunk: Vec<u8> = (0..=255u8).cycle().take(1024 * 1024).collect();
        for _ in 0..self.large_file_mib {
            file.write_all(&chunk).map_err(failed)?;
        }
        file.flush().map_err(failed)?;
        drop(file);
        std::fs::rename(&partial, &self.large_file).map_err(failed)?;
        Ok(true)
    }
}
