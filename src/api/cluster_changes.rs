//! Changes to a cluster and to its children (pools, topics, firewall rules): one change per
//! cluster at a time, retried while the API says the cluster is busy or not ready yet; and
//! the read of a parent cluster that may have been created moments ago.
//!
//! The API refuses overlapping changes to one cluster (412, or a 409/422 saying it is busy), and
//! a single apply often makes many at once: ten pools, a topic, the firewall and a resize on the
//! same cluster. Taking turns per cluster inside the client turns that into an orderly queue
//! instead of a storm of refused requests, and clusters still change in parallel. The turn
//! table belongs to the [`Client`], so every clone of it (every resource of a provider run)
//! queues on the same turns.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::ErrorKind;
use super::models::Cluster;
use super::wait::{PollSchedule, WaitError};
use super::{ApiError, Client};

/// Phrases the API uses when a cluster cannot take a change right now (still provisioning,
/// under maintenance, or handling another change). Matched in lower case.
const BUSY_PHRASES: [&str; 11] = [
    "busy",
    "not ready",
    "not yet ready",
    "transient",
    "maintenance",
    "provisioning",
    "in progress",
    "undergoing",
    "try again",
    "another operation",
    "still being",
];

/// How long a cluster that answers 404 is given to appear before it is called missing: a
/// cluster created moments ago in the same run may not be readable everywhere yet.
const APPEARANCE_GRACE: Duration = Duration::from_secs(10);

impl ApiError {
    /// Whether the API refused a change only because the cluster is busy or not ready yet, so
    /// that the same request will succeed later. A 412 always means that; a 409 or 422 only
    /// with one of [`BUSY_PHRASES`] (a 422 is otherwise a real validation error, such as a
    /// taken name).
    pub fn is_busy(&self) -> bool {
        if self.kind != ErrorKind::Invalid {
            return false;
        }
        match self.status() {
            Some(412) => true,
            Some(409 | 422) => {
                let message = self.message().to_ascii_lowercase();
                BUSY_PHRASES.iter().any(|phrase| message.contains(phrase))
            }
            _ => false,
        }
    }
}

/// One turn-taking lock per cluster (lower-cased ID), shared by every clone of a client.
#[derive(Debug, Default)]
pub(crate) struct ClusterTurns(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

/// A provider run's turn to change one cluster: other changes to it wait until this is dropped.
#[derive(Debug)]
#[must_use = "the turn ends as soon as it is dropped"]
pub struct ClusterTurn {
    _guard: OwnedMutexGuard<()>,
}

impl Client {
    /// Waits for the turn to change cluster `cluster_id`; the turn lasts as long as the value.
    /// For a change made of several requests and waits (a cluster update) that must not be
    /// interleaved with changes to the cluster's children.
    pub async fn cluster_turn(&self, cluster_id: &str) -> ClusterTurn {
        let lock = self
            .inner
            .cluster_turns
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(cluster_id.to_ascii_lowercase())
            .or_default()
            .clone();
        ClusterTurn {
            _guard: lock.lock_owned().await,
        }
    }

    /// Sends a change to cluster `cluster_id` in its turn (see the module docs), retrying while
    /// the cluster is busy (see [`retry_while_busy`]). Waiting for the turn honours `deadline`
    /// and `cancel`.
    pub async fn change_cluster<T, F, Fut>(
        &self,
        cluster_id: &str,
        schedule: &PollSchedule,
        deadline: Instant,
        cancel: &CancellationToken,
        what: &str,
        send: F,
    ) -> Result<T, WaitError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let started = Instant::now();
        let _turn = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(WaitError::Cancelled),
            turn = self.cluster_turn(cluster_id) => turn,
            _ = tokio::time::sleep_until(deadline) => {
                return Err(WaitError::Timeout {
                    waited: started.elapsed(),
                    last: Some("waiting for other changes to the same cluster to finish".to_string()),
                })
            }
        };
        retry_while_busy(schedule, deadline, cancel, what, send).await
    }

    /// Reads the parent cluster of a pool, topic or firewall, riding out the 404s an eventually
    /// consistent API gives for a cluster created moments ago; a 404 that lasts longer than
    /// [`APPEARANCE_GRACE`] (or a cancellation) is returned as it is.
    pub async fn get_parent_cluster(
        &self,
        cluster_id: &str,
        schedule: &PollSchedule,
        cancel: &CancellationToken,
    ) -> Result<Cluster, ApiError> {
        let give_up = Instant::now() + APPEARANCE_GRACE;
        let mut retries = 0u32;
        loop {
            match self.clusters().get(cluster_id).await {
                Err(error) if error.is_not_found() => {
                    let wait = schedule.interval(retries);
                    if Instant::now() + wait >= give_up || cancel.is_cancelled() {
                        return Err(error);
                    }
                    tokio::select! {
                        biased;
                        _ = cancel.cancelled() => return Err(error),
                        _ = tokio::time::sleep(wait) => {}
                    }
                    retries = retries.saturating_add(1);
                }
                other => return other,
            }
        }
    }
}

