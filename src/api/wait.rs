//! Waiting for a state: a cluster online or gone, a topic active or gone, a pool gone.
//!
//! There is one way to wait, after kube-runtime's `await_condition`: read one object on the
//! shared [`PollSchedule`] until a [`Condition`] holds for it, within a deadline and a
//! cancellation token ([`await_condition`]). The typed handlers expose it with the read that
//! suits their object, and [`conditions`] holds the ready-made conditions:
//!
//! ```text
//! client.clusters().wait(id, conditions::online_and(|c| c.num_nodes == 3), &schedule, deadline, &cancel)
//! client.topics(cluster_id).wait(name, conditions::active_and(|t| …), &schedule, deadline, &cancel)
//! client.pools(cluster_id).wait(name, conditions::gone(), &schedule, deadline, &cancel)
//! ```
//!
//! Cluster waits read through one cluster-list watch per client, so that concurrent waiters
//! share one list request per round, requested once every check of the round is due (see
//! `cluster_list.rs`); each wait tells the watch when its next check is due.
//!
//! [`poll_until`] is the loop underneath. Checks start after `schedule.first` (or at once) and
//! then at doubling intervals capped at `schedule.max_interval`. The deadline is a hard bound:
//! no check starts at or after it and one in flight when it passes is abandoned. Cancellation
//! is prompt: the token is watched while sleeping and while a check's request is in flight.
//! Transient API errors (rate limits, 5xx, transport failures, already retried by the client)
//! do not end a long wait; they become its last observed state and polling goes on.

mod cluster_list;
pub mod conditions;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use self::cluster_list::ListWatcher;
use super::children::{Pools, Topics};
use super::clusters::Clusters;
use super::error::HumanDuration;
use super::models::{Cluster, Pool, Topic};
use super::{ApiError, Found};

pub(crate) use self::cluster_list::ClusterListWatch;

/// When to check: after `first`, then at doubling intervals up to `max_interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollSchedule {
    pub first: Duration,
    pub max_interval: Duration,
}

impl Default for PollSchedule {
    fn default() -> Self {
        PollSchedule {
            first: Duration::from_millis(500),
            max_interval: Duration::from_secs(10),
        }
    }
}

/// Shortest interval between checks, whatever the schedule says, so that a zero schedule
/// cannot spin.
const MIN_INTERVAL: Duration = Duration::from_millis(1);

impl PollSchedule {
    /// The wait before check number `n + 1` when counting from `first` as wait 0:
    /// `first × 2^n`, capped at `max_interval`.
    pub fn interval(&self, n: u32) -> Duration {
        let growth = 2u32.saturating_pow(n);
        self.first
            .saturating_mul(growth)
            .min(self.max_interval)
            .max(MIN_INTERVAL)
    }

    /// The wait before the next check of a wait that has lasted `waited`: a quarter of it,
    /// at least `first` and at most `max_interval`. Checks come every `first` until
    /// `4 × first`, then the interval grows with the wait, so a wait ends at most a quarter
    /// later than its state arrived (doubling can end it almost twice as late: a cluster
    /// online after 2 s is seen at 3.5 s). Cluster waits use it: they share one list per
    /// round, so a denser cadence costs fewer requests than it would per cluster.
    pub fn proportional_interval(&self, waited: Duration) -> Duration {
        (waited / PROPORTIONAL_DIVISOR)
            .max(self.first)
            .min(self.max_interval)
            .max(MIN_INTERVAL)
    }
}

/// Proportional waits check again after `1 / PROPORTIONAL_DIVISOR` of the time waited so far.
const PROPORTIONAL_DIVISOR: u32 = 4;

/// How the intervals between checks grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Growth {
    /// [`PollSchedule::interval`]: doubling.
    Doubling,
    /// [`PollSchedule::proportional_interval`]: with the time waited.
    Proportional,
}

/// One check's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll<T> {
    Ready(T),
    /// Not yet; the text (e.g. `creating`) is the last observed state, reported on timeout.
    Pending(String),
}

