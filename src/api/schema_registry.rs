//! A Kafka cluster's schema registry (`/v2/databases/{id}/schema-registry`): subjects and
//! their versions.

use super::models::schema_registry::{CreateSchemaRequest, KafkaSchema};
use super::safe_create::{create_or_adopt, Created};
use super::send::{segment, Request};
use super::{ApiError, Client, Found};

impl Client {
    /// The schema registry of Kafka cluster `cluster_id`.
    pub fn schema_registry<'a>(&'a self, cluster_id: &'a str) -> SchemaRegistry<'a> {
        SchemaRegistry {
            client: self,
            cluster_id,
        }
    }
}

/// Schema registry calls; see [`Client::schema_registry`].
#[derive(Debug, Clone, Copy)]
pub struct SchemaRegistry<'a> {
    client: &'a Client,
    cluster_id: &'a str,
}

impl SchemaRegistry<'_> {
    fn path(&self, subject: Option<&str>) -> Result<String, ApiError> {
        let mut path = format!(
            "/v2/databases/{}/schema-registry",
            segment("cluster id", self.cluster_id)?
        );
        if let Some(subject) = subject {
            path.push('/');
            path.push_str(&segment("subject name", subject)?);
        }
        Ok(path)
    }

    /// `GET …/schema-registry/{subject}`: the subject's latest version.
    pub async fn get(self, subject: &str) -> Result<KafkaSchema, ApiError> {
        self.client
            .execute(Request::get(self.path(Some(subject))?))
            .await?
            .whole()
    }

    /// `GET …/schema-registry/{subject}/versions/{version}`.
    pub async fn get_version(self, subject: &str, version: &str) -> Result<KafkaSchema, ApiError> {
        let path = format!(
            "{}/versions/{}",
            self.path(Some(subject))?,
            segment("version", version)?
        );
        self.client.execute(Request::get(path)).await?.whole()
    }

    /// `POST …/schema-registry` → 201: registers the schema under the subject (a new subject,
    /// or the subject's next version; a schema the subject already has answers that version).
    /// Registering the same schema twice changes nothing, so after an ambiguous failure the
    /// subject is read and adopted when its latest version holds this schema.
    pub async fn register(self, request: &CreateSchemaRequest) -> Result<KafkaSchema, ApiError> {
        let post = Request::post(self.path(None)?).json(request)?;
        let lookup = || async {
            Ok(self
                .get(&request.subject_name)
                .await
                .found()?
                .filter(|latest| latest.schema.as_deref() == Some(request.schema.as_str())))
        };
        match create_or_adopt(self.client, post, "the schema", lookup).await? {
            Created::Replied(reply) => reply.whole(),
            Created::Found(found) => Ok(found),
        }
    }

    /// `DELETE …/schema-registry/{subject}` → 204: the subject and every version of it.
    pub async fn delete(self, subject: &str) -> Result<(), ApiError> {
        self.client
            .execute(Request::delete(self.path(Some(subject))?))
            .await?;
        Ok(())
    }
}
