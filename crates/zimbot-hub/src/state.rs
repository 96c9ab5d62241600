//! What every request handler shares.

use crate::callbacks::CallbackDispatcher;
use crate::events::EventBus;
use crate::qps::QpsLimiter;
use crate::stats::Counters;
use crate::store::Store;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The hub's shared state; handlers get it as `State<Arc<HubState>>`.
#[derive(Debug)]
pub(crate) struct HubState {
    pub(crate) app_id: u32,
    pub(crate) server_secret: String,
    pub(crate) store: Store,
    pub(crate) counters: Arc<Counters>,
    pub(crate) limiter: QpsLimiter<crate::ServerAction>,
    /// InviteUsersIntoGroup's documented limit: one call a second per group.
    pub(crate) group_invites: QpsLimiter<String>,
    /// The rooms that exist now.
    pub(crate) rooms: crate::rooms::Rooms,
    pub(crate) events: EventBus,
    pub(crate) callbacks: CallbackDispatcher,
    /// Where media files live: `{media_dir}/{uid}/{file_name}`.
    pub(crate) media_dir: PathBuf,
    pub(crate) max_upload_bytes: u64,
    pub(crate) upload_tokens: crate::media::UploadTokens,
    pub(crate) quota: Arc<crate::media::Quota>,
    /// The base of media URLs, without a trailing slash.
    pub(crate) public_base_url: String,
    /// Cancelled when the hub shuts down; ends the event streams so graceful shutdown does not wait on them.
    pub(crate) shutdown: CancellationToken,
    /// Held from storing a message to queuing its callbacks, so callbacks queue in seq order.
    pub(crate) delivery_order: crate::delivery_order::DeliveryOrder,
}

pub(crate) type SharedState = Arc<HubState>;