/// Sends a change, retrying while the cluster answers that it is busy or not ready, at the
/// doubling intervals of `schedule`, until `deadline` or `cancel`.
///
/// This is deliberately not [`poll_until`](super::wait::poll_until): a change must never be
/// abandoned while in flight (a `POST` cut off mid-way may still create the object), and an
/// error the client already retried (429, 5xx, transport) ends the attempt instead of being
/// sent again blindly.
pub async fn retry_while_busy<T, F, Fut>(
    schedule: &PollSchedule,
    deadline: Instant,
    cancel: &CancellationToken,
    what: &str,
    mut send: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let started = Instant::now();
    let mut retries = 0u32;
    loop {
        let error = match send().await {
            Ok(done) => return Ok(done),
            Err(error) if error.is_busy() => error,
            Err(error) => return Err(WaitError::Api(error)),
        };
        let wait = schedule.interval(retries);
        if Instant::now() + wait >= deadline {
            return Err(WaitError::Timeout {
                waited: started.elapsed(),
                last: Some(format!("the cluster was still busy: {error}")),
            });
        }
        tracing::info!(
            what,
            status = error.status().unwrap_or_default(),
            wait_ms = wait.as_millis() as u64,
            "the cluster is busy or not ready; retrying"
        );
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(WaitError::Cancelled),
            _ = tokio::time::sleep(wait) => {}
        }
        retries = retries.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::api::ClientConfig;

    fn invalid(status: u16, message: &str) -> ApiError {
        ApiError::from_status("POST", "/v2/databases/x/pools", status, "error", message)
    }

    #[test]
    fn busy_answers_are_told_apart_from_real_errors() {
        assert!(invalid(412, "precondition failed").is_busy());
        assert!(invalid(409, "cluster is busy with another operation").is_busy());
        assert!(invalid(422, "cluster is not ready to accept connection pools yet").is_busy());
        assert!(invalid(
            409,
            "update cluster cannot be performed. Reason: cluster is undergoing maintenance"
        )
        .is_busy());
        assert!(!invalid(422, "pool name is not available").is_busy());
        assert!(!invalid(400, "cluster is busy").is_busy());
        assert!(!ApiError::from_status("GET", "/", 404, "not_found", "busy").is_busy());
    }

    fn quick() -> PollSchedule {
        PollSchedule {
            first: Duration::from_millis(1),
            max_interval: Duration::from_millis(4),
        }
    }

    fn client() -> Client {
        Client::new(ClientConfig {
            endpoint: "http://127.0.0.1:9".into(),
            token: "t".into(),
            ..ClientConfig::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn busy_answers_are_retried_until_the_change_goes_through() {
        let mut attempts = 0;
        let deadline = Instant::now() + Duration::from_secs(30);
        let cancel = CancellationToken::new();
        let result = retry_while_busy(&quick(), deadline, &cancel, "test", || {
            attempts += 1;
            let answer = if attempts < 3 {
                Err(invalid(412, "cluster not ready"))
            } else {
                Ok(attempts)
            };
            async move { answer }
        })
        .await;
        assert_eq!(result.unwrap(), 3);
    }

    #[tokio::test]
    async fn other_errors_end_the_retries_at_once() {
        let mut attempts = 0;
        let deadline = Instant::now() + Duration::from_secs(30);
        let cancel = CancellationToken::new();
        let result: Result<(), WaitError> =
            retry_while_busy(&quick(), deadline, &cancel, "test", || {
                attempts += 1;
                async { Err(invalid(422, "pool name is not available")) }
            })
            .await;
        assert!(matches!(result, Err(WaitError::Api(_))));
        assert_eq!(attempts, 1);
    }

    #[tokio::test]
    async fn a_cluster_busy_past_the_deadline_times_out_with_its_last_answer() {
        let deadline = Instant::now() + Duration::from_millis(20);
        let cancel = CancellationToken::new();
        let result: Result<(), WaitError> =
            retry_while_busy(&quick(), deadline, &cancel, "test", || async {
                Err(invalid(412, "cluster is undergoing maintenance"))
            })
            .await;
        match result {
            Err(WaitError::Timeout {
                last: Some(last), ..
            }) => assert!(last.contains("undergoing maintenance"), "{last}"),
            other => panic!("expected a timeout, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn changes_to_one_cluster_take_turns() {
        let client = client();
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let deadline = Instant::now() + Duration::from_secs(30);
        let cancel = CancellationToken::new();
        let changes = (0..8).map(|i| {
            // Clones share the turns, and IDs are compared without case.
            let (client, in_flight, most) = (client.clone(), in_flight.clone(), most.clone());
            let cancel = &cancel;
            let cluster = if i % 2 == 0 { "A" } else { "a" };
            async move {
                client
                    .change_cluster(cluster, &quick(), deadline, cancel, "test", || {
                        let (in_flight, most) = (in_flight.clone(), most.clone());
                        async move {
                            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            tokio::task::yield_now().await;
                            tokio::time::sleep(Duration::from_millis(2)).await;
                            in_flight.fetch_sub(1, Ordering::SeqCst);
                            Ok::<_, ApiError>(())
                        }
                    })
                    .await
            }
        });
        for result in futures::future::join_all(changes).await {
            result.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn waiting_for_a_turn_ends_at_the_deadline_or_on_cancellation() {
        let client = client();
        let _held = client.cluster_turn("c1").await;
        // Sent without its turn, the change would end the wait with this error instead.
        let never_sent = || async { Err::<(), _>(invalid(400, "sent without its turn")) };

        let cancel = CancellationToken::new();
        let deadline = Instant::now() + Duration::from_millis(20);
        let timed_out = client
            .change_cluster("c1", &quick(), deadline, &cancel, "test", never_sent)
            .await;
        match timed_out {
            Err(WaitError::Timeout {
                last: Some(last), ..
            }) => assert!(last.contains("other changes to the same cluster"), "{last}"),
            other => panic!("expected a timeout, got {other:?}"),
        }

        cancel.cancel();
        let far = Instant::now() + Duration::from_secs(30);
        let cancelled = client
            .change_cluster("c1", &quick(), far, &cancel, "test", never_sent)
            .await;
        assert!(matches!(cancelled, Err(WaitError::Cancelled)));

        let other_cluster = client
            .change_cluster(
                "c2",
                &quick(),
                far,
                &CancellationToken::new(),
                "test",
                || async { Ok::<_, ApiError>("sent") },
            )
            .await;
        assert_eq!(other_cluster.unwrap(), "sent");
    }
}
