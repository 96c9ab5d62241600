//! The harness's store behaves as the runtime's: values outlive hooks and restarts, carry the writer's plugin
//! version and a revision, and fail with the same reasons (size, key, conflict, unavailable).

use serde_json::json;
use zimbot_sdk::prelude::*;
use zimbot_sdk::testing::TestBot;

/// Answers peer commands about its store: `put K V`, `get K`, `del K`, `list P`, `big K N` (puts N bytes),
/// `bump` (adds one to `count` with compare-and-swap), `swap K REV V` (compare-and-swap expecting revision REV,
/// `none` for absent), `old K` (reads K as written by any version). Failures
/// are answered `error REASON: MESSAGE`.
struct Keeper;

impl Keeper {
    async fn answer(ctx: &BotContext, text: &str) -> Result<String, StoreError> {
        let store = ctx.store();
        let words: Vec<&str> = text.splitn(3, ' ').collect();
        Ok(match words.as_slice() {
            ["put", key, value] => format!("put {key} {}", store.put(key, value).await?),
            ["get", key] => match store.get::<String>(key).await? {
                Some(value) => format!("{key} = {value}"),
                None => format!("{key} absent"),
            },
            ["del", key] => format!("deleted {}", store.delete(key).await?),
            ["list", prefix] => {
                let entries = store.list::<String>(prefix).await?;
                entries.iter().map(|entry| format!("{}={}", entry.key, entry.value)).collect::<Vec<_>>().join(",")
            }
            ["big", key, size] => {
                let value = "x".repeat(size.parse().unwrap_or_default());
                format!("put {key} {}", store.put(key, &value).await?)
            }
            ["bump"] => loop {
                let entry = store.entry::<u64>("count").await?;
                let (count, revision) = entry.map_or((0, None), |entry| (entry.value, Some(entry.revision)));
                if let Swap::Swapped { .. } = store.compare_and_swap("count", revision, &(count + 1)).await? {
                    break format!("count {}", count + 1);
                }
            },
            ["swap", key, rest] => {
                let (expected, value) = rest.split_once(' ').unwrap_or((rest, ""));
                let expected = expected.parse().ok().map(Revision);
                match store.compare_and_swap(key, expected, value).await? {
                    Swap::Swapped { revision } => format!("swapped {revision}"),
                    Swap::Conflict { current } => format!("conflict {current:?}"),
                }
            }
            ["old", key] => match store.entry::<serde_json::Value>(key).await? {
                Some(entry) => format!("{key} = {} by {}", entry.value, entry.plugin_version),
                None => format!("{key} absent"),
            },
            _ => "?".to_owned(),
        })
    }
}

#[async_trait]
impl Plugin for Keeper {
    async fn on_peer_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        let answer = match Self::answer(ctx, message.text().unwrap_or_default()).await {
            Ok(answer) => answer,
            Err(error) => format!("error {error}"),
        };
        ctx.reply_text(&message, answer).await?;
        Ok(())
    }
}

impl PluginFactory for Keeper {
    const NAME: &'static str = "keeper";
    const VERSION: &'static str = "2.0.0";
    fn create(_init: PluginInit) -> Result<Self, PluginError> {
        Ok(Keeper)
    }
}

/// Sends `text` to the bot and answers its reply.
fn ask(bot: &mut TestBot<Keeper>, text: &str) -> String {
    bot.peer_message("alice", text).expect("the hook ends");
    let sends = bot.take_sends();
    sends.last().and_then(|send| send.text()).expect("a reply").to_owned()
}

#[test]
fn a_value_put_by_one_hook_is_read_by_a_later_one() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    ask(&mut bot, "put greeting hello");
    assert_eq!(ask(&mut bot, "get greeting"), "greeting = hello");
}

#[test]
fn a_key_never_put_reads_as_absent() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    assert_eq!(ask(&mut bot, "get greeting"), "greeting absent");
}

#[test]
fn stored_values_outlive_a_restart() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    ask(&mut bot, "put greeting hello");
    let mut bot = bot.restart().unwrap();
    assert_eq!(ask(&mut bot, "get greeting"), "greeting = hello");
}

#[test]
fn a_value_carries_the_version_of_the_plugin_that_wrote_it() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    ask(&mut bot, "put greeting hello");
    assert_eq!(bot.stored("greeting").unwrap().plugin_version, "2.0.0");
}

#[test]
fn a_value_an_older_version_wrote_is_read_with_that_version() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    bot.put_stored("greeting", json!({ "text": "hi" }), "1.0.0");
    assert_eq!(ask(&mut bot, "old greeting"), r#"greeting = {"text":"hi"} by 1.0.0"#);
}

#[test]
fn a_value_of_another_shape_fails_to_decode_naming_the_key_and_its_writer() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    bot.put_stored("greeting", json!({ "text": "hi" }), "1.0.0");
    let answer = ask(&mut bot, "get greeting");
    assert!(answer.starts_with("error undecodable"), "{answer}");
    assert!(answer.contains("\"greeting\"") && answer.contains("plugin version 1.0.0"), "{answer}");
}

#[test]
fn a_value_over_the_size_limit_fails_naming_the_key_and_nothing_is_stored() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    let answer = ask(&mut bot, &format!("big notes {}", zimbot_sdk::abi::store::MAX_VALUE_BYTES));
    assert!(answer.starts_with("error value_too_large") && answer.contains("\"notes\""), "{answer}");
    assert!(bot.stored("notes").is_none());
}

#[test]
fn an_empty_key_is_refused() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    assert!(ask(&mut bot, "del ").starts_with("error invalid_key"));
}

#[test]
fn delete_says_whether_the_key_held_a_value() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    ask(&mut bot, "put greeting hello");
    assert_eq!(ask(&mut bot, "del greeting"), "deleted true");
    assert_eq!(ask(&mut bot, "del greeting"), "deleted false");
}

#[test]
fn list_answers_the_keys_with_the_prefix_in_order() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    for command in ["put user/bob b", "put user/alice a", "put room/lobby l"] {
        ask(&mut bot, command);
    }
    assert_eq!(ask(&mut bot, "list user/"), "user/alice=a,user/bob=b");
}

#[test]
fn compare_and_swap_writes_over_the_revision_it_expects() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    assert_eq!(ask(&mut bot, "bump"), "count 1");
    bot.put_stored("count", json!(41), "2.0.0");
    assert_eq!(ask(&mut bot, "bump"), "count 42");
}

#[test]
fn compare_and_swap_with_a_stale_revision_writes_nothing_and_names_the_current_one() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    let stale = bot.put_stored("greeting", json!("hello"), "2.0.0");
    let current = bot.put_stored("greeting", json!("hi"), "2.0.0");
    assert_eq!(ask(&mut bot, &format!("swap greeting {} bye", stale.0)), format!("conflict Some({current:?})"));
    assert_eq!(ask(&mut bot, "get greeting"), "greeting = hi");
}

#[test]
fn compare_and_swap_expecting_absence_refuses_a_key_that_exists() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    assert!(ask(&mut bot, "swap greeting none hello").starts_with("swapped"));
    assert!(ask(&mut bot, "swap greeting none bye").starts_with("conflict Some"));
}

#[test]
fn an_unavailable_store_fails_calls_with_storage_unavailable() {
    let mut bot = TestBot::<Keeper>::start(json!({})).unwrap();
    bot.set_store_unavailable(true);
    assert!(ask(&mut bot, "put greeting hello").starts_with("error storage_unavailable"));
    bot.set_store_unavailable(false);
    assert!(ask(&mut bot, "put greeting hello").starts_with("put greeting r"));
}
