//! The harness fires a bot's schedules as `advance()` passes their fire times, reading cron expressions as the
//! runtime does.

use std::time::Duration;
use zimbot_sdk::prelude::*;
use zimbot_sdk::testing::{HookError, TestBot};

/// Posts `tick SCHEDULE at MS` to room `lobby` on every cron tick; `!nap` sleeps 15 s, then says so.
struct Ticker;

#[async_trait]
impl Plugin for Ticker {
    async fn on_cron(&self, ctx: &BotContext, tick: CronTick) -> HookResult {
        if tick.schedule_id == "broken" {
            return Err("the broken schedule fails".into());
        }
        let text = format!("tick {} at {}", tick.schedule_id, ctx.now_ms());
        ctx.send_text(text, ConversationId::new("lobby"), ConversationType::Room).await?;
        Ok(())
    }

    async fn on_room_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        if message.text() == Some("!nap") {
            ctx.sleep(Duration::from_secs(15)).await;
            ctx.reply_text(&message, format!("woke at {}", ctx.now_ms())).await?;
        }
        Ok(())
    }
}

impl PluginFactory for Ticker {
    const NAME: &'static str = "ticker";
    const VERSION: &'static str = "1.0.0";
    fn create(_init: PluginInit) -> Result<Self, PluginError> {
        Ok(Ticker)
    }
}

fn texts(bot: &TestBot<Ticker>) -> Vec<String> {
    bot.text_sends().iter().filter_map(|send| send.text().map(str::to_owned)).collect()
}

fn start() -> TestBot<Ticker> {
    TestBot::<Ticker>::start(serde_json::json!({})).unwrap()
}

#[test]
fn an_every_ten_seconds_schedule_fires_three_times_in_thirty_seconds() {
    let mut bot = start();
    let start_ms = bot.now_ms();
    bot.schedule("every-10s", "*/10 * * * * *", "UTC").unwrap();
    bot.advance(Duration::from_secs(30));
    let expected: Vec<String> =
        [10_000, 20_000, 30_000].iter().map(|offset| format!("tick every-10s at {}", start_ms + offset)).collect();
    assert_eq!(texts(&bot), expected);
}

#[test]
fn a_schedule_does_not_fire_before_its_time() {
    let mut bot = start();
    bot.schedule("hourly", "0 * * * *", "UTC").unwrap();
    bot.advance(Duration::from_secs(59 * 60 + 59));
    assert!(bot.ticks().is_empty());
    bot.advance(Duration::from_secs(1));
    assert_eq!(bot.ticks().len(), 1);
}

#[test]
fn a_tick_says_when_it_was_scheduled_and_fired() {
    let mut bot = start();
    bot.schedule("minutely", "* * * * *", "UTC").unwrap();
    bot.advance(Duration::from_secs(90));
    let tick = &bot.ticks()[0];
    assert_eq!(
        (tick.schedule_id.as_str(), tick.scheduled_at_ms, tick.fired_at_ms),
        ("minutely", bot.now_ms() - 30_000, bot.now_ms() - 30_000)
    );
}

#[test]
fn five_field_day_of_week_is_read_as_standard_crontab() {
    // The clock starts on Thursday 2026-01-01; "1-5" is Monday to Friday in crontab, so Friday the 2nd fires and
    // the weekend does not (the `cron` crate alone would read 1-5 as Sunday to Thursday).
    let mut bot = start();
    bot.schedule("weekdays", "0 9 * * 1-5", "UTC").unwrap();
    bot.advance(Duration::from_secs(5 * 24 * 3600));
    let days: Vec<i64> =
        bot.ticks().iter().map(|tick| (tick.fired_at_ms - bot.ticks()[0].fired_at_ms) / 86_400_000).collect();
    assert_eq!(days, [0, 1, 4], "Thursday, Friday, then Monday");
}

#[test]
fn a_schedule_fires_on_its_time_zones_wall_clock() {
    let mut bot = start();
    let start_ms = bot.now_ms();
    bot.schedule("morning", "0 9 * * *", "Asia/Tokyo").unwrap();
    bot.advance(Duration::from_secs(24 * 3600));
    // 09:00 in Tokyo (UTC+9) is 00:00 UTC, a full day after the start at midnight UTC.
    assert_eq!(bot.ticks()[0].fired_at_ms, start_ms + 24 * 3600 * 1000);
}

#[test]
fn sleeps_and_ticks_interleave_in_time_order() {
    let mut bot = start();
    let start_ms = bot.now_ms();
    bot.schedule("every-10s", "*/10 * * * * *", "UTC").unwrap();
    assert_eq!(bot.room_message("lobby", "alice", "!nap"), Err(HookError::Pending));
    bot.advance(Duration::from_secs(20));
    assert_eq!(
        texts(&bot),
        [
            format!("tick every-10s at {}", start_ms + 10_000),
            format!("woke at {}", start_ms + 15_000),
            format!("tick every-10s at {}", start_ms + 20_000),
        ]
    );
}

#[test]
fn a_failing_tick_is_logged_and_later_ticks_still_fire() {
    let mut bot = start();
    bot.schedule("broken", "*/10 * * * * *", "UTC").unwrap();
    bot.advance(Duration::from_secs(20));
    assert_eq!(bot.ticks().len(), 2);
    assert!(
        bot.logged("on_cron for schedule 'broken' ended: the hook returned an error: the broken schedule fails"),
        "{:?}",
        bot.logs()
    );
}

#[test]
fn schedules_keep_firing_after_a_restart() {
    let mut bot = start();
    bot.schedule("every-10s", "*/10 * * * * *", "UTC").unwrap();
    bot.advance(Duration::from_secs(10));
    let mut bot = bot.restart().unwrap();
    bot.advance(Duration::from_secs(10));
    assert_eq!(bot.ticks().len(), 1, "the new instance fired the next tick");
}

#[test]
fn an_invalid_expression_is_refused_naming_the_field() {
    let error = start().schedule("bad", "0 25 * * *", "UTC").unwrap_err();
    assert!(error.starts_with("schedule 'bad': ") && error.contains("hour"), "{error}");
}

#[test]
fn an_unknown_time_zone_is_refused_by_name() {
    let error = start().schedule("s", "* * * * *", "Mars/Olympus").unwrap_err();
    assert!(error.contains("unknown time zone \"Mars/Olympus\""), "{error}");
}

#[test]
fn a_schedule_id_is_unique() {
    let mut bot = start();
    bot.schedule("s", "* * * * *", "UTC").unwrap();
    assert!(bot.schedule("s", "* * * * *", "UTC").unwrap_err().contains("already there"));
}
