//! Waiting for a state: a cluster online or gone, a topic active.
//!
//! [`poll_until`] is the one polling loop. Checks start after `schedule.first` (or at once) and
//! then at doubling intervals capped at `schedule.max_interval`. The deadline is a hard bound:
//! no check starts at or after it and one in flight when it passes is abandoned. Cancellation
//! is prompt: the token is watched while sleeping and while a check's request is in flight.
//! Transient API errors (rate limits, 5xx, transport failures, already retried by the client)
//! do not end a long wait; they become its last observed state and polling goes on.
//!
//! # One cluster list for many waiters
//!
//! Terraform creates many clusters at once, and each create waits for `online`. One `GET` per
//! cluster per round would spend the rate-limit budget on nothing but waiting, so the cluster
//! waits ([`Clusters::wait_until`] and [`Clusters::wait_online`]) share one cluster-list watch
//! per [`Client`] (all clones included):
//!
//! - Every wait in progress is registered, and the watch keeps the latest `GET /v2/databases`
//!   snapshot with the instant its request was *sent*.
//! - Each waiter remembers when the newest data it has seen was requested (at first, when the
//!   wait started). At each check it reuses the shared snapshot if that was requested strictly
//!   later, so every check sees newer data than the one before, and never data older than the
//!   call that started the wait (an `online` read before a resize began cannot end the wait).
//!   Then there is no request at all.
//! - Otherwise, if other waiters are registered, the waiter takes the fetch lock, looks again
//!   (another waiter may just have fetched), and only then lists the clusters and publishes the
//!   snapshot (errors included, so one failing list is not repeated by every waiter).
//! - A waiter alone uses `GET /v2/databases/{id}`, which is cheaper than a list.
//!
//! Waiters on similar schedules therefore share one list per polling round, whatever their
//! number. A cluster absent from the list reads like a 404 ("not found yet"). The snapshot
//! holds connection secrets, so it is dropped as soon as the last waiter ends.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::children::Topics;
use super::clusters::Clusters;
use super::error::HumanDuration;
use super::models::{Cluster, Topic};
use super::{ApiError, Client};

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
    mut check: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, ApiError>>,
{
    let started = Instant::now();
    let mut last: Option<String> = None;
    let (mut next_check, mut waits_done) = if immediate {
        (started, 0)
    } else {
        (started + schedule.interval(0), 1)
    };
    loop {
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
        next_check = Instant::now() + schedule.interval(waits_done);
        waits_done = waits_done.saturating_add(1);
    }
}

