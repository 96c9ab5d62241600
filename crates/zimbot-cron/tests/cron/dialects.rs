//! What expressions mean: standard 5-field crontab (Sunday = 0 or 7), names, steps, shorthands, the
//! day-of-month OR day-of-week rule, and 6/7-field expressions as the `cron` crate reads them (Sunday = 1).

use chrono_tz::Tz::UTC;

use super::fire_times;

/// Saturday 1 June 2024, 12:00 UTC: a known weekday to count from.
const SATURDAY_NOON: &str = "2024-06-01T12:00:00Z";

#[test]
fn five_field_one_to_five_means_monday_to_friday() {
    assert_eq!(
        fire_times("0 9 * * 1-5", SATURDAY_NOON, UTC, 6),
        [
            "Mon 2024-06-03 09:00:00 UTC",
            "Tue 2024-06-04 09:00:00 UTC",
            "Wed 2024-06-05 09:00:00 UTC",
            "Thu 2024-06-06 09:00:00 UTC",
            "Fri 2024-06-07 09:00:00 UTC",
            "Mon 2024-06-10 09:00:00 UTC",
        ]
    );
}

#[test]
fn five_field_zero_means_sunday() {
    assert_eq!(
        fire_times("0 9 * * 0", SATURDAY_NOON, UTC, 2),
        ["Sun 2024-06-02 09:00:00 UTC", "Sun 2024-06-09 09:00:00 UTC"]
    );
}

#[test]
fn five_field_seven_also_means_sunday() {
    assert_eq!(
        fire_times("0 9 * * 7", SATURDAY_NOON, UTC, 2),
        ["Sun 2024-06-02 09:00:00 UTC", "Sun 2024-06-09 09:00:00 UTC"]
    );
}

#[test]
fn five_field_range_ending_at_seven_wraps_to_sunday() {
    assert_eq!(
        fire_times("0 9 * * 5-7", SATURDAY_NOON, UTC, 3),
        ["Sun 2024-06-02 09:00:00 UTC", "Fri 2024-06-07 09:00:00 UTC", "Sat 2024-06-08 09:00:00 UTC"]
    );
}

#[test]
fn day_and_month_names_work_in_ranges_and_any_case() {
    assert_eq!(
        fire_times("30 8 * jun-Jul MON-wed", SATURDAY_NOON, UTC, 4),
        [
            "Mon 2024-06-03 08:30:00 UTC",
            "Tue 2024-06-04 08:30:00 UTC",
            "Wed 2024-06-05 08:30:00 UTC",
            "Mon 2024-06-10 08:30:00 UTC",
        ]
    );
}

#[test]
fn names_outside_the_chosen_months_are_skipped() {
    assert_eq!(
        fire_times("0 0 1 JAN,MAR *", SATURDAY_NOON, UTC, 2),
        ["Wed 2025-01-01 00:00:00 UTC", "Sat 2025-03-01 00:00:00 UTC"]
    );
}

#[test]
fn star_step_fires_every_nth_minute_from_zero() {
    assert_eq!(
        fire_times("*/15 * * * *", "2024-06-01T12:07:00Z", UTC, 4),
        [
            "Sat 2024-06-01 12:15:00 UTC",
            "Sat 2024-06-01 12:30:00 UTC",
            "Sat 2024-06-01 12:45:00 UTC",
            "Sat 2024-06-01 13:00:00 UTC",
        ]
    );
}

#[test]
fn range_step_takes_every_nth_value_of_the_range() {
    assert_eq!(
        fire_times("0 12 * * 1-5/2", SATURDAY_NOON, UTC, 4),
        [
            "Mon 2024-06-03 12:00:00 UTC",
            "Wed 2024-06-05 12:00:00 UTC",
            "Fri 2024-06-07 12:00:00 UTC",
            "Mon 2024-06-10 12:00:00 UTC",
        ]
    );
}

