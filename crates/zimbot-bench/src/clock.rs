//! One monotonic time base for the whole process, so a timestamp written by the load generator, stamped by the
//! webhook's receive layer and read in a plugin hook can be subtracted.

use std::sync::LazyLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

static BASE: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Fixes the time base; call once at start so the first reading is not paid inside a measurement.
pub fn init() {
    LazyLock::force(&BASE);
}

/// Nanoseconds since the process's time base.
pub fn now_ns() -> u64 {
    u64::try_from(BASE.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Microseconds since the Unix epoch (for cron ticks, which carry wall-clock times).
pub fn unix_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|since| since.as_micros() as i64).unwrap_or(0)
}
