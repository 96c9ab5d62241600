//! Which upload milestones of a `!progress` send have been reported, so each is posted once.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use zimbot_sdk::model::{ConversationId, ConversationType, LocalMessageId};

/// The percentages reported as text.
pub const MILESTONES: [u8; 4] = [25, 50, 75, 100];

/// Tracked sends: where to report, and how many milestones were reported already.
#[derive(Default)]
pub struct Milestones {
    sends: Mutex<HashMap<LocalMessageId, Tracked>>,
}

struct Tracked {
    to: ConversationId,
    kind: ConversationType,
    reported: usize,
}

impl Milestones {
    /// Starts tracking a send whose progress is reported to `to`.
    pub fn track(&self, local_id: LocalMessageId, to: ConversationId, kind: ConversationType) {
        self.lock().insert(local_id, Tracked { to, kind, reported: 0 });
    }

    /// The milestones `percent` reaches that were not reported yet (several when progress jumps), with where to
    /// report them; nothing for a send that is not tracked.
    pub fn reached(&self, local_id: LocalMessageId, percent: u8) -> Vec<(ConversationId, ConversationType, u8)> {
        let mut sends = self.lock();
        let Some(tracked) = sends.get_mut(&local_id) else { return Vec::new() };
        let due: Vec<u8> = MILESTONES[tracked.reported..].iter().copied().take_while(|at| *at <= percent).collect();
        tracked.reported += due.len();
        due.into_iter().map(|at| (tracked.to.clone(), tracked.kind, at)).collect()
    }

    /// Stops tracking a send that ended.
    pub fn forget(&self, local_id: LocalMessageId) {
        self.lock().remove(&local_id);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<LocalMessageId, Tracked>> {
        // Every update is a single insert or field change, so a poisoned map is still consistent.
        self.sends.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
