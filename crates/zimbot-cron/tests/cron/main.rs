//! Specifications of cron expressions: what each dialect means, what a refused one says, and fire times on a
//! time zone's wall clock. One behaviour per test.

mod dialects;
mod errors;
mod time_zones;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use zimbot_cron::CronSpec;

/// An instant written in RFC 3339.
fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("test instants are valid RFC 3339").with_timezone(&Utc)
}

/// The next `count` fire times of `expression` after `after`, as wall times in `zone`, e.g.
/// `"Mon 2024-06-03 09:00:00 CEST"`, so expectations read like a calendar.
fn fire_times(expression: &str, after: &str, zone: Tz, count: usize) -> Vec<String> {
    let spec = CronSpec::parse(expression).expect("test expressions are valid");
    spec.upcoming(instant(after), zone, count)
        .iter()
        .map(|time| time.with_timezone(&zone).format("%a %Y-%m-%d %H:%M:%S %Z").to_string())
        .collect()
}
