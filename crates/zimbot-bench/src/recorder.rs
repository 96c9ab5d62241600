//! What the counting plugin saw, shared with the scenarios: the plugin is compiled into this binary as a
//! built-in, so its hooks and the scenario read the same statics.
//!
//! Message texts carry the times the scenario needs: `sent=NANOS rcv=NANOS` (see [`message_text`]), both on the
//! base of [`crate::clock`]. The webhook's receive layer overwrites the `rcv=` digits in place.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::LazyLock;

/// The marker of the receive time in a message text, followed by 20 digits.
pub const RECEIVED_MARKER: &[u8] = b"rcv=";
/// Digits of each time in a message text.
pub const DIGITS: usize = 20;

/// A message text carrying the time it was sent and a placeholder for the time it was received.
pub fn message_text(sent_ns: u64) -> String {
    format!("sent={sent_ns:020} rcv={:020}", 0)
}

/// The hooks' observations since the last [`Recorder::reset`].
#[derive(Default)]
pub struct Recorder {
    recording: AtomicBool,
    messages: AtomicU64,
    /// Nanoseconds from the generator's send to the hook.
    from_sent: Mutex<Vec<u64>>,
    /// Nanoseconds from the webhook's receive layer to the hook.
    from_received: Mutex<Vec<u64>>,
    ticks: AtomicU64,
    /// Per tick, microseconds from its scheduled time to when the scheduler fired it and to its hook (one lock
    /// a tick: the recording is part of what the hooks' lateness measures).
    tick_lateness: Mutex<Vec<(i64, i64)>>,
    /// Ticks scheduled before this (Unix ms) are counted but not measured (the warm-up).
    ticks_from_ms: AtomicU64,
}

pub static RECORDER: LazyLock<Recorder> = LazyLock::new(Recorder::default);

fn take<T>(values: &Mutex<Vec<T>>) -> Vec<T> {
    std::mem::take(&mut *values.lock())
}

fn push<T>(values: &Mutex<Vec<T>>, value: T) {
    values.lock().push(value);
}

fn time_after(text: &str, marker: &str) -> Option<u64> {
    let start = text.find(marker)? + marker.len();
    text.get(start..start + DIGITS)?.parse().ok().filter(|time| *time > 0)
}

impl Recorder {
    /// Forgets everything and starts recording; ticks scheduled before `ticks_from_ms` are not measured.
    pub fn reset(&self, ticks_from_ms: i64) {
        self.recording.store(false, Ordering::SeqCst);
        self.messages.store(0, Ordering::SeqCst);
        self.ticks.store(0, Ordering::SeqCst);
        take(&self.from_sent);
        take(&self.from_received);
        take(&self.tick_lateness);
        self.ticks_from_ms.store(u64::try_from(ticks_from_ms).unwrap_or(0), Ordering::SeqCst);
        self.recording.store(true, Ordering::SeqCst);
    }

    /// A message hook was entered at `entered_ns` with `text`.
    pub fn message(&self, text: &str, entered_ns: u64) {
        if !self.recording.load(Ordering::Relaxed) {
            return;
        }
        self.messages.fetch_add(1, Ordering::Relaxed);
        if let Some(sent) = time_after(text, "sent=") {
            push(&self.from_sent, entered_ns.saturating_sub(sent));
        }
        if let Some(received) = time_after(text, "rcv=") {
            push(&self.from_received, entered_ns.saturating_sub(received));
        }
    }

    /// A cron hook was entered at `entered_us` (Unix µs) for a tick scheduled and fired at the given Unix ms.
    pub fn tick(&self, scheduled_ms: i64, fired_ms: i64, entered_us: i64) {
        if !self.recording.load(Ordering::Relaxed) {
            return;
        }
        self.ticks.fetch_add(1, Ordering::Relaxed);
        if scheduled_ms < self.ticks_from_ms.load(Ordering::Relaxed) as i64 {
            return;
        }
        push(&self.tick_lateness, ((fired_ms - scheduled_ms) * 1000, entered_us - scheduled_ms * 1000));
    }

    /// Message hooks entered since the reset.
    pub fn messages(&self) -> u64 {
        self.messages.load(Ordering::SeqCst)
    }

    /// Cron hooks entered since the reset.
    pub fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::SeqCst)
    }

    /// Takes the message latencies: (from the generator's send, from the webhook's receive), in ns.
    pub fn take_message_latencies(&self) -> (Vec<u64>, Vec<u64>) {
        (take(&self.from_sent), take(&self.from_received))
    }

    /// Takes the tick lateness: (fired, hook entered), in µs after the scheduled time.
    pub fn take_tick_lateness(&self) -> (Vec<i64>, Vec<i64>) {
        take(&self.tick_lateness).into_iter().unzip()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_times_are_read_back_from_a_message_text() {
        let mut text = message_text(1_000).into_bytes();
        let at = text.windows(RECEIVED_MARKER.len()).position(|window| window == RECEIVED_MARKER).unwrap();
        text[at + RECEIVED_MARKER.len()..at + RECEIVED_MARKER.len() + DIGITS].copy_from_slice(b"00000000000000001500");
        let text = String::from_utf8(text).unwrap();
        assert_eq!(time_after(&text, "sent="), Some(1_000));
        assert_eq!(time_after(&text, "rcv="), Some(1_500));
    }

    #[test]
    fn an_unstamped_receive_time_is_absent() {
        assert_eq!(time_after(&message_text(5), "rcv="), None);
    }
}
