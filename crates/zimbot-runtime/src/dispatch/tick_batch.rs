//! Cron ticks due at one instant, sorted out per bot: each bot gets its ticks of the batch as one list, in the
//! order the scheduler gave them, so its lane takes one entry for all of them instead of one entry per tick; and
//! a bot's list cut into runs that may cross to the plugin in one call (ticks whose sends share a deadline).

use crate::schedule::Tick;
use zimbot_abi::CronTick;
use zimbot_model::BotId;

/// `ticks` grouped by the bot they go to, bots in the order of their first tick, each bot's ticks in the order
/// given. `bot_index` finds a bot's place in the runtime; ticks of a bot it does not know are dropped (the
/// scheduler only holds the schedules of running bots, so there are none in practice).
pub(crate) fn by_bot(ticks: Vec<Tick>, bot_index: impl Fn(&BotId) -> Option<usize>) -> Vec<(usize, Vec<CronTick>)> {
    let mut groups: Vec<(usize, Vec<CronTick>)> = Vec::new();
    // Ticks of one bot usually come together (the scheduler breaks ties in job order, and a bot's jobs are
    // listed together), so the last group is checked before the others.
    for tick in ticks {
        let Some(index) = bot_index(&tick.bot) else { continue };
        let tick = CronTick {
            schedule_id: tick.schedule_id,
            scheduled_at_ms: tick.scheduled_at.timestamp_millis(),
            fired_at_ms: tick.fired_at.timestamp_millis(),
        };
        match groups.iter_mut().rev().find(|(bot, _)| *bot == index) {
            Some((_, ticks)) => ticks.push(tick),
            None => groups.push((index, vec![tick])),
        }
    }
    groups
}

/// `ticks` cut into runs of consecutive ticks with the same default send deadline, in order: one plugin call runs
/// under one deadline, so ticks whose schedules give their sends different deadlines go in different calls.
pub(crate) fn by_deadline(ticks: Vec<CronTick>, deadline_of: impl Fn(&CronTick) -> Option<i64>) -> Vec<Vec<CronTick>> {
    let mut runs: Vec<(Option<i64>, Vec<CronTick>)> = Vec::new();
    for tick in ticks {
        let deadline = deadline_of(&tick);
        match runs.last_mut() {
            Some((last, run)) if *last == deadline => run.push(tick),
            _ => runs.push((deadline, vec![tick])),
        }
    }
    runs.into_iter().map(|(_, run)| run).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn tick(bot: &str, schedule: &str) -> Tick {
        let at = DateTime::<Utc>::from_timestamp_millis(1_000).expect("valid");
        Tick { bot: BotId::from(bot), schedule_id: schedule.to_owned(), scheduled_at: at, fired_at: at }
    }

    fn index_of(bot: &BotId) -> Option<usize> {
        ["a", "b", "c"].iter().position(|known| *known == bot.as_str())
    }

    fn schedules(groups: &[(usize, Vec<CronTick>)]) -> Vec<(usize, Vec<&str>)> {
        groups.iter().map(|(bot, ticks)| (*bot, ticks.iter().map(|tick| tick.schedule_id.as_str()).collect())).collect()
    }

    #[test]
    fn each_bot_gets_its_ticks_in_one_group_in_the_order_given() {
        let ticks = vec![tick("b", "b1"), tick("a", "a1"), tick("b", "b2"), tick("a", "a2"), tick("b", "b3")];
        assert_eq!(schedules(&by_bot(ticks, index_of)), [(1, vec!["b1", "b2", "b3"]), (0, vec!["a1", "a2"])]);
    }

    #[test]
    fn ticks_of_an_unknown_bot_are_left_out() {
        let ticks = vec![tick("a", "a1"), tick("gone", "g1"), tick("c", "c1")];
        assert_eq!(schedules(&by_bot(ticks, index_of)), [(0, vec!["a1"]), (2, vec!["c1"])]);
    }

    #[test]
    fn a_tick_keeps_its_times_in_milliseconds() {
        let groups = by_bot(vec![tick("a", "a1")], index_of);
        let tick = &groups[0].1[0];
        assert_eq!((tick.scheduled_at_ms, tick.fired_at_ms), (1_000, 1_000));
    }

    fn cron(schedule: &str) -> CronTick {
        CronTick { schedule_id: schedule.to_owned(), scheduled_at_ms: 1_000, fired_at_ms: 1_000 }
    }

    fn runs(runs: &[Vec<CronTick>]) -> Vec<Vec<&str>> {
        runs.iter().map(|run| run.iter().map(|tick| tick.schedule_id.as_str()).collect()).collect()
    }

    #[test]
    fn ticks_sharing_a_deadline_make_one_run() {
        let ticks = vec![cron("a"), cron("b"), cron("c")];
        assert_eq!(runs(&by_deadline(ticks, |_| Some(61_000))), [vec!["a", "b", "c"]]);
    }

    #[test]
    fn a_tick_with_another_deadline_starts_a_new_run_in_order() {
        // "slow" has a longer misfire grace, so its sends may go out later than the others'.
        let deadline = |tick: &CronTick| Some(if tick.schedule_id == "slow" { 3_601_000 } else { 61_000 });
        let ticks = vec![cron("a"), cron("slow"), cron("b"), cron("c")];
        assert_eq!(runs(&by_deadline(ticks, deadline)), [vec!["a"], vec!["slow"], vec!["b", "c"]]);
    }

    #[test]
    fn ticks_of_an_unknown_schedule_run_together_without_a_deadline() {
        let deadline = |tick: &CronTick| (tick.schedule_id != "gone").then_some(61_000);
        let ticks = vec![cron("gone"), cron("gone"), cron("a")];
        assert_eq!(runs(&by_deadline(ticks, deadline)), [vec!["gone", "gone"], vec!["a"]]);
    }
}
