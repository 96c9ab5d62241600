//! Turning a wall-clock fire time in a time zone into an instant, with the daylight-saving rules of
//! [`CronSpec::next_after`](crate::CronSpec::next_after):
//!
//! - a wall time that occurs once maps to that instant;
//! - a wall time repeated by a fall-back maps to its FIRST occurrence only, so it fires once;
//! - a wall time skipped by a spring-forward maps to the first instant after the gap (02:30 in a 02:00-03:00
//!   gap fires at 03:00 new time), so it is late rather than lost.
//!
//! Zone transitions are not exposed by `chrono-tz`, so gap and repeat boundaries are found by searching wall
//! time to the second. The search assumes one transition within 48 hours, true of every real zone.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// How far to look for the end of a gap or a repeat before giving up.
const SEARCH_LIMIT: TimeDelta = TimeDelta::hours(48);

/// The instant a wall-clock fire time maps to, following the rules above.
pub(crate) fn fire_instant(wall: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&wall) {
        LocalResult::Single(instant) => Some(instant.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _later) => Some(earlier.with_timezone(&Utc)),
        LocalResult::None => {
            let after_gap = first_wall_time_where(wall, |result| !matches!(result, LocalResult::None), zone)?;
            zone.from_local_datetime(&after_gap).earliest().map(|instant| instant.with_timezone(&Utc))
        }
    }
}

/// The last wall time of the repeated stretch that `wall` lies in; `wall` itself if it is not repeated.
pub(crate) fn end_of_repeat(wall: NaiveDateTime, zone: Tz) -> NaiveDateTime {
    if !matches!(zone.from_local_datetime(&wall), LocalResult::Ambiguous(..)) {
        return wall;
    }
    match first_wall_time_where(wall, |result| !matches!(result, LocalResult::Ambiguous(..)), zone) {
        Some(first_unrepeated) => first_unrepeated - TimeDelta::seconds(1),
        None => wall,
    }
}

/// The earliest whole-second wall time after `start` at which `test` holds, given that it does not hold at
/// `start` and, once it holds, keeps holding within the search window.
fn first_wall_time_where(
    start: NaiveDateTime,
    test: impl Fn(LocalResult<DateTime<Tz>>) -> bool,
    zone: Tz,
) -> Option<NaiveDateTime> {
    let holds = |wall: NaiveDateTime| test(zone.from_local_datetime(&wall));
    let mut before = start;
    let mut after = start + TimeDelta::hours(1);
    while !holds(after) {
        before = after;
        after += TimeDelta::hours(1);
        if after - start > SEARCH_LIMIT {
            return None;
        }
    }
    // Invariant: the test fails at `before` and holds at `after`.
    loop {
        let seconds_apart = (after - before).num_seconds();
        if seconds_apart <= 1 {
            break;
        }
        let middle = before + TimeDelta::seconds(seconds_apart / 2);
        if holds(middle) {
            after = middle;
        } else {
            before = middle;
        }
    }
    Some(after)
}