#[test]
fn lists_mix_values_and_ranges() {
    assert_eq!(
        fire_times("0 6,12-13 * * *", SATURDAY_NOON, UTC, 4),
        [
            "Sat 2024-06-01 13:00:00 UTC",
            "Sun 2024-06-02 06:00:00 UTC",
            "Sun 2024-06-02 12:00:00 UTC",
            "Sun 2024-06-02 13:00:00 UTC",
        ]
    );
}

#[test]
fn weekly_shorthand_fires_sunday_midnight() {
    assert_eq!(fire_times("@weekly", SATURDAY_NOON, UTC, 1), ["Sun 2024-06-02 00:00:00 UTC"]);
}

#[test]
fn hourly_daily_monthly_and_yearly_shorthands_fire_at_their_starts() {
    assert_eq!(fire_times("@hourly", SATURDAY_NOON, UTC, 1), ["Sat 2024-06-01 13:00:00 UTC"]);
    assert_eq!(fire_times("@daily", SATURDAY_NOON, UTC, 1), ["Sun 2024-06-02 00:00:00 UTC"]);
    assert_eq!(fire_times("@monthly", SATURDAY_NOON, UTC, 1), ["Mon 2024-07-01 00:00:00 UTC"]);
    assert_eq!(fire_times("@yearly", SATURDAY_NOON, UTC, 1), ["Wed 2025-01-01 00:00:00 UTC"]);
}

#[test]
fn restricted_day_of_month_and_day_of_week_fire_when_either_matches() {
    // The 15th (a Saturday) and every Monday.
    assert_eq!(
        fire_times("0 9 15 6 MON", SATURDAY_NOON, UTC, 4),
        [
            "Mon 2024-06-03 09:00:00 UTC",
            "Mon 2024-06-10 09:00:00 UTC",
            "Sat 2024-06-15 09:00:00 UTC",
            "Mon 2024-06-17 09:00:00 UTC",
        ]
    );
}

#[test]
fn day_of_month_starting_with_star_must_match_together_with_day_of_week() {
    // Odd days that are also Mondays: 3, 17, then 1 July.
    assert_eq!(
        fire_times("0 9 */2 * MON", SATURDAY_NOON, UTC, 3),
        ["Mon 2024-06-03 09:00:00 UTC", "Mon 2024-06-17 09:00:00 UTC", "Mon 2024-07-01 09:00:00 UTC"]
    );
}

#[test]
fn six_fields_put_seconds_first() {
    assert_eq!(
        fire_times("*/20 0 12 * * *", SATURDAY_NOON, UTC, 4),
        [
            "Sat 2024-06-01 12:00:20 UTC",
            "Sat 2024-06-01 12:00:40 UTC",
            "Sun 2024-06-02 12:00:00 UTC",
            "Sun 2024-06-02 12:00:20 UTC",
        ]
    );
}

#[test]
fn six_fields_number_weekdays_from_sunday_one() {
    assert_eq!(fire_times("0 0 9 * * 1", SATURDAY_NOON, UTC, 1), ["Sun 2024-06-02 09:00:00 UTC"]);
    assert_eq!(fire_times("0 0 9 * * 2-6", SATURDAY_NOON, UTC, 1), ["Mon 2024-06-03 09:00:00 UTC"]);
}

#[test]
fn six_fields_require_both_day_fields_to_match() {
    // The 1st of a month that is also a Monday (the `cron` crate's reading): 1 July 2024.
    assert_eq!(fire_times("0 0 9 1 * MON", SATURDAY_NOON, UTC, 1), ["Mon 2024-07-01 09:00:00 UTC"]);
}

#[test]
fn seven_fields_end_with_a_year() {
    assert_eq!(fire_times("0 0 0 1 1 ? 2026", SATURDAY_NOON, UTC, 3), ["Thu 2026-01-01 00:00:00 UTC"]);
}

#[test]
fn leap_day_fires_only_in_leap_years() {
    assert_eq!(
        fire_times("0 0 29 2 *", SATURDAY_NOON, UTC, 2),
        ["Tue 2028-02-29 00:00:00 UTC", "Sun 2032-02-29 00:00:00 UTC"]
    );
}
