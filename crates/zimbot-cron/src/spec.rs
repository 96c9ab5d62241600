//! A parsed cron expression and the fire times it names.
//!
//! The accepted dialects are described on [`CronSpec`].

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::CronError;
use crate::field::{parse_field, FieldRules, FieldValues};
use crate::local_time::{end_of_repeat, fire_instant};

/// A validated cron expression. Cheap to clone; evaluation does not allocate.
///
/// Two dialects are accepted, told apart by the number of fields:
///
/// - **5 fields, standard crontab**: `minute hour day-of-month month day-of-week`. Day of week 0 and 7 are
///   Sunday, 1-5 are Monday to Friday; names `SUN`-`SAT` and `JAN`-`DEC` work anywhere a number does (ranges
///   and lists too). Shorthands `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and
///   `@hourly` mean the usual 5-field expressions. Fires at second 0. When BOTH day of month and day of week
///   are restricted, a day matches when EITHER does (`0 9 1 * MON` fires on the 1st and on every Monday); a
///   day field that starts with `*` (including `*/2`) counts as unrestricted, as in Vixie cron and cronie, and
///   then both must match.
/// - **6 or 7 fields, as the `cron` crate reads them**: `second minute hour day-of-month month day-of-week
///   [year]`. Here day of week counts from **Sunday = 1 to Saturday = 7** (names are safer), years run
///   1970-2100, `?` means `*` in the day fields, and day of month and day of week must BOTH match.
///
/// Every field is checked here first so errors name the field and why; the `cron` crate then evaluates the
/// normalized value lists. Fire times are found on the wall clock of the schedule's time zone; see
/// [`Self::next_after`] for daylight saving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronSpec {
    expression: String,
    /// The fire times are the union of these schedules' times: one schedule, or two when the standard
    /// day-of-month OR day-of-week rule applies. They run on wall-clock time (see [`Self::next_after`]).
    schedules: Vec<cron::Schedule>,
}

impl CronSpec {
    /// Parses and checks a cron expression in either dialect (see the type documentation).
    pub fn parse(expression: &str) -> Result<Self, CronError> {
        let expression = expression.trim();
        if expression.is_empty() {
            return Err(CronError::Empty);
        }
        let fields_text = if expression.starts_with('@') { expand_shorthand(expression)? } else { expression };
        let fields: Vec<&str> = fields_text.split_whitespace().collect();
        let normalized = match fields.len() {
            5 => normalize_standard(expression, &fields)?,
            6 | 7 => normalize_with_seconds(expression, &fields)?,
            count => return Err(CronError::FieldCount { expression: expression.to_owned(), count }),
        };
        let schedules = normalized
            .iter()
            .map(|text| {
                cron::Schedule::from_str(text).map_err(|error| CronError::Evaluator {
                    expression: expression.to_owned(),
                    reason: error.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { expression: expression.to_owned(), schedules })
    }

    /// The expression as written (trimmed).
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first fire time strictly after `after`, with fields read on the wall clock of `timezone`.
    ///
    /// Daylight saving: a wall time repeated by a fall-back fires once, at its first occurrence; a wall time
    /// skipped by a spring-forward fires at the first instant after the gap (several skipped times fire
    /// once together). `None` when the expression has no fire time left (a past year, or after 2100).
    pub fn next_after(&self, after: DateTime<Utc>, timezone: Tz) -> Option<DateTime<Utc>> {
        let mut cursor = after.with_timezone(&timezone).naive_local();
        loop {
            let wall = self.next_wall_time(cursor)?;
            match fire_instant(wall, timezone) {
                Some(instant) if instant > after => return Some(instant),
                // A repeated wall time whose first occurrence is already past: so is the rest of the repeat.
                _ => cursor = end_of_repeat(wall, timezone),
            }
        }
    }

    /// The next `count` fire times after `after` (fewer if the expression runs out), for showing a user
    /// what an expression means.
    pub fn upcoming(&self, after: DateTime<Utc>, timezone: Tz, count: usize) -> Vec<DateTime<Utc>> {
        let mut times = Vec::with_capacity(count);
        let mut cursor = after;
        while times.len() < count {
            match self.next_after(cursor, timezone) {
                Some(time) => {
                    times.push(time);
                    cursor = time;
                }
                None => break,
            }
        }
        times
    }

    /// The first matching wall time strictly after `cursor`. Evaluated in UTC, a zone without transitions,
    /// so the `cron` crate does plain calendar arithmetic and the DST rules stay ours.
    fn next_wall_time(&self, cursor: NaiveDateTime) -> Option<NaiveDateTime> {
        let cursor = Utc.from_utc_datetime(&cursor);
        self.schedules.iter().filter_map(|schedule| schedule.after(&cursor).next()).min().map(|time| time.naive_utc())
    }
}

impl fmt::Display for CronSpec {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.expression)
    }
}

impl FromStr for CronSpec {
    type Err = CronError;

