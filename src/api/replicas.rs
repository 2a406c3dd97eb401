//! `client.replicas(cluster_id)`: the read-only replicas of a PostgreSQL or MySQL cluster
//! (`/v2/databases/{id}/replicas[/{name}]`), and waiting for one to be online or gone.
//!
//! A replica is resized like a cluster of one node: `PUT /v2/databases/{replica_uuid}/resize`
//! with the replica's own UUID (the contract has no `…/replicas/{name}/resize`; the cluster
//! resize takes any database UUID, and DigitalOcean's own provider resizes replicas this way).

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::models::replica::CreateReplicaRequest;
use super::models::ResizeRequest;
use super::safe_create::create_and_describe;
use super::send::{segment, Request};
use super::wait::conditions::Removable;
use super::wait::{await_condition, Condition, Poll, PollSchedule, WaitError};
use super::{ApiError, Client, Found};

pub use super::models::replica::Replica;

impl Client {
    /// The read-only replicas of cluster `cluster_id`.
    pub fn replicas<'a>(&'a self, cluster_id: &'a str) -> Replicas<'a> {
        Replicas {
            client: self,
            cluster_id,
        }
    }
}

/// Replica calls; see [`Client::replicas`].
#[derive(Debug, Clone, Copy)]
pub struct Replicas<'a> {
    client: &'a Client,
    cluster_id: &'a str,
}

impl Replicas<'_> {
    fn path(&self, name: Option<&str>) -> Result<String, ApiError> {
        let mut path = format!(
            "/v2/databases/{}/replicas",
            segment("cluster id", self.cluster_id)?
        );
        if let Some(name) = name {
            path.push('/');
            path.push_str(&segment("replica name", name)?);
        }
        Ok(path)
    }

    /// `GET …/replicas`.
    pub async fn list(self) -> Result<Vec<Replica>, ApiError> {
        self.client
            .execute(Request::get(self.path(None)?))
            .await?
            .list("replicas")
    }

    /// `GET …/replicas/{name}`.
    pub async fn get(self, name: &str) -> Result<Replica, ApiError> {
        self.client
            .execute(Request::get(self.path(Some(name))?))
            .await?
            .field("replica")
    }

    /// `POST …/replicas` → 201 `{replica}` (status `forking`), with the connection's password
    /// (later answers may leave it out). Never re-sent blindly: after an ambiguous failure the
    /// replica is read by name, and only a 404 lets the POST go again.
    pub async fn create(self, request: &CreateReplicaRequest) -> Result<Replica, ApiError> {
        if request.name.is_empty() {
            return Err(ApiError::config("the replica name is empty"));
        }
        let post = Request::post(self.path(None)?).json(request)?;
        let lookup = || async { self.get(&request.name).await.found() };
        create_and_describe(self.client, post, "the replica", "replica", lookup).await
    }

    /// `PUT /v2/databases/{replica_id}/resize` `{size, num_nodes: 1, storage_size_mib?}` → 202;
    /// the replica goes `resizing`, then back to `online`. `num_nodes` is forced to 1: a
    /// replica is always a single node.
    pub async fn resize(self, replica_id: &str, request: &ResizeRequest) -> Result<(), ApiError> {
        let path = format!(
            "/v2/databases/{}/resize",
            segment("replica id", replica_id)?
        );
        let body = ResizeRequest {
            num_nodes: 1,
            ..request.clone()
        };
        self.client.execute(Request::put(path).json(&body)?).await?;
        Ok(())
    }

    /// `DELETE …/replicas/{name}` → 204.
    pub async fn delete(self, name: &str) -> Result<(), ApiError> {
        self.client
            .execute(Request::delete(self.path(Some(name))?))
            .await?;
        Ok(())
    }

    /// `PUT …/replicas/{name}/promote` → 204: the replica leaves its primary and becomes a
    /// cluster of its own, with the replica's UUID.
    pub async fn promote(self, name: &str) -> Result<(), ApiError> {
        let path = format!("{}/promote", self.path(Some(name))?);
        self.client.execute(Request::put(path)).await?;
        Ok(())
    }

    /// Waits until `condition` holds for replica `name`, e.g. [`online_and`] or
    /// `conditions::gone()`. A 404 reads as `None` (a new replica may not be readable at once).
    /// `immediate` checks at once instead of after the schedule's first interval (a delete is
    /// usually done by the time it is answered).
    pub async fn wait<C: Condition<Replica>>(
        self,
        name: &str,
        immediate: bool,
        condition: C,
        schedule: &PollSchedule,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<C::Output, WaitError> {
        let read = || async { self.get(name).await.found() };
        await_condition(schedule, deadline, cancel, immediate, read, condition).await
    }
}

/// The replica reports `online` and `requested` holds for it (it shows the size a resize asked
/// for), so that an `online` read taken before a resize has started is not mistaken for its
/// end. A replica not found counts as "not found yet".
pub fn online_and(
    requested: impl Fn(&Replica) -> bool,
) -> impl Condition<Replica, Output = Replica> {
    move |replica: Option<Replica>| match replica {
        Some(replica) if replica.is_online() && requested(&replica) => Poll::Ready(replica),
        Some(replica) => Poll::Pending(match replica.status.as_deref() {
            Some("online") => "online, but without the requested change yet".to_string(),
            Some(status) => status.to_string(),
            None => "no status reported".to_string(),
        }),
        None => Poll::Pending("not found yet".to_string()),
    }
}

impl Removable for Replica {
    fn still_present(&self) -> String {
        format!(
            "still present (status {})",
            self.status.as_deref().unwrap_or("unknown")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::wait::conditions;

    fn replica(status: Option<&str>, size: &str) -> Replica {
        Replica {
            name: "read-1".into(),
            status: status.map(str::to_string),
            size: Some(size.into()),
            ..Replica::default()
        }
    }

    fn pending<T: std::fmt::Debug>(poll: Poll<T>) -> String {
        match poll {
            Poll::Pending(state) => state,
            ready => panic!("expected the condition not to hold, got {ready:?}"),
        }
    }

    #[test]
    fn online_waits_for_the_status_and_the_requested_size() {
        let resized = online_and(|r: &Replica| r.size.as_deref() == Some("db-s-2vcpu-4gb"));
        assert!(matches!(
            resized.check(Some(replica(Some("online"), "db-s-2vcpu-4gb"))),
            Poll::Ready(_)
        ));
        assert_eq!(
            pending(resized.check(Some(replica(Some("online"), "db-s-1vcpu-2gb")))),
            "online, but without the requested change yet"
        );
        assert_eq!(
            pending(resized.check(Some(replica(Some("forking"), "db-s-2vcpu-4gb")))),
            "forking"
        );
        assert_eq!(
            pending(resized.check(Some(replica(None, "db-s-2vcpu-4gb")))),
            "no status reported"
        );
        assert_eq!(pending(resized.check(None)), "not found yet");
    }

    #[test]
    fn gone_holds_once_the_replica_cannot_be_read() {
        assert_eq!(
            Condition::<Replica>::check(&conditions::gone(), None),
            Poll::Ready(())
        );
        assert_eq!(
            pending(conditions::gone().check(Some(replica(Some("online"), "x")))),
            "still present (status online)"
        );
    }
}
