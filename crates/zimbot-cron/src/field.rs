//! One field of a cron expression: which values it may hold, and how its text (lists, ranges, steps, names)
//! becomes a set of values. Checking fields here, before the `cron` crate sees them, lets errors name the
//! field and the offending text.

use std::collections::BTreeSet;
use std::fmt;

use crate::error::FieldProblem;

/// What a field of a cron expression means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// Seconds (6/7-field expressions only).
    Second,
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Day of the month.
    DayOfMonth,
    /// Month.
    Month,
    /// Day of the week.
    DayOfWeek,
    /// Year (7-field expressions only).
    Year,
}

impl fmt::Display for FieldKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Second => "second",
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::DayOfMonth => "day of month",
            Self::Month => "month",
            Self::DayOfWeek => "day of week",
            Self::Year => "year",
        })
    }
}

/// The values a field accepts and how they are numbered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldRules {
    pub(crate) kind: FieldKind,
    pub(crate) min: u32,
    pub(crate) max: u32,
    names: Names,
    /// Whether `?` (same as `*`) is accepted; only the day fields take it, as in the `cron` crate.
    allows_question_mark: bool,
    /// Added to an out-of-range message to explain a common confusion.
    range_note: &'static str,
}

/// Which words a field accepts in place of numbers.
#[derive(Debug, Clone, Copy)]
enum Names {
    None,
    Months,
    /// Day names, numbered from Sunday = the given value.
    Days {
        sunday: u32,
    },
}

const MONTH_NAMES: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH_FULL_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const DAY_FULL_NAMES: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

impl FieldRules {
    const fn numeric(kind: FieldKind, min: u32, max: u32) -> Self {
        Self { kind, min, max, names: Names::None, allows_question_mark: false, range_note: "" }
    }

    pub(crate) const SECOND: Self = Self::numeric(FieldKind::Second, 0, 59);
    pub(crate) const MINUTE: Self = Self::numeric(FieldKind::Minute, 0, 59);
    pub(crate) const HOUR: Self = Self::numeric(FieldKind::Hour, 0, 23);
    pub(crate) const DAY_OF_MONTH: Self =
        Self { allows_question_mark: true, ..Self::numeric(FieldKind::DayOfMonth, 1, 31) };
    pub(crate) const MONTH: Self = Self { names: Names::Months, ..Self::numeric(FieldKind::Month, 1, 12) };
    /// The `cron` crate's year range.
    pub(crate) const YEAR: Self = Self::numeric(FieldKind::Year, 1970, 2100);
    /// Standard crontab: 0 and 7 are Sunday, 1 is Monday.
    pub(crate) const DAY_OF_WEEK_FROM_SUNDAY_ZERO: Self = Self {
        names: Names::Days { sunday: 0 },
        allows_question_mark: true,
        ..Self::numeric(FieldKind::DayOfWeek, 0, 7)
    };
    /// The `cron` crate (6/7-field expressions): 1 is Sunday, 7 is Saturday.
    pub(crate) const DAY_OF_WEEK_FROM_SUNDAY_ONE: Self = Self {
        names: Names::Days { sunday: 1 },
        allows_question_mark: true,
        range_note: " (with a seconds field, day of week counts Sunday = 1 to Saturday = 7, or use SUN-SAT)",
        ..Self::numeric(FieldKind::DayOfWeek, 1, 7)
    };

    /// Every value the field can hold.
    pub(crate) fn full(&self) -> BTreeSet<u32> {
        (self.min..=self.max).collect()
    }
}

/// A parsed field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldValues {
    /// The values the field matches, in the field's own numbering.
    pub(crate) values: BTreeSet<u32>,
    /// Whether the field was written starting with `*` or `?`. Standard crontab uses this, not the value set,
    /// to decide whether a day field is "restricted" (so `*/2` counts as unrestricted, as in Vixie cron).
    pub(crate) starts_with_wildcard: bool,
}

