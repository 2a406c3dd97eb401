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
//! - Otherwise, if other waiters are registered, the check joins a *round*: one list for every
//!   check due soon. Each waiter tells the watch when its next check is due before it sleeps
//!   (`plan`), so the first check of a round knows which others follow: the round's list is
//!   requested when the last check due within half the interval of the first one is due (or
//!   at once, when none is). The checks of the round sleep until then, the first to take the
//!   fetch lock lists the clusters and publishes the snapshot (errors included, so one failing
//!   list is not repeated by every waiter), the others find it.
//! - A waiter alone uses `GET /v2/databases/{id}`, which is cheaper than a list.
//!
//! Waiters on similar schedules therefore share one list per polling round, whatever their
//! number, and that list is requested after every check of the round was due, not before some
//! of them: clusters created together (Terraform's parallel creates) become ready moments
//! apart, and a list requested when the first of their checks is due would show only the
//! first one ready, leaving the others to wait out a whole interval more. Rounds are at least
//! an interval apart (a new one starts only when a check finds no list newer than its previous
//! check), so the list rate stays at most one per interval whatever the number of waiters;
//! a check waits at most half its interval for the others. A cluster absent from the list
//! reads like a 404 (`None`). The snapshot holds connection secrets, so it is dropped as soon
//! as the last waiter ends.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::{sleep_until, Instant};

use crate::api::models::Cluster;
use crate::api::{ApiError, Clusters, Found};

/// The cluster list shared by concurrent cluster waits (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct ClusterListWatch {
    state: Mutex<WatchState>,
    /// Held while a list is being fetched, so that concurrent waiters fetch once.
    fetch: tokio::sync::Mutex<()>,
}

/// A check waits for the other checks due within `1 / ROUND_DIVISOR` of its interval after it,
/// so that they share one list.
const ROUND_DIVISOR: u32 = 2;

#[derive(Debug, Default)]
struct WatchState {
    waiters: usize,
    /// Key of the next registration.
    next_key: u64,
    /// When each registered waiter's next check is due (once it has planned one), by key.
    due: BTreeMap<u64, Instant>,
    /// When the list of the current or next round is requested, once a check has set it.
    round: Option<Instant>,
    latest: Option<Arc<Snapshot>>,
}

impl WatchState {
    /// When a check due at `due` that may wait up to `window` lists the clusters: at the round
    /// already set within that span, else at the latest check of another waiter due within it
    /// (at `due` itself when there is none), which becomes the round.
    fn round_for(&mut self, due: Instant, window: Duration) -> Instant {
        let span: RangeInclusive<Instant> = due..=due + window;
        if let Some(round) = self.round.filter(|round| span.contains(round)) {
            return round;
        }
        let round = self
            .due
            .values()
            .copied()
            .filter(|other| span.contains(other))
            .max()
            .unwrap_or(due)
            .max(due);
        // A round set for later than this one is for other checks; theirs is kept unless this
        // one comes first (checks due between the two join the earlier one).
        if self.round.map_or(true, |set| set < due || set > round) {
            self.round = Some(round);
        }
        round
    }
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
        let mut state = self.lock();
        state.waiters += 1;
        let key = state.next_key;
        state.next_key = state.next_key.wrapping_add(1);
        Registration { watch: self, key }
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
struct Registration<'a> {
    watch: &'a ClusterListWatch,
    key: u64,
}

impl Registration<'_> {
    /// Tells the watch when this waiter's next check is due.
    fn plan(&self, due: Instant) {
        self.watch.lock().due.insert(self.key, due);
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut state = self.watch.lock();
        state.waiters = state.waiters.saturating_sub(1);
        state.due.remove(&self.key);
        if state.waiters == 0 {
            state.latest = None;
            state.round = None;
        }
    }
}

