//! `zimbot send`: one media message as a bot, through the same client the runtime uses, with a progress bar.

use super::client::build_client;
use anyhow::Context as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use zimbot_model::{ConversationId, ConversationType, MediaKind, MediaMessage, SendConfig, SendEvent, SendRequest};
use zimbot_runtime::Sender;
use zimbot_wire::RegisterUserInfo;

#[derive(clap::Args)]
pub struct SendArgs {
    /// The bots.yaml whose service settings and bot to use.
    #[arg(long, default_value = "bots.yaml")]
    config: PathBuf,
    /// The bot to send as (its id in bots.yaml).
    #[arg(long = "as")]
    bot: String,
    /// Where to: room:ID, group:ID or peer:USER.
    #[arg(long, value_parser = parse_target)]
    to: (ConversationType, ConversationId),
    /// The file to send.
    #[arg(long)]
    file: PathBuf,
    /// The media type; by default guessed from the file's extension.
    #[arg(long = "type")]
    kind: Option<MediaKind>,
}

fn parse_target(text: &str) -> Result<(ConversationType, ConversationId), String> {
    let (kind, id) = text.split_once(':').ok_or_else(|| format!("'{text}' is not room:ID, group:ID or peer:USER"))?;
    let kind: ConversationType = kind.parse()?;
    let id = ConversationId::new(id);
    id.validate().map_err(|error| error.to_string())?;
    Ok((kind, id))
}

pub async fn send(args: SendArgs) -> anyhow::Result<ExitCode> {
    // Plugins are not loaded by `send`, so any plugin name is fine here.
    let config = match zimbot_runtime::config::load(&args.config, &zimbot_runtime::config::AcceptAnyPlugin) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let bot = config.bot(&args.bot).with_context(|| format!("no bot '{}' in {}", args.bot, args.config.display()))?;
    let client = build_client(&config)?;
    client
        .register_bots(vec![RegisterUserInfo {
            user_id: bot.user_id.to_string(),
            user_name: bot.name.clone(),
            user_avatar: String::new(),
        }])
        .await
        .with_context(|| format!("registering {} with the service at {}", bot.user_id, config.zim.api_base))?;
    let kind = args.kind.unwrap_or_else(|| {
        MediaKind::from_extension(args.file.extension().and_then(|ext| ext.to_str()).unwrap_or_default())
    });
    let sender = Sender { bot: bot.id.clone(), user_id: bot.user_id.clone(), priority: bot.priority };
    let (conversation_type, conversation_id) = args.to;
    let request = SendRequest::media(
        MediaMessage::from_path(kind, &args.file),
        conversation_id,
        conversation_type,
        SendConfig::default(),
    );
    let mut handle = client.send(&sender, request).map_err(|rejected| anyhow::anyhow!("{}", rejected.message))?;
    let code = loop {
        let Some(event) = handle.events.recv().await else {
            eprintln!("\nthe send ended without a result");
            break ExitCode::FAILURE;
        };
        match event {
            SendEvent::Attached(attached) => {
                eprintln!("sending {} '{}' ({} bytes) as {}", kind, attached.file_name, attached.file_size, bot.user_id)
            }
            SendEvent::Progress(progress) => draw_progress(progress.current, progress.total),
            SendEvent::Sent(result) => {
                eprintln!();
                println!(
                    "sent: message id {}, seq {}, media {}",
                    result.message_id.as_deref().unwrap_or("-"),
                    result.message_seq.map(|seq| seq.to_string()).unwrap_or_else(|| "-".into()),
                    result.media_url.as_deref().unwrap_or("-")
                );
                break ExitCode::SUCCESS;
            }
            SendEvent::Failed(failure) => {
                eprintln!();
                eprintln!(
                    "failed after {} attempt(s): ZIM error {}: {}",
                    failure.attempts, failure.error.code, failure.error.message
                );
                break ExitCode::FAILURE;
            }
        }
    };
    client.close(std::time::Duration::from_secs(5)).await;
    Ok(code)
}

fn draw_progress(current: u64, total: u64) {
    const WIDTH: u64 = 30;
    let done = current.min(total);
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    let bar: String = (0..WIDTH).map(|index| if index < filled { '#' } else { '-' }).collect();
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    eprint!("\r[{bar}] {percent:>3}% {:.1}/{:.1} MiB", mib(current), mib(total));
    let _ = std::io::stderr().flush();
}
