//! Group commit for the whole journal: one writer task takes every operation waiting — callbacks to journal,
//! claims and completions of every bot — and runs them in one commit.
//!
//! Each caller's answer waits for the commit that holds its operation. While one commit runs, newly arriving
//! operations queue and form the next batch (up to [`MAX_BATCH`]), so under load each commit (and, at
//! `durability: power`, each fsync) is shared by many callbacks and hooks, and the rate holds.
//!
//! Ends nobody waits for (a hook's completion, a given-back attempt) are not hurried. They are kept beside the
//! queue, and only the first of a run wakes the writer, which then waits up to [`UNHURRIED`] for other operations
//! to commit them with, and goes at once when one comes. So the ends of an instant's cron ticks, or of a lane's
//! last messages, are committed together after the hooks around them have run, and the hooks share their cores
//! with one writer wake-up, not one per lane, and do not build the operations (the writer does). An end is lost
//! only if the process dies before its commit; the entry is then delivered again, which at-least-once allows (an
//! orderly stop flushes).
//!
//! The writer is a thread of its own, not a task: a commit blocks on SQLite, and a dedicated thread that waits
//! on the queue spares every batch the hand-offs to and from the blocking pool (a lane waits for one commit per
//! message, so those hand-offs were a large part of its time).

use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use zimbot_store::{Accepted, Arrival, Claim, EntryId, Inbox, JournalAnswer, JournalOp, Lease, StoreError};

/// Most operations in one commit: bounds the latency of the first operation of a batch.
pub const MAX_BATCH: usize = 1024;

/// How long a batch of ends nobody waits for may wait for company.
pub const UNHURRIED: Duration = Duration::from_millis(25);

/// The journal could not take an operation (storage unavailable, a stale lease, or the writer is gone).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the inbox journal could not keep it: {0}")]
pub struct JournalError(pub String);

type Answer = oneshot::Sender<Result<JournalAnswer, JournalError>>;

/// What the writer is asked.
enum Request {
    /// An operation, and who waits for its answer.
    Awaited(JournalOp, Answer),
    /// Ends nobody waits for are waiting beside the queue (see [`Ends`]).
    Ends,
    /// A wait for everything queued before it.
    Flush(Answer),
}

impl Request {
    fn ops(&self) -> usize {
        match self {
            Request::Awaited(..) => 1,
            Request::Ends | Request::Flush(_) => 0,
        }
    }
}

/// Ends nobody waits for (`complete_soon`, `release_soon`), kept beside the queue until the writer's next commit.
/// A lane's ends of one batch are kept as one group, and made into operations by the writer, off the lanes' way.
#[derive(Default)]
struct Ends {
    groups: VecDeque<EndGroup>,
    /// The writer was told of them (a [`Request::Ends`] is queued, or the writer is committing them).
    told: bool,
}

/// Ends of one kind under one lease.
struct EndGroup {
    release: bool,
    lease: Lease,
    ids: Vec<EntryId>,
}

impl EndGroup {
    fn op(&self, id: EntryId) -> JournalOp {
        let lease = self.lease.clone();
        match self.release {
            true => JournalOp::Release { lease, id },
            false => JournalOp::Complete { lease, id },
        }
    }
}

impl Ends {
    /// Takes up to `most` of them, oldest first; answers whether any are left, in which case the writer still
    /// counts as told.
    fn take(&mut self, most: usize) -> (Vec<EndGroup>, bool) {
        let (mut taken, mut count) = (Vec::new(), 0);
        while let Some(group) = self.groups.front_mut() {
            let room = most.saturating_sub(count);
            if room == 0 {
                break;
            }
            if group.ids.len() > room {
                let ids = group.ids.drain(..room).collect();
                taken.push(EndGroup { release: group.release, lease: group.lease.clone(), ids });
                break;
            }
            count += group.ids.len();
            taken.extend(self.groups.pop_front());
        }
        let left = !self.groups.is_empty();
        self.told = left;
        (taken, left)
    }
}