/// One cluster wait's reads through the watch: registered for as long as it lives.
pub(super) struct ListWatcher<'a> {
    clusters: Clusters<'a>,
    id: &'a str,
    /// When the newest data this waiter has seen was requested.
    seen_up_to: Mutex<Instant>,
    /// The next check: when it is due and how long it may wait for others due after it.
    next: Mutex<(Instant, Duration)>,
    registration: Registration<'a>,
}

impl<'a> ListWatcher<'a> {
    pub(super) fn new(clusters: Clusters<'a>, id: &'a str) -> Self {
        let now = Instant::now();
        ListWatcher {
            clusters,
            id,
            seen_up_to: Mutex::new(now),
            next: Mutex::new((now, Duration::ZERO)),
            registration: clusters.client.cluster_watch().register(),
        }
    }

    /// Notes that the next check is due at `due`, so that others due a little earlier wait
    /// for it and share its list. Its window is a fraction of the interval until then.
    pub(super) fn plan(&self, due: Instant) {
        let window = due.saturating_duration_since(Instant::now()) / ROUND_DIVISOR;
        *lock(&self.next) = (due, window);
        self.registration.plan(due);
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
        let (due, window) = *lock(&self.next);
        let round = watch.lock().round_for(due, window);
        sleep_until(round).await;
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

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_round_lists_when_the_last_check_due_within_the_window_is_due() {
        let watch = ClusterListWatch::default();
        let t0 = Instant::now();
        let waiters: Vec<_> = (0..4).map(|_| watch.register()).collect();
        // Four creates answered moments apart, then one due much later.
        for (waiter, due) in waiters.iter().zip([500, 520, 610, 900]) {
            waiter.plan(t0 + ms(due));
        }
        let mut state = watch.lock();
        assert_eq!(
            state.round_for(t0 + ms(500), ms(250)),
            t0 + ms(610),
            "the first check waits for the two due within a quarter second, not the fourth"
        );
        assert_eq!(state.round_for(t0 + ms(520), ms(250)), t0 + ms(610));
        assert_eq!(state.round_for(t0 + ms(610), ms(250)), t0 + ms(610));
        assert_eq!(
            state.round_for(t0 + ms(900), ms(250)),
            t0 + ms(900),
            "a check due after the round starts the next one, at once when it is alone"
        );
        assert_eq!(
            state.round_for(t0 + ms(900), Duration::ZERO),
            t0 + ms(900),
            "an immediate check lists at once"
        );
    }

    #[test]
    fn a_round_set_for_later_does_not_hold_back_an_earlier_check() {
        let watch = ClusterListWatch::default();
        let t0 = Instant::now();
        let slow = watch.register();
        let fast = watch.register();
        slow.plan(t0 + ms(4000));
        fast.plan(t0 + ms(1000));
        let mut state = watch.lock();
        // A check with a long interval waits for the one due 3 s after it.
        assert_eq!(state.round_for(t0 + ms(1000), ms(5000)), t0 + ms(4000));
        // One with a short interval does not: it starts the earlier round, which is kept.
        assert_eq!(state.round_for(t0 + ms(1000), ms(250)), t0 + ms(1000));
        assert_eq!(state.round, Some(t0 + ms(1000)));
        // A round too far ahead for a check's window is not joined.
        assert_eq!(state.round_for(t0 + ms(600), ms(100)), t0 + ms(600));
    }

    #[test]
    fn planned_checks_are_forgotten_with_their_waiter() {
        let watch = ClusterListWatch::default();
        let t0 = Instant::now();
        let first = watch.register();
        let second = watch.register();
        first.plan(t0 + ms(500));
        second.plan(t0 + ms(600));
        second.plan(t0 + ms(700));
        assert_eq!(watch.lock().due.len(), 2, "a new plan replaces the old one");
        drop(second);
        assert_eq!(
            watch.lock().round_for(t0 + ms(500), ms(250)),
            t0 + ms(500),
            "a check no longer waits for a waiter that has ended"
        );
        drop(first);
        let state = watch.lock();
        assert!(state.due.is_empty() && state.round.is_none() && state.waiters == 0);
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
