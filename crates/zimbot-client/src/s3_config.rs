//! The settings of the S3-compatible media store ([`crate::S3Store`]), as the runtime builds them from bots.yaml.

use std::time::Duration;

/// Smallest part S3 accepts in a multipart upload (but the last).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Part size used when none is configured; files larger than one part are uploaded in parts.
pub const DEFAULT_PART_SIZE: u64 = 8 * 1024 * 1024;
/// Parts uploaded at once when nothing else is configured.
pub const DEFAULT_PART_CONCURRENCY: usize = 4;
/// Most parts S3 accepts in one upload; larger files get larger parts.
pub const MAX_PARTS: u64 = 10_000;
/// Longest validity SigV4 allows a presigned link.
pub const MAX_PRESIGNED_LINK: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where an S3-compatible store is and how its objects are published.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// The bucket's name.
    pub bucket: String,
    /// The signing region (`auto` for Cloudflare R2, `us-east-1` for most self-hosted stores).
    pub region: String,
    /// The service's base URL (e.g. `https://<account>.r2.cloudflarestorage.com`); `None` is AWS S3 of `region`.
    pub endpoint: Option<String>,
    /// `{endpoint}/{bucket}/{key}` instead of `{bucket}.{endpoint host}/{key}`; most self-hosted stores need it.
    pub path_style: bool,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Put in front of every object key (e.g. `zimbot/`).
    pub key_prefix: String,
    /// How receivers reach an uploaded object.
    pub link: S3Link,
    /// Bytes per part of a multipart upload; files up to this size go in one `PUT`.
    pub part_size: u64,
    /// Parts uploaded at once; with the part size it bounds the memory and connections one upload uses.
    pub part_concurrency: usize,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret is never printed.
        formatter
            .debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("path_style", &self.path_style)
            .field("access_key_id", &self.access_key_id)
            .field("key_prefix", &self.key_prefix)
            .field("link", &self.link)
            .field("part_size", &self.part_size)
            .field("part_concurrency", &self.part_concurrency)
            .finish_non_exhaustive()
    }
}

/// The link a message carries to an uploaded object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Link {
    /// A URL template with `{key}` (the object key, percent-encoded but for its `/`): a public bucket or a CDN in
    /// front of it. Such links last as long as the object; this is what message history needs.
    Public(String),
    /// A presigned `GET` valid for this long (at most [`MAX_PRESIGNED_LINK`]). The link stops working after it,
    /// also in every conversation's history, and its query string takes about half of ZIM's 500-byte URL budget.
    Presigned(Duration),
}
