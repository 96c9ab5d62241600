//! Uploads before their sends: started fairly across bots, at most `max_concurrent_uploads` at once, each
//! reporting progress to its send's handle.

use super::{Inner, State};
use crate::events::EventSink;
use crate::message_body::{check_wire_limits, outbound_message};
use crate::stats::Counters;
use crate::store::{ProgressCallback, UploadRequest};
use std::sync::Arc;
use zimbot_model::{LocalMessageId, ZimCode, ZimError};

impl Inner {
    /// Starts waiting uploads while upload slots are free.
    pub(super) fn start_uploads(self: &Arc<Self>, state: &mut State) {
        while state.uploads_running < self.config.max_concurrent_uploads.max(1) {
            let Some(taken) = state.uploads.pop(|_| true) else {
                return;
            };
            state.uploads.finish(&taken.key, &taken.lane);
            let local_id = taken.item;
            let Some(job) = state.jobs.get_mut(&local_id) else {
                continue;
            };
            let (Some(upload), sink) = (job.upload.clone(), Arc::clone(&job.sink)) else {
                continue;
            };
            state.uploads_running += 1;
            let task = self.runtime.spawn(Arc::clone(self).run_upload(local_id, upload, sink));
            job.task = Some(task.abort_handle());
        }
    }

    /// Uploads one job's file, retrying retryable errors, and makes the job sendable (or fails it).
    pub(super) async fn run_upload(
        self: Arc<Self>,
        local_id: LocalMessageId,
        upload: UploadRequest,
        sink: Arc<EventSink>,
    ) {
        let total = upload.size;
        let progress: ProgressCallback = {
            let sink = Arc::clone(&sink);
            Arc::new(move |current| sink.progress(current, total))
        };
        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            match self.store.upload(&upload, Arc::clone(&progress)).await {
                Ok(url) => break Ok(url),
                Err(error) if error.is_retryable() && self.retry.allows_another(attempt) => {
                    Counters::add(&self.counters.retried, 1);
                    tracing::warn!(%local_id, attempt, "upload failed, retrying: {error}");
                    tokio::time::sleep(self.retry.delay(attempt)).await;
                }
                Err(error) => break Err(error),
            }
        };
        let mut state = self.state.lock();
        state.uploads_running -= 1;
        match outcome {
            Ok(url) => {
                if let Some(job) = state.jobs.get_mut(&local_id) {
                    sink.upload_complete(total);
                    Counters::add(&self.counters.uploaded_bytes, total);
                    let message = outbound_message(&job.from, &job.request, &url, &job.uid);
                    job.media_url = Some(url);
                    job.task = None;
                    match check_wire_limits(&message, self.config.max_message_bytes) {
                        Ok(()) => job.outbound = Some(message),
                        Err(problem) => {
                            let lane = (job.request.conversation_type, job.request.to_conversation_id.clone());
                            let bot = job.bot.clone();
                            state.sends.remove(&bot, &lane, |queued| *queued == local_id);
                            tracing::warn!(%local_id, %bot, "not sent: {problem}");
                            let error = ZimError::new(ZimCode::WIRE_LIMIT, problem);
                            self.finish_job(&mut state, local_id, |job| job.failure(local_id, error, 0));
                        }
                    }
                }
            }
            Err(error) => {
                if let Some(job) = state.jobs.get(&local_id) {
                    let lane = (job.request.conversation_type, job.request.to_conversation_id.clone());
                    let bot = job.bot.clone();
                    state.sends.remove(&bot, &lane, |queued| *queued == local_id);
                    tracing::warn!(%local_id, %bot, "upload failed for good: {error}");
                    self.finish_job(&mut state, local_id, |job| job.failure(local_id, error, attempt));
                }
            }
        }
        self.start_uploads(&mut state);
        drop(state);
        self.wake_dispatcher.notify_one();
    }
}
