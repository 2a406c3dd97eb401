//! Online migration into a cluster (`/v2/databases/{id}/online-migration`): start one, read
//! the most recent one, stop one.

use super::models::migration::{OnlineMigration, StartMigrationRequest};
use super::safe_create::{create_or_adopt, Created};
use super::send::{segment, Request};
use super::{ApiError, Client, Found};

impl Client {
    /// The online migration calls of cluster `cluster_id`.
    pub fn online_migration<'a>(&'a self, cluster_id: &'a str) -> OnlineMigrations<'a> {
        OnlineMigrations {
            client: self,
            cluster_id,
        }
    }
}

/// Online migration calls; see [`Client::online_migration`].
#[derive(Debug, Clone, Copy)]
pub struct OnlineMigrations<'a> {
    client: &'a Client,
    cluster_id: &'a str,
}

impl OnlineMigrations<'_> {
    fn path(&self) -> Result<String, ApiError> {
        Ok(format!(
            "/v2/databases/{}/online-migration",
            segment("cluster id", self.cluster_id)?
        ))
    }

    /// `GET …/online-migration`: the cluster's most recent migration (404 when it never had
    /// one).
    pub async fn get(self) -> Result<OnlineMigration, ApiError> {
        self.client
            .execute(Request::get(self.path()?))
            .await?
            .whole()
    }

    /// `PUT …/online-migration` → 200 with the new migration. Starting is not repeated
    /// blindly: after an ambiguous failure the latest migration is read, and one other than
    /// `previous` (the migration known before the start) is the one this call started.
    pub async fn start(
        self,
        request: &StartMigrationRequest,
        previous: Option<&str>,
    ) -> Result<OnlineMigration, ApiError> {
        let mut put = Request::put(self.path()?).json(request)?;
        put.idempotent = false;
        let lookup = || async {
            Ok(self
                .get()
                .await
                .found()?
                .filter(|latest| Some(latest.id.as_str()) != previous && latest.in_progress()))
        };
        match create_or_adopt(self.client, put, "the online migration", lookup).await? {
            Created::Replied(reply) => reply.whole(),
            Created::Found(found) => Ok(found),
        }
    }

    /// `DELETE …/online-migration/{migration_id}` → 204: stops a migration in progress.
    pub async fn stop(self, migration_id: &str) -> Result<(), ApiError> {
        let path = format!(
            "{}/{}",
            self.path()?,
            segment("migration id", migration_id)?
        );
        self.client.execute(Request::delete(path)).await?;
        Ok(())
    }
}
