//! The resources' way into the API client's per-cluster queue and busy retries
//! (`crate::api::Client::change_cluster` and friends): these wrappers supply what the client
//! must not know about, the provider's poll schedule and the stop token Terraform fires with
//! `StopProvider`.

use std::future::Future;

use tokio::time::Instant;

use crate::api::models::Cluster;
use crate::api::wait::{PollSchedule, WaitError};
use crate::api::ApiError;
use crate::framework::context::ApiContext;
use crate::framework::stop::stop_token;

/// See [`ApiError::is_busy`].
pub fn is_busy(error: &ApiError) -> bool {
    error.is_busy()
}

/// [`crate::api::retry_while_busy`], stopped when Terraform asks the provider to stop.
pub async fn retry_while_busy<T, F, Fut>(
    schedule: &PollSchedule,
    deadline: Instant,
    what: &str,
    send: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    crate::api::retry_while_busy(schedule, deadline, &stop_token(), what, send).await
}

/// Sends a change to cluster `cluster_id` in its turn, retrying while the cluster is busy
/// ([`crate::api::Client::change_cluster`] with the context's poll schedule and the stop token).
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
    api.client
        .change_cluster(cluster_id, &api.poll, deadline, &stop_token(), what, send)
        .await
}

/// Reads the parent cluster of a pool, topic or firewall, riding out the 404s of a cluster
/// created moments ago ([`crate::api::Client::get_parent_cluster`]).
pub async fn get_parent_cluster(api: &ApiContext, cluster_id: &str) -> Result<Cluster, ApiError> {
    api.client
        .get_parent_cluster(cluster_id, &api.poll, &stop_token())
        .await
}
