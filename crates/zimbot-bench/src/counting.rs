//! The counting plugin: a built-in whose hooks only note when they were entered (see [`crate::recorder`]).

use crate::recorder::RECORDER;
use zimbot_sdk::prelude::*;

/// Records every room message and cron tick it receives; does nothing else.
pub struct Counting;

#[async_trait]
impl Plugin for Counting {
    async fn on_room_message(&self, _ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        let entered = crate::clock::now_ns();
        RECORDER.message(message.text().unwrap_or_default(), entered);
        Ok(())
    }

    async fn on_cron(&self, _ctx: &BotContext, tick: CronTick) -> HookResult {
        let entered = crate::clock::unix_micros();
        RECORDER.tick(tick.scheduled_at_ms, tick.fired_at_ms, entered);
        Ok(())
    }
}

impl PluginFactory for Counting {
    const NAME: &'static str = "counting";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(_init: PluginInit) -> Result<Self, PluginError> {
        Ok(Counting)
    }
}

/// A plugin catalog holding the counting plugin as `counting`.
pub fn catalog() -> zimbot_runtime::PluginCatalog {
    let mut catalog = zimbot_runtime::PluginCatalog::new();
    catalog.register_builtin("counting", zimbot_sdk::builtin::<Counting>());
    catalog
}
