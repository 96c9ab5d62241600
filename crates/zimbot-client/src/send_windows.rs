//! The service's limits as windows: one exact [`WindowLimiter`] per Server API action (the service counts each
//! action on its own), and optionally one overall cap across the send actions (the client SDK's 10 messages a
//! second, which the shipped bots.yaml keeps on).
//!
//! Contract:
//! - A send of action A may start at `now` only when both A's window and the overall cap allow it; a start is
//!   recorded in both. So no window of A ever holds more than A's limit, and no window holds more sends of all
//!   actions together than the cap.
//! - Registration and room creation count in their own window only (the overall cap is about messages).
//! - The message windows (each send action's and the overall cap) are paced: past half the limit in a window, one
//!   send a slot, so that a bot under its fair share never waits long for a free slot (see `limiter`).
//! - A throttling answer pauses the window it belongs to: an app-level one (660300005) pauses every window, the
//!   others (7, 660300006, 660600010, 660700001) the action's own. Pauses only ever extend.
//! - Every window counts over the service's window plus one safety margin, shared by all (the sends take the same
//!   path to the service); an adaptive margin follows the latencies [`SendWindows::record_latency`] is given.
//! - With the adaptive margin the windows also count answers ([`SendWindows::record_answer`]): a start counts
//!   until its answer when that comes before the margin runs out (see `limiter`). A fixed margin is kept as set.

use crate::limiter::WindowLimiter;
use crate::safety_margin::{MeasuredMargin, SafetyMargin};
use crate::ClientConfig;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;
use zimbot_model::{ConversationType, ZimCode};
use zimbot_wire::Action;

/// The action a send to `conversation_type` is made with.
pub(crate) fn send_action(conversation_type: ConversationType) -> Action {
    match conversation_type {
        ConversationType::Peer => Action::SendPeerMessage,
        ConversationType::Room => Action::SendRoomMessage,
        ConversationType::Group => Action::SendGroupMessage,
    }
}

/// Every window the client counts in.
#[derive(Debug)]
pub(crate) struct SendWindows {
    overall: Option<WindowLimiter>,
    per_action: HashMap<Action, WindowLimiter>,
    margin: MeasuredMargin,
}

impl SendWindows {
    /// The windows `config` asks for, each counted over the service's window plus the safety margin.
    pub(crate) fn new(config: &ClientConfig) -> Self {
        let window = config.window();
        let answers = matches!(config.safety_margin(), SafetyMargin::Adaptive { .. });
        let counting = move |limiter: WindowLimiter| if answers { limiter.counting_answers() } else { limiter };
        let overall =
            (config.sends_per_window > 0).then(|| counting(WindowLimiter::paced(config.sends_per_window, window)));
        let limits = &config.action_limits;
        let per_action = [
            (Action::SendPeerMessage, limits.send_peer_message),
            (Action::SendRoomMessage, limits.send_room_message),
            (Action::SendGroupMessage, limits.send_group_message),
            (Action::RobotRegister, limits.robot_register),
            (Action::CreateRoom, limits.create_room),
        ]
        .into_iter()
        .map(|(action, limit)| {
            let limiter = match Self::counts_overall(action) {
                true => WindowLimiter::paced(limit, window),
                false => WindowLimiter::new(limit, window),
            };
            (action, counting(limiter))
        })
        .collect();
        let mut windows = Self { overall, per_action, margin: MeasuredMargin::new(config.safety_margin()) };
        windows.apply_margin();
        windows
    }

    fn apply_margin(&mut self) {
        let margin = self.margin.current();
        self.per_action.values_mut().chain(self.overall.as_mut()).for_each(|window| window.set_margin(margin));
    }

    /// The safety margin every window counts with now.
    pub(crate) fn margin(&self) -> Duration {
        self.margin.current()
    }

    /// Adds the latency of one answer from the service, measured from the request's start stamp.
    pub(crate) fn record_latency(&mut self, latency: Duration) {
        if self.margin.record(latency) {
            self.apply_margin();
        }
    }

    fn counts_overall(action: Action) -> bool {
        matches!(action, Action::SendPeerMessage | Action::SendRoomMessage | Action::SendGroupMessage)
    }

    /// The earliest instant at or after `now` when a call of `action` may start.
    pub(crate) fn next_start(&self, action: Action, now: Instant) -> Instant {
        let mut earliest = self.per_action.get(&action).map_or(now, |window| window.next_start(now));
        if let (true, Some(overall)) = (Self::counts_overall(action), &self.overall) {
            earliest = earliest.max(overall.next_start(now));
        }
        earliest
    }

    /// The earliest instant after `now` at which the window of a send action that is closed now opens.
    pub(crate) fn next_send_opening(&self, now: Instant) -> Option<Instant> {
        [Action::SendPeerMessage, Action::SendRoomMessage, Action::SendGroupMessage]
            .into_iter()
            .map(|action| self.next_start(action, now))
            .filter(|at| *at > now)
            .min()
    }

    /// Whether a call of `action` may start at `now`.
    pub(crate) fn allows(&self, action: Action, now: Instant) -> bool {
        self.next_start(action, now) <= now
    }

    /// Records a start of `action` at `now` in every window it counts in.
    pub(crate) fn record_start(&mut self, action: Action, now: Instant) {
        if let Some(window) = self.per_action.get_mut(&action) {
            window.record_start(now);
        }
        if let (true, Some(overall)) = (Self::counts_overall(action), self.overall.as_mut()) {
            overall.record_start(now);
        }
    }

