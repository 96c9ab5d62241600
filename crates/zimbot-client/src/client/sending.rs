//! Sending: the dispatcher, which starts every ready send its window lets start, one attempt on the wire with
//! its retries, room re-creation, and a send's end (the outbox first, then its handle).

use super::{Inner, Job, Lane, State};
use crate::queue::Taken;
use crate::registrations::Standing;
use crate::send_journal::now_ms;
use crate::send_windows::send_action;
use crate::stats::Counters;
use crate::transport::OutboundMessage;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use zimbot_model::{BotId, ConversationType, LocalMessageId, MessageSentResult, SendEvent, ZimCode, ZimError};
use zimbot_store::{SendClaim as Claim, SendId};
use zimbot_wire::Action;

impl Inner {
    /// Waits until `action`'s window lets a call start, and records the start.
    pub(super) async fn wait_for_window(&self, action: Action) {
        loop {
            let now = Instant::now();
            let at = {
                let mut state = self.state.lock();
                let at = state.windows.next_start(action, now);
                if at <= now {
                    state.windows.record_start(action, now);
                    return;
                }
                at
            };
            tokio::time::sleep_until(at).await;
        }
    }

    /// The earliest instant after `now` at which a closed send window opens, if one is closed and a send is
    /// waiting. Constant time whatever the queue's length: a window may open for an action no waiting send uses,
    /// which costs one spurious look at the queue, where scanning every job would cost that on every wake.
    pub(super) fn next_window_opening(&self, now: Instant) -> Option<Instant> {
        let state = self.state.lock();
        if state.sends.is_empty() {
            return None;
        }
        state.windows.next_send_opening(now)
    }

    pub(super) async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.state.lock().jobs.is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// Takes the next ready send whose action's window is open at `now`, records its start and returns its attempt,
    /// to be run by [`Inner::run_in_grant_order`] with the others granted at the same instant.
    pub(super) fn start_next_send(self: &Arc<Self>, now: Instant) -> Option<Granted> {
        let mut state = self.state.lock();
        let state = &mut *state;
        loop {
            let (jobs, windows, registrations, held) = (&state.jobs, &state.windows, &state.registrations, &state.held);
            // A job missing from the map was cancelled, and one whose user failed to register fails: take them to
            // drop or fail them. A user not registered yet or a held conversation keeps the send waiting.
            let ready = |local_id: &LocalMessageId| {
                jobs.get(local_id).is_none_or(|job| match registrations.standing(&job.from) {
                    Some(Standing::Failed(_)) => true,
                    Some(Standing::Pending) => false,
                    None => {
                        job.outbound.is_some()
                            && (held.is_empty()
                                || !held
                                    .contains(&(job.request.conversation_type, job.request.to_conversation_id.clone())))
                            && windows.allows(send_action(job.request.conversation_type), now)
                    }
                })
            };
            let taken = state.sends.pop(ready)?;
            let Some(job) = state.jobs.get_mut(&taken.item) else {
                state.sends.finish(&taken.key, &taken.lane);
                continue;
            };
            if let Some(Standing::Failed(cause)) = state.registrations.standing(&job.from) {
                state.sends.finish(&taken.key, &taken.lane);
                let error = ZimError::new(
                    cause.code,
                    format!(
                        "the bot user {} could not be registered with the service, so its sends cannot go out: {}",
                        job.from, cause.message
                    ),
                );
                let attempts = job.attempts;
                tracing::warn!(local_id = %taken.item, bot = %taken.key, "not sent: {}", error.message);
                let local_id = taken.item;
                self.finish_job(state, local_id, |job| job.failure(local_id, error, attempts));
                continue;
            }
            let Some(message) = job.outbound.clone() else {
                state.sends.finish(&taken.key, &taken.lane);
                continue;
            };
            if let Some(deadline) = job.request.deadline_ms.filter(|deadline| *deadline < now_ms() as u64) {
                state.sends.finish(&taken.key, &taken.lane);
                let error = ZimError::new(
                    ZimCode::DEADLINE_PASSED,
                    format!("the send's deadline ({deadline} ms since the epoch) passed before it could go out"),
                );
                let attempts = job.attempts;
                tracing::warn!(local_id = %taken.item, bot = %taken.key, "not sent: {}", error.message);
                let local_id = taken.item;
                self.finish_job(state, local_id, |job| job.failure(local_id, error, attempts));
                continue;
            }
            if let Some(journal) = &self.journal {
                // Recorded before the request goes out, so a crash from here on leaves an unknown outcome.
                match journal.claim(&taken.key, SendId(taken.item.0)) {
                    Ok(Claim::Claimed { .. }) => {}
                    Ok(Claim::NotNext) => {
                        tracing::warn!(local_id = %taken.item, "the outbox does not have this send next in its conversation; sending it anyway")
                    }
                    Err(error) => tracing::warn!(local_id = %taken.item, "could not record the claim: {error}"),
                }
            }
            // Counted from after the claim's commit, so the time it took never eats into the safety margin (the
            // request goes out right after this).
            let started = if self.journal.is_some() { now.max(Instant::now()) } else { now };
            state.windows.record_start(send_action(message.conversation_type), started);
            job.attempts += 1;
            let attempt = job.attempts;
            let local_id = taken.item;
            return Some(Granted {
                local_id,
                attempt: Box::pin(Arc::clone(self).run_send(taken, message, attempt, started)),
            });
        }
    }

