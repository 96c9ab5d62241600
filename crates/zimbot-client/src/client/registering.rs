//! Registering bot users (`RobotRegister`, 20 users a call, counted in its window): all at once, or the first call
//! now and the others in the background while bots already send, and the holds that keep a send from reaching the
//! service before what it needs exists.
//!
//! Why in the background: the service takes 20 registration calls a second, so 1 000 bots need 50 calls and at
//! least two full windows after the first; waiting for all of them before any bot starts made start-up take as
//! long. The first call still runs before [`Client::start_registration`] returns, so that a wrong secret or an
//! unreachable service fails the start at once.

use super::{Client, Inner, Lane};
use crate::stats::Counters;
use crate::transport::MAX_USERS_PER_REGISTER;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use zimbot_model::{ConversationId, ConversationType, UserId, ZimError};
use zimbot_wire::{Action, RegisterUserInfo};

/// The registration of the batches after the first, running in the background (see
/// [`Client::start_registration`]). Dropping it (or [`Registration::stop`]) stops registering: users not
/// registered by then stay on hold, so their sends wait (a durable client keeps them in its outbox at `close`).
#[must_use = "dropping the handle stops the background registration"]
#[derive(Debug)]
pub struct Registration {
    task: Option<JoinHandle<()>>,
}

impl Registration {
    /// Waits until every batch is registered or has failed for good (failures are logged, and fail the sends of
    /// their bots).
    pub async fn finished(&mut self) {
        if let Some(task) = self.task.as_mut() {
            // A task that panicked or was aborted has nothing more to register either.
            let _ = task.await;
            self.task = None;
        }
    }

    /// Stops registering now (at shutdown).
    pub fn stop(mut self) {
        self.abort();
    }

    fn abort(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.abort();
    }
}

impl Client {
    /// Registers bot users, 20 per request, retrying retryable errors. Users that exist already are fine.
    pub async fn register_bots(&self, bots: Vec<RegisterUserInfo>) -> Result<(), ZimError> {
        for batch in bots.chunks(MAX_USERS_PER_REGISTER) {
            self.inner.register_batch(batch).await?;
        }
        Ok(())
    }

    /// Puts every user of `bots` on hold, registers the first 20 before returning and the others in the
    /// background, one call after another in the `RobotRegister` window.
    ///
    /// While a user is on hold its sends are accepted and wait in the fair queue without blocking other bots'
    /// sends; they start once its batch is registered. A batch that fails for good (a final code, or retries
    /// spent) is logged and fails the waiting and later sends of its users with a reason naming the error. When
    /// the first batch fails, every user of `bots` is failed with its error and the error is returned.
    pub async fn start_registration(&self, bots: Vec<RegisterUserInfo>) -> Result<Registration, ZimError> {
        let batches: Vec<Vec<RegisterUserInfo>> =
            bots.chunks(MAX_USERS_PER_REGISTER).map(<[RegisterUserInfo]>::to_vec).collect();
        self.inner.state.lock().registrations.expect(bots.iter().map(user_of));
        let Some((first, rest)) = batches.split_first() else {
            return Ok(Registration { task: None });
        };
        if let Err(error) = self.inner.register_batch(first).await {
            let users: Vec<UserId> = bots.iter().map(user_of).collect();
            self.inner.settle(&users, Err(&error));
            return Err(error);
        }
        self.inner.settle(&first.iter().map(user_of).collect::<Vec<_>>(), Ok(()));
        if rest.is_empty() {
            return Ok(Registration { task: None });
        }
        let inner = Arc::clone(&self.inner);
        let (rest, calls) = (rest.to_vec(), batches.len());
        let task = self.inner.runtime.spawn(async move {
            let begin = Instant::now();
            let mut failed = 0;
            for batch in rest {
                let users: Vec<UserId> = batch.iter().map(user_of).collect();
                let outcome = inner.register_batch(&batch).await;
                if let Err(error) = &outcome {
                    failed += users.len();
                    tracing::error!(
                        first = %users[0], last = %users[users.len() - 1], count = users.len(),
                        "registering bot users failed for good; their sends fail: {error}"
                    );
                }
                inner.settle(&users, outcome.as_ref().map(drop));
            }
            tracing::info!(users = bots.len(), calls, failed, elapsed = ?begin.elapsed(), "bot user registration done");
        });
        Ok(Registration { task: Some(task) })
    }

    /// Waits until none of `users` is on hold: `Ok` once all are registered (or were never put on hold), the
    /// registration's error as soon as one of them has failed.
    pub async fn registered(&self, users: &[UserId]) -> Result<(), ZimError> {
        loop {
            let changed = self.inner.registration_changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let state = self.inner.state.lock();
                let mut pending = false;
                for user in users {
                    match state.registrations.standing(user) {
                        Some(crate::registrations::Standing::Failed(error)) => return Err(error.clone()),
                        Some(crate::registrations::Standing::Pending) => pending = true,
                        None => {}
                    }
                }
                if !pending {
                    return Ok(());
                }
            }
            changed.await;
        }
    }

    /// Holds the sends to these conversations (accepted, waiting in the queue) until each is released.
    pub fn hold_conversations(&self, conversations: impl IntoIterator<Item = (ConversationType, ConversationId)>) {
        self.inner.state.lock().held.extend(conversations);
    }

    /// Lets the held sends to this conversation start.
    pub fn release_conversation(&self, conversation_type: ConversationType, conversation_id: &ConversationId) {
        let lane: Lane = (conversation_type, conversation_id.clone());
        self.inner.state.lock().held.remove(&lane);
        self.inner.wake_dispatcher.notify_one();
    }
}

impl Inner {
    /// Registers one batch (at most 20 users) in the `RobotRegister` window, retrying retryable errors.
    async fn register_batch(&self, batch: &[RegisterUserInfo]) -> Result<(), ZimError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.wait_for_window(Action::RobotRegister).await;
            match self.transport.register_bots(batch).await {
                Ok(()) => return Ok(()),
                Err(error) if error.is_retryable() && self.retry.allows_another(attempt) => {
                    Counters::add(&self.counters.retried, 1);
                    tracing::warn!(attempt, "registering bots failed, retrying: {error}");
                    if error.code.is_rate_limit() {
                        let pause = Duration::from_millis(self.config.rate_limit_pause_ms);
                        self.state.lock().windows.pause(Action::RobotRegister, error.code, Instant::now(), pause);
                    } else {
                        tokio::time::sleep(self.retry.delay(attempt)).await;
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Records how `users`' batch ended, and wakes the sends and the waiters it concerns.
    fn settle(&self, users: &[UserId], outcome: Result<(), &ZimError>) {
        {
            let mut state = self.state.lock();
            match outcome {
                Ok(()) => state.registrations.registered(users),
                Err(error) => state.registrations.failed(users, error),
            }
        }
        self.registration_changed.notify_waiters();
        self.wake_dispatcher.notify_one();
    }
}

fn user_of(bot: &RegisterUserInfo) -> UserId {
    UserId::from(bot.user_id.as_str())
}
