//! The `zimbot` command: run bots, check a bots.yaml, run the embedded hub, send one file, scaffold a plugin,
//! print the bots.yaml schema, look at and act on the inbox journal. This binary only wires the library crates
//! together.

mod builtins;
mod commands;
mod logging;
mod scaffold;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "zimbot", version, about = "A plugin-based bot framework for ZIM in-app chat")]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = logging::LogFormat::Text)]
    log_format: logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the bots of a bots.yaml (with the embedded hub when `zim.backend: hub`) until Ctrl-C / SIGTERM.
    Run {
        /// The bots.yaml to run.
        #[arg(default_value = "bots.yaml")]
        config: PathBuf,
    },
    /// Check a bots.yaml: every problem with FILE:LINE:COL, every plugin loaded, each schedule's next fire times.
    Check {
        #[arg(default_value = "bots.yaml")]
        config: PathBuf,
        /// Also ask the services: register the bots with the ZIM service and report whether it accepts the app id,
        /// the server secret and this machine's clock; and with the S3 media store, write, read back through its
        /// public link and delete one small object.
        #[arg(long)]
        online: bool,
    },
    /// Run the embedded ZIM stand-in on its own.
    Hub(commands::hub::HubArgs),
    /// Send one media file as a bot, with a progress bar, and print the result.
    Send(commands::send::SendArgs),
    /// The durable outbox: list pending and failed sends, queue failed ones again, or purge them.
    Outbox(commands::outbox::OutboxArgs),
    /// Create a new plugin crate with every hook stubbed, a README and a test.
    NewPlugin {
        /// The plugin's name (a crate name: letters, digits, `-`, `_`).
        name: String,
        /// Where to create it.
        #[arg(long, default_value = "plugins")]
        dir: PathBuf,
    },
    /// Print the JSON Schema of bots.yaml (for editor completion and checks).
    Schema,
    /// The inbox journal: list pending and dead messages, retry or purge them (while zimbot runs or not).
    Inbox(commands::inbox::InboxArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run { config } => commands::run::run(&config).await,
            Command::Check { config, online } => commands::check::check(&config, online).await,
            Command::Hub(args) => commands::hub::hub(args).await,
            Command::Send(args) => commands::send::send(args).await,
            Command::Outbox(args) => commands::outbox::outbox(args),
            Command::NewPlugin { name, dir } => commands::new_plugin::new_plugin(&name, &dir),
            Command::Schema => commands::schema::schema(),
            Command::Inbox(args) => commands::inbox::inbox(args),
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
