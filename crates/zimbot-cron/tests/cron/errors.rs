//! What a refused expression says: the field by position and kind, what was written, what is accepted.

use zimbot_cron::{CronError, CronSpec};

fn message(expression: &str) -> String {
    match CronSpec::parse(expression) {
        Ok(spec) => panic!("{expression:?} was accepted as {spec:?}; expected an error"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn second_out_of_range() {
    assert_eq!(message("60 * * * * *"), "field 1 (second): 60 is out of range 0-59");
}

#[test]
fn minute_out_of_range() {
    assert_eq!(message("61 * * * *"), "field 1 (minute): 61 is out of range 0-59");
}

#[test]
fn minute_in_a_six_field_expression_is_field_two() {
    assert_eq!(message("0 75 * * * *"), "field 2 (minute): 75 is out of range 0-59");
}

#[test]
fn hour_out_of_range_in_a_range() {
    assert_eq!(message("0 9-24 * * *"), "field 2 (hour): 24 is out of range 0-23");
}

#[test]
fn hour_does_not_take_names() {
    assert_eq!(message("0 noon * * *"), "field 2 (hour): \"noon\" is not a number; this field takes numbers 0-23");
}

#[test]
fn day_of_month_zero() {
    assert_eq!(message("0 9 0 * *"), "field 3 (day of month): 0 is out of range 1-31");
}

#[test]
fn month_unknown_name() {
    assert_eq!(message("0 9 1 JANUARI *"), "field 4 (month): \"JANUARI\" is not a month name; use JAN-DEC or 1-12");
}

#[test]
fn month_thirteen() {
    assert_eq!(message("0 9 1 13 *"), "field 4 (month): 13 is out of range 1-12");
}

#[test]
fn day_of_week_eight() {
    assert_eq!(message("0 9 * * 8"), "field 5 (day of week): 8 is out of range 0-7");
}

#[test]
fn day_of_week_unknown_name() {
    assert_eq!(
        message("0 9 * * MON-FRY"),
        "field 5 (day of week): \"FRY\" is not a day name; use SUN-SAT or 0-7 (0 and 7 are Sunday)"
    );
}

#[test]
fn day_of_week_zero_with_seconds_explains_sunday_is_one() {
    assert_eq!(
        message("0 0 9 * * 0"),
        "field 6 (day of week): 0 is out of range 1-7 (with a seconds field, day of week counts Sunday = 1 to \
         Saturday = 7, or use SUN-SAT)"
    );
}

#[test]
fn year_before_1970() {
    assert_eq!(message("0 0 0 1 1 * 1969"), "field 7 (year): 1969 is out of range 1970-2100");
}

#[test]
fn backward_range() {
    assert_eq!(
        message("0 22-2 * * *"),
        "field 2 (hour): range 22-2 runs backwards; ranges cannot wrap around, so split it in two (e.g. 22-23,0-2)"
    );
}

#[test]
fn zero_step() {
    assert_eq!(message("*/0 * * * *"), "field 1 (minute): step /0 must be a number from 1 to 59");
}

#[test]
fn empty_list_item() {
    assert_eq!(message("0 9,,10 * * *"), "field 2 (hour): \"9,,10\" has an empty list item; remove the extra comma");
}

#[test]
fn malformed_item() {
    assert_eq!(
        message("0 9 * * 1-2-3"),
        "field 5 (day of week): \"1-2-3\" is not a value, a range (a-b) or a step (*/n, a-b/n, a/n)"
    );
}

#[test]
fn question_mark_outside_the_day_fields() {
    assert_eq!(
        message("? 9 * * *"),
        "field 1 (minute): \"?\" is only allowed in the day-of-month and day-of-week fields; use * here"
    );
}

#[test]
fn wrong_number_of_fields() {
    assert!(matches!(CronSpec::parse("0 9 * *"), Err(CronError::FieldCount { count: 4, .. })));
    assert!(message("0 9 * *").contains("write 5 (minute hour day-of-month month day-of-week)"));
}

#[test]
fn empty_expression() {
    assert_eq!(CronSpec::parse("   "), Err(CronError::Empty));
}

#[test]
fn unknown_shorthand() {
    assert!(message("@reboot").starts_with("\"@reboot\" is not a known shorthand"));
}

#[test]
fn a_date_that_never_exists() {
    assert!(matches!(CronSpec::parse("0 0 30 2 *"), Err(CronError::NeverFires { .. })));
}
