//! `client.engine_config(cluster_id)`: a cluster's engine configuration
//! (`GET/PATCH /v2/databases/{id}/config`).
//!
//! The contract types `config` as any one of the engines' schemas, with no marker of which:
//! the cluster's engine decides. The client therefore carries the settings as a JSON object
//! keyed by the API's setting names; the engine configuration resources type each setting from
//! their tables. A PATCH changes exactly the keys it sends (nested objects key by key), so a
//! caller sends only what it manages. Changes go through the cluster's turn
//! (`RequestContext::change_cluster`), like every other change to a cluster.

use serde_json::{json, Map, Value};

use super::send::{segment, Request};
use super::{ApiError, Client};

/// Engine configuration calls of one cluster; see [`Client::engine_config`].
#[derive(Debug, Clone, Copy)]
pub struct EngineConfig<'a> {
    client: &'a Client,
    cluster_id: &'a str,
}

impl Client {
    /// The engine configuration of cluster `cluster_id`.
    pub fn engine_config<'a>(&'a self, cluster_id: &'a str) -> EngineConfig<'a> {
        EngineConfig {
            client: self,
            cluster_id,
        }
    }
}

impl EngineConfig<'_> {
    fn path(&self) -> Result<String, ApiError> {
        Ok(format!(
            "/v2/databases/{}/config",
            segment("cluster id", self.cluster_id)?
        ))
    }

    /// `GET …/config` → 200 `{config}`: every setting the API reports (an answer without
    /// `config` reads as no settings).
    pub async fn get(self) -> Result<Map<String, Value>, ApiError> {
        let reply = self.client.execute(Request::get(self.path()?)).await?;
        Ok(reply.optional_field("config")?.unwrap_or_default())
    }

    /// `PATCH …/config` `{config: settings}` → 200 with an empty body. Only the given keys
    /// change; an empty `settings` sends nothing.
    pub async fn patch(self, settings: &Map<String, Value>) -> Result<(), ApiError> {
        if settings.is_empty() {
            return Ok(());
        }
        let request = Request::patch(self.path()?).json(&json!({ "config": settings }))?;
        self.client.execute(request).await?;
        Ok(())
    }
}