    /// The answer to the call of `action` that started at `started` came at `answered` (whatever it said).
    pub(crate) fn record_answer(&mut self, action: Action, started: Instant, answered: Instant) {
        if let Some(window) = self.per_action.get_mut(&action) {
            window.record_answer(started, answered);
        }
        if let (true, Some(overall)) = (Self::counts_overall(action), self.overall.as_mut()) {
            overall.record_answer(started, answered);
        }
    }

    /// Holds the windows a throttling `code` answered to `action` belongs to, for `pause` from `now`.
    pub(crate) fn pause(&mut self, action: Action, code: ZimCode, now: Instant, pause: Duration) {
        if code == ZimCode::APP_FREQUENCY_LIMIT {
            self.per_action.values_mut().for_each(|window| window.pause_for(now, pause));
            if let Some(overall) = self.overall.as_mut() {
                overall.pause_for(now, pause);
            }
        } else if let Some(window) = self.per_action.get_mut(&action) {
            window.pause_for(now, pause);
        }
    }

    /// Starts recorded although a window was full (an internal check; stays 0).
    pub(crate) fn violations(&self) -> u64 {
        self.per_action.values().chain(&self.overall).map(WindowLimiter::violations).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ActionLimits;

    fn windows(sends_per_window: u32) -> SendWindows {
        SendWindows::new(&ClientConfig {
            sends_per_window,
            safety_margin_ms: Some(0),
            action_limits: ActionLimits::default(),
            ..ClientConfig::default()
        })
    }

    /// Starts `count` calls of `action` each as soon as the windows allow, from `from`; returns the last start.
    fn fill(windows: &mut SendWindows, action: Action, count: usize, from: Instant) -> Instant {
        let mut at = from;
        for _ in 0..count {
            at = windows.next_start(action, at);
            windows.record_start(action, at);
        }
        at
    }

    #[test]
    fn peer_sends_fill_their_own_window_of_twenty() {
        let mut windows = windows(0);
        let now = Instant::now();
        let last = fill(&mut windows, Action::SendPeerMessage, 20, now);
        // Ten at once, then one a slot (50 ms); the 21st when the first leaves the window.
        assert_eq!(last, now + Duration::from_millis(500));
        assert_eq!(windows.next_start(Action::SendPeerMessage, last), now + Duration::from_secs(1));
    }

    #[test]
    fn a_full_room_window_does_not_hold_group_sends() {
        let mut windows = windows(0);
        let now = Instant::now();
        let last = fill(&mut windows, Action::SendRoomMessage, 10, now);
        assert!(!windows.allows(Action::SendRoomMessage, last));
        assert!(windows.allows(Action::SendGroupMessage, last));
    }

    #[test]
    fn message_sends_are_paced_past_half_the_window_and_registrations_are_not() {
        let mut windows = windows(0);
        let now = Instant::now();
        fill(&mut windows, Action::SendRoomMessage, 5, now);
        assert_eq!(windows.next_start(Action::SendRoomMessage, now), now + Duration::from_millis(100));
        fill(&mut windows, Action::RobotRegister, 20, now);
        assert_eq!(windows.next_start(Action::RobotRegister, now), now + Duration::from_secs(1));
    }

    #[test]
    fn the_overall_cap_holds_every_send_action_together() {
        let mut windows = windows(10);
        let now = Instant::now();
        fill(&mut windows, Action::SendPeerMessage, 6, now);
        let last = fill(&mut windows, Action::SendGroupMessage, 4, now);
        for action in [Action::SendPeerMessage, Action::SendRoomMessage, Action::SendGroupMessage] {
            assert!(!windows.allows(action, last), "{action:?}");
        }
        assert!(windows.allows(Action::RobotRegister, last), "registration is outside the message cap");
    }

    #[test]
    fn measured_latencies_set_the_margin_of_every_window() {
        let mut windows = SendWindows::new(&ClientConfig::default());
        let now = Instant::now();
        for latency in [10, 90, 40, 50] {
            windows.record_latency(Duration::from_millis(latency));
        }
        assert_eq!(windows.margin(), Duration::from_millis(100));
        let last = fill(&mut windows, Action::SendRoomMessage, 10, now);
        assert_eq!(windows.next_start(Action::SendRoomMessage, last), now + Duration::from_millis(1100));
        fill(&mut windows, Action::RobotRegister, 20, now);
        assert_eq!(windows.next_start(Action::RobotRegister, now), now + Duration::from_millis(1100));
    }

    #[test]
    fn a_conversation_throttling_code_pauses_only_its_action() {
        let mut windows = windows(0);
        let now = Instant::now();
        windows.pause(Action::SendRoomMessage, ZimCode::CONVERSATION_FREQUENCY_LIMIT, now, Duration::from_secs(2));
        assert_eq!(windows.next_start(Action::SendRoomMessage, now), now + Duration::from_secs(2));
        assert!(windows.allows(Action::SendPeerMessage, now));
    }

    #[test]
    fn the_app_level_throttling_code_pauses_every_window() {
        let mut windows = windows(10);
        let now = Instant::now();
        windows.pause(Action::SendRoomMessage, ZimCode::APP_FREQUENCY_LIMIT, now, Duration::from_secs(2));
        for action in [Action::SendPeerMessage, Action::SendGroupMessage, Action::RobotRegister] {
            assert_eq!(windows.next_start(action, now), now + Duration::from_secs(2), "{action:?}");
        }
    }
}
