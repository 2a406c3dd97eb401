//! Changes to a cluster's children (pools, topics, firewall rules) and to the cluster itself go
//! through here: one change per cluster at a time, retried while the API says the cluster is
//! busy or not ready yet.
//!
//! The API refuses overlapping changes to one cluster (412, or a 409/422 saying it is busy), and
//! a single apply often makes many at once: ten pools, a topic, the firewall and a resize on the
//! same cluster. Taking turns per cluster inside the provider turns that into an orderly queue
//! instead of a storm of refused requests, and clusters still change in parallel.

use std::future::Future;

use tokio::time::Instant;

use crate::api::wait::{PollSchedule, WaitError};
use crate::api::ApiError;
use crate::framework::stop::stop_token;
use crate::provider::ApiContext;

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

/// Whether the API refused a change only because the cluster is busy or not ready yet, so that
/// the same request will succeed later. A 412 always means that; a 409 or 422 only with one of
/// [`BUSY_PHRASES`] (a 422 is otherwise a real validation error, such as a taken name).
pub fn is_busy(error: &ApiError) -> bool {
    let ApiError::Invalid {
        status, message, ..
    } = error
    else {
        return false;
    };
    let message = message.to_ascii_lowercase();
    match status {
        412 => true,
        409 | 422 => BUSY_PHRASES.iter().any(|phrase| message.contains(phrase)),
        _ => false,
    }
}

/// Sends a change, retrying while the cluster answers that it is busy or not ready, at the
/// doubling intervals of `schedule`, until `deadline` or a stop request.
///
/// This is deliberately not [`poll_until`]: a change must never be abandoned while in flight
/// (a `POST` cut off mid-way may still create the object), and an error the client already
/// retried (429, 5xx, transport) ends the attempt instead of being sent again blindly.
pub async fn retry_while_busy<T, F, Fut>(
    schedule: &PollSchedule,
    deadline: Instant,
    what: &str,
    mut send: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let started = Instant::now();
    let cancel = stop_token();
    let mut retries = 0u32;
    loop {
        let error = match send().await {
            Ok(done) => return Ok(done),
            Err(error) if is_busy(&error) => error,
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

/// Sends a change to cluster `cluster_id` in its turn (see the module docs), retrying while the
/// cluster is busy. Waiting for the turn honours the deadline and a stop request.
pub async fn change_cluster<T, F, Fut>(
    api: &ApiContext,
    cluster_id: &str,
    deadline: Instant,
    what: &str,
    send: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let started = Instant::now();
    let cancel = stop_token();
    let _turn = tokio::select! {
        biased;
        _ = cancel.cancelled() => return Err(WaitError::Cancelled),
        turn = api.cluster_turn(cluster_id) => turn,
        _ = tokio::time::sleep_until(deadline) => {
            return Err(WaitError::Timeout {
                waited: started.elapsed(),
                last: Some("waiting for other changes to the same cluster to finish".to_string()),
            })
        }
    };
    retry_while_busy(&api.poll, deadline, what, send).await
}

/// How long a cluster that answers 404 is given to appear before it is called missing: a
/// cluster created moments ago in the same run may not be readable everywhere yet.
const APPEARANCE_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads the parent cluster of a pool, topic or firewall, riding out the 404s an eventually
/// consistent API gives for a cluster created moments ago; a 404 that lasts longer than
/// [`APPEARANCE_GRACE`] (or a stop request) is returned as it is.
pub async fn get_parent_cluster(
    api: &ApiContext,
    cluster_id: &str,
) -> Result<crate::api::models::Cluster, ApiError> {
    let give_up = Instant::now() + APPEARANCE_GRACE;
    let cancel = stop_token();
    let mut retries = 0u32;
    loop {
        match api.client.clusters().get(cluster_id).await {
            Err(error) if error.is_not_found() => {
                let wait = api.poll.interval(retries);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    fn invalid(status: u16, message: &str) -> ApiError {
        ApiError::Invalid {
            method: "POST".into(),
            path: "/v2/databases/x/pools".into(),
            status,
            id: "error".into(),
            message: message.into(),
            request_id: None,
        }
    }

    #[test]
    fn busy_answers_are_told_apart_from_real_errors() {
        assert!(is_busy(&invalid(412, "precondition failed")));
        assert!(is_busy(&invalid(
            409,
            "cluster is busy with another operation"
        )));
        assert!(is_busy(&invalid(
            422,
            "cluster is not ready to accept connection pools yet"
        )));
        assert!(is_busy(&invalid(
            409,
            "update cluster cannot be performed. Reason: cluster is undergoing maintenance"
        )));
        assert!(!is_busy(&invalid(422, "pool name is not available")));
        assert!(!is_busy(&invalid(400, "cluster is busy")));
        assert!(!is_busy(&ApiError::NotFound {
            method: "GET".into(),
            path: "/".into(),
            message: "busy".into(),
            request_id: None,
        }));
    }

    fn quick() -> PollSchedule {
        PollSchedule {
            first: Duration::from_millis(1),
            max_interval: Duration::from_millis(4),
        }
    }

    #[tokio::test]
    async fn busy_answers_are_retried_until_the_change_goes_through() {
        let mut attempts = 0;
        let deadline = Instant::now() + Duration::from_secs(30);
        let result = retry_while_busy(&quick(), deadline, "test", || {
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
        let result: Result<(), WaitError> = retry_while_busy(&quick(), deadline, "test", || {
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
        let result: Result<(), WaitError> =
            retry_while_busy(&quick(), deadline, "test", || async {
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
        use crate::api::{Client, ClientConfig};
        let client = Client::new(ClientConfig {
            endpoint: "http://127.0.0.1:9".into(),
            token: "t".into(),
            ..ClientConfig::default()
        })
        .unwrap();
        let api = Arc::new(ApiContext::new(client, quick()));
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let deadline = Instant::now() + Duration::from_secs(30);
        let changes = (0..8).map(|i| {
            let (api, in_flight, most) = (api.clone(), in_flight.clone(), most.clone());
            let cluster = if i % 2 == 0 { "A" } else { "a" };
            async move {
                change_cluster(&api, cluster, deadline, "test", || {
                    let (in_flight, most) = (in_flight.clone(), most.clone());
                    async move {
                        let now = in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                        most.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        in_flight.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                        Ok::<_, ApiError>(())
                    }
                })
                .await
            }
        });
        for result in futures::future::join_all(changes).await {
            result.unwrap();
        }
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