/// Parses one field: a comma-separated list of `*`, `?`, values, ranges `a-b` and steps `*/n`, `a-b/n`, `a/n`
/// (`a/n` means every n-th value from a to the field's maximum).
pub(crate) fn parse_field(text: &str, rules: &FieldRules) -> Result<FieldValues, FieldProblem> {
    let mut values = BTreeSet::new();
    for item in text.split(',') {
        if item.is_empty() {
            return Err(FieldProblem::EmptyItem { field: text.to_owned() });
        }
        parse_item(item, rules, &mut values)?;
    }
    Ok(FieldValues { values, starts_with_wildcard: text.starts_with('*') || text.starts_with('?') })
}

fn parse_item(item: &str, rules: &FieldRules, values: &mut BTreeSet<u32>) -> Result<(), FieldProblem> {
    let malformed = || FieldProblem::Malformed { item: item.to_owned() };
    let (base, step) = match item.split_once('/') {
        Some((base, step)) => (base, Some(parse_step(step, rules)?)),
        None => (item, None),
    };
    let (start, end) = match base {
        "*" => (rules.min, rules.max),
        "?" if rules.allows_question_mark => (rules.min, rules.max),
        "?" => return Err(FieldProblem::QuestionMarkNotAllowed),
        _ => match base.split_once('-') {
            Some((start_text, end_text)) => {
                let start = parse_value(start_text, rules).ok_or_else(malformed)??;
                let end = parse_value(end_text, rules).ok_or_else(malformed)??;
                if start > end {
                    return Err(FieldProblem::BackwardRange { start: start_text.to_owned(), end: end_text.to_owned() });
                }
                (start, end)
            }
            None => {
                let value = parse_value(base, rules).ok_or_else(malformed)??;
                // A lone start with a step runs to the end of the field, as the `cron` crate reads it.
                (value, if step.is_some() { rules.max } else { value })
            }
        },
    };
    values.extend((start..=end).step_by(step.unwrap_or(1) as usize));
    Ok(())
}

fn parse_step(text: &str, rules: &FieldRules) -> Result<u32, FieldProblem> {
    let max = rules.max - rules.min;
    match text.parse::<u32>() {
        Ok(step) if (1..=max).contains(&step) && text.bytes().all(|byte| byte.is_ascii_digit()) => Ok(step),
        _ => Err(FieldProblem::BadStep { step: text.to_owned(), max }),
    }
}

/// A number or a name; `None` when the text is neither (the caller reports the whole item).
fn parse_value(text: &str, rules: &FieldRules) -> Option<Result<u32, FieldProblem>> {
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        let out_of_range = || FieldProblem::OutOfRange {
            value: text.to_owned(),
            min: rules.min,
            max: rules.max,
            note: rules.range_note,
        };
        return Some(match text.parse::<u32>() {
            Ok(value) if (rules.min..=rules.max).contains(&value) => Ok(value),
            _ => Err(out_of_range()),
        });
    }
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_alphabetic()) {
        return Some(parse_name(text, rules));
    }
    None
}

fn parse_name(text: &str, rules: &FieldRules) -> Result<u32, FieldProblem> {
    let lower = text.to_ascii_lowercase();
    let position_in = |short: &[&str], long: &[&str]| {
        short.iter().position(|name| *name == lower).or_else(|| long.iter().position(|name| *name == lower))
    };
    match rules.names {
        Names::None => Err(FieldProblem::NamesNotAllowed { name: text.to_owned(), min: rules.min, max: rules.max }),
        Names::Months => match position_in(&MONTH_NAMES, &MONTH_FULL_NAMES) {
            Some(index) => Ok(index as u32 + 1),
            None => {
                Err(FieldProblem::UnknownName { name: text.to_owned(), kind: "month", accepted: "JAN-DEC or 1-12" })
            }
        },
        Names::Days { sunday } => match position_in(&DAY_NAMES, &DAY_FULL_NAMES) {
            Some(index) => Ok(index as u32 + sunday),
            None => Err(FieldProblem::UnknownName {
                name: text.to_owned(),
                kind: "day",
                accepted: if sunday == 0 {
                    "SUN-SAT or 0-7 (0 and 7 are Sunday)"
                } else {
                    "SUN-SAT or 1-7 (1 is Sunday)"
                },
            }),
        },
    }
}
