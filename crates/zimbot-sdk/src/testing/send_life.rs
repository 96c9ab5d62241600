//! The sends the plugin made, and their lives driven back into it: attached, progress, sent, failed (which also
//! answer a `SendHandle::result()` waiting for the send).

use super::host::SendState;
use super::{HookError, TestBot, TestSend};
use crate::PluginFactory;
use zimbot_abi::{Event, SendOutcome};
use zimbot_model::{
    AttachedMessage, LocalMessageId, MediaKind, MessageSentResult, OutgoingMessage, SendFailure, SendRejected,
    UploadProgress, ZimError,
};

impl<P: PluginFactory> TestBot<P> {
    /// The sends made so far, in order.
    pub fn sends(&self) -> Vec<TestSend> {
        self.host.book().sends.clone()
    }

    /// The text sends made so far, in order.
    pub fn text_sends(&self) -> Vec<TestSend> {
        self.host.book().sends.iter().filter(|send| send.text().is_some()).cloned().collect()
    }

    /// The media sends of `kind` made so far, in order (a hook's text replies left out).
    pub fn media_sends(&self, kind: MediaKind) -> Vec<TestSend> {
        self.host.book().sends.iter().filter(|send| send.kind() == Some(kind)).cloned().collect()
    }

    /// The sends made since the last `take_sends` (all of them the first time).
    pub fn take_sends(&mut self) -> Vec<TestSend> {
        let mut book = self.host.book();
        let fresh = book.sends[book.sends_taken..].to_vec();
        book.sends_taken = book.sends.len();
        fresh
    }

    /// Refuses the plugin's next send with `rejected` (as the client refuses a missing file or a full queue).
    pub fn reject_next_send(&mut self, rejected: SendRejected) {
        self.host.book().reject_next = Some(rejected);
    }

    /// Tells the plugin the send was accepted and queued: `on_message_attached`.
    pub fn attached(&mut self, local_id: LocalMessageId) -> Result<(), HookError> {
        let send = self.send(local_id);
        let media = send.media();
        let file_size = media
            .and_then(|media| {
                media.file_size.or_else(|| media.file_local_path.as_ref()?.metadata().ok().map(|meta| meta.len()))
            })
            .unwrap_or(0);
        let message = AttachedMessage {
            local_id,
            conversation_id: send.request.to_conversation_id.clone(),
            conversation_type: send.request.conversation_type,
            media_kind: send.request.message.media_kind(),
            file_name: media.map(|media| media.display_file_name()).unwrap_or_default(),
            file_size,
            local_data: send.request.local_data.clone(),
        };
        self.run(Event::Attached { message })
    }

    /// Upload progress of the send's file: `on_media_uploading_progress`.
    pub fn progress(&mut self, local_id: LocalMessageId, current: u64, total: u64) -> Result<(), HookError> {
        let send = self.send(local_id);
        let progress = UploadProgress { local_id, current, total, local_data: send.request.local_data };
        self.run(Event::Progress { progress })
    }

    /// Ends the send as delivered: answers its `result()` waiters, then `on_message_sent`.
    pub fn sent(&mut self, local_id: LocalMessageId) -> Result<(), HookError> {
        let send = self.send(local_id);
        let media_url = match &send.request.message {
            OutgoingMessage::Media(media) => Some(
                media
                    .file_download_url
                    .clone()
                    .unwrap_or_else(|| format!("https://media.test/{}/{}", local_id.0, media.display_file_name())),
            ),
            OutgoingMessage::Text { .. } => None,
        };
        let result = MessageSentResult {
            local_id,
            conversation_id: send.request.to_conversation_id,
            conversation_type: send.request.conversation_type,
            message_id: Some(format!("test-sent-{}", local_id.0)),
            message_seq: Some(local_id.0),
            media_url,
            attempts: 1,
            media_kind: send.request.message.media_kind(),
            file_name: send.request.message.file_name(),
            local_data: send.request.local_data.clone(),
        };
        self.end_send(SendOutcome::Sent { result: result.clone() });
        self.run(Event::Sent { result })
    }

    /// Ends the send as failed with `error`: answers its `result()` waiters, then `on_message_send_failed`.
    pub fn failed(&mut self, local_id: LocalMessageId, error: ZimError) -> Result<(), HookError> {
        let send = self.send(local_id);
        let failure = SendFailure::of_request(local_id, &send.request, error, 1);
        self.end_send(SendOutcome::Failed { failure: failure.clone() });
        self.run(Event::Failed { failure })
    }

    /// The recorded send `local_id`; a test that names a send the plugin never made is wrong, so it panics.
    pub(super) fn send(&self, local_id: LocalMessageId) -> TestSend {
        let book = self.host.book();
        match book.sends.iter().find(|send| send.local_id == local_id) {
            Some(send) => send.clone(),
            None => panic!("the plugin made no send {local_id}; it made {}", book.sends.len()),
        }
    }

    /// Records the send's end and wakes its waiters; a send ends exactly once, so a second end panics.
    pub(super) fn end_send(&mut self, outcome: SendOutcome) {
        let local_id = match &outcome {
            SendOutcome::Sent { result } => result.local_id,
            SendOutcome::Failed { failure } => failure.local_id,
        };
        let previous = self.host.book().results.insert(local_id, SendState::Ended(outcome.clone()));
        match previous {
            Some(SendState::Running { waiters }) => {
                for waiter in waiters {
                    let _ = waiter.send(outcome.clone());
                }
            }
            _ => panic!("{local_id} has already ended: a send ends exactly once (sent or failed)"),
        }
    }
}
