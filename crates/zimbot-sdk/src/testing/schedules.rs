//! The schedules a [`super::TestBot`] fires as virtual time passes, read by `zimbot-cron` exactly as the runtime
//! reads a bot's `schedules:`.

use chrono::DateTime;
use chrono_tz::Tz;
use zimbot_abi::CronTick;
use zimbot_cron::CronSpec;

/// One schedule and its next fire time on the virtual clock.
struct Schedule {
    id: String,
    spec: CronSpec,
    timezone: Tz,
    /// `None` once the expression has no fire time left.
    next_ms: Option<i64>,
}

/// The bot's schedules, in the order they were added.
#[derive(Default)]
pub(super) struct Schedules {
    schedules: Vec<Schedule>,
}

impl Schedules {
    /// Adds schedule `id`; its first fire time is the first after `now_ms`.
    pub(super) fn add(&mut self, id: &str, cron: &str, timezone: &str, now_ms: i64) -> Result<(), String> {
        if self.schedules.iter().any(|schedule| schedule.id == id) {
            return Err(format!("schedule '{id}' is already there; schedule ids are unique per bot"));
        }
        let spec = CronSpec::parse(cron).map_err(|error| format!("schedule '{id}': {error}"))?;
        let timezone: Tz = timezone.parse().map_err(|_| {
            format!("schedule '{id}': unknown time zone {timezone:?}; use an IANA name such as \"Europe/Berlin\"")
        })?;
        let next_ms = next_after(&spec, timezone, now_ms);
        self.schedules.push(Schedule { id: id.to_owned(), spec, timezone, next_ms });
        Ok(())
    }

    /// The earliest fire time at or before `until_ms`, if any.
    pub(super) fn next_due(&self, until_ms: i64) -> Option<i64> {
        self.schedules.iter().filter_map(|schedule| schedule.next_ms).filter(|at| *at <= until_ms).min()
    }

    /// The ticks due at exactly `at_ms`, in the order the schedules were added; each schedule moves on to its
    /// next fire time.
    pub(super) fn fire(&mut self, at_ms: i64) -> Vec<CronTick> {
        let mut ticks = Vec::new();
        for schedule in &mut self.schedules {
            if schedule.next_ms == Some(at_ms) {
                ticks.push(CronTick { schedule_id: schedule.id.clone(), scheduled_at_ms: at_ms, fired_at_ms: at_ms });
                schedule.next_ms = next_after(&schedule.spec, schedule.timezone, at_ms);
            }
        }
        ticks
    }
}

fn next_after(spec: &CronSpec, timezone: Tz, after_ms: i64) -> Option<i64> {
    let after = DateTime::from_timestamp_millis(after_ms)?;
    spec.next_after(after, timezone).map(|at| at.timestamp_millis())
}