/// Why a wait ended without the state.
#[derive(Debug, Clone)]
pub enum WaitError {
    /// The deadline passed. `last` is the last observed state, if any check completed.
    Timeout {
        waited: Duration,
        last: Option<String>,
    },
    /// The cancellation token fired (Terraform asked the provider to stop).
    Cancelled,
    /// A check failed with an error that waiting longer cannot fix.
    Api(ApiError),
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::Timeout {
                waited,
                last: Some(last),
            } => {
                write!(
                    f,
                    "timed out after {}; last observed state: {last}",
                    HumanDuration(*waited)
                )
            }
            WaitError::Timeout { waited, last: None } => {
                write!(
                    f,
                    "timed out after {} before any status check completed",
                    HumanDuration(*waited)
                )
            }
            WaitError::Cancelled => {
                f.write_str("cancelled before the wait finished: the provider was asked to stop")
            }
            WaitError::Api(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for WaitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WaitError::Api(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ApiError> for WaitError {
    fn from(e: ApiError) -> Self {
        WaitError::Api(e)
    }
}

/// Polls `check` until it returns `Ready`.
///
/// The first check runs at once if `immediate`, else after `schedule.first`; later checks
/// follow at doubling intervals capped at `schedule.max_interval`. Ends with
/// [`WaitError::Timeout`] at `deadline` (no check starts at or after it; one in flight is
/// abandoned), [`WaitError::Cancelled`] as soon as `cancel` fires (while sleeping or while a
/// check is in flight), and [`WaitError::Api`] on an error that is not
/// [transient](ApiError::is_transient). Transient errors are recorded as the last state and
/// polling continues.
pub async fn poll_until<T, F, Fut>(
    schedule: &PollSchedule,
    deadline: Instant,
    cancel: &CancellationToken,
    immediate: bool,
    check: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, ApiError>>,
{
    poll_with(
        schedule,
        Growth::Doubling,
        deadline,
        cancel,
        immediate,
        |_| {},
        check,
    )
    .await
}

/// [`poll_until`] with the intervals growing as `growth` says. `planned` is told when each
/// check is due before the wait for it begins (cluster waits share their lists by it).
async fn poll_with<T, F, Fut, P>(
    schedule: &PollSchedule,
    growth: Growth,
    deadline: Instant,
    cancel: &CancellationToken,
    immediate: bool,
    planned: P,
    mut check: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, ApiError>>,
    P: Fn(Instant),
{
    let started = Instant::now();
    let mut last: Option<String> = None;
    let (mut next_check, mut waits_done) = if immediate {
        (started, 0)
    } else {
        (started + schedule.interval(0), 1)
    };
    loop {
        planned(next_check);
        let timeout = |last: Option<String>| WaitError::Timeout {
            waited: started.elapsed(),
            last,
        };
        if next_check >= deadline {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(WaitError::Cancelled),
                _ = sleep_until(deadline) => return Err(timeout(last)),
            }
        }
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(WaitError::Cancelled),
            _ = sleep_until(next_check) => {}
        }
        let outcome = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(WaitError::Cancelled),
            _ = sleep_until(deadline) => return Err(timeout(last)),
            outcome = check() => outcome,
        };
        match outcome {
            Ok(Poll::Ready(value)) => return Ok(value),
            Ok(Poll::Pending(state)) => {
                tracing::debug!(state = %state, "still waiting");
                last = Some(state);
            }
            Err(e) if e.is_transient() => {
                tracing::debug!(error = %e, "status check failed; still waiting");
                last = Some(format!("the last status check failed: {e}"));
            }
            Err(e) => return Err(WaitError::Api(e)),
        }
        let now = Instant::now();
        next_check = now
            + match growth {
                Growth::Doubling => schedule.interval(waits_done),
                Growth::Proportional => schedule.proportional_interval(now - started),
            };
        waits_done = waits_done.saturating_add(1);
    }
}

/// What a wait waits for: a verdict on the object as last read (`None` while it cannot be
/// read). Closures `Fn(Option<T>) -> Poll<O>` are conditions; [`conditions`] has the common ones.
pub trait Condition<T> {
    /// What the wait returns once the condition holds: the object, or `()` for [`conditions::gone`].
    type Output;

    /// `Ready` when the condition holds, else `Pending` with what was seen (a timeout reports
    /// the last one).
    fn check(&self, object: Option<T>) -> Poll<Self::Output>;
}

impl<T, O, F> Condition<T> for F
where
    F: Fn(Option<T>) -> Poll<O>,
{
    type Output = O;

    fn check(&self, object: Option<T>) -> Poll<O> {
        self(object)
    }
}

/// Reads an object with `read` (`Ok(None)` when it cannot be found) until `condition` holds,
/// on the timing and with the endings of [`poll_until`].
pub async fn await_condition<T, C, F, Fut>(
    schedule: &PollSchedule,
    deadline: Instant,
    cancel: &CancellationToken,
    immediate: bool,
    read: F,
    condition: C,
) -> Result<C::Output, WaitError>
where
    C: Condition<T>,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ApiError>>,
{
    await_with(
        schedule,
        Growth::Doubling,
        deadline,
        cancel,
        immediate,
        |_| {},
        read,
        condition,
    )
    .await
}

/// [`await_condition`] with the intervals growing as `growth` says; `planned` as for
/// [`poll_with`].
#[allow(clippy::too_many_arguments)]
async fn await_with<T, C, F, Fut, P>(
    schedule: &PollSchedule,
    growth: Growth,
    deadline: Instant,
    cancel: &CancellationToken,
    immediate: bool,
    planned: P,
    mut read: F,
    condition: C,
) -> Result<C::Output, WaitError>
where
    C: Condition<T>,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ApiError>>,
    P: Fn(Instant),
{
    let condition = &condition;
    poll_with(
        schedule,
        growth,
        deadline,
        cancel,
        immediate,
        planned,
        move || {
            let object = read();
            async move { Ok(condition.check(object.await?)) }
        },
    )
    .await
}

impl Clusters<'_> {
    /// Waits until `condition` holds for cluster `id`, e.g. [`conditions::online`]. A 404
    /// reads as `None`. Concurrent waits on the same client share one cluster list per round
    /// (see `cluster_list.rs`), and the checks follow
    /// [`PollSchedule::proportional_interval`], after a first one at `schedule.first`.
    pub async fn wait<C: Condition<Cluster>>(
        self,
        id: &str,
        condition: C,
        schedule: &PollSchedule,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<C::Output, WaitError> {
        self.wait_from(id, false, condition, schedule, deadline, cancel)
            .await
    }

    /// Waits until cluster `id` is gone, checking at once first: the API may have removed a
    /// deleted cluster by the time the `DELETE` is answered (an emulator always has), and
    /// waiting out the first interval would slow every destroy down by it. Otherwise as
    /// [`Clusters::wait`] with [`conditions::gone`].
    pub async fn wait_gone(
        self,
        id: &str,
        schedule: &PollSchedule,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<(), WaitError> {
        self.wait_from(id, true, conditions::gone(), schedule, deadline, cancel)
            .await
    }

    async fn wait_from<C: Condition<Cluster>>(
        self,
        id: &str,
        immediate: bool,
        condition: C,
        schedule: &PollSchedule,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<C::Output, WaitError> {
        let watcher = ListWatcher::new(self, id);
        await_with(
            schedule,
            Growth::Proportional,
            deadline,
            cancel,
            immediate,
            |due| watcher.plan(due),
            || watcher.read(),
            condition,
        )
        .await
    }
}

impl Topics<'_> {
    /// Waits until `condition` holds for topic `name`, e.g. [`conditions::active_and`]. A 404
    /// reads as `None`.
    pub async fn wait<C: Condition<Topic>>(
        self,
        name: &str,
        condition: C,
        schedule: &PollSchedule,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<C::Output, WaitError> {
        let read = || async { self.get(name).await.found() };
        await_condition(schedule, deadline, cancel, false, read, condition).await
    }
}

impl Pools<'_> {
    /// Waits until `condition` holds for pool `name` (pools have no lifecycle state, so in
    /// practice [`conditions::gone`]). A 404 reads as `None`. The first check is made at once:
    /// a pool has no `deleting` state and is usually gone by the time the `DELETE` is answered,
    /// so waiting out the first interval would only slow every delete down.
    pub async fn wait<C: Condition<Pool>>(
        self,
        name: &str,
        condition: C,
        schedule: &PollSchedule,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<C::Output, WaitError> {
        let read = || async { self.get(name).await.found() };
        await_condition(schedule, deadline, cancel, true, read, condition).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Client, ClientConfig};

    #[test]
    fn intervals_double_up_to_the_cap() {
        let s = PollSchedule {
            first: Duration::from_millis(500),
            max_interval: Duration::from_secs(3),
        };
        let shown: Vec<_> = (0..6).map(|n| s.interval(n).as_millis()).collect();
        assert_eq!(shown, [500, 1000, 2000, 3000, 3000, 3000]);
        assert_eq!(s.interval(u32::MAX), Duration::from_secs(3));
        let zero = PollSchedule {
            first: Duration::ZERO,
            max_interval: Duration::ZERO,
        };
        assert_eq!(zero.interval(0), MIN_INTERVAL);
        assert_eq!(
            PollSchedule::default().interval(0),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn proportional_intervals_follow_the_time_waited() {
        let s = PollSchedule {
            first: Duration::from_millis(500),
            max_interval: Duration::from_secs(10),
        };
        let after = |ms: u64| {
            s.proportional_interval(Duration::from_millis(ms))
                .as_millis()
        };
        assert_eq!(
            [
                after(500),
                after(1500),
                after(2000),
                after(4000),
                after(100_000)
            ],
            [500, 500, 500, 1000, 10_000]
        );
        // A cluster online after 2 s is seen at 2 s, not at 3.5 s as with doubling.
        let mut at = Duration::from_millis(500);
        let mut checks = vec![at.as_millis()];
        while at < Duration::from_secs(2) {
            at += s.proportional_interval(at);
            checks.push(at.as_millis());
        }
        assert_eq!(checks, [500, 1000, 1500, 2000]);
        let zero = PollSchedule {
            first: Duration::ZERO,
            max_interval: Duration::ZERO,
        };
        assert_eq!(zero.proportional_interval(Duration::ZERO), MIN_INTERVAL);
    }

    #[test]
    fn wait_errors_read_well() {
        let timeout = WaitError::Timeout {
            waited: Duration::from_secs(90),
            last: Some("creating".into()),
        };
        assert_eq!(
            timeout.to_string(),
            "timed out after 1m30s; last observed state: creating"
        );
        let blind = WaitError::Timeout {
            waited: Duration::from_secs(5),
            last: None,
        };
        assert_eq!(
            blind.to_string(),
            "timed out after 5s before any status check completed"
        );
        assert!(WaitError::Cancelled.to_string().contains("asked to stop"));
        let api = WaitError::from(ApiError::config("x"));
        assert_eq!(api.to_string(), "API client configuration: x");
        assert!(std::error::Error::source(&api).is_some());
    }

    #[tokio::test]
    async fn registrations_are_released_when_a_wait_is_dropped() {
        let client = Client::new(ClientConfig {
            endpoint: "http://127.0.0.1:9".into(),
            token: "t".into(),
            ..ClientConfig::default()
        })
        .unwrap();
        let cancel = CancellationToken::new();
        let schedule = PollSchedule {
            first: Duration::from_secs(3600),
            max_interval: Duration::from_secs(3600),
        };
        let deadline = Instant::now() + Duration::from_secs(7200);
        let clusters = client.clusters();
        let mut wait =
            Box::pin(clusters.wait("a", conditions::online(), &schedule, deadline, &cancel));
        assert!(tokio::time::timeout(Duration::from_millis(5), &mut wait)
            .await
            .is_err());
        assert_eq!(client.cluster_watch().state(), (1, false));
        drop(wait);
        assert_eq!(client.cluster_watch().state(), (0, false));
    }
}