/// The handle journal operations go through.
#[derive(Clone)]
pub struct InboxWriter {
    requests: mpsc::Sender<Request>,
    ends: Arc<Mutex<Ends>>,
}

impl InboxWriter {
    /// Starts the writer thread; it ends once every handle is dropped and the queue is drained. (`runtime` is
    /// not used: the writer needs none.)
    pub fn spawn(inbox: Arc<dyn Inbox>, _runtime: &tokio::runtime::Handle) -> Self {
        Self::spawn_unhurried(inbox, UNHURRIED)
    }

    /// As [`InboxWriter::spawn`], with ends nobody waits for held up to `unhurried` for company.
    fn spawn_unhurried(inbox: Arc<dyn Inbox>, unhurried: Duration) -> Self {
        let (requests, incoming) = mpsc::channel();
        let ends = Arc::new(Mutex::new(Ends::default()));
        let writer_ends = Arc::clone(&ends);
        let spawned = std::thread::Builder::new()
            .name("zimbot-journal".to_owned())
            .spawn(move || write_batches(inbox.as_ref(), incoming, &writer_ends, unhurried));
        if let Err(error) = spawned {
            // The requests' answers then fail at once ("the journal writer has stopped"): callbacks get 503.
            tracing::error!("the journal writer thread could not start: {error}");
        }
        Self { requests, ends }
    }

    /// Journals `arrival`, answering once it is committed.
    pub async fn accept(&self, arrival: Arrival) -> Result<Accepted, JournalError> {
        match self.apply(JournalOp::Accept(arrival)).await? {
            JournalAnswer::Accepted(accepted) => Ok(accepted),
            other => Err(unexpected(other)),
        }
    }

    /// Counts an attempt on `id` (see `zimbot_store::Inbox::claim`), once committed.
    pub async fn claim(
        &self,
        lease: &Lease,
        id: EntryId,
        max_attempts: u32,
        now_ms: i64,
    ) -> Result<Claim, JournalError> {
        match self.apply(JournalOp::Claim { lease: lease.clone(), id, max_attempts, now_ms }).await? {
            JournalAnswer::Claimed(claim) => Ok(claim),
            other => Err(unexpected(other)),
        }
    }

