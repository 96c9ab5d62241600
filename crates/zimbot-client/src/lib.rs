//! The one client every bot sends through: per-bot fair queues, an exact window limiter, streamed uploads with
//! progress, and the ZIM Server API.
//!
//! What it is not: it knows nothing of plugins, hooks or bots.yaml. The runtime turns a plugin's
//! `send_media_message` into [`Client::send`] and the [`SendEvent`](zimbot_model::SendEvent)s of the returned
//! [`SendHandle`] into hooks.
//!
//! The send path reads as layers, each a type with its own contract and tests:
//! validation (`validate`) → `FairQueue` (which bot's send goes next) → upload through a [`MediaStore`]
//! (outside the limit) → `WindowLimiter` (when it may start) → [`Transport`] (one attempt on the wire), with
//! `RetryPolicy` deciding about retries and `EventSink` guaranteeing the event order. Those inner layers are
//! private to the crate; what other crates use is listed below.
//!
//! Main types:
//! - [`Client`], [`Sender`], [`SendHandle`], [`ClientStats`], [`ClientConfig`]: the API the runtime codes against.
//! - [`Transport`] and [`ServerApiTransport`]: how a message reaches the service.
//! - [`MediaStore`], [`HubMediaStore`], [`HttpPutStore`], [`S3Store`], [`LocalMediaStore`]: where files are uploaded.

mod client;
mod config;
mod conversation_setup;
mod error;
mod events;
mod http;
mod http_put_store;
mod hub_store;
mod limiter;
mod local_store;
mod media_probe;
mod message_body;
mod mp3_duration;
mod mp4_duration;
mod queue;
mod registrations;
mod retry;
mod s3_answer;
mod s3_config;
mod s3_content_type;
mod s3_journal;
mod s3_key;
mod s3_multipart;
mod s3_probe;
mod s3_signer;
mod s3_store;
mod safety_margin;
mod send_failure;
mod send_journal;
mod send_windows;
mod server_api;
mod stats;
mod store;
mod transport;
mod upload;
mod validate;

pub use client::{Client, Registration, SendHandle, Sender};
pub use config::{ActionLimits, ClientConfig, UnknownOutcome};
pub use conversation_setup::{Created, GroupSpec, RoomSpec};
pub use error::ClientError;
pub use http_put_store::HttpPutStore;
pub use hub_store::HubMediaStore;
pub use local_store::LocalMediaStore;
pub use message_body::outbound_message;
pub use s3_config::{S3Config, S3Link, DEFAULT_PART_CONCURRENCY, DEFAULT_PART_SIZE, MAX_PRESIGNED_LINK, MIN_PART_SIZE};
pub use s3_multipart::PART_ATTEMPTS;
pub use s3_probe::ProbeReport;
pub use s3_store::{LeftoverUploads, S3Store};
pub use send_journal::SendJournal;
pub use server_api::{ServerApiConfig, ServerApiTransport};
pub use stats::ClientStats;
pub use store::{MediaStore, ProgressCallback, UploadRequest};
pub use transport::{OutboundMessage, SendReceipt, Transport};
pub use validate::{MAX_FILE_NAME_BYTES, MAX_URL_BYTES};
