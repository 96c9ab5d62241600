//! serde's standard messages in bots.yaml's words: an unknown field or value gets a "did you mean" when a
//! known one is close, and a problem in a value names its key.
//!
//! serde builds these messages itself (`unknown field `x`, expected one of `a`, `b``) before serde_yaml sees
//! them, so the known names are read back from the message.

use super::suggest::closest;

/// The message for a problem serde reported in the value of `key` (when the problem is in a mapping entry).
pub(super) fn describe(message: &str, key: Option<&str>) -> String {
    if let Some(message) = suggest(message, "unknown field `", "unknown field", "this mapping takes no fields") {
        return message;
    }
    let message = suggest(message, "unknown variant `", "unknown value", "there are no values")
        .unwrap_or_else(|| message.to_owned());
    match key {
        // Messages about a field (missing or duplicate) already name it.
        Some(key) if !message.contains(" field `") => format!("`{key}`: {message}"),
        _ => message,
    }
}

/// Rewords serde's "`prefix`NAME`, expected ..." as "`what` `NAME`, did you mean `KNOWN`?" or
/// "`what` `NAME`; expected one of ...". `None` when the message is not of that kind.
fn suggest(message: &str, prefix: &str, what: &str, none_known: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    let (name, expected) = rest.split_once("`, ")?;
    let Some(expected) = expected.strip_prefix("expected ") else {
        return Some(format!("{what} `{name}`; {none_known}"));
    };
    // `a`, `a` or `b`, or one of `a`, `b`, `c`: the names are between backticks.
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    Some(match closest(name, known.iter().copied()) {
        Some(suggestion) => format!("{what} `{name}`, did you mean `{suggestion}`?"),
        None => {
            let known: Vec<String> = known.iter().map(|name| format!("`{name}`")).collect();
            format!("{what} `{name}`; expected one of {}", known.join(", "))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_field_gets_the_closest_known_one() {
        let message = describe("unknown field `mach`, expected one of `peers`, `rooms`, `groups`, `match`", None);
        assert_eq!(message, "unknown field `mach`, did you mean `match`?");
    }

    #[test]
    fn an_unrelated_field_lists_the_known_ones() {
        let message = describe("unknown field `colour`, expected `id` or `cron`", Some("colour"));
        assert_eq!(message, "unknown field `colour`; expected one of `id`, `cron`");
    }

    #[test]
    fn a_misspelt_value_names_its_key_and_the_closest_value() {
        let message = describe("unknown variant `hgh`, expected one of `low`, `medium`, `high`", Some("priority"));
        assert_eq!(message, "`priority`: unknown value `hgh`, did you mean `high`?");
    }

    #[test]
    fn a_wrong_type_names_its_key() {
        let message = describe("invalid type: string \"lots\", expected usize", Some("mailbox"));
        assert_eq!(message, "`mailbox`: invalid type: string \"lots\", expected usize");
    }

    #[test]
    fn a_missing_field_stands_as_serde_says_it() {
        assert_eq!(describe("missing field `plugin`", Some("bots")), "missing field `plugin`");
    }
}
