//! The scheduler task: one loop over a heap of next fire times that hands due ticks to the dispatcher.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::mpsc;

use super::fire_queue::{Due, FireQueue};
use super::job::{Job, Tick};
use super::misfire::Misfire;
use super::next_times::{NextTimes, SpecGroups};
use crate::clock::Clock;

/// The longest the scheduler sleeps before re-reading the wall clock. Sleeping in short stretches is what
/// notices a clock jump or a machine that was suspended (tokio's timer may not count suspended time).
pub const MAX_SLEEP: Duration = Duration::from_secs(30);

/// The most ticks [`Scheduler::run_batches`] puts in one batch. Ticks due together beyond it go out in further
/// batches, so the first bots' ticks are on their way while the scheduler still works out the rest.
pub const MAX_BATCH: usize = 1024;

/// The longest lead [`Scheduler::preparing_ahead`] takes: cron instants are whole seconds apart, so a lead under
/// a second never has the scheduler preparing an instant before the one before it was handed to the bots.
pub const MAX_LEAD: Duration = Duration::from_millis(500);

/// Ticks due at one instant (all of them, or a part of at most [`MAX_BATCH`]), handed on by
/// [`Scheduler::run_batches`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickBatch {
    /// When the ticks are to reach the bots: their instant, or the clock on waking for ticks already due.
    pub release_at: DateTime<Utc>,
    pub ticks: Vec<Tick>,
    /// Whether it is the last batch of its instant (the receiver then has all of the instant's ticks).
    pub last: bool,
}

/// Runs every job's schedule and hands each due [`Tick`] to the dispatcher.
///
/// Contract:
///
/// - **Ordering.** Ticks go out in order of `scheduled_at`; ticks due at the same instant go out in the order
///   the jobs were given to [`Scheduler::new`]. A job's ticks have strictly increasing `scheduled_at`.
/// - **First tick.** Each job first fires at its first fire time strictly after the moment [`Scheduler::run`]
///   starts; nothing is fired for times before the start. A job with `resume_after` (its last fire in an earlier
///   run) instead resumes at its first fire time after that: times missed in between are late, and its misfire
///   policy applies (one catch-up tick, or none).
/// - **Lateness.** A tick is late when the scheduler wakes after its time (it sleeps at most [`MAX_SLEEP`] and
///   re-reads the wall clock, so a suspend or a forward clock jump is noticed within that). A tick at most
///   `misfire_grace` late simply fires, with `fired_at` showing how late. Older fire times follow the job's
///   [`Misfire`] policy: `FireOnce` sends ONE catch-up tick (its `scheduled_at` is the first missed time),
///   `Skip` sends none; either way the job then resumes with its fire times from `now - misfire_grace`, so
///   times still within the grace fire as usual.
/// - **Backward clock jumps.** Fire times are never recomputed from an earlier clock reading, so a time that
///   has fired is never fired again: after the clock goes back, each job waits for its next unfired time.
/// - **Daylight saving and time zones** follow [`CronSpec::next_after`](super::CronSpec::next_after): a
///   repeated local time fires once, a skipped one fires right after the gap.
/// - **Batches.** Every tick due at one wake-up carries the same `fired_at` (the clock as read on waking).
///   [`Scheduler::run_batches`] hands them on as [`TickBatch`]es of at most [`MAX_BATCH`] ticks in the order
///   above, the last batch of a wake-up marked, so the receiver can give each bot its ticks of the instant at
///   once; [`Scheduler::run`] hands them on one by one. Jobs with the same expression and time zone share the
///   work of finding their next fire time.
/// - **Preparing ahead** ([`Scheduler::preparing_ahead`], batches only). With a lead, the scheduler wakes that
///   much before an instant and hands its ticks on at once, each batch carrying the instant as `release_at` and
///   `fired_at`: the receiver readies them (journals them, sorts them per bot) before the instant and hands them to
///   the bots when it comes, so the work of a large instant is not added to its ticks' lateness. Ticks already
///   due when the scheduler wakes go out as without a lead (`release_at` and `fired_at` are the clock on
///   waking). One pass hands on one instant: the ticks due by then, never those of a later instant.
/// - **Back-pressure and ending.** Each tick or batch is sent with `Sender::send`, so a full channel holds the
///   scheduler (and later ticks become late). Both run functions return when `shutdown` resolves, or when the
///   receiving side of the channel is closed.
pub struct Scheduler {
    clock: Arc<dyn Clock>,
    jobs: Vec<Job>,
    groups: SpecGroups,
    pub(super) lead: Duration,
}

/// Where the ticks go: one at a time, or in batches.
enum Sink {
    #[cfg(test)]
    Ticks(mpsc::Sender<Tick>),
    Batches(mpsc::Sender<TickBatch>),
}

impl Sink {
    /// Hands `batch` on; false when the receiver is gone.
    async fn send(&self, batch: TickBatch) -> bool {
        match self {
            #[cfg(test)]
            Self::Ticks(sink) => {
                for tick in batch.ticks {
                    if sink.send(tick).await.is_err() {
                        return false;
                    }
                }
                true
            }
            Self::Batches(sink) => sink.send(batch).await.is_ok(),
        }
    }

    async fn closed(&self) {
        match self {
            #[cfg(test)]
            Self::Ticks(sink) => sink.closed().await,
            Self::Batches(sink) => sink.closed().await,
        }
    }
}

