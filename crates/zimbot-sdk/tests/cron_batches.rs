//! Cron ticks due together reach the plugin in one call (ABI 1.2): the SDK runs `on_cron` for each tick in order,
//! and a tick whose hook panics or errs does not keep the others from theirs.

use parking_lot::Mutex;
use zimbot_sdk::prelude::*;
use zimbot_sdk::testing::{HookError, TestBot};

/// Keeps the schedule of every tick whose hook ran to its end; schedule `panics` panics, `fails` returns an error.
#[derive(Default)]
struct Tally {
    ran: Mutex<Vec<String>>,
}

#[async_trait]
impl Plugin for Tally {
    async fn on_cron(&self, _ctx: &BotContext, tick: CronTick) -> HookResult {
        match tick.schedule_id.as_str() {
            "panics" => panic!("tick hook panicked"),
            "fails" => Err("tick hook failed".into()),
            schedule => {
                self.ran.lock().push(schedule.to_owned());
                Ok(())
            }
        }
    }

    fn snapshot(&self) -> Option<serde_json::Value> {
        Some(json!(*self.ran.lock()))
    }
}

impl PluginFactory for Tally {
    const NAME: &'static str = "tally";
    const VERSION: &'static str = "1.0.0";
    fn create(_init: PluginInit) -> Result<Self, PluginError> {
        Ok(Tally::default())
    }
}

fn start() -> TestBot<Tally> {
    TestBot::<Tally>::start(json!({})).unwrap()
}

#[test]
fn every_tick_of_a_batch_runs_its_hook_in_order() {
    let mut bot = start();
    bot.cron_batch(&["a", "b", "c"]).unwrap();
    assert_eq!(bot.snapshot(), json!(["a", "b", "c"]));
}

#[test]
fn a_panicking_tick_does_not_keep_the_later_ticks_from_their_hooks() {
    let mut bot = start();
    let ended = bot.cron_batch(&["a", "panics", "c"]);
    assert!(
        matches!(ended, Err(HookError::Panicked(ref message)) if message.contains("tick hook panicked")),
        "{ended:?}"
    );
    assert_eq!(bot.snapshot(), json!(["a", "c"]));
}

#[test]
fn a_failing_tick_does_not_keep_the_later_ticks_from_their_hooks() {
    let mut bot = start();
    let ended = bot.cron_batch(&["fails", "b"]);
    assert!(matches!(ended, Err(HookError::Failed(ref message)) if message.contains("tick hook failed")), "{ended:?}");
    assert_eq!(bot.snapshot(), json!(["b"]));
}
