//! Accepting a send: its checks, its place in the outbox (a durable client), its job in the queue.

use super::{Inner, Job, Prepared, SendHandle, Sender, State};
use crate::events::EventSink;
use crate::message_body::{check_wire_limits, outbound_message};
use crate::send_journal::{FileStamp, SendJournal, StoredRequest};
use crate::store::UploadRequest;
use crate::validate::{check, Checked};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use zimbot_model::{LocalMessageId, RejectReason, SendRejected, SendRequest, UserId, ZimCode, ZimError};
use zimbot_store::SendId;

impl Inner {
    pub(super) fn accept(self: &Arc<Self>, sender: &Sender, request: SendRequest) -> Result<SendHandle, SendRejected> {
        let checked = check(&self.config.media_limits, &sender.user_id, request)?;
        let uid = hex::encode(rand::random::<[u8; 16]>());
        let prepared = self.prepare(&sender.user_id, checked, uid)?;
        // Held until the send is queued: sends are queued in the order the store numbered them.
        let _accepting = self.accepting.lock();
        {
            let state = self.state.lock();
            if state.closed {
                return Err(SendRejected::new(RejectReason::Closed, "the client is closing and accepts no more sends"));
            }
            let active = state.active_per_bot.get(&sender.bot).copied().unwrap_or(0);
            if active >= self.config.queue_capacity {
                return Err(SendRejected::new(
                    RejectReason::QueueFull,
                    format!(
                        "bot '{}' has {active} sends open, its queue capacity (client.queue_capacity); wait for some \
                         to finish or raise the capacity",
                        sender.bot
                    ),
                ));
            }
        }
        let local_id = match &self.journal {
            Some(journal) => self.store_accepted(journal, sender, &prepared)?,
            None => LocalMessageId(self.next_local_id.fetch_add(1, Ordering::Relaxed)),
        };
        let mut state = self.state.lock();
        if state.closed {
            // Closed while the send was being stored: it is not accepted, so it must not go out at the next start.
            if let Some(journal) = &self.journal {
                let refused = prepared.failure(local_id, ZimError::new(ZimCode::CANCELLED, "refused: closing"), 0);
                if let Err(error) = journal.complete(&sender.bot, SendId(local_id.0), &refused) {
                    tracing::warn!(%local_id, "could not mark a refused send in the outbox: {error}");
                }
            }
            return Err(SendRejected::new(RejectReason::Closed, "the client is closing and accepts no more sends"));
        }
        let (handle, sink) = prepared.handle(local_id);
        self.queue_job(&mut state, sender, local_id, prepared, sink, 0);
        drop(state);
        self.wake_dispatcher.notify_one();
        Ok(handle)
    }

    /// Stores an accepted send in the outbox, which gives it its id.
    pub(super) fn store_accepted(
        &self,
        journal: &SendJournal,
        sender: &Sender,
        prepared: &Prepared,
    ) -> Result<LocalMessageId, SendRejected> {
        let file = match &prepared.upload {
            Some(upload) => Some(FileStamp::of(&upload.path).map_err(|error| {
                SendRejected::new(
                    RejectReason::FileUnreadable,
                    format!("the file {} could not be examined: {error}", upload.path.display()),
                )
            })?),
            None => None,
        };
        let stored = StoredRequest {
            user_id: sender.user_id.clone(),
            priority: sender.priority,
            request: prepared.request.clone(),
            uid: prepared.uid.clone(),
            attached: prepared.attached(LocalMessageId(0)),
            file,
        };
        match journal.enqueue(&sender.bot, &stored) {
            Ok(id) => Ok(LocalMessageId(id.0)),
            Err(error) => {
                tracing::error!(bot = %sender.bot, "send refused, the outbox is unavailable: {error}");
                Err(SendRejected::new(
                    RejectReason::StorageUnavailable,
                    format!("the send could not be stored before it was accepted: {error}"),
                ))
            }
        }
    }

    /// What a checked send needs on its way: its upload, or the wire message at once for text and URL media
    /// (checked against the service's size limits now; uploaded media once its URL is known, in `run_upload`).
    pub(super) fn prepare(&self, from: &UserId, checked: Checked, uid: String) -> Result<Prepared, SendRejected> {
        let request = checked.request;
        let upload = checked.upload.map(|upload| UploadRequest { uid: uid.clone(), ..upload });
        let media_url = match &request.message {
            zimbot_model::OutgoingMessage::Media(media) => media.file_download_url.clone(),
            zimbot_model::OutgoingMessage::Text { .. } => None,
        };
        let outbound = match upload {
            Some(_) => None,
            None => {
                let message = outbound_message(from, &request, media_url.as_deref().unwrap_or_default(), &uid);
                check_wire_limits(&message, self.config.max_message_bytes)
                    .map_err(|problem| SendRejected::new(RejectReason::TooLarge, problem))?;
                Some(message)
            }
        };
        Ok(Prepared {
            request,
            upload,
            outbound,
            media_url,
            uid,
            file_name: checked.file_name,
            file_size: checked.file_size,
        })
    }

    /// Queues an accepted (or resumed) send as a job and starts uploads that may start.
    pub(super) fn queue_job(
        self: &Arc<Self>,
        state: &mut State,
        sender: &Sender,
        local_id: LocalMessageId,
        prepared: Prepared,
        sink: Arc<EventSink>,
        attempts: u32,
    ) {
        let lane = (prepared.request.conversation_type, prepared.request.to_conversation_id.clone());
        state.sends.push(sender.bot.clone(), sender.priority, lane, local_id);
        if prepared.upload.is_some() {
            state.uploads.push(sender.bot.clone(), sender.priority, (), local_id);
        }
        *state.active_per_bot.entry(sender.bot.clone()).or_default() += 1;
        let job = Job {
            bot: sender.bot.clone(),
            from: sender.user_id.clone(),
            request: prepared.request,
            uid: prepared.uid,
            sink,
            upload: prepared.upload,
            outbound: prepared.outbound,
            media_url: prepared.media_url,
            attempts,
            room_created: false,
            task: None,
        };
        state.jobs.insert(local_id, job);
        self.start_uploads(state);
    }
}
