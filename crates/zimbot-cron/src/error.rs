//! Why a cron expression was refused: which field, what was written there and what would be accepted.

use crate::field::FieldKind;

/// A cron expression that cannot be used. The message names the field by position and kind, e.g.
/// `field 5 (day of week): 8 is out of range 0-7`; callers add where the expression came from (file, bot).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    /// Nothing but whitespace.
    #[error(
        "the cron expression is empty; write five fields such as \"0 9 * * 1-5\" (minute hour day-of-month \
         month day-of-week) or a shorthand such as @daily"
    )]
    Empty,
    /// Not 5, 6 or 7 whitespace-separated fields.
    #[error(
        "\"{expression}\" has {count} field(s); write 5 (minute hour day-of-month month day-of-week), 6 (a \
         seconds field first) or 7 (seconds first, year last)"
    )]
    FieldCount {
        /// The expression as written.
        expression: String,
        /// How many fields it has.
        count: usize,
    },
    /// An `@word` that is not one of the shorthands.
    #[error(
        "\"{expression}\" is not a known shorthand; use @yearly, @annually, @monthly, @weekly, @daily, \
         @midnight or @hourly, or write the fields out"
    )]
    UnknownShorthand {
        /// The expression as written.
        expression: String,
    },
    /// One field holds something it may not.
    #[error("field {position} ({kind}): {problem}")]
    Field {
        /// The expression as written.
        expression: String,
        /// 1-based position of the field in the expression as written.
        position: usize,
        /// What the field at that position means.
        kind: FieldKind,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// Every field is valid but together they name no real date (e.g. 30 February).
    #[error(
        "\"{expression}\" never fires: none of the chosen days of the month occur in the chosen months; \
         check the day-of-month and month fields"
    )]
    NeverFires {
        /// The expression as written.
        expression: String,
    },
    /// The evaluator refused an expression that passed our own checks (a gap in those checks).
    #[error("\"{expression}\" could not be evaluated ({reason}); simplify the expression and report this")]
    Evaluator {
        /// The expression as written.
        expression: String,
        /// The evaluator's own message.
        reason: String,
    },
}

/// What is wrong with one field of a cron expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldProblem {
    /// A list with nothing between two commas, or a trailing comma.
    #[error("\"{field}\" has an empty list item; remove the extra comma")]
    EmptyItem {
        /// The whole field as written.
        field: String,
    },
    /// Not a value, range or step.
    #[error("\"{item}\" is not a value, a range (a-b) or a step (*/n, a-b/n, a/n)")]
    Malformed {
        /// The list item as written.
        item: String,
    },
    /// A number outside the field's range.
    #[error("{value} is out of range {min}-{max}{note}")]
    OutOfRange {
        /// The number as written.
        value: String,
        /// Smallest accepted value.
        min: u32,
        /// Largest accepted value.
        max: u32,
        /// A hint for a common confusion (empty when there is none).
        note: &'static str,
    },
    /// A word in a field that has names, but not this one.
    #[error("\"{name}\" is not a {kind} name; use {accepted}")]
    UnknownName {
        /// The word as written.
        name: String,
        /// "month" or "day".
        kind: &'static str,
        /// The names and numbers the field accepts.
        accepted: &'static str,
    },
    /// A word in a field that only takes numbers.
    #[error("\"{name}\" is not a number; this field takes numbers {min}-{max}")]
    NamesNotAllowed {
        /// The word as written.
        name: String,
        /// Smallest accepted value.
        min: u32,
        /// Largest accepted value.
        max: u32,
    },
    /// A range whose end comes before its start.
    #[error("range {start}-{end} runs backwards; ranges cannot wrap around, so split it in two (e.g. 22-23,0-2)")]
    BackwardRange {
        /// The start as written.
        start: String,
        /// The end as written.
        end: String,
    },
    /// A step of zero, too large for the field, or not a number.
    #[error("step /{step} must be a number from 1 to {max}")]
    BadStep {
        /// The step as written.
        step: String,
        /// The largest step that still makes sense in this field.
        max: u32,
    },
    /// `?` outside the day fields.
    #[error("\"?\" is only allowed in the day-of-month and day-of-week fields; use * here")]
    QuestionMarkNotAllowed,
}
