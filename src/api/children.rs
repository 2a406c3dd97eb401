//! Objects inside a cluster: connection pools, Kafka topics, firewall rules, users and
//! databases (`/v2/databases/{id}/…`).

use serde::Serialize;

use super::models::{
    CreatePoolRequest, CreateTopicRequest, CreateUserRequest, DatabaseUser, Db, FirewallRule, Pool,
    ResetUserAuthRequest, Topic, TopicSummary, UpdatePoolRequest, UpdateTopicRequest,
    UpdateUserRequest,
};
use super::safe_create::{create_and_describe, create_or_adopt, Created};
use super::send::{segment, Request};
use super::{ApiError, Client};

impl Client {
    /// PgBouncer connection pools of a PostgreSQL cluster.
    pub fn pools<'a>(&'a self, cluster_id: &'a str) -> Pools<'a> {
        Pools {
            client: self,
            cluster_id,
        }
    }

    /// Topics of a Kafka cluster.
    pub fn topics<'a>(&'a self, cluster_id: &'a str) -> Topics<'a> {
        Topics {
            client: self,
            cluster_id,
        }
    }

    /// The cluster's firewall rules (trusted sources).
    pub fn firewall<'a>(&'a self, cluster_id: &'a str) -> Firewall<'a> {
        Firewall {
            client: self,
            cluster_id,
        }
    }

    /// The cluster's database users.
    pub fn users<'a>(&'a self, cluster_id: &'a str) -> Users<'a> {
        Users {
            client: self,
            cluster_id,
        }
    }

    /// The cluster's logical databases.
    pub fn dbs<'a>(&'a self, cluster_id: &'a str) -> Dbs<'a> {
        Dbs {
            client: self,
            cluster_id,
        }
    }
}

/// `/v2/databases/{cluster_id}/{collection}[/{name}]`, with `what` naming `name` in errors.
fn child_path(
    cluster_id: &str,
    collection: &str,
    name: Option<(&str, &str)>,
) -> Result<String, ApiError> {
    let mut path = format!(
        "/v2/databases/{}/{collection}",
        segment("cluster id", cluster_id)?
    );
    if let Some((what, name)) = name {
        path.push('/');
        path.push_str(&segment(what, name)?);
    }
    Ok(path)
}

/// Turns a 404 into `None`.
fn found<T>(result: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Connection pool calls; see [`Client::pools`].
#[derive(Debug, Clone, Copy)]
pub struct Pools<'a> {
    client: &'a Client,
    cluster_id: &'a str,
}

impl Pools<'_> {
    fn path(&self, name: Option<&str>) -> Result<String, ApiError> {
        child_path(self.cluster_id, "pools", name.map(|n| ("pool name", n)))
    }

    /// `GET …/pools`.
    pub async fn list(self) -> Result<Vec<Pool>, ApiError> {
        self.client
            .execute(Request::get(self.path(None)?))
            .await?
            .list("pools")
    }

    /// `GET …/pools/{name}`.
    pub async fn get(self, name: &str) -> Result<Pool, ApiError> {
        self.client
            .execute(Request::get(self.path(Some(name))?))
            .await?
            .field("pool")
    }

    /// `POST …/pools` → 201 `{pool}`. Like cluster creation, never re-sent blindly: after an
    /// ambiguous failure the pool is read by name, and only a 404 lets the POST go again.
    pub async fn create(self, request: &CreatePoolRequest) -> Result<Pool, ApiError> {
        let post = Request::post(self.path(None)?).json(request)?;
        let lookup = || async { found(self.get(&request.name).await) };
        create_and_describe(self.client, post, "the connection pool", "pool", lookup).await
    }

    /// `PUT …/pools/{name}` → 204. `mode`, `size` and `db` are required on every update.
    pub async fn update(self, name: &str, request: &UpdatePoolRequest) -> Result<(), ApiError> {
        self.client
            .execute(Request::put(self.path(Some(name))?).json(request)?)
            .await?;
        Ok(())
    }

    /// `DELETE …/pools/{name}` → 204.
    pub async fn delete(self, name: &str) -> Result<(), ApiError> {
        self.client
            .execute(Request::delete(self.path(Some(name))?))
            .await?;
        Ok(())
    }
}

