//! `${VAR}` in bots.yaml values, through the whole loader.

use super::support::{one_bot, only_problem, valid};

#[test]
fn a_variable_fills_a_numeric_field() {
    assert_eq!(valid("zim:\n  app_id: ${ZIM_APP_ID}\nbots: []\n").zim.app_id, 7654321);
}

#[test]
fn a_numeric_looking_value_fills_a_text_field_unchanged() {
    assert_eq!(valid("zim:\n  server_secret: ${NUMERIC_SECRET}\nbots: []\n").zim.server_secret, "0123");
}

#[test]
fn a_default_is_used_when_the_variable_is_unset() {
    let config = valid("zim:\n  callback_secret: ${NOT_SET:-dev-secret}\nbots: []\n");
    assert_eq!(config.zim.callback_secret, "dev-secret");
}

#[test]
fn a_value_with_yaml_syntax_is_taken_literally() {
    let text = "zim:\n  media_store:\n    put_url: http://m/{file_name}\n    public_url: http://m/{file_name}\n    auth_header: \"Bearer ${MEDIA_TOKEN}\"\nbots: []\n";
    let store = valid(text).zim.media_store.unwrap();
    assert_eq!(store.http_put().unwrap().auth_header.as_deref(), Some("Bearer t0k#en: \"x\""));
}

#[test]
fn double_dollar_stays_a_literal_dollar_sign() {
    let config = valid(&one_bot("    config:\n      price: \"$$5 for ${NOT_SET:-all}\"\n"));
    assert_eq!(config.bots[0].config["price"], "$5 for all");
}

#[test]
fn variables_in_free_form_config_keep_their_yaml_type_when_unquoted() {
    let config = valid(&one_bot("    config:\n      app: ${ZIM_APP_ID}\n      quoted: \"${ZIM_APP_ID}\"\n"));
    assert_eq!(config.bots[0].config, serde_json::json!({ "app": 7654321, "quoted": "7654321" }));
}

#[test]
fn keys_are_not_expanded() {
    let (line, column, _, message) = only_problem("${ZIM_APP_ID}: 1\nbots: []\n");
    assert_eq!((line, column), (1, 1));
    assert!(message.starts_with("unknown field `${ZIM_APP_ID}`"), "{message}");
}
