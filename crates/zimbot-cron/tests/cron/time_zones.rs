//! Fire times on a time zone's wall clock, across daylight-saving changes.

use chrono_tz::America::New_York;
use chrono_tz::Europe::Berlin;

use super::{fire_times, instant};
use zimbot_cron::CronSpec;

#[test]
fn fields_are_read_on_the_zone_wall_clock_in_berlin() {
    // 09:00 in Berlin is 07:00 UTC in summer and 08:00 UTC in winter.
    let spec = CronSpec::parse("0 9 * * *").expect("valid");
    assert_eq!(spec.next_after(instant("2024-07-01T12:00:00Z"), Berlin), Some(instant("2024-07-02T07:00:00Z")));
    assert_eq!(spec.next_after(instant("2024-12-01T12:00:00Z"), Berlin), Some(instant("2024-12-02T08:00:00Z")));
}

#[test]
fn fields_are_read_on_the_zone_wall_clock_in_new_york() {
    // 09:00 in New York is 13:00 UTC in summer; the Monday-to-Friday filter applies to the local date.
    let spec = CronSpec::parse("0 21 * * 1-5").expect("valid");
    // Friday 21:00 in New York is Saturday 01:00 UTC.
    assert_eq!(spec.next_after(instant("2024-06-07T12:00:00Z"), New_York), Some(instant("2024-06-08T01:00:00Z")));
}

#[test]
fn time_repeated_by_fall_back_fires_once() {
    // New York, 3 November 2024: 02:00 EDT becomes 01:00 EST, so 01:30 happens twice.
    assert_eq!(
        fire_times("30 1 * * *", "2024-11-02T12:00:00Z", New_York, 3),
        ["Sun 2024-11-03 01:30:00 EDT", "Mon 2024-11-04 01:30:00 EST", "Tue 2024-11-05 01:30:00 EST"]
    );
}

#[test]
fn frequent_job_does_not_repeat_the_fall_back_hour() {
    assert_eq!(
        fire_times("0,30 * * * *", "2024-11-03T05:15:00Z", New_York, 3),
        ["Sun 2024-11-03 01:30:00 EDT", "Sun 2024-11-03 02:00:00 EST", "Sun 2024-11-03 02:30:00 EST"]
    );
}

#[test]
fn counting_from_inside_the_second_pass_skips_the_rest_of_the_repeat() {
    // 06:10 UTC is 01:10 EST, the second pass through 01:xx: 01:30 already fired during the first pass.
    assert_eq!(
        fire_times("*/30 * * * *", "2024-11-03T06:10:00Z", New_York, 2),
        ["Sun 2024-11-03 02:00:00 EST", "Sun 2024-11-03 02:30:00 EST"]
    );
}

#[test]
fn time_skipped_by_spring_forward_fires_right_after_the_gap() {
    // Berlin, 31 March 2024: 02:00 CET becomes 03:00 CEST, so 02:30 does not exist that day.
    assert_eq!(
        fire_times("30 2 * * *", "2024-03-30T12:00:00Z", Berlin, 2),
        ["Sun 2024-03-31 03:00:00 CEST", "Mon 2024-04-01 02:30:00 CEST"]
    );
}

#[test]
fn several_times_in_the_gap_fire_once_after_it() {
    // New York, 10 March 2024: 02:00 EST becomes 03:00 EDT.
    assert_eq!(
        fire_times("*/20 2-3 * * *", "2024-03-10T06:30:00Z", New_York, 4),
        [
            "Sun 2024-03-10 03:00:00 EDT",
            "Sun 2024-03-10 03:20:00 EDT",
            "Sun 2024-03-10 03:40:00 EDT",
            "Mon 2024-03-11 02:00:00 EDT",
        ]
    );
}