    /// Runs the attempts granted at one instant in ONE task that polls them in grant order, so they reach the
    /// transport in the order the fair queue granted them. (As separate tasks they would not: tokio runs the task a
    /// worker spawned last first, so the last granted send of an instant would reach the wire first.)
    pub(super) fn run_in_grant_order(&self, granted: Vec<Granted>) {
        let mut state = self.state.lock();
        // A job gone since it was granted was cancelled by `close` in between: its attempt is dropped unstarted.
        let granted: Vec<Granted> =
            granted.into_iter().filter(|granted| state.jobs.contains_key(&granted.local_id)).collect();
        let local_ids: Vec<LocalMessageId> = granted.iter().map(|granted| granted.local_id).collect();
        let attempts = granted.into_iter().map(|granted| granted.attempt);
        // Spawned under the lock, so that `close` finds every job's task set.
        let task = self.runtime.spawn(async move {
            // `join_all` polls its futures in order, the first time too.
            futures::future::join_all(attempts).await;
        });
        for local_id in local_ids {
            if let Some(job) = state.jobs.get_mut(&local_id) {
                job.task = Some(task.abort_handle());
            }
        }
    }

    /// Makes one send attempt and settles the job: sent, failed, or back in its lane to be retried.
    pub(super) async fn run_send(
        self: Arc<Self>,
        taken: Taken<BotId, Lane, LocalMessageId>,
        message: OutboundMessage,
        attempt: u32,
        started: Instant,
    ) {
        let local_id = taken.item;
        let outcome = self.transport.send_message(&message).await;
        {
            let answered = Instant::now();
            let mut state = self.state.lock();
            // Measured from the limiter's stamp, so the margin covers the way from the stamp to the wire too.
            state.windows.record_latency(answered - started);
            // The request has reached the service (or never will): the windows may reopen sooner.
            state.windows.record_answer(send_action(message.conversation_type), started, answered);
        }
        self.wake_dispatcher.notify_one();
        match outcome {
            Ok(receipt) => {
                let mut state = self.state.lock();
                state.sends.finish(&taken.key, &taken.lane);
                self.finish_job(&mut state, local_id, |job| {
                    SendEvent::Sent(MessageSentResult {
                        local_id,
                        conversation_id: job.request.to_conversation_id.clone(),
                        conversation_type: job.request.conversation_type,
                        message_id: receipt.message_id,
                        message_seq: receipt.message_seq,
                        media_url: job.media_url.clone(),
                        attempts: attempt,
                        media_kind: job.request.message.media_kind(),
                        file_name: job.request.message.file_name(),
                        local_data: None,
                    })
                });
            }
            Err(error) if error.code == ZimCode::ROOM_NOT_FOUND && self.claim_room_creation(local_id, &message) => {
                // Rooms vanish once empty for their destroy delay; make it again and send again, once.
                let created = self.create_room(&message).await;
                let mut state = self.state.lock();
                match created {
                    Ok(()) if state.jobs.contains_key(&local_id) => {
                        tracing::info!(
                            %local_id, room = %message.to,
                            "the room was gone (destroyed once empty for its destroy delay): created it again, sending again"
                        );
                        self.release(&taken.key, local_id);
                        state.sends.requeue(taken);
                    }
                    Ok(()) => state.sends.finish(&taken.key, &taken.lane),
                    Err(create_error) => {
                        tracing::warn!(%local_id, room = %message.to, "send failed: {error}; {create_error}");
                        state.sends.finish(&taken.key, &taken.lane);
                        let error = ZimError::new(
                            error.code,
                            format!("{}; creating the room failed too: {}", error.message, create_error.message),
                        );
                        self.finish_job(&mut state, local_id, |job| job.failure(local_id, error, attempt));
                    }
                }
            }
            Err(error) if error.is_retryable() && self.retry.allows_another(attempt) => {
                Counters::add(&self.counters.retried, 1);
                tracing::warn!(%local_id, bot = %taken.key, attempt, "send failed, retrying: {error}");
                if error.code.is_rate_limit() {
                    // The window holds every send of this action for the pause, this one included; no backoff of
                    // its own.
                    let pause = Duration::from_millis(self.config.rate_limit_pause_ms);
                    let action = send_action(message.conversation_type);
                    self.state.lock().windows.pause(action, error.code, Instant::now(), pause);
                } else {
                    tokio::time::sleep(self.retry.delay(attempt)).await;
                }
                let mut state = self.state.lock();
                if state.jobs.contains_key(&local_id) {
                    self.release(&taken.key, local_id);
                    state.sends.requeue(taken);
                } else {
                    state.sends.finish(&taken.key, &taken.lane);
                }
            }
            Err(error) => {
                let error = crate::send_failure::explain(&message, error);
                tracing::warn!(%local_id, bot = %taken.key, attempt, "send failed: {error}");
                let mut state = self.state.lock();
                state.sends.finish(&taken.key, &taken.lane);
                self.finish_job(&mut state, local_id, |job| job.failure(local_id, error, attempt));
            }
        }
        self.wake_dispatcher.notify_one();
    }

