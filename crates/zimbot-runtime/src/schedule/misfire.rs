//! What the scheduler does with a tick it could not deliver on time (the machine slept, the clock jumped).

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How long a tick may be late and still simply fire, unless a schedule sets its own `misfire_grace`.
pub const DEFAULT_MISFIRE_GRACE: Duration = Duration::from_secs(60);

/// The policy for ticks that are more than `misfire_grace` late.
///
/// Ticks within the grace always fire, whatever the policy; the policy only decides about older ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Misfire {
    /// Fire ONE catch-up tick for all the fire times that were missed (not one per missed time), then carry on
    /// with the schedule from the present.
    #[default]
    FireOnce,
    /// Drop the missed fire times silently (a debug log line records them) and carry on from the present.
    Skip,
}
