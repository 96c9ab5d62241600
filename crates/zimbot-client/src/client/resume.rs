//! Resuming at start what a previous process left in the outbox.
//!
//! Every unfinished send is queued again under its stored id, in id order (its conversation's original order),
//! before the client takes any new send, so it goes out ahead of newer sends of its conversation. Its handle
//! begins with `Attached` again (whether the plugin's hook saw the first one is not known: at least once) and
//! waits in [`Client::take_resumed`](super::Client::take_resumed) for its bot. A resumed send fails instead,
//! with that reason, only when:
//! - its deadline passed while zimbot was stopped (`DEADLINE_PASSED`);
//! - its local file changed or vanished (`FILE_CHANGED`): the file sent would not be the one accepted;
//! - its request was on the wire at the stop and `client.unknown_outcome` is `fail` (`UNKNOWN_OUTCOME`);
//!   with `resend` (the default) it is sent again.

use super::{Inner, Prepared, Sender};
use crate::config::UnknownOutcome;
use crate::send_journal::{now_ms, StoredRequest};
use crate::stats::Counters;
use crate::validate::check;
use std::sync::Arc;
use zimbot_model::{BotId, LocalMessageId, ZimCode, ZimError};
use zimbot_store::{SendState, StoreError, StoredSend};

impl Inner {
    /// Queues every unfinished send of the outbox again (see the module documentation).
    pub(super) fn resume(self: &Arc<Self>) -> Result<(), StoreError> {
        let Some(journal) = self.journal.clone() else {
            return Ok(());
        };
        let mut resumed = 0;
        let mut failed = 0;
        for (bot, sends) in journal.unfinished()? {
            for stored in sends {
                match self.resume_one(&bot, stored) {
                    Some(true) => resumed += 1,
                    Some(false) => failed += 1,
                    None => {}
                }
            }
        }
        if resumed + failed > 0 {
            tracing::info!(resumed, failed, "resumed the sends left in the outbox");
        }
        Ok(())
    }

    /// Queues one stored send again, or fails it with the reason it cannot go out; `Some(true)` when queued,
    /// `Some(false)` when failed, `None` when its payload could not be read (it is failed in the outbox).
    fn resume_one(self: &Arc<Self>, bot: &BotId, stored: StoredSend) -> Option<bool> {
        let journal = self.journal.as_ref()?;
        let local_id = LocalMessageId(stored.id.0);
        let payload: StoredRequest = match serde_json::from_str(&stored.payload) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(%local_id, %bot, "an outbox entry cannot be read; it is failed: {error}");
                if let Err(error) = journal.fail_unreadable(bot, stored.id, &error.to_string()) {
                    tracing::warn!(%local_id, "could not record the outcome in the outbox: {error}");
                }
                return None;
            }
        };
        let sender = Sender { bot: bot.clone(), user_id: payload.user_id.clone(), priority: payload.priority };
        let reason = self.reason_to_fail(&stored, &payload);
        let checked = match reason {
            Some(error) => Err(error),
            None => check(&self.config.media_limits, &sender.user_id, payload.request.clone()).map_err(|rejected| {
                ZimError::new(
                    ZimCode::FILE_CHANGED,
                    format!("the send no longer passes its checks: {}", rejected.message),
                )
            }),
        };
        let prepared = checked.and_then(|checked| {
            self.prepare(&sender.user_id, checked, payload.uid.clone())
                .map_err(|rejected| ZimError::new(ZimCode::WIRE_LIMIT, rejected.message))
        });
        let mut state = self.state.lock();
        match prepared {
            Ok(prepared) => {
                if stored.state == SendState::Claimed {
                    self.release(bot, local_id);
                }
                let (handle, sink) = prepared.handle(local_id);
                self.queue_job(&mut state, &sender, local_id, prepared, sink, stored.attempts);
                self.resumed.lock().entry(bot.clone()).or_default().push(handle);
                Some(true)
            }
            Err(error) => {
                tracing::warn!(%local_id, %bot, "a resumed send fails: {}", error.message);
                let stand_in = Prepared {
                    request: payload.request,
                    upload: None,
                    outbound: None,
                    media_url: None,
                    uid: payload.uid,
                    file_name: payload.attached.file_name.clone(),
                    file_size: payload.attached.file_size,
                };
                let (handle, sink) = stand_in.handle(local_id);
                let event = stand_in.failure(local_id, error, stored.attempts);
                if let Err(error) = journal.complete(bot, stored.id, &event) {
                    tracing::warn!(%local_id, "could not record the outcome in the outbox: {error}");
                }
                if sink.finish(event) {
                    Counters::add(&self.counters.failed, 1);
                }
                self.resumed.lock().entry(bot.clone()).or_default().push(handle);
                Some(false)
            }
        }
    }

    /// Why a stored send must fail rather than go out, if it must.
    fn reason_to_fail(&self, stored: &StoredSend, payload: &StoredRequest) -> Option<ZimError> {
        if let Some(deadline) = stored.deadline_ms.filter(|deadline| *deadline < now_ms()) {
            return Some(ZimError::new(
                ZimCode::DEADLINE_PASSED,
                format!("the send's deadline ({deadline} ms since the epoch) passed while zimbot was stopped"),
            ));
        }
        if let Some(change) = payload.file.as_ref().and_then(|file| file.changed()) {
            return Some(ZimError::new(ZimCode::FILE_CHANGED, change));
        }
        if stored.state == SendState::Claimed && self.config.unknown_outcome == UnknownOutcome::Fail {
            return Some(ZimError::new(
                ZimCode::UNKNOWN_OUTCOME,
                "the request was on the wire when zimbot stopped, so it may or may not have been delivered; not \
                 sent again (client.unknown_outcome: fail)",
            ));
        }
        None
    }
}