    /// Ends entry `id`, once committed.
    pub async fn complete(&self, lease: &Lease, id: EntryId) -> Result<(), JournalError> {
        match self.apply(JournalOp::Complete { lease: lease.clone(), id }).await? {
            JournalAnswer::Completed => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// Queues the end of entry `id` without waiting for its commit: the caller's next operation is queued behind
    /// it (so a lane's next claim shares its commit). Lost only if the process dies first — the entry is then
    /// delivered again, which at-least-once allows. A failure is logged by the writer.
    pub fn complete_soon(&self, lease: &Lease, id: EntryId) {
        self.complete_all_soon(lease, &[id]);
    }

    /// Queues the ends of `ids` together, as [`InboxWriter::complete_soon`] queues one.
    pub fn complete_all_soon(&self, lease: &Lease, ids: &[EntryId]) {
        if ids.is_empty() {
            return;
        }
        self.queue_ends(EndGroup { release: false, lease: lease.clone(), ids: ids.to_vec() });
    }

    /// Queues giving back the attempt of entry `id`, claimed but never started (see
    /// `zimbot_store::Inbox::release`), without waiting for its commit; [`InboxWriter::flush`] waits for it.
    pub fn release_soon(&self, lease: &Lease, id: EntryId) {
        self.queue_ends(EndGroup { release: true, lease: lease.clone(), ids: vec![id] });
    }

    /// Keeps `group` for the writer's next commit, waking it only when it was not told of ends already.
    fn queue_ends(&self, group: EndGroup) {
        let mut ends = self.ends.lock();
        ends.groups.push_back(group);
        if std::mem::replace(&mut ends.told, true) {
            return;
        }
        if self.requests.send(Request::Ends).is_err() {
            // The writer has stopped: nothing would ever take them (their entries are delivered again after a
            // restart, as for any end not committed).
            *ends = Ends::default();
        }
    }

    /// Waits until every operation queued before this call is committed (at shutdown, for `complete_soon`s).
    pub async fn flush(&self) {
        let (answer, answered) = oneshot::channel();
        if self.requests.send(Request::Flush(answer)).is_ok() {
            let _ = answered.await;
        }
    }

    async fn apply(&self, op: JournalOp) -> Result<JournalAnswer, JournalError> {
        let (answer, answered) = oneshot::channel();
        self.requests
            .send(Request::Awaited(op, answer))
            .map_err(|_| JournalError("the journal writer has stopped".into()))?;
        answered.await.map_err(|_| JournalError("the journal writer stopped before committing".into()))?
    }
}

fn unexpected(answer: JournalAnswer) -> JournalError {
    JournalError(format!("the store answered an operation with {answer:?}"))
}

/// The writer thread: takes what is queued (waiting when nothing is), commits it as one batch with the ends
/// waiting beside the queue, answers.
fn write_batches(inbox: &dyn Inbox, incoming: mpsc::Receiver<Request>, ends: &Mutex<Ends>, unhurried: Duration) {
    let mut batch = Vec::new();
    // Ends were left over from the last commit (more than a batch holds): commit them without waiting.
    let mut ends_left = false;
    loop {
        if !ends_left {
            match incoming.recv() {
                Ok(first) => batch.push(first),
                Err(_) => return,
            }
        }
        let mut queued = batch.iter().map(Request::ops).sum();
        take_queued(&incoming, &mut batch, &mut queued);
        if !ends_left {
            wait_for_company(&incoming, &mut batch, &mut queued, unhurried);
        }
        // Ends go first: each was queued after the commit of whatever it ends. A flood of awaited operations
        // still leaves them a quarter of each commit; a flush takes them all.
        let most = match batch.iter().any(|request| matches!(request, Request::Flush(_))) {
            true => usize::MAX,
            false => MAX_BATCH.saturating_sub(queued).max(MAX_BATCH / 4),
        };
        let (ends, left) = ends.lock().take(most);
        ends_left = left;
        let ends: Vec<JournalOp> = ends.iter().flat_map(|group| group.ids.iter().map(|id| group.op(*id))).collect();
        let mut flushes = Vec::new();
        // Who waits for each operation's answer; nobody for an end.
        let mut answers: Vec<Option<Answer>> = Vec::with_capacity(ends.len() + queued);
        answers.extend(ends.iter().map(|_| None));
        let mut ops = ends;
        ops.reserve(queued);
        for request in batch.drain(..) {
            match request {
                Request::Awaited(op, answer) => {
                    ops.push(op);
                    answers.push(Some(answer));
                }
                Request::Ends => {}
                Request::Flush(answer) => flushes.push(answer),
            }
        }
        let committed = match ops.is_empty() {
            true => Ok(Vec::new()),
            // A panic in the store is answered as a failed commit rather than ending the writer (and with it
            // every later callback's chance of a 200).
            false => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inbox.apply(&ops)))
                .map_err(|_| JournalError("the commit panicked".to_owned()))
                .and_then(|result| result.map_err(|error| JournalError(error.to_string()))),
        };
        match committed {
            Ok(results) => {
                for (answer, result) in answers.into_iter().zip(results) {
                    let result = result.map_err(|error: StoreError| JournalError(error.to_string()));
                    let unheard = match answer {
                        Some(answer) => answer.send(result).err(),
                        None => Some(result),
                    };
                    if let Some(Err(error)) = unheard {
                        // Nobody waits for this one (an end nobody awaits): its failure is said here.
                        tracing::error!("{error}; the entry will be delivered again after a restart");
                    }
                }
            }
            Err(error) => {
                tracing::error!("{error}; callbacks are answered 503 (the service retries them), entries not ended are delivered again after a restart");
                for answer in answers.into_iter().flatten() {
                    let _ = answer.send(Err(error.clone()));
                }
            }
        }
        for flushed in flushes {
            let _ = flushed.send(Ok(JournalAnswer::Completed));
        }
    }
}