impl Scheduler {
    /// A scheduler for `jobs`, reading time from `clock`.
    pub fn new(clock: Arc<dyn Clock>, jobs: Vec<Job>) -> Self {
        let groups = SpecGroups::of(&jobs);
        Self { clock, jobs, groups, lead: Duration::ZERO }
    }

    /// Hands each instant's ticks on `lead` before it (at most [`MAX_LEAD`]), for a receiver of
    /// [`Scheduler::run_batches`] that holds them until their `release_at` (see the contract).
    pub fn preparing_ahead(mut self, lead: Duration) -> Self {
        self.lead = lead.min(MAX_LEAD);
        self
    }

    #[cfg(test)]
    /// Runs until `shutdown` resolves or `sink` is closed, sending each due tick to `sink`.
    pub async fn run(self, sink: mpsc::Sender<Tick>, shutdown: impl Future<Output = ()>) {
        self.run_into(Sink::Ticks(sink), shutdown).await;
    }

    /// Runs until `shutdown` resolves or `sink` is closed, sending the ticks due at each wake-up (or, with a lead,
    /// the ticks of the instant coming) to `sink` in batches of at most [`MAX_BATCH`].
    pub async fn run_batches(self, sink: mpsc::Sender<TickBatch>, shutdown: impl Future<Output = ()>) {
        self.run_into(Sink::Batches(sink), shutdown).await;
    }

    async fn run_into(self, sink: Sink, shutdown: impl Future<Output = ()>) {
        let mut shutdown = pin!(shutdown);
        let mut queue = self.initial_queue();
        let mut next_times = NextTimes::for_groups(self.groups.count());
        let lead = TimeDelta::from_std(self.lead).unwrap_or(TimeDelta::zero());
        loop {
            let now = self.clock.now();
            let Some(next_at) = queue.next_at() else {
                // No job will ever fire again; only wait to be told to stop.
                tokio::select! {
                    () = &mut shutdown => {},
                    () = sink.closed() => {},
                }
                return;
            };
            if next_at - lead > now {
                let wait = (next_at - lead - now).to_std().unwrap_or(Duration::ZERO).min(MAX_SLEEP);
                tokio::select! {
                    biased;
                    () = &mut shutdown => return,
                    () = sink.closed() => return,
                    () = self.clock.sleep(wait) => {},
                }
                continue;
            }
            // The instant handed on in this pass: the clock when ticks are already due, else the next instant
            // (which is within the lead).
            let release_at = next_at.max(now);
            let mut batch = Vec::new();
            let mut sent_part = false;
            loop {
                let due = queue.pop_due(release_at);
                let all_taken = due.is_none();
                if let Some(tick) = due.and_then(|due| self.handle_due(due, release_at, &mut queue, &mut next_times)) {
                    batch.push(tick);
                }
                // A full batch goes at once; the last goes even when empty if parts went before it, so the
                // receiver knows the instant is complete.
                if (all_taken && (!batch.is_empty() || sent_part)) || batch.len() >= MAX_BATCH {
                    let ticks = std::mem::take(&mut batch);
                    sent_part = !all_taken;
                    tokio::select! {
                        biased;
                        () = &mut shutdown => return,
                        sent = sink.send(TickBatch { release_at, ticks, last: all_taken }) => if !sent {
                            tracing::debug!("tick receiver closed; scheduler stopping");
                            return;
                        },
                    }
                }
                if all_taken {
                    break;
                }
            }
        }
    }

    fn initial_queue(&self) -> FireQueue {
        let start = self.clock.now();
        let mut queue = FireQueue::with_capacity(self.jobs.len());
        for (index, job) in self.jobs.iter().enumerate() {
            match job.spec.next_after(job.resume_after.unwrap_or(start), job.timezone) {
                Some(at) => queue.push(Due { at, job: index }),
                None => tracing::warn!(
                    bot = %job.bot,
                    schedule = %job.schedule_id,
                    cron = %job.spec,
                    "schedule has no fire time after {start}; it will never fire"
                ),
            }
        }
        queue
    }

    /// Decides what a due entry sends (if anything) and queues the job's next fire time.
    fn handle_due(
        &self,
        due: Due,
        now: DateTime<Utc>,
        queue: &mut FireQueue,
        next_times: &mut NextTimes,
    ) -> Option<Tick> {
        let job = &self.jobs[due.job];
        let grace = TimeDelta::from_std(job.misfire_grace).unwrap_or(TimeDelta::MAX);
        let late_by = now - due.at;
        let (send, resume_after) = if late_by <= grace {
            (true, due.at)
        } else {
            // `now - grace` is after `due.at`, so the job's fire times keep increasing.
            let resume_after = now.checked_sub_signed(grace).unwrap_or(due.at);
            tracing::warn!(
                bot = %job.bot,
                schedule = %job.schedule_id,
                missed_from = %due.at,
                late_by_seconds = late_by.num_seconds(),
                policy = ?job.misfire,
                "schedule missed fire times (suspend or clock jump)"
            );
            (job.misfire == Misfire::FireOnce, resume_after)
        };
        if let Some(at) = next_times.after(job, self.groups.of_job(due.job), resume_after) {
            queue.push(Due { at, job: due.job });
        }
        send.then(|| Tick {
            bot: job.bot.clone(),
            schedule_id: job.schedule_id.clone(),
            scheduled_at: due.at,
            fired_at: now,
        })
    }
}