    fn from_str(expression: &str) -> Result<Self, Self::Err> {
        Self::parse(expression)
    }
}

fn expand_shorthand(expression: &str) -> Result<&'static str, CronError> {
    Ok(match expression.to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => return Err(CronError::UnknownShorthand { expression: expression.to_owned() }),
    })
}

/// Parses field `position` (1-based) of `fields`, naming it in any error.
fn parse_at(expression: &str, fields: &[&str], position: usize, rules: &FieldRules) -> Result<FieldValues, CronError> {
    parse_field(fields[position - 1], rules).map_err(|problem| CronError::Field {
        expression: expression.to_owned(),
        position,
        kind: rules.kind,
        problem,
    })
}

/// Standard 5-field crontab → one or two 6-field `cron` crate expressions.
fn normalize_standard(expression: &str, fields: &[&str]) -> Result<Vec<String>, CronError> {
    let minute = parse_at(expression, fields, 1, &FieldRules::MINUTE)?;
    let hour = parse_at(expression, fields, 2, &FieldRules::HOUR)?;
    let day_of_month = parse_at(expression, fields, 3, &FieldRules::DAY_OF_MONTH)?;
    let month = parse_at(expression, fields, 4, &FieldRules::MONTH)?;
    let day_of_week = parse_at(expression, fields, 5, &FieldRules::DAY_OF_WEEK_FROM_SUNDAY_ZERO)?;

    // The `cron` crate numbers Sunday 1 .. Saturday 7; crontab numbers Sunday 0 (or 7) .. Saturday 6.
    let weekdays: BTreeSet<u32> = day_of_week.values.iter().map(|day| day % 7 + 1).collect();
    let weekdays = list(&weekdays, &FieldRules::DAY_OF_WEEK_FROM_SUNDAY_ONE);
    let days = list(&day_of_month.values, &FieldRules::DAY_OF_MONTH);
    let months = list(&month.values, &FieldRules::MONTH);
    let time = format!("0 {} {}", list(&minute.values, &FieldRules::MINUTE), list(&hour.values, &FieldRules::HOUR));

    if day_of_month.starts_with_wildcard || day_of_week.starts_with_wildcard {
        check_some_day_exists(expression, &day_of_month, &month)?;
        Ok(vec![format!("{time} {days} {months} {weekdays}")])
    } else {
        // Both day fields restricted: a day matches when either does, so take the union of two schedules.
        Ok(vec![format!("{time} {days} {months} *"), format!("{time} * {months} {weekdays}")])
    }
}

/// 6/7-field expressions keep the `cron` crate's meaning; only the value lists are normalized.
fn normalize_with_seconds(expression: &str, fields: &[&str]) -> Result<Vec<String>, CronError> {
    let second = parse_at(expression, fields, 1, &FieldRules::SECOND)?;
    let minute = parse_at(expression, fields, 2, &FieldRules::MINUTE)?;
    let hour = parse_at(expression, fields, 3, &FieldRules::HOUR)?;
    let day_of_month = parse_at(expression, fields, 4, &FieldRules::DAY_OF_MONTH)?;
    let month = parse_at(expression, fields, 5, &FieldRules::MONTH)?;
    let day_of_week = parse_at(expression, fields, 6, &FieldRules::DAY_OF_WEEK_FROM_SUNDAY_ONE)?;
    check_some_day_exists(expression, &day_of_month, &month)?;
    let mut normalized = format!(
        "{} {} {} {} {} {}",
        list(&second.values, &FieldRules::SECOND),
        list(&minute.values, &FieldRules::MINUTE),
        list(&hour.values, &FieldRules::HOUR),
        list(&day_of_month.values, &FieldRules::DAY_OF_MONTH),
        list(&month.values, &FieldRules::MONTH),
        list(&day_of_week.values, &FieldRules::DAY_OF_WEEK_FROM_SUNDAY_ONE),
    );
    if fields.len() == 7 {
        let year = parse_at(expression, fields, 7, &FieldRules::YEAR)?;
        normalized.push(' ');
        normalized.push_str(&list(&year.values, &FieldRules::YEAR));
    }
    Ok(vec![normalized])
}

/// `*` for a full field (the `cron` crate treats an unrestricted day of week specially), else a value list.
fn list(values: &BTreeSet<u32>, rules: &FieldRules) -> String {
    if *values == rules.full() {
        return "*".to_owned();
    }
    let mut text = String::new();
    for value in values {
        if !text.is_empty() {
            text.push(',');
        }
        text.push_str(&value.to_string());
    }
    text
}

/// Refuses day-of-month and month choices that name no real date, such as 30 February, which would
/// otherwise be accepted and silently never fire.
fn check_some_day_exists(expression: &str, days: &FieldValues, months: &FieldValues) -> Result<(), CronError> {
    const LONGEST_MONTH: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let Some(&first_day) = days.values.first() else {
        return Ok(());
    };
    let fits = months
        .values
        .iter()
        .any(|&month| LONGEST_MONTH.get(month as usize - 1).is_some_and(|&length| first_day <= length));
    if fits {
        Ok(())
    } else {
        Err(CronError::NeverFires { expression: expression.to_owned() })
    }
}
