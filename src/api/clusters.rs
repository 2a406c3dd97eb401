//! `client.clusters()`: database clusters and their cluster-level settings. The waits
//! (`clusters().wait(id, conditions::online(), …)` and the like) live in [`super::wait`].

use serde_json::{json, Map, Value};

use super::models::{
    Autoscale, Ca, Cluster, CreateClusterRequest, MaintenanceWindowRequest, MigrateRequest,
    ResizeRequest,
};
use super::safe_create::create_and_describe;
use super::send::{segment, Request};
use super::{ApiError, Client};

/// Cluster calls; see [`Client::clusters`].
#[derive(Debug, Clone, Copy)]
pub struct Clusters<'a> {
    pub(crate) client: &'a Client,
}

impl Client {
    /// Database clusters (`/v2/databases`).
    pub fn clusters(&self) -> Clusters<'_> {
        Clusters { client: self }
    }
}

/// `/v2/databases/{id}` plus `rest`.
fn cluster_path(id: &str, rest: &str) -> Result<String, ApiError> {
    Ok(format!(
        "/v2/databases/{}{rest}",
        segment("cluster id", id)?
    ))
}

impl Clusters<'_> {
    /// `GET /v2/databases[?tag_name=…]`: every cluster (the API does not paginate), or those
    /// carrying `tag_name`. An empty tag name means no filter.
    pub async fn list(self, tag_name: Option<&str>) -> Result<Vec<Cluster>, ApiError> {
        let mut request = Request::get("/v2/databases".to_string());
        if let Some(tag) = tag_name.filter(|t| !t.is_empty()) {
            request = request.query("tag_name", tag);
        }
        self.client.execute(request).await?.list("databases")
    }

    /// `GET /v2/databases/{id}`.
    pub async fn get(self, id: &str) -> Result<Cluster, ApiError> {
        self.client
            .execute(Request::get(cluster_path(id, "")?))
            .await?
            .field("database")
    }

    /// The cluster named `name`, if any. Names are unique per account; the API has no name
    /// filter, so this lists every cluster.
    pub async fn find_by_name(self, name: &str) -> Result<Option<Cluster>, ApiError> {
        Ok(self.list(None).await?.into_iter().find(|c| c.name == name))
    }

    /// `POST /v2/databases` → 201 `{database}` (status `creating`).
    ///
    /// Never re-sent blindly: after an ambiguous failure (5xx, timeout, lost response) the
    /// clusters are listed, and a cluster with the requested name, engine and region is
    /// returned as the one this call created. Only if there is none is the POST sent again,
    /// within the retry budget. A same-named cluster with another engine or region is not
    /// adopted; the resent POST then fails with the API's own "name taken" error. A "name
    /// taken" answer to a resent POST is itself checked against a fresh lookup, since the first
    /// POST may have completed in between (see [`create_or_adopt`]).
    pub async fn create(self, request: &CreateClusterRequest) -> Result<Cluster, ApiError> {
        if request.name.is_empty() {
            return Err(ApiError::config("the cluster name is empty"));
        }
        let post = Request::post("/v2/databases".to_string()).json(request)?;
        let lookup = || async {
            let found = self.find_by_name(&request.name).await?;
            Ok(found.filter(|c| c.engine == request.engine && c.region == request.region))
        };
        create_and_describe(self.client, post, "the cluster", "database", lookup).await
    }

    /// `DELETE /v2/databases/{id}` → 204. The cluster disappears asynchronously; see
    /// `wait` with `conditions::gone()`.
    pub async fn delete(self, id: &str) -> Result<(), ApiError> {
        self.client
            .execute(Request::delete(cluster_path(id, "")?))
            .await?;
        Ok(())
    }

    /// `PUT …/resize` → 202; the cluster goes `resizing`, then back to `online`.
    pub async fn resize(self, id: &str, request: &ResizeRequest) -> Result<(), ApiError> {
        self.put(id, "/resize", request).await
    }

    /// `PUT …/migrate` → 202; the cluster goes `migrating`, then back to `online`.
    pub async fn migrate(self, id: &str, request: &MigrateRequest) -> Result<(), ApiError> {
        self.put(id, "/migrate", request).await
    }

    /// `PUT …/upgrade` `{version}` → 204: major version upgrade.
    pub async fn upgrade(self, id: &str, version: &str) -> Result<(), ApiError> {
        self.put(id, "/upgrade", &json!({ "version": version }))
            .await
    }

    /// `PUT …/maintenance` `{day, hour}` → 204.
    pub async fn set_maintenance_window(
        self,
        id: &str,
        window: &MaintenanceWindowRequest,
    ) -> Result<(), ApiError> {
        self.put(id, "/maintenance", window).await
    }

    /// `GET …/eviction_policy` (Caching/Valkey clusters), e.g. `allkeys_lru`.
    pub async fn get_eviction_policy(self, id: &str) -> Result<String, ApiError> {
        self.get_field(id, "/eviction_policy", "eviction_policy")
            .await
    }

    /// `PUT …/eviction_policy` → 204.
    pub async fn set_eviction_policy(self, id: &str, policy: &str) -> Result<(), ApiError> {
        self.put(
            id,
            "/eviction_policy",
            &json!({ "eviction_policy": policy }),
        )
        .await
    }

    /// `GET …/sql_mode` (MySQL clusters): comma-separated modes.
    pub async fn get_sql_mode(self, id: &str) -> Result<String, ApiError> {
        self.get_field(id, "/sql_mode", "sql_mode").await
    }

    /// `PUT …/sql_mode` → 204.
    pub async fn set_sql_mode(self, id: &str, sql_mode: &str) -> Result<(), ApiError> {
        self.put(id, "/sql_mode", &json!({ "sql_mode": sql_mode }))
            .await
    }

    /// `GET …/config`: the engine's advanced configuration, as the API sends it.
    pub async fn get_config(self, id: &str) -> Result<Map<String, Value>, ApiError> {
        let reply = self
            .client
            .execute(Request::get(cluster_path(id, "/config")?))
            .await?;
        Ok(reply.optional_field("config")?.unwrap_or_default())
    }

    /// `PATCH …/config` `{config}` → 200 with an empty body. Only the given keys change.
    pub async fn patch_config(self, id: &str, config: &Map<String, Value>) -> Result<(), ApiError> {
        let request =
            Request::patch(cluster_path(id, "/config")?).json(&json!({ "config": config }))?;
        self.client.execute(request).await?;
        Ok(())
    }

    /// `GET …/ca`: the CA certificate, base64 as sent.
    pub async fn get_ca(self, id: &str) -> Result<Ca, ApiError> {
        self.get_field(id, "/ca", "ca").await
    }

    /// `GET …/autoscale`; a response without settings reads as the default (nothing set).
    pub async fn get_autoscale(self, id: &str) -> Result<Autoscale, ApiError> {
        let reply = self
            .client
            .execute(Request::get(cluster_path(id, "/autoscale")?))
            .await?;
        Ok(reply.optional_field("autoscale")?.unwrap_or_default())
    }

    /// `PUT …/autoscale` `{storage: {…}}` → 204.
    pub async fn set_autoscale(self, id: &str, autoscale: &Autoscale) -> Result<(), ApiError> {
        self.put(id, "/autoscale", autoscale).await
    }

    async fn get_field<T: serde::de::DeserializeOwned>(
        self,
        id: &str,
        rest: &str,
        key: &str,
    ) -> Result<T, ApiError> {
        self.client
            .execute(Request::get(cluster_path(id, rest)?))
            .await?
            .field(key)
    }

    async fn put(self, id: &str, rest: &str, body: &impl serde::Serialize) -> Result<(), ApiError> {
        self.client
            .execute(Request::put(cluster_path(id, rest)?).json(body)?)
            .await?;
        Ok(())
    }
}
