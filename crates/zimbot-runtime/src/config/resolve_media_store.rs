//! Checks `zim.media_store` and builds [`MediaStoreSettings`]: the fields its `kind` needs are there, other
//! kinds' fields are not, and S3's link, part size and concurrency make sense. Each problem is placed at the key
//! it is about.

use super::positions::PositionIndex;
use super::raw::RawMediaStore;
use super::raw_media_store::RawMediaStoreKind;
use super::report::Report;
use super::resolve_settings::{check_url, locate, reachable};
use super::settings::{HttpPutStoreSettings, LocalStoreSettings, MediaStoreSettings};
use std::path::{Path, PathBuf};
use std::time::Duration;
use zimbot_client::{S3Config, S3Link, DEFAULT_PART_CONCURRENCY, DEFAULT_PART_SIZE, MAX_PRESIGNED_LINK};

const MIB: u64 = 1024 * 1024;

pub(super) fn resolve_media_store(
    raw: RawMediaStore,
    positions: &PositionIndex,
    folder: &Path,
    report: &mut Report,
) -> MediaStoreSettings {
    use RawMediaStoreKind::{HttpPut, Local, S3};
    let at = |key: &str| locate(positions, &["zim", "media_store", key]);
    let kind_name = match raw.kind {
        HttpPut => "http_put",
        S3 => "s3",
        Local => "local",
    };
    // Each field, whether it is written, and the kinds it belongs to.
    let fields: [(&str, bool, &[RawMediaStoreKind]); 15] = [
        ("put_url", raw.put_url.is_some(), &[HttpPut]),
        ("auth_header", raw.auth_header.is_some(), &[HttpPut]),
        ("bucket", raw.bucket.is_some(), &[S3]),
        ("region", raw.region.is_some(), &[S3]),
        ("endpoint", raw.endpoint.is_some(), &[S3]),
        ("path_style", raw.path_style, &[S3]),
        ("access_key_id", raw.access_key_id.is_some(), &[S3]),
        ("secret_access_key", raw.secret_access_key.is_some(), &[S3]),
        ("key_prefix", raw.key_prefix.is_some(), &[S3]),
        ("presigned_link_hours", raw.presigned_link_hours.is_some(), &[S3]),
        ("part_size_mb", raw.part_size_mb.is_some(), &[S3]),
        ("part_concurrency", raw.part_concurrency.is_some(), &[S3]),
        ("listen", raw.listen.is_some(), &[Local]),
        ("data_dir", raw.data_dir.is_some(), &[Local]),
        ("public_url", raw.public_url.is_some(), &[HttpPut, S3, Local]),
    ];
    for (key, _, kinds) in fields.iter().filter(|(_, written, kinds)| *written && !kinds.contains(&raw.kind)) {
        let hint = match kinds[0] {
            S3 => "; for S3-compatible storage write `kind: s3`",
            Local => "; for files served by zimbot itself write `kind: local`",
            HttpPut => "; for a generic HTTP PUT store write `kind: http_put`",
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
        RawMediaStoreKind::Local => {
            let Some(listen) = raw.listen else {
                report.add(at("listen"), None, "`zim.media_store.listen` is required with `kind: local`");
                return MediaStoreSettings::Local(LocalStoreSettings {
                    listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                    public_url: String::new(),
                    data_dir: PathBuf::new(),
                });
            };
            let public_url = match raw.public_url {
                Some(url) => {
                    check_url(&url, at("public_url"), "zim.media_store.public_url", report);
                    url.trim_end_matches('/').to_owned()
                }
                None => format!("http://{}", reachable(listen)),
            };
            let data_dir = folder.join(raw.data_dir.as_deref().unwrap_or(".zimbot-data/media"));
            MediaStoreSettings::Local(LocalStoreSettings { listen, public_url, data_dir })
        }
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