/// While `batch` holds only the news of ends waiting, waits up to `unhurried` for an operation to commit them with.
fn wait_for_company(
    incoming: &mpsc::Receiver<Request>,
    batch: &mut Vec<Request>,
    queued: &mut usize,
    unhurried: Duration,
) {
    let until = Instant::now() + unhurried;
    while *queued < MAX_BATCH && batch.iter().all(|request| matches!(request, Request::Ends)) {
        match incoming.recv_timeout(until.saturating_duration_since(Instant::now())) {
            Ok(request) => {
                *queued += request.ops();
                batch.push(request);
                take_queued(incoming, batch, queued);
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
        }
    }
}

/// Adds what is queued to `batch` while it holds fewer than [`MAX_BATCH`] operations (`queued`).
fn take_queued(incoming: &mpsc::Receiver<Request>, batch: &mut Vec<Request>, queued: &mut usize) {
    while *queued < MAX_BATCH {
        match incoming.try_recv() {
            Ok(request) => {
                *queued += request.ops();
                batch.push(request);
            }
            Err(_) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zimbot_store::{Arrival, Fence, InboxEntry, Owner};

    /// An inbox that answers every operation and tells each commit's operations, by kind, to the test.
    struct Commits(std::sync::Mutex<mpsc::Sender<Vec<&'static str>>>);

    impl Inbox for Commits {
        fn accept(&self, _: &[Arrival]) -> Result<Vec<Accepted>, StoreError> {
            Ok(Vec::new())
        }

        fn apply(&self, ops: &[JournalOp]) -> Result<Vec<Result<JournalAnswer, StoreError>>, StoreError> {
            let (kinds, answers) = ops
                .iter()
                .map(|op| match op {
                    JournalOp::Complete { .. } => ("complete", Ok(JournalAnswer::Completed)),
                    JournalOp::Release { .. } => ("release", Ok(JournalAnswer::Released)),
                    JournalOp::Claim { .. } => ("claim", Ok(JournalAnswer::Claimed(Claim::Run { attempt: 1 }))),
                    JournalOp::Accept(_) => ("accept", Ok(JournalAnswer::Accepted(Accepted::Duplicate))),
                })
                .unzip();
            let _ = self.0.lock().map(|commits| commits.send(kinds));
            Ok(answers)
        }

        fn pending(&self, _: &Lease) -> Result<Vec<InboxEntry>, StoreError> {
            Ok(Vec::new())
        }

        fn claim(&self, _: &Lease, _: EntryId, _: u32, _: i64) -> Result<Claim, StoreError> {
            Ok(Claim::Gone)
        }

        fn complete(&self, _: &Lease, _: EntryId) -> Result<(), StoreError> {
            Ok(())
        }

        fn release(&self, _: &Lease, _: EntryId) -> Result<(), StoreError> {
            Ok(())
        }

        fn bury(&self, _: &Lease, _: EntryId, _: &str, _: i64) -> Result<(), StoreError> {
            Ok(())
        }
    }

    /// A writer whose unawaited ends wait an hour for company, and the commits it makes.
    fn writer() -> (InboxWriter, mpsc::Receiver<Vec<&'static str>>) {
        let (commits, committed) = mpsc::channel();
        let inbox = Arc::new(Commits(std::sync::Mutex::new(commits)));
        (InboxWriter::spawn_unhurried(inbox, Duration::from_secs(3600)), committed)
    }

    fn lease() -> Lease {
        Lease { bot: "b".to_owned(), owner: Owner::new("test"), fence: Fence(1) }
    }

    /// Fails rather than hangs when the writer held an awaited operation back.
    async fn promptly<T>(what: impl std::future::Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(30), what).await.expect("the writer held an awaited operation back")
    }

    #[tokio::test]
    async fn ends_nobody_waits_for_are_committed_with_the_next_awaited_operation() {
        let (writer, committed) = writer();
        writer.complete_all_soon(&lease(), &[EntryId(1), EntryId(2)]);
        writer.release_soon(&lease(), EntryId(3));
        let claim = promptly(writer.claim(&lease(), EntryId(4), 3, 0)).await;
        assert_eq!(claim, Ok(Claim::Run { attempt: 1 }));
        let one_commit = vec!["complete", "complete", "release", "claim"];
        assert_eq!(committed.recv().ok(), Some(one_commit), "one commit for the four");
    }

    #[tokio::test]
    async fn an_awaited_operation_alone_is_committed_at_once_and_a_flush_takes_the_ends_waiting() {
        let (writer, committed) = writer();
        promptly(writer.complete(&lease(), EntryId(1))).await.expect("completed");
        assert_eq!(committed.recv().ok(), Some(vec!["complete"]));
        writer.complete_soon(&lease(), EntryId(2));
        promptly(writer.flush()).await;
        assert_eq!(committed.recv().ok(), Some(vec!["complete"]));
    }

    #[tokio::test]
    async fn ends_beyond_a_batch_go_in_the_next_commits_without_waiting_and_a_flush_takes_them_all() {
        let (writer, committed) = writer();
        let ids: Vec<EntryId> = (0..2_500).map(EntryId).collect();
        writer.complete_all_soon(&lease(), &ids);
        let claim = promptly(writer.claim(&lease(), EntryId(9_999), 3, 0)).await;
        assert_eq!(claim, Ok(Claim::Run { attempt: 1 }));
        // The claim's commit takes as many ends as a batch holds; what is left goes on at once, though the writer
        // would wait an hour for company.
        let mut sizes = Vec::new();
        while sizes.iter().sum::<usize>() < 2_501 {
            let commit = committed.recv_timeout(Duration::from_secs(30)).expect("the ends left were committed");
            sizes.push(commit.len());
        }
        assert_eq!(sizes, vec![MAX_BATCH, MAX_BATCH, 2_501 - 2 * MAX_BATCH]);
        writer.complete_all_soon(&lease(), &ids);
        promptly(writer.flush()).await;
        assert_eq!(committed.recv().map(|commit| commit.len()).ok(), Some(2_500), "one commit for a flush");
    }

    #[test]
    fn only_the_first_end_of_a_run_tells_the_writer() {
        let (requests, incoming) = mpsc::channel();
        let writer = InboxWriter { requests, ends: Arc::new(Mutex::new(Ends::default())) };
        let told = || {
            std::iter::from_fn(|| incoming.try_recv().ok()).filter(|request| matches!(request, Request::Ends)).count()
        };
        writer.complete_soon(&lease(), EntryId(1));
        writer.complete_all_soon(&lease(), &[EntryId(2), EntryId(3)]);
        writer.release_soon(&lease(), EntryId(4));
        assert_eq!(told(), 1);
        // The writer takes them (in two commits): told again only once all are taken.
        let (first, left) = writer.ends.lock().take(2);
        assert_eq!((first.iter().map(|group| group.ids.len()).sum::<usize>(), left), (2, true));
        writer.complete_soon(&lease(), EntryId(5));
        assert_eq!(told(), 0);
        let (rest, left) = writer.ends.lock().take(MAX_BATCH);
        let ops: Vec<JournalOp> = rest.iter().flat_map(|group| group.ids.iter().map(|id| group.op(*id))).collect();
        let kinds: Vec<(bool, i64)> = ops
            .iter()
            .map(|op| match op {
                JournalOp::Release { id, .. } => (true, id.0),
                JournalOp::Complete { id, .. } => (false, id.0),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!((kinds, left), (vec![(false, 3), (true, 4), (false, 5)], false));
        writer.complete_soon(&lease(), EntryId(6));
        assert_eq!(told(), 1);
    }
}
