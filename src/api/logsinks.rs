//! A cluster's log sinks (`/v2/databases/{id}/logsink[/{logsink_id}]`).
//!
//! The contract's answers differ by operation, and the client follows them: create answers
//! 201 `{"sink": …}`, get answers the sink itself (no envelope), list `{"sinks": […]}`, and
//! update and delete 200 without a body.

use super::models::logsink::{CreateLogSinkRequest, LogSink, UpdateLogSinkRequest};
use super::safe_create::create_and_describe;
use super::send::{segment, Request};
use super::{ApiError, Client};

impl Client {
    /// The cluster's log sinks.
    pub fn logsinks<'a>(&'a self, cluster_id: &'a str) -> LogSinks<'a> {
        LogSinks {
            client: self,
            cluster_id,
        }
    }
}

/// Log sink calls; see [`Client::logsinks`].
#[derive(Debug, Clone, Copy)]
pub struct LogSinks<'a> {
    client: &'a Client,
    cluster_id: &'a str,
}

impl LogSinks<'_> {
    fn path(&self, sink_id: Option<&str>) -> Result<String, ApiError> {
        let mut path = format!(
            "/v2/databases/{}/logsink",
            segment("cluster id", self.cluster_id)?
        );
        if let Some(sink_id) = sink_id {
            path.push('/');
            path.push_str(&segment("log sink id", sink_id)?);
        }
        Ok(path)
    }

    /// `GET …/logsink` → `{sinks}`.
    pub async fn list(self) -> Result<Vec<LogSink>, ApiError> {
        self.client
            .execute(Request::get(self.path(None)?))
            .await?
            .list("sinks")
    }

    /// `GET …/logsink/{logsink_id}` → the sink, not enveloped.
    pub async fn get(self, sink_id: &str) -> Result<LogSink, ApiError> {
        self.client
            .execute(Request::get(self.path(Some(sink_id))?))
            .await?
            .whole()
    }

    /// The sink named `name`, if there is one: sinks are addressed by ID, and names are
    /// unique within a cluster.
    pub async fn find_by_name(self, name: &str) -> Result<Option<LogSink>, ApiError> {
        Ok(self
            .list()
            .await?
            .into_iter()
            .find(|sink| sink.sink_name == name))
    }

    /// `POST …/logsink` → 201 `{sink}`. Never re-sent blindly: after an ambiguous failure the
    /// sink is looked up by name (the API keeps names unique per cluster), and only its
    /// absence lets the POST go again.
    pub async fn create(self, request: &CreateLogSinkRequest) -> Result<LogSink, ApiError> {
        let post = Request::post(self.path(None)?).json(request)?;
        let lookup = || async {
            match self.find_by_name(&request.sink_name).await {
                Err(error) if error.is_not_found() => Ok(None),
                other => other,
            }
        };
        create_and_describe(self.client, post, "the log sink", "sink", lookup).await
    }

    /// `PUT …/logsink/{logsink_id}` `{config}` → 200 without a body. The configuration
    /// replaces the old one as a whole, so every setting (secrets included) is sent each time.
    pub async fn update(
        self,
        sink_id: &str,
        request: &UpdateLogSinkRequest,
    ) -> Result<(), ApiError> {
        self.client
            .execute(Request::put(self.path(Some(sink_id))?).json(request)?)
            .await?;
        Ok(())
    }

    /// `DELETE …/logsink/{logsink_id}` → 200 without a body.
    pub async fn delete(self, sink_id: &str) -> Result<(), ApiError> {
        self.client
            .execute(Request::delete(self.path(Some(sink_id))?))
            .await?;
        Ok(())
    }
}