impl Clusters<'_> {
    /// Waits until the cluster reports `online`. A 404 counts as "not found yet" (a new
    /// cluster may not be readable at once) until the deadline. Concurrent waits on the same
    /// client share one cluster list per round (see the module docs).
    pub async fn wait_online(
        self,
        id: &str,
        schedule: &PollSchedule,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<Cluster, WaitError> {
        self.wait_until(id, schedule, deadline, cancel, Cluster::is_online)
            .await
    }

    /// Waits until `ready` holds for the cluster, e.g. online *and* showing a requested size,
    /// so that an `online` read before a resize has started is not taken for its end. 404s
    /// and list sharing as for [`Clusters::wait_online`].
    pub async fn wait_until(
        self,
        id: &str,
        schedule: &PollSchedule,
        deadline: Instant,
        cancel: &CancellationToken,
        ready: impl Fn(&Cluster) -> bool,
    ) -> Result<Cluster, WaitError> {
        let clusters = self;
        let _registered = self.client.cluster_watch().register();
        // When the newest data this waiter has seen was requested.
        let seen_up_to = Mutex::new(Instant::now());
        let (seen_up_to, ready) = (&seen_up_to, &ready);
        poll_until(schedule, deadline, cancel, false, move || async move {
            let since = *lock(seen_up_to);
            let (observed, requested_at) = clusters.observe(id, since).await?;
            *lock(seen_up_to) = requested_at;
            Ok(match observed {
                None => Poll::Pending("not found yet".to_string()),
                Some(cluster) if ready(&cluster) => Poll::Ready(cluster),
                Some(cluster) => Poll::Pending(match cluster.status.as_deref() {
                    Some("online") => "online, but without the requested change yet".to_string(),
                    Some(status) => status.to_string(),
                    None => "no status reported".to_string(),
                }),
            })
        })
        .await
    }

    /// Waits until `GET /v2/databases/{id}` answers 404.
    pub async fn wait_deleted(
        self,
        id: &str,
        schedule: &PollSchedule,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<(), WaitError> {
        poll_until(schedule, deadline, cancel, false, || async {
            match self.get(id).await {
                Ok(cluster) => Ok(Poll::Pending(format!(
                    "still present (status {})",
                    cluster.status.as_deref().unwrap_or("unknown")
                ))),
                Err(e) if e.is_not_found() => Ok(Poll::Ready(())),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// The cluster (`None` when it does not exist, yet) as of a read requested strictly after
    /// `since`, and when that read was requested.
    async fn observe(
        self,
        id: &str,
        since: Instant,
    ) -> Result<(Option<Cluster>, Instant), ApiError> {
        let watch = self.client.cluster_watch();
        if let Some(snapshot) = watch.newer_than(since) {
            return snapshot.find(id);
        }
        if watch.waiters() <= 1 {
            let requested_at = Instant::now();
            return match self.get(id).await {
                Ok(cluster) => Ok((Some(cluster), requested_at)),
                Err(e) if e.is_not_found() => Ok((None, requested_at)),
                Err(e) => Err(e),
            };
        }
        let _fetching = watch.fetch.lock().await;
        if let Some(snapshot) = watch.newer_than(since) {
            return snapshot.find(id);
        }
        let sent_at = Instant::now();
        let result = self.list(None).await;
        let snapshot = Arc::new(Snapshot { sent_at, result });
        watch.publish(Arc::clone(&snapshot));
        snapshot.find(id)
    }
}

impl Topics<'_> {
    /// Waits until the topic's state is `active`. A 404 counts as "not found yet": a topic
    /// created with a 202 may take a moment to be readable.
    pub async fn wait_active(
        self,
        name: &str,
        schedule: &PollSchedule,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<Topic, WaitError> {
        poll_until(schedule, deadline, cancel, false, || async {
            match self.get(name).await {
                Ok(topic) if topic.state.as_deref() == Some("active") => Ok(Poll::Ready(topic)),
                Ok(topic) => Ok(Poll::Pending(
                    topic
                        .state
                        .unwrap_or_else(|| "no state reported".to_string()),
                )),
                Err(e) if e.is_not_found() => Ok(Poll::Pending("not found yet".to_string())),
                Err(e) => Err(e),
            }
        })
        .await
    }
}

/// The cluster list shared by concurrent cluster waits (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct ClusterListWatch {
    state: Mutex<WatchState>,
    /// Held while a list is being fetched, so that concurrent waiters fetch once.
    fetch: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct WatchState {
    waiters: usize,
    latest: Option<Arc<Snapshot>>,
}

#[derive(Debug)]
struct Snapshot {
    sent_at: Instant,
    result: Result<Vec<Cluster>, ApiError>,
}

impl Snapshot {
    /// The cluster `id` in this list (`None` if absent) and when the list was requested.
    fn find(&self, id: &str) -> Result<(Option<Cluster>, Instant), ApiError> {
        match &self.result {
            Ok(clusters) => Ok((clusters.iter().find(|c| c.id == id).cloned(), self.sent_at)),
            Err(e) => Err(e.clone()),
        }
    }
}

/// Locks a mutex guarding plain values, which are valid after any partial update.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ClusterListWatch {
    fn lock(&self) -> MutexGuard<'_, WatchState> {
        lock(&self.state)
    }

    fn register(&self) -> Registration<'_> {
        self.lock().waiters += 1;
        Registration(self)
    }

    fn waiters(&self) -> usize {
        self.lock().waiters
    }

    /// The latest snapshot, if its request was sent strictly after `since`.
    fn newer_than(&self, since: Instant) -> Option<Arc<Snapshot>> {
        self.lock()
            .latest
            .as_ref()
            .filter(|s| s.sent_at > since)
            .cloned()
    }

    fn publish(&self, snapshot: Arc<Snapshot>) {
        let mut state = self.lock();
        if state
            .latest
            .as_ref()
            .map_or(true, |s| s.sent_at <= snapshot.sent_at)
        {
            state.latest = Some(snapshot);
        }
    }
}

/// A cluster wait in progress; the last one to end drops the snapshot.
struct Registration<'a>(&'a ClusterListWatch);

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.waiters = state.waiters.saturating_sub(1);
        if state.waiters == 0 {
            state.latest = None;
        }
    }
}

impl Client {
    #[cfg(test)]
    fn watch_state(&self) -> (usize, bool) {
        let state = self.cluster_watch().lock();
        (state.waiters, state.latest.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ClientConfig;

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

    fn snapshot(sent_at: Instant, ids: &[&str]) -> Arc<Snapshot> {
        let clusters = ids
            .iter()
            .map(|id| Cluster {
                id: id.to_string(),
                status: Some("online".into()),
                ..Default::default()
            })
            .collect();
        Arc::new(Snapshot {
            sent_at,
            result: Ok(clusters),
        })
    }

    #[test]
    fn snapshots_are_reused_only_when_newer_than_what_the_waiter_saw() {
        let watch = ClusterListWatch::default();
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_millis(10);
        let registration = watch.register();
        assert!(watch.newer_than(t0).is_none());
        watch.publish(snapshot(t1, &["a"]));
        let (found, requested_at) = watch.newer_than(t0).unwrap().find("a").unwrap();
        assert_eq!(
            (found.map(|c| c.id), requested_at),
            (Some("a".to_string()), t1)
        );
        assert!(
            watch.newer_than(t1).is_none(),
            "a waiter that saw this list needs a newer one"
        );
        watch.publish(snapshot(t0, &["old"]));
        let kept = watch.newer_than(t0).unwrap();
        assert_eq!(kept.sent_at, t1, "an older list never replaces a newer one");
        assert_eq!(kept.find("b").unwrap().0, None);
        drop(registration);
        assert!(
            watch.newer_than(t0).is_none(),
            "the last waiter drops the snapshot and its secrets"
        );
    }

    #[test]
    fn a_failed_list_is_shared_too() {
        let error =
            ApiError::from_status("GET", "/v2/databases", 503, "service_unavailable", "down");
        let snapshot = Snapshot {
            sent_at: Instant::now(),
            result: Err(error.clone()),
        };
        assert_eq!(snapshot.find("a").unwrap_err(), error);
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
        let mut wait = Box::pin(clusters.wait_online("a", &schedule, deadline, &cancel));
        assert!(tokio::time::timeout(Duration::from_millis(5), &mut wait)
            .await
            .is_err());
        assert_eq!(client.watch_state(), (1, false));
        drop(wait);
        assert_eq!(client.watch_state(), (0, false));
    }
}
