//! A plugin that keeps its `BotContext` and sends through it from a thread of its own, inside a real
//! `zimbot run`: once its bot is stopped (three panics), the process stays up, the other bots answer, and every
//! further send through the kept context is refused as `BotGone` and never reaches the hub.

mod support;

use std::path::Path;
use std::time::Duration;
use support::*;

const ECHO: &str = r#"  - id: echo
    user_id: "@RBT#echo"
    plugin: echo
    listen: { peers: ["*"] }
    config: { assets: assets }
"#;

fn kept_context_bot(report: &Path) -> String {
    format!(
        "  - id: keeper\n    user_id: \"@RBT#keeper\"\n    plugin: {:?}\n    listen: {{ rooms: [lobby] }}\n    \
         config: {{ report: {:?}, interval_ms: 20 }}\n",
        fixture_library("fixture_kept_context").display().to_string(),
        report.display().to_string(),
    )
}

/// The thread's outcomes so far: (tick, accepted?) and the refusal reasons.
fn outcomes(report: &Path) -> Vec<(u64, Result<(), String>)> {
    let text = std::fs::read_to_string(report).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut words = line.split(' ');
            let outcome = words.next()?;
            let tick: u64 = words.next()?.parse().ok()?;
            match outcome {
                "accepted" => Some((tick, Ok(()))),
                "refused" => Some((tick, Err(words.collect::<Vec<_>>().join(" ")))),
                _ => None,
            }
        })
        .collect()
}

/// Waits until the report satisfies `done`; fails after [`PATIENCE`].
async fn wait_for_report(report: &Path, what: &str, done: impl Fn(&[(u64, Result<(), String>)]) -> bool) {
    let waited = tokio::time::timeout(PATIENCE, async {
        while !done(&outcomes(report)) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "never happened: {what}; report: {:?}", outcomes(report));
}

/// The numbers of the `tick N` messages in the room's history.
async fn ticks_in_history(hub: &str) -> Vec<u64> {
    let history = get_json(&format!("{hub}/client/v1/messages?conv_type=room&conv_id=lobby&limit=100000")).await;
    history["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|message| message["text"].as_str()?.strip_prefix("tick ")?.parse().ok())
        .collect()
}

#[tokio::test]
async fn a_stopped_bots_kept_context_is_refused_while_the_process_and_other_bots_carry_on() {
    fixture_plugins_dir();
    let setup = Setup::new();
    let report = setup.dir.path().join("kept-context.report");
    let zimbot = setup.run(&setup.write_hub_config(&format!("{}{ECHO}", kept_context_bot(&report)))).await;
    let hub = setup.hub_url();

    post_text(&hub, "alice", "room", "lobby", "keep").await;
    wait_for_report(&report, "the kept context sends while its bot runs", |seen| {
        seen.iter().any(|(_, outcome)| outcome.is_ok())
    })
    .await;

    for _ in 0..3 {
        post_text(&hub, "alice", "room", "lobby", "panic").await;
    }
    let metrics_url = format!("{}/metrics", setup.webhook_url());
    let stopped = tokio::time::timeout(PATIENCE, async {
        while metric(&get_text(&metrics_url).await, "zimbot_hook_panics_total{bot=\"keeper\"}") < 3.0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(stopped.is_ok(), "the keeper bot panicked three times and was stopped");
    // Ten more attempts after the stop, all refused.
    let refused_from = outcomes(&report).last().map_or(0, |(tick, _)| *tick) + 1;
    wait_for_report(&report, "ten sends after the stop", |seen| {
        seen.last().is_some_and(|(tick, _)| *tick >= refused_from + 10)
    })
    .await;

    let seen = outcomes(&report);
    let first_refused = seen.iter().position(|(_, outcome)| outcome.is_err()).expect("a refusal");
    assert!(
        seen[first_refused..]
            .iter()
            .all(|(_, outcome)| outcome.as_ref().err().is_some_and(|reason| reason == "BotGone")),
        "once refused, every send through the kept context is refused as BotGone: {:?}",
        &seen[first_refused..]
    );
    let accepted = seen.iter().filter(|(_, outcome)| outcome.is_ok()).count();

    // The process is up and the other bot answers.
    let mut events = Events::subscribe(&hub, "conv_type=peer&conv_id=@RBT%23echo&user=alice").await;
    post_text(&hub, "alice", "peer", "@RBT#echo", "still there?").await;
    let reply = events.next_from("@RBT#echo").await;
    assert!(reply["text"].as_str().unwrap_or_default().contains("still there?"), "{reply}");

    // Nothing the kept context tried after the stop reached the hub. Sends accepted before the stop may still be
    // on their way (the ticks outpace the send limiter), so the check is by tick number, not by a count that
    // could still grow.
    let first_refused_tick = seen[first_refused].0;
    let ticks = ticks_in_history(&hub).await;
    assert!(
        ticks.iter().all(|&tick| tick < first_refused_tick),
        "refused ticks from {first_refused_tick} on: {ticks:?}"
    );
    assert!(ticks.len() <= accepted, "{} ticks in the room, {accepted} accepted", ticks.len());
    let metrics = get_text(&metrics_url).await;
    assert!(metric(&metrics, "zimbot_stale_context_calls_total{call=\"submit\"}") >= 10.0, "{metrics}");
    assert!(zimbot.stop().await.success());
}
