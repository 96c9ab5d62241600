//! Installs the peers the `peers` scenario measures zimbot against, pinned, under `target/peers/`: Hubot from npm
//! and errbot from PyPI (in a virtual environment), each with the benchmark's own minimal app from `fixtures/`
//! (a Hubot adapter and script with a callback route; an errbot plugin with a callback webhook). An install that
//! is already there at the pinned version is kept.

use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const HUBOT_VERSION: &str = "14.1.0";
pub const ERRBOT_VERSION: &str = "6.2.1";
/// errbot's Null backend (a backend with no chat service, for a bot that only serves webhooks) imports pytest.
const PYTEST_VERSION: &str = "8.3.5";

const HUBOT_ADAPTER: &str = include_str!("../fixtures/hubot/ZimBenchAdapter.mjs");
const HUBOT_SCRIPT: &str = include_str!("../fixtures/hubot/zim-callback.mjs");
const ERRBOT_PLUGIN: &str = include_str!("../fixtures/errbot/zimcallback.py");
const ERRBOT_PLUG: &str = include_str!("../fixtures/errbot/zimcallback.plug");

/// Where each installed peer runs from.
pub struct Peers {
    pub hubot: PathBuf,
    pub errbot: PathBuf,
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{command:?}");
    let output = command.output().with_context(|| format!("running {shown}"))?;
    anyhow::ensure!(
        output.status.success(),
        "{shown} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).lines().rev().take(20).collect::<Vec<_>>().join("\n")
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Installs Hubot and errbot under `root` (when not there yet at the pinned versions) with their apps.
pub fn install(root: &Path) -> anyhow::Result<Peers> {
    Ok(Peers { hubot: install_hubot(&root.join("hubot"))?, errbot: install_errbot(&root.join("errbot"))? })
}

fn install_hubot(directory: &Path) -> anyhow::Result<PathBuf> {
    let package = directory.join("node_modules/hubot/package.json");
    let installed = std::fs::read_to_string(&package)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|package| package["version"] == HUBOT_VERSION);
    if !installed {
        eprintln!("zimbot-bench: installing hubot {HUBOT_VERSION} (npm) into {}", directory.display());
        std::fs::create_dir_all(directory).with_context(|| format!("creating {}", directory.display()))?;
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(directory)
            .arg(format!("hubot@{HUBOT_VERSION}")))
        .context("installing Hubot needs node and npm")?;
    }
    write(&directory.join("ZimBenchAdapter.mjs"), HUBOT_ADAPTER)?;
    write(&directory.join("zim-scripts/zim-callback.mjs"), HUBOT_SCRIPT)?;
    Ok(directory.to_owned())
}

fn install_errbot(directory: &Path) -> anyhow::Result<PathBuf> {
    let marker = directory.join(format!("installed-errbot-{ERRBOT_VERSION}"));
    if !marker.exists() {
        eprintln!(
            "zimbot-bench: installing errbot {ERRBOT_VERSION} (pip, in a virtual environment) into {}",
            directory.display()
        );
        std::fs::create_dir_all(directory).with_context(|| format!("creating {}", directory.display()))?;
        run(Command::new("python3").args(["-m", "venv"]).arg(directory.join("venv")))
            .context("installing errbot needs python3 with venv")?;
        run(Command::new(directory.join("venv/bin/pip")).args([
            "install",
            "--quiet",
            &format!("errbot=={ERRBOT_VERSION}"),
            &format!("pytest=={PYTEST_VERSION}"),
        ]))?;
        write(&marker, "")?;
    }
    write(&directory.join("plugins/zimcallback/zimcallback.py"), ERRBOT_PLUGIN)?;
    write(&directory.join("plugins/zimcallback/zimcallback.plug"), ERRBOT_PLUG)?;
    let config = format!(
        "import logging\nBACKEND = \"Null\"\nBOT_DATA_DIR = r\"{data}\"\nBOT_EXTRA_PLUGIN_DIR = r\"{plugins}\"\n\
         BOT_LOG_FILE = r\"{log}\"\nBOT_LOG_LEVEL = logging.WARNING\nBOT_ADMINS = (\"@zimbot-bench\",)\n\
         CORE_PLUGINS = (\"Webserver\",)\n",
        data = directory.join("data").display(),
        plugins = directory.join("plugins").display(),
        log = directory.join("errbot.log").display(),
    );
    std::fs::create_dir_all(directory.join("data")).context("creating errbot's data directory")?;
    write(&directory.join("config.py"), &config)?;
    // The Webserver plugin's settings live in errbot's storage: loopback, and port 0 (the plugin prints the port).
    let mut merge = Command::new(directory.join("venv/bin/errbot"));
    merge
        .current_dir(directory)
        .args(["-c", "config.py", "--storage-merge", "core"])
        .stdin(std::process::Stdio::piped());
    let mut child = merge.spawn().context("running errbot --storage-merge")?;
    let settings = "{'configs': {'Webserver': {'HOST': '127.0.0.1', 'PORT': 0, 'SSL': {'enabled': False, \
                    'host': '127.0.0.1', 'port': 0, 'certificate': '', 'key': ''}}}}";
    std::io::Write::write_all(&mut child.stdin.take().context("errbot's stdin")?, settings.as_bytes())?;
    anyhow::ensure!(child.wait()?.success(), "errbot --storage-merge core failed");
    Ok(directory.to_owned())
}
