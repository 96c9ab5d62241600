//! Checks `zim.media_store` and builds [`MediaStoreSettings`]: the fields its `kind` needs are there, the other
//! kind's fields are not, and S3's link, part size and concurrency make sense. Each problem is placed at the key
//! it is about.

use super::positions::PositionIndex;
use super::raw::RawMediaStore;
use super::raw_media_store::RawMediaStoreKind;
use super::report::Report;
use super::resolve_settings::{check_url, locate};
use super::settings::{HttpPutStoreSettings, MediaStoreSettings};
use std::time::Duration;
use zimbot_client::{S3Config, S3Link, DEFAULT_PART_CONCURRENCY, DEFAULT_PART_SIZE, MAX_PRESIGNED_LINK};

const MIB: u64 = 1024 * 1024;

pub(super) fn resolve_media_store(
    raw: RawMediaStore,
    positions: &PositionIndex,
    report: &mut Report,
) -> MediaStoreSettings {
    let at = |key: &str| locate(positions, &["zim", "media_store", key]);
    let kind_name = match raw.kind {
        RawMediaStoreKind::HttpPut => "http_put",
        RawMediaStoreKind::S3 => "s3",
    };
    let http_put_only = [("put_url", raw.put_url.is_some()), ("auth_header", raw.auth_header.is_some())];
    let s3_only = [
        ("bucket", raw.bucket.is_some()),
        ("region", raw.region.is_some()),
        ("endpoint", raw.endpoint.is_some()),
        ("path_style", raw.path_style),
        ("access_key_id", raw.access_key_id.is_some()),
        ("secret_access_key", raw.secret_access_key.is_some()),
        ("key_prefix", raw.key_prefix.is_some()),
        ("presigned_link_hours", raw.presigned_link_hours.is_some()),
        ("part_size_mb", raw.part_size_mb.is_some()),
        ("part_concurrency", raw.part_concurrency.is_some()),
    ];
    let foreign = match raw.kind {
        RawMediaStoreKind::HttpPut => &s3_only[..],
        RawMediaStoreKind::S3 => &http_put_only[..],
    };
    for (key, _) in foreign.iter().filter(|(_, written)| *written) {
        let hint = match raw.kind {
            RawMediaStoreKind::HttpPut => "; for S3-compatible storage write `kind: s3`",
            RawMediaStoreKind::S3 => "",
        };
        report.add(at(key), None, format!("`{key}` does not apply to `kind: {kind_name}`{hint}"));
    }
    let mut required = |value: Option<String>, key: &str| {
        value.filter(|value| !value.trim().is_empty()).unwrap_or_else(|| {
            report.add(at(key), None, format!("`zim.media_store.{key}` is required with `kind: {kind_name}`"));
            String::new()
        })
    };
    match raw.kind {
        RawMediaStoreKind::HttpPut => {
            let put_url = required(raw.put_url, "put_url");
            let public_url = required(raw.public_url, "public_url");
            for (key, url) in [("put_url", &put_url), ("public_url", &public_url)] {
                if !url.is_empty() {
                    check_url(url, at(key), &format!("zim.media_store.{key}"), report);
                }
            }
            MediaStoreSettings::HttpPut(HttpPutStoreSettings { put_url, public_url, auth_header: raw.auth_header })
        }
        RawMediaStoreKind::S3 => {
            let bucket = required(raw.bucket, "bucket");
            let region = required(raw.region, "region");
            let access_key_id = required(raw.access_key_id, "access_key_id");
            let secret_access_key = required(raw.secret_access_key, "secret_access_key");
            if let Some(endpoint) = &raw.endpoint {
                check_url(endpoint, at("endpoint"), "zim.media_store.endpoint", report);
            }
            let link = s3_link(raw.public_url, raw.presigned_link_hours, &at, report);
            let part_size = raw.part_size_mb.map_or(DEFAULT_PART_SIZE, |mib| mib.saturating_mul(MIB));
            if part_size < 5 * MIB {
                report.add(at("part_size_mb"), None, "`part_size_mb` must be at least 5: S3 refuses smaller parts");
            }
            let part_concurrency = raw.part_concurrency.unwrap_or(DEFAULT_PART_CONCURRENCY);
            if part_concurrency == 0 {
                report.add(at("part_concurrency"), None, "`part_concurrency` must be at least 1");
            }
            MediaStoreSettings::S3(S3Config {
                bucket,
                region,
                endpoint: raw.endpoint,
                path_style: raw.path_style,
                access_key_id,
                secret_access_key,
                key_prefix: raw.key_prefix.unwrap_or_default(),
                link,
                part_size,
                part_concurrency,
            })
        }
    }
}

/// Exactly one of a public URL template (with `{key}`) and a presigned validity of 1 to 168 hours.
fn s3_link(
    public_url: Option<String>,
    presigned_hours: Option<u64>,
    at: &dyn Fn(&str) -> super::Location,
    report: &mut Report,
) -> S3Link {
    let max_hours = MAX_PRESIGNED_LINK.as_secs() / 3600;
    match (public_url, presigned_hours) {
        (Some(template), None) => {
            if !template.contains("{key}") {
                report.add(
                    at("public_url"),
                    None,
                    format!("`public_url` must contain `{{key}}` (e.g. `https://media.example.com/{{key}}`), not `{template}`"),
                );
            } else {
                check_url(&template, at("public_url"), "zim.media_store.public_url", report);
            }
            S3Link::Public(template)
        }
        (None, Some(hours)) => {
            if hours == 0 || hours > max_hours {
                report.add(
                    at("presigned_link_hours"),
                    None,
                    format!(
                        "`presigned_link_hours` must be 1 to {max_hours} (SigV4 allows 7 days at most), not {hours}"
                    ),
                );
            }
            S3Link::Presigned(Duration::from_secs(hours.clamp(1, max_hours) * 3600))
        }
        (Some(template), Some(_)) => {
            report.add(
                at("presigned_link_hours"),
                None,
                "give either `public_url` or `presigned_link_hours`, not both",
            );
            S3Link::Public(template)
        }
        (None, None) => {
            report.add(
                at("public_url"),
                None,
                "`zim.media_store.public_url` (a template with `{key}`) is required with `kind: s3`: messages keep \
                 their links in history, so they must not expire (`presigned_link_hours` is the expiring opt-in)",
            );
            S3Link::Public(String::new())
        }
    }
}
