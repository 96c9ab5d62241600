//! `zim.media_store`: the S3 kind read and checked, each problem at the key it is about.

use super::support::{only_problem, problems, valid};
use crate::config::{LocalStoreSettings, MediaStoreSettings};
use std::time::Duration;
use zimbot_client::{S3Config, S3Link, DEFAULT_PART_CONCURRENCY};

/// A file whose `zim.media_store` is `lines` (each indented by the caller with 4 spaces).
fn with_store(lines: &str) -> String {
    format!("zim:\n  media_store:\n{lines}bots: []\n")
}

const R2: &str = "    kind: s3\n    endpoint: https://acct.r2.cloudflarestorage.com\n    region: auto\n    bucket: media\n    access_key_id: ${S3_ACCESS_KEY_ID}\n    secret_access_key: ${S3_SECRET_ACCESS_KEY}\n";

#[test]
fn an_s3_store_is_read_with_its_credentials_from_the_environment() {
    let text = with_store(&format!(
        "{R2}    path_style: true\n    key_prefix: zimbot/\n    public_url: https://media.example.com/{{key}}\n    part_size_mb: 16\n"
    ));
    let store = valid(&text).zim.media_store.unwrap();
    assert_eq!(
        store,
        MediaStoreSettings::S3(S3Config {
            bucket: "media".into(),
            region: "auto".into(),
            endpoint: Some("https://acct.r2.cloudflarestorage.com".into()),
            path_style: true,
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalr/K7MDENG#x".into(),
            key_prefix: "zimbot/".into(),
            link: S3Link::Public("https://media.example.com/{key}".into()),
            part_size: 16 * 1024 * 1024,
            part_concurrency: DEFAULT_PART_CONCURRENCY,
        })
    );
}

#[test]
fn presigned_links_are_an_explicit_opt_in_in_hours() {
    let store = valid(&with_store(&format!("{R2}    presigned_link_hours: 24\n"))).zim.media_store.unwrap();
    assert_eq!(store.s3().unwrap().link, S3Link::Presigned(Duration::from_secs(24 * 3600)));
}

#[test]
fn an_s3_store_without_a_link_says_links_must_not_expire() {
    let (line, column, _, message) = only_problem(&with_store(R2));
    assert_eq!((line, column), (3, 5));
    assert!(message.contains("public_url") && message.contains("must not expire"), "{message}");
}

#[test]
fn a_missing_bucket_is_reported_at_the_section() {
    let text = with_store("    kind: s3\n    region: auto\n    access_key_id: a\n    secret_access_key: b\n    public_url: https://m/{key}\n");
    let (line, column, _, message) = only_problem(&text);
    assert_eq!((line, column), (3, 5));
    assert_eq!(message, "`zim.media_store.bucket` is required with `kind: s3`");
}

#[test]
fn a_public_url_without_the_key_is_refused_where_it_is_written() {
    let (line, column, _, message) =
        only_problem(&with_store(&format!("{R2}    public_url: https://media.example.com/\n")));
    assert_eq!((line, column), (9, 17));
    assert!(message.contains("{key}"), "{message}");
}

#[test]
fn a_presigned_link_longer_than_a_week_is_refused() {
    let (line, _, _, message) = only_problem(&with_store(&format!("{R2}    presigned_link_hours: 200\n")));
    assert_eq!(line, 9);
    assert!(message.contains("1 to 168"), "{message}");
}

#[test]
fn a_part_size_below_what_s3_accepts_is_refused() {
    let text = with_store(&format!("{R2}    public_url: https://m/{{key}}\n    part_size_mb: 4\n"));
    let (line, _, _, message) = only_problem(&text);
    assert_eq!(line, 10);
    assert!(message.contains("at least 5"), "{message}");
}

#[test]
fn a_field_of_the_other_kind_is_reported_at_its_key() {
    let text = with_store("    put_url: http://m/{uid}\n    public_url: http://m/{uid}\n    bucket: media\n");
    let (line, column, _, message) = only_problem(&text);
    assert_eq!((line, column), (5, 13));
    assert_eq!(message, "`bucket` does not apply to `kind: http_put`; for S3-compatible storage write `kind: s3`");
}

#[test]
fn an_unknown_kind_is_refused() {
    let found = problems(&with_store("    kind: gcs\n"));
    assert!(found.iter().any(|(line, _, _, message)| *line == 3 && message.contains("s3")), "{found:?}");
}

#[test]
fn a_local_store_is_served_on_its_listener_with_its_folder_beside_the_file() {
    let store = valid(&with_store("    kind: local\n    listen: 0.0.0.0:8800\n")).zim.media_store.unwrap();
    assert_eq!(
        store,
        MediaStoreSettings::Local(LocalStoreSettings {
            listen: "0.0.0.0:8800".parse().unwrap(),
            public_url: "http://127.0.0.1:8800".into(),
            data_dir: "/srv/zimbot/.zimbot-data/media".into(),
        })
    );
}

#[test]
fn a_local_store_without_a_listener_says_it_is_required() {
    let (line, column, _, message) =
        only_problem(&with_store("    kind: local\n    public_url: https://media.example.com\n"));
    assert_eq!((line, column), (3, 5));
    assert_eq!(message, "`zim.media_store.listen` is required with `kind: local`");
}
