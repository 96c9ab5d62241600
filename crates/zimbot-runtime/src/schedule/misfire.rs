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

#[cfg(test)]
mod tests {
    use super::Misfire;

    #[test]
    fn policies_are_spelled_in_snake_case() {
        assert_eq!(serde_json::from_str::<Misfire>("\"fire_once\"").ok(), Some(Misfire::FireOnce));
        assert_eq!(serde_json::from_str::<Misfire>("\"skip\"").ok(), Some(Misfire::Skip));
        assert!(serde_json::from_str::<Misfire>("\"FireOnce\"").is_err());
    }

    #[test]
    fn default_policy_is_fire_once() {
        assert_eq!(Misfire::default(), Misfire::FireOnce);
    }

    #[test]
    fn schema_lists_both_policies() {
        let schema = serde_json::to_string(&schemars::schema_for!(Misfire)).unwrap_or_default();
        assert!(schema.contains("\"fire_once\"") && schema.contains("\"skip\""), "{schema}");
    }
}