    /// Whether the room of this room send should be created now: only once per send.
    pub(super) fn claim_room_creation(&self, local_id: LocalMessageId, message: &OutboundMessage) -> bool {
        if message.conversation_type != ConversationType::Room {
            return false;
        }
        let mut state = self.state.lock();
        match state.jobs.get_mut(&local_id) {
            Some(job) if !job.room_created => {
                job.room_created = true;
                true
            }
            _ => false,
        }
    }

    /// Creates the room `message` goes to, as its sender, in the `CreateRoom` window, retrying retryable errors.
    pub(super) async fn create_room(&self, message: &OutboundMessage) -> Result<(), ZimError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.wait_for_window(Action::CreateRoom).await;
            match self.transport.create_room(&message.from, &message.to).await {
                Ok(()) => {
                    Counters::add(&self.counters.rooms_recreated, 1);
                    return Ok(());
                }
                Err(error) if error.is_retryable() && self.retry.allows_another(attempt) => {
                    if error.code.is_rate_limit() {
                        let pause = Duration::from_millis(self.config.rate_limit_pause_ms);
                        self.state.lock().windows.pause(Action::CreateRoom, error.code, Instant::now(), pause);
                    } else {
                        tokio::time::sleep(self.retry.delay(attempt)).await;
                    }
                }
                outcome => return outcome,
            }
        }
    }

    /// Records in the outbox that `local_id`'s attempt was answered and it will be sent again.
    pub(super) fn release(&self, bot: &BotId, local_id: LocalMessageId) {
        if let Some(journal) = &self.journal {
            if let Err(error) = journal.release(bot, SendId(local_id.0)) {
                tracing::warn!(%local_id, "could not record the answered attempt in the outbox: {error}");
            }
        }
    }

    /// Ends a job with the terminal event `event` builds, if the job is still open; a durable client records the
    /// outcome before the event goes out, so an outcome the plugin heard is never sent again.
    pub(super) fn finish_job(
        &self,
        state: &mut State,
        local_id: LocalMessageId,
        event: impl FnOnce(&Job) -> SendEvent,
    ) {
        let Some(job) = state.jobs.remove(&local_id) else {
            return;
        };
        if let Some(active) = state.active_per_bot.get_mut(&job.bot) {
            *active -= 1;
            if *active == 0 {
                state.active_per_bot.remove(&job.bot);
            }
        }
        let event = event(&job);
        if let Some(journal) = &self.journal {
            if let Err(error) = journal.complete(&job.bot, SendId(local_id.0), &event) {
                tracing::warn!(%local_id, "could not record the outcome in the outbox: {error}");
            }
        }
        let counter = if matches!(event, SendEvent::Sent(_)) { &self.counters.sent } else { &self.counters.failed };
        if job.sink.finish(event) {
            Counters::add(counter, 1);
        }
        if state.jobs.is_empty() {
            self.idle.notify_waiters();
        }
    }
}

/// A send attempt the windows let start: run by [`Inner::run_in_grant_order`].
pub(super) struct Granted {
    local_id: LocalMessageId,
    attempt: Pin<Box<dyn Future<Output = ()> + Send>>,
}

/// The dispatcher: starts every ready send whose window is open, then sleeps until a closed window of a ready send
/// opens or something changes (a send became ready, a lane was freed, the client closed). Holds the client only
/// weakly, so it ends when every `Client` is gone (or the client closed and has nothing left).
pub(super) async fn dispatch(client: Weak<Inner>, wake: Arc<Notify>) {
    // Time spent waiting for a window since the last start, counted once a send does start.
    let mut held = Duration::ZERO;
    loop {
        let Some(inner) = client.upgrade() else {
            return;
        };
        // Every send the windows allow at this instant starts under this one `now`: their log entries are equal,
        // so the next window opens for all of them at once, instead of a timer tick each (which would lose a
        // millisecond or so per send and add up to a few percent of the rate).
        let now = Instant::now();
        let mut granted = Vec::new();
        while let Some(send) = inner.start_next_send(now) {
            granted.push(send);
        }
        let started = !granted.is_empty();
        if started {
            inner.run_in_grant_order(granted);
            Counters::add(&inner.counters.limiter_wait_micros, held.as_micros() as u64);
            held = Duration::ZERO;
        }
        {
            let state = inner.state.lock();
            if state.closed && state.jobs.is_empty() {
                return;
            }
        }
        let opening = inner.next_window_opening(now);
        drop(inner);
        match opening {
            Some(at) => {
                tokio::select! {
                    () = tokio::time::sleep_until(at) => held += at - now,
                    () = wake.notified() => {}
                }
            }
            None => wake.notified().await,
        }
    }
}
