//! The echo plugin: the example to copy when writing a plugin.
//!
//! It answers peer and group messages where they came from:
//! - `!help` lists the commands;
//! - `!file NAME` sends the file NAME from its `assets` folder;
//! - `!progress` sends a large file and reports the upload at 25, 50, 75 and 100 %;
//! - a media message is sent back (by its URL, so nothing is uploaded again);
//! - any other text is echoed.
//!
//! ```yaml
//! - id: echo
//!   user_id: "@RBT#echo"
//!   plugin: echo
//!   listen: { peers: ["*"], groups: [team] }
//!   config:
//!     assets: assets                      # relative to the directory zimbot runs in
//!     large_file: data/echo-progress.bin  # made at start when missing
//!     large_file_mib: 8
//! ```

mod command;
mod config;
mod milestones;

pub use command::Command;
pub use config::EchoConfig;

use milestones::Milestones;
use zimbot_commands::BotCommands as _;
use zimbot_sdk::prelude::*;

/// Echoes, and shows how sends, media and upload progress work.
pub struct Echo {
    config: EchoConfig,
    /// Progress milestones already reported, per `!progress` send.
    milestones: Milestones,
}

impl Echo {
    /// Peer and group messages are handled alike; replies go where the message came from.
    async fn answer(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        if let MessageContent::Media(media) = &message.content {
            let echoed = MediaMessage::from_url(media.kind, &media.download_url, &media.file_name);
            ctx.reply_media(&message, echoed, SendConfig::default()).await?;
            return Ok(());
        }
        let Some(text) = message.text() else { return Ok(()) };
        match Command::parse(text) {
            None => ctx.reply_text(&message, text.trim()).await?,
            Some(Err(usage)) => ctx.reply_text(&message, usage.to_string()).await?,
            Some(Ok(Command::Help)) => ctx.reply_text(&message, Command::help_text()).await?,
            Some(Ok(Command::File { name })) => match self.config.asset(&name) {
                Ok((path, kind)) => {
                    ctx.reply_media(&message, MediaMessage::from_path(kind, path), SendConfig::default()).await?
                }
                Err(problem) => ctx.reply_text(&message, problem).await?,
            },
            Some(Ok(Command::Progress)) => {
                let large = MediaMessage::file(&self.config.large_file).with_file_name(self.config.large_file_name());
                ctx.reply_media(&message, large, SendConfig::default()).await?
            }
        };
        Ok(())
    }
}

#[async_trait]
impl Plugin for Echo {
    async fn on_start(&self, ctx: &BotContext) -> HookResult {
        if self.config.ensure_large_file()? {
            ctx.info(format!("made {} for !progress", self.config.large_file.display()));
        }
        Ok(())
    }

    async fn on_peer_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        self.answer(ctx, message).await
    }

    async fn on_group_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        self.answer(ctx, message).await
    }

    async fn on_message_attached(&self, _ctx: &BotContext, message: AttachedMessage) -> HookResult {
        // The runtime delivers a send's `attached` before any of its progress, so tracking starts here and no
        // progress event of a `!progress` send can arrive before the send is known.
        if message.file_name == self.config.large_file_name() {
            self.milestones.track(message.local_id, message.conversation_id, message.conversation_type);
        }
        Ok(())
    }

    async fn on_media_uploading_progress(&self, ctx: &BotContext, progress: UploadProgress) -> HookResult {
        for (to, kind, percent) in self.milestones.reached(progress.local_id, progress.percent()) {
            ctx.send_text(format!("upload {percent} %"), to, kind).await?;
        }
        Ok(())
    }

    async fn on_message_sent(&self, _ctx: &BotContext, result: MessageSentResult) -> HookResult {
        self.milestones.forget(result.local_id);
        Ok(())
    }

    async fn on_message_send_failed(&self, ctx: &BotContext, failure: SendFailure) -> HookResult {
        self.milestones.forget(failure.local_id);
        ctx.warn(format!("{}: reply to {} failed: {}", failure.local_id, failure.conversation_id, failure.error));
        Ok(())
    }
}

impl PluginFactory for Echo {
    const NAME: &'static str = "echo";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(init: PluginInit) -> Result<Self, PluginError> {
        Ok(Self { config: init.config()?, milestones: Milestones::default() })
    }
}

#[cfg(test)]
mod tests;
