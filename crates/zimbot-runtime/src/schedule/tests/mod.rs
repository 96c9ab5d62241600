//! Specifications of the cron scheduler, one behaviour per test, all on virtual time (what expressions mean is
//! specified in `zimbot-cron`).

mod batches;
mod scheduler;

use chrono::{DateTime, Utc};

/// An instant written in RFC 3339.
fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("test instants are valid RFC 3339").with_timezone(&Utc)
}
