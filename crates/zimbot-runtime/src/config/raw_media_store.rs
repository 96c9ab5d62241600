//! The `zim.media_store:` section of bots.yaml as written. One flat mapping for every kind, so a field of the
//! wrong kind is reported where it is written (by `resolve_media_store`), not as a confusing serde error.

use super::text;
use schemars::JsonSchema;
use serde::Deserialize;
use std::net::SocketAddr;

/// Which store `zim.media_store` describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawMediaStoreKind {
    /// Any endpoint taking an HTTP `PUT` (`put_url`, `public_url`, optional `auth_header`).
    #[default]
    HttpPut,
    /// S3-compatible object storage: AWS S3, Cloudflare R2, MinIO, Ceph, Wasabi, Backblaze B2, ...
    S3,
    /// A folder on this machine that `zimbot run` serves on its own public listener.
    Local,
}

/// The `zim.media_store:` section.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `kind: s3` (`bucket`, `region`, `public_url`, ...), `kind: local` (`listen`, `public_url`) or `kind: http_put` (`put_url`, `public_url`)"
)]
pub(super) struct RawMediaStore {
    /// `s3`, `local` or `http_put` (default).
    #[serde(default)]
    pub kind: RawMediaStoreKind,
    /// http_put: URL a file is PUT to; `{uid}` and `{file_name}` are filled in.
    #[serde(default, deserialize_with = "text::optional")]
    pub put_url: Option<String>,
    /// Where receivers download a file. http_put: `{uid}` and `{file_name}` are filled in. s3: `{key}` is filled
    /// in with the object key, e.g. `https://media.example.com/{key}` (a public bucket or a CDN in front of it).
    /// local: the base URL that reaches `listen` from the internet (default `http://{listen}`).
    #[serde(default, deserialize_with = "text::optional")]
    pub public_url: Option<String>,
    /// http_put: value of the `Authorization` header sent with each PUT.
    #[serde(default, deserialize_with = "text::optional")]
    pub auth_header: Option<String>,
    /// s3: the bucket.
    #[serde(default, deserialize_with = "text::optional")]
    pub bucket: Option<String>,
    /// s3: the signing region (`auto` for Cloudflare R2, `us-east-1` for most self-hosted stores).
    #[serde(default, deserialize_with = "text::optional")]
    pub region: Option<String>,
    /// s3: the service's base URL; AWS S3 of `region` when absent.
    #[serde(default, deserialize_with = "text::optional")]
    pub endpoint: Option<String>,
    /// s3: address the bucket in the path (`{endpoint}/{bucket}/{key}`), as most self-hosted stores need.
    #[serde(default)]
    pub path_style: bool,
    /// s3: the access key id; write it as `${VAR}`.
    #[serde(default, deserialize_with = "text::optional")]
    pub access_key_id: Option<String>,
    /// s3: the secret access key; write it as `${VAR}`.
    #[serde(default, deserialize_with = "text::optional")]
    pub secret_access_key: Option<String>,
    /// s3: put in front of every object key, e.g. `zimbot/`.
    #[serde(default, deserialize_with = "text::optional")]
    pub key_prefix: Option<String>,
    /// s3: instead of `public_url`, links presigned for this many hours (at most 168). They stop working after
    /// that, also in message history: use only for a bucket that cannot be public.
    #[serde(default)]
    pub presigned_link_hours: Option<u64>,
    /// s3: files larger than this many MiB go up in parts of this size (at least 5).
    #[serde(default)]
    pub part_size_mb: Option<u64>,
    /// s3: parts uploaded at once.
    #[serde(default)]
    pub part_concurrency: Option<usize>,
    /// local: the address `zimbot run` serves the files on.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    /// local: where the files are kept, relative to this file's folder (default `.zimbot-data/media`).
    #[serde(default, deserialize_with = "text::optional")]
    pub data_dir: Option<String>,
}
