//! One cluster list for many waiters.
//!
//! Terraform creates many clusters at once, and each create waits for `online`. One `GET` per
//! cluster per round would spend the rate-limit budget on nothing but waiting, so every cluster
//! wait ([`Clusters::wait`](crate::api::Clusters::wait)) reads through one cluster-list watch
//! per [`Client`](crate::api::Client) (all clones included):
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
//! number. A cluster absent from the list reads like a 404 (`None`). The snapshot holds
//! connection secrets, so it is dropped as soon as the last waiter ends.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::time::Instant;

use crate::api::models::Cluster;
use crate::api::{ApiError, Clusters, Found};

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

    #[cfg(test)]
    pub(super) fn state(&self) -> (usize, bool) {
        let state = self.lock();
        (state.waiters, state.latest.is_some())
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

/// One cluster wait's reads through the watch: registered for as long as it lives.
pub(super) struct ListWatcher<'a> {
    clusters: Clusters<'a>,
    id: &'a str,
    /// When the newest data this waiter has seen was requested.
    seen_up_to: Mutex<Instant>,
    _registration: Registration<'a>,
}

impl<'a> ListWatcher<'a> {
    pub(super) fn new(clusters: Clusters<'a>, id: &'a str) -> Self {
        ListWatcher {
            clusters,
            id,
            seen_up_to: Mutex::new(Instant::now()),
            _registration: clusters.client.cluster_watch().register(),
        }
    }

    /// The cluster (`None` when it does not exist, or not yet) as of a read requested strictly
    /// after the newest one this waiter has seen.
    pub(super) async fn read(&self) -> Result<Option<Cluster>, ApiError> {
        let since = *lock(&self.seen_up_to);
        let (cluster, requested_at) = self.observe(since).await?;
        *lock(&self.seen_up_to) = requested_at;
        Ok(cluster)
    }

    async fn observe(&self, since: Instant) -> Result<(Option<Cluster>, Instant), ApiError> {
        let watch = self.clusters.client.cluster_watch();
        if let Some(snapshot) = watch.newer_than(since) {
            return snapshot.find(self.id);
        }
        if watch.waiters() <= 1 {
            let requested_at = Instant::now();
            let cluster = self.clusters.get(self.id).await.found()?;
            return Ok((cluster, requested_at));
        }
        let _fetching = watch.fetch.lock().await;
        if let Some(snapshot) = watch.newer_than(since) {
            return snapshot.find(self.id);
        }
        let sent_at = Instant::now();
        let result = self.clusters.list(None).await;
        let snapshot = Arc::new(Snapshot { sent_at, result });
        watch.publish(Arc::clone(&snapshot));
        snapshot.find(self.id)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

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
}