/// Kafka topic calls; see [`Client::topics`]. The wait for `active` is
/// `Topics::wait` with `conditions::active_and`, in [`super::wait`].
#[derive(Debug, Clone, Copy)]
pub struct Topics<'a> {
    pub(crate) client: &'a Client,
    pub(crate) cluster_id: &'a str,
}

impl Topics<'_> {
    fn path(&self, name: Option<&str>) -> Result<String, ApiError> {
        child_path(self.cluster_id, "topics", name.map(|n| ("topic name", n)))
    }

    /// `GET …/topics`.
    pub async fn list(self) -> Result<Vec<TopicSummary>, ApiError> {
        self.client
            .execute(Request::get(self.path(None)?))
            .await?
            .list("topics")
    }

    /// `GET …/topics/{name}`.
    pub async fn get(self, name: &str) -> Result<Topic, ApiError> {
        self.client
            .execute(Request::get(self.path(Some(name))?))
            .await?
            .field("topic")
    }

    /// `POST …/topics` → 201 `{topic}`.
    ///
    /// Returns `None` when the API accepted the topic without describing it: it may answer
    /// `202 Accepted` with `{"message": "… topic is still provisioning"}` and no `topic`. The
    /// topic then exists (or soon will): read it back with [`Topics::get`] or wait for it with
    /// `wait` and `conditions::active_and`, which treats 404 as "not there yet". An ambiguous failure is handled as
    /// for clusters: the topic is read by name before the POST is ever sent again.
    pub async fn create(self, request: &CreateTopicRequest) -> Result<Option<Topic>, ApiError> {
        let post = Request::post(self.path(None)?).json(request)?;
        let lookup = || async { found(self.get(&request.name).await) };
        match create_or_adopt(self.client, post, "the topic", lookup).await? {
            // An answer that does not describe the topic (no body, `{}`, truncated JSON) is
            // read as "accepted": the resource then waits for the topic to be readable, which
            // adopts it.
            Created::Replied(reply) => Ok(reply.optional_field("topic").unwrap_or_else(|error| {
                tracing::warn!(error = %error, "the topic create was accepted without a usable answer; reading the topic back");
                None
            })),
            Created::Found(topic) => Ok(Some(topic)),
        }
    }

    /// `PUT …/topics/{name}` → 200 `{topic}`; `None` when the answer carries no topic (read it
    /// back then). `partition_count` can only grow.
    pub async fn update(
        self,
        name: &str,
        request: &UpdateTopicRequest,
    ) -> Result<Option<Topic>, ApiError> {
        let reply = self
            .client
            .execute(Request::put(self.path(Some(name))?).json(request)?)
            .await?;
        reply.optional_field("topic")
    }

    /// `DELETE …/topics/{name}` → 204.
    pub async fn delete(self, name: &str) -> Result<(), ApiError> {
        self.client
            .execute(Request::delete(self.path(Some(name))?))
            .await?;
        Ok(())
    }
}

/// Firewall (trusted sources) calls; see [`Client::firewall`].
#[derive(Debug, Clone, Copy)]
pub struct Firewall<'a> {
    client: &'a Client,
    cluster_id: &'a str,
}

/// A rule as sent: the server-set `cluster_uuid` and `created_at` are left out.
#[derive(Serialize)]
struct RuleToSend<'r> {
    #[serde(skip_serializing_if = "Option::is_none")]
    uuid: Option<&'r str>,
    #[serde(rename = "type")]
    rule_type: &'r str,
    value: &'r str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'r str>,
}

impl Firewall<'_> {
    /// `GET …/firewall`.
    pub async fn get(self) -> Result<Vec<FirewallRule>, ApiError> {
        let path = child_path(self.cluster_id, "firewall", None)?;
        self.client.execute(Request::get(path)).await?.list("rules")
    }

    /// `PUT …/firewall` `{rules}` → 204. Replaces the whole rule set: an empty slice removes
    /// every rule. Server-set fields of the given rules are not sent.
    pub async fn put(self, rules: &[FirewallRule]) -> Result<(), ApiError> {
        let rules: Vec<RuleToSend<'_>> = rules
            .iter()
            .map(|r| RuleToSend {
                uuid: r.uuid.as_deref().filter(|u| !u.is_empty()),
                rule_type: &r.rule_type,
                value: &r.value,
                description: r.description.as_deref(),
            })
            .collect();
        let path = child_path(self.cluster_id, "firewall", None)?;
        let request = Request::put(path).json(&serde_json::json!({ "rules": rules }))?;
        self.client.execute(request).await?;
        Ok(())
    }
}

