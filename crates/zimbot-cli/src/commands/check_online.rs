//! `zimbot check --online`: registers the configured bot users with the Server API (idempotent: a bot that exists
//! already counts as registered) and says whether the service accepted the app id, the server secret and this
//! machine's clock, quoting the service's own code and message when it did not.
//!
//! With the embedded hub there is no service to ask: the check says so and passes.

use super::client::{bot_users, build_client};
use zimbot_model::{ZimCode, ZimError};
use zimbot_runtime::config::{Backend, Config};

/// Runs the online check and prints its findings; returns whether the service accepted everything.
pub async fn check_online(config: &Config) -> bool {
    println!();
    if config.zim.backend == Backend::Hub {
        println!("online: skipped: `zim.backend: hub` runs the embedded stand-in, there is no service to ask");
        return true;
    }
    println!("online: asking the ZIM service at {} (app id {})", config.zim.api_base, config.zim.app_id);
    let client = match build_client(config) {
        Ok(client) => client,
        Err(error) => {
            println!("  refused before asking: {error:#}");
            return false;
        }
    };
    let bots = bot_users(config);
    let count = bots.len();
    let outcome = client.register_bots(bots).await;
    for line in findings(count, outcome.as_ref().err()) {
        println!("  {line}");
    }
    outcome.is_ok()
}

/// What the answer to registering `count` bots says, one line per finding.
fn findings(count: usize, error: Option<&ZimError>) -> Vec<String> {
    let Some(error) = error else {
        return vec![
            "app id and server secret: accepted".to_owned(),
            "clock: accepted (within the service's 10-minute window)".to_owned(),
            format!("bot users: {count} registered (or registered already)"),
        ];
    };
    let quoted = format!("code {}: {}", error.code, error.message);
    match error.code {
        ZimCode::SIGNATURE_INVALID => vec![format!(
            "app id and server secret: REFUSED ({quoted}); check zim.app_id and zim.server_secret against the console"
        )],
        ZimCode::AUTH_FAILED => vec![format!("app id: REFUSED ({quoted}); check zim.app_id")],
        ZimCode::SIGNATURE_EXPIRED => vec![
            "app id and server secret: not judged (the timestamp was refused first)".to_owned(),
            format!("clock: REFUSED ({quoted}); this machine's clock is more than 10 minutes off, sync it (NTP)"),
        ],
        ZimCode::NETWORK | ZimCode::HTTP_STATUS | ZimCode::BAD_RESPONSE => {
            vec![format!("service: NOT REACHED ({quoted}); check zim.api_base and the network")]
        }
        _ => vec!["app id, server secret and clock: accepted".to_owned(), format!("bot users: REFUSED ({quoted})")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_signature_names_the_settings_and_quotes_the_service() {
        let error = ZimError::new(ZimCode::SIGNATURE_INVALID, "RobotRegister failed: signature check failed");
        let lines = findings(2, Some(&error));
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("zim.server_secret") && lines[0].contains("code 100000005"), "{lines:?}");
    }

    #[test]
    fn an_expired_timestamp_blames_the_clock() {
        let error = ZimError::new(ZimCode::SIGNATURE_EXPIRED, "timestamp expired");
        assert!(findings(1, Some(&error))[1].starts_with("clock: REFUSED (code 100000004"));
    }

    #[test]
    fn a_refused_bot_means_the_credentials_were_accepted() {
        let error = ZimError::new(ZimCode(660_700_006), "RobotRegister did not register @RBT#a");
        let lines = findings(1, Some(&error));
        assert_eq!(lines[0], "app id, server secret and clock: accepted");
        assert!(lines[1].contains("660700006"), "{lines:?}");
    }
}
