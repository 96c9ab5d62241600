//! Cron expressions as zimbot reads them: [`CronSpec`] parses a 5-field standard crontab or a 6/7-field
//! expression with seconds, checks every field (errors name the field, what was written and what is accepted),
//! and finds fire times on the wall clock of an IANA time zone, daylight saving included.
//!
//! It is the one reading of a schedule shared by the runtime's scheduler and the plugin test harness
//! (`zimbot_sdk::testing`), so a schedule fires at the same instants in a test as in production. What it is not:
//! a scheduler. It does no I/O and keeps no state; the runtime's scheduler and the harness drive it.
//!
//! ```
//! use zimbot_cron::CronSpec;
//!
//! let spec = CronSpec::parse("*/10 * * * * *").unwrap(); // every 10 seconds
//! let start = chrono::DateTime::UNIX_EPOCH;
//! let next = spec.next_after(start, chrono_tz::UTC).unwrap();
//! assert_eq!((next - start).num_seconds(), 10);
//! ```

mod error;
mod field;
mod local_time;
mod spec;

pub use error::{CronError, FieldProblem};
pub use field::FieldKind;
pub use spec::CronSpec;