/// Database user calls; see [`Client::users`].
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    client: &'a Client,
    cluster_id: &'a str,
}

impl Users<'_> {
    fn path(&self, name: Option<&str>) -> Result<String, ApiError> {
        child_path(self.cluster_id, "users", name.map(|n| ("user name", n)))
    }

    /// `GET …/users`.
    pub async fn list(self) -> Result<Vec<DatabaseUser>, ApiError> {
        self.client
            .execute(Request::get(self.path(None)?))
            .await?
            .list("users")
    }

    /// `GET …/users/{name}`.
    pub async fn get(self, name: &str) -> Result<DatabaseUser, ApiError> {
        self.client
            .execute(Request::get(self.path(Some(name))?))
            .await?
            .field("user")
    }

    /// `POST …/users` → 201 `{user}`, with the password (for MongoDB the only answer that
    /// carries it). Never re-sent blindly: after an ambiguous failure the user is read by
    /// name, and only a 404 lets the POST go again.
    pub async fn create(self, request: &CreateUserRequest) -> Result<DatabaseUser, ApiError> {
        let post = Request::post(self.path(None)?).json(request)?;
        let lookup = || async { found(self.get(&request.name).await) };
        create_and_describe(self.client, post, "the database user", "user", lookup).await
    }

    /// `PUT …/users/{name}` `{settings}` → 201 `{user}` (the contract's status for an
    /// update). The settings replace the user's settings as a whole. `None` when the answer
    /// carries no user (read it back then).
    pub async fn update(
        self,
        name: &str,
        request: &UpdateUserRequest,
    ) -> Result<Option<DatabaseUser>, ApiError> {
        self.client
            .execute(Request::put(self.path(Some(name))?).json(request)?)
            .await?
            .optional_field("user")
    }

    /// `POST …/users/{name}/reset_auth` → 200 `{user}`: a new password and, for MySQL, the
    /// authentication plugin in `request`.
    pub async fn reset_auth(
        self,
        name: &str,
        request: &ResetUserAuthRequest,
    ) -> Result<Option<DatabaseUser>, ApiError> {
        let path = format!("{}/reset_auth", self.path(Some(name))?);
        self.client
            .execute(Request::post(path).json(request)?)
            .await?
            .optional_field("user")
    }

    /// `DELETE …/users/{name}` → 204.
    pub async fn delete(self, name: &str) -> Result<(), ApiError> {
        self.client
            .execute(Request::delete(self.path(Some(name))?))
            .await?;
        Ok(())
    }
}

/// Logical database calls; see [`Client::dbs`].
#[derive(Debug, Clone, Copy)]
pub struct Dbs<'a> {
    client: &'a Client,
    cluster_id: &'a str,
}

impl Dbs<'_> {
    fn path(&self, name: Option<&str>) -> Result<String, ApiError> {
        child_path(self.cluster_id, "dbs", name.map(|n| ("database name", n)))
    }

    /// `GET …/dbs`.
    pub async fn list(self) -> Result<Vec<Db>, ApiError> {
        self.client
            .execute(Request::get(self.path(None)?))
            .await?
            .list("dbs")
    }

    /// `GET …/dbs/{name}`.
    pub async fn get(self, name: &str) -> Result<Db, ApiError> {
        self.client
            .execute(Request::get(self.path(Some(name))?))
            .await?
            .field("db")
    }

    /// `POST …/dbs` `{name}` → 201 `{db}`. Never re-sent blindly: after an ambiguous failure
    /// the database is read by name, and only a 404 lets the POST go again.
    pub async fn create(self, request: &Db) -> Result<Db, ApiError> {
        let post = Request::post(self.path(None)?).json(request)?;
        let lookup = || async { found(self.get(&request.name).await) };
        create_and_describe(self.client, post, "the database", "db", lookup).await
    }

    /// `DELETE …/dbs/{name}` → 204.
    pub async fn delete(self, name: &str) -> Result<(), ApiError> {
        self.client
            .execute(Request::delete(self.path(Some(name))?))
            .await?;
        Ok(())
    }
}
