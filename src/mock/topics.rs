//! Kafka topics (contract §3.3). A created or updated topic is `configuring` for the transition
//! delay, then `active`. Its `config` carries every `kafka_topic_config` setting: what was set,
//! and the contract's defaults for the rest.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{json, Map, Value};

use super::app::App;
use super::engine::Engine;
use super::error::{ApiError, ApiResult};
use super::gateway::RequestCtx;
use super::json::{self, Object};
use super::pools::require_provisioned;
use super::schema::Property;
use super::store::{Cluster, Topic, TopicState};

const TOPIC_CONFIG_JSON: &str = include_str!("topic_config.json");
const MAX_PARTITIONS: i64 = 2048;
const DEFAULT_PARTITIONS: i64 = 3;
const DEFAULT_REPLICATION: i64 = 2;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v2/databases/:id/topics", get(list).post(create))
        .route(
            "/v2/databases/:id/topics/:name",
            get(show).put(update).delete(destroy),
        )
}

/// `kafka_topic_config` from the contract. Its `compression_type` enum spells `lz4` as `Iz4`
/// (contract §5 item 3); both spellings are accepted.
fn config_schema() -> &'static Property {
    static SCHEMA: OnceLock<Property> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let raw: Value =
            serde_json::from_str(TOPIC_CONFIG_JSON).expect("topic_config.json is valid JSON");
        let mut schema = Property::from_schema(&raw);
        if let Some(values) = schema
            .properties
            .get_mut("compression_type")
            .and_then(|p| p.enumeration.as_mut())
        {
            values.push(json!("lz4"));
        }
        schema
    })
}

/// Every setting: the contract's defaults overlaid with what was set. The contract writes the
/// `Long.MAX_VALUE` defaults as a rounded float beyond int64; the server sends the exact value.
fn effective_config(topic: &Topic) -> Map<String, Value> {
    let mut config: Map<String, Value> = config_schema()
        .properties
        .iter()
        .filter_map(|(key, p)| {
            let default = p.default.clone()?;
            let exact = match default.as_u64() {
                Some(n) if n > i64::MAX as u64 => json!(i64::MAX),
                _ => default,
            };
            Some((key.clone(), exact))
        })
        .collect();
    config.extend(topic.config.clone());
    let mut sorted: Vec<(String, Value)> = config.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted.into_iter().collect()
}

/// The verbose topic (`kafka_topic_verbose`).
pub fn render(topic: &Topic) -> Value {
    let partitions: Vec<Value> = (0..topic.partition_count)
        .map(|id| {
            json!({
                "id": id,
                "size": 0,
                "in_sync_replicas": topic.replication_factor,
                "earliest_offset": 0,
                "consumer_groups": null,
            })
        })
        .collect();
    json!({
        "name": topic.name,
        "state": state_name(topic.state),
        "replication_factor": topic.replication_factor,
        "partitions": partitions,
        "config": effective_config(topic),
    })
}

fn render_summary(topic: &Topic) -> Value {
    json!({
        "name": topic.name,
        "state": state_name(topic.state),
        "replication_factor": topic.replication_factor,
        "partition_count": topic.partition_count,
    })
}

fn state_name(state: TopicState) -> &'static str {
    match state {
        TopicState::Configuring => "configuring",
        TopicState::Active => "active",
    }
}

fn kafka_cluster(cluster: &Cluster) -> ApiResult<&Cluster> {
    if cluster.engine == Engine::Kafka {
        Ok(cluster)
    } else {
        Err(ApiError::unprocessable(format!(
            "operation is not supported for this cluster type: topics need a Kafka cluster, not {}",
            cluster.engine.slug()
        )))
    }
}

fn check_name(name: &str) -> ApiResult<()> {
    let valid = (1..=249).contains(&name.len())
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!(
            "name: {name:?} is not a valid topic name; use 1 to 249 letters, digits, '.', '_' or '-'"
        )))
    }
}

fn check_replication(cluster: &Cluster, factor: i64) -> ApiResult<()> {
    let nodes = i64::from(cluster.num_nodes);
    if (2..=nodes).contains(&factor) {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!(
            "replication_factor must be between 2 and the cluster's {nodes} nodes, got {factor}"
        )))
    }
}

fn check_partitions(count: i64) -> ApiResult<()> {
    if (1..=MAX_PARTITIONS).contains(&count) {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!(
            "partition_count must be between 1 and {MAX_PARTITIONS}, got {count}"
        )))
    }
}

/// The keys of the contract's topic request *examples* that are not fields of its schema.
///
/// The create and update examples (`databases_create_kafka_topic.yml`,
/// `databases_update_kafka_topic.yml`) send `partitions` and `replication`, while the request
/// schemas (`kafka_topic_create`, `kafka_topic_update`) name the fields `partition_count` and
/// `replication_factor`, and nothing else in the contract does otherwise: the response calls
/// the count `partition_count` too, and `partitions` there is the *list* of partitions. The
/// schema is the contract (api-contract.md §3.3: "Trust the schema"); the example is a drift.
/// Accepting the example's keys as aliases would let a client pass here with a body the schema
/// does not define, and ignoring them (open objects allow unknown keys) gives such a client a
/// topic with default partitions and replication without a word, which is how the drift went
/// unnoticed. So they are refused, with a 422 that names the schema's field.
const EXAMPLE_ONLY_KEYS: [(&str, &str); 2] = [
    ("partitions", "partition_count"),
    ("replication", "replication_factor"),
];

fn refuse_example_only_keys(body: &Object) -> ApiResult<()> {
    match EXAMPLE_ONLY_KEYS
        .iter()
        .find(|(key, _)| body.contains_key(*key))
    {
        Some((key, field)) => Err(ApiError::unprocessable(format!(
            "{key} is not a topic field: set {field} instead (the contract's example says {key}, its schema {field})"
        ))),
        None => Ok(()),
    }
}

fn parse_config(body: &Object) -> ApiResult<Map<String, Value>> {
    let Some(config) = json::optional_object(body, "config", "config")? else {
        return Ok(Map::new());
    };
    for (key, value) in config {
        let property = config_schema().properties.get(key).ok_or_else(|| {
            ApiError::unprocessable(format!("config.{key} is not a Kafka topic setting"))
        })?;
        property.check(value, &format!("config.{key}"))?;
    }
    Ok(config.clone())
}

async fn list(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let topics = app.read(|store| {
        let cluster = kafka_cluster(store.cluster(&id)?)?;
        Ok::<_, ApiError>(
            cluster
                .topics
                .iter()
                .map(render_summary)
                .collect::<Vec<_>>(),
        )
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "topics": topics })))
}

async fn show(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let topic = app.read(|store| {
        let cluster = kafka_cluster(store.cluster(&id)?)?;
        cluster
            .topics
            .iter()
            .find(|t| t.name == name)
            .map(render)
            .ok_or_else(ApiError::not_found)
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "topic": topic })))
}

async fn create(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<RequestCtx>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = match json::parse(&body)? {
        Value::Null => Object::new(),
        Value::Object(body) => body,
        _ => return Err(ApiError::for_status(StatusCode::BAD_REQUEST)),
    };
    let name = json::required_str(&body, "name", "name")?.to_string();
    check_name(&name)?;
    refuse_example_only_keys(&body)?;
    let partition_count = json::optional_int(&body, "partition_count", "partition_count")?
        .unwrap_or(DEFAULT_PARTITIONS);
    check_partitions(partition_count)?;
    let replication_factor = json::optional_int(&body, "replication_factor", "replication_factor")?;
    let config = parse_config(&body)?;
    let topic = app.write(|store| {
        let now = store.now_ms;
        let cluster = store.cluster_mut(&id)?;
        kafka_cluster(cluster)?;
        require_provisioned(cluster, "create topic")?;
        if cluster.topics.iter().any(|t| t.name == name) {
            return Err(ApiError::unprocessable(format!(
                "topic name is not available: a topic named {name:?} already exists"
            )));
        }
        let replication_factor = replication_factor.unwrap_or(DEFAULT_REPLICATION);
        check_replication(cluster, replication_factor)?;
        let topic = Topic {
            name,
            state: TopicState::Configuring,
            state_since_ms: now,
            settles: !ctx.never_settles,
            replication_factor,
            partition_count,
            config,
        };
        let rendered = render(&topic);
        cluster.topics.push(topic);
        Ok(rendered)
    })?;
    Ok(json::respond(
        StatusCode::CREATED,
        json!({ "topic": topic }),
    ))
}

async fn update(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<RequestCtx>,
    Path((id, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = match json::parse(&body)? {
        Value::Null => Object::new(),
        Value::Object(body) => body,
        _ => return Err(ApiError::for_status(StatusCode::BAD_REQUEST)),
    };
    refuse_example_only_keys(&body)?;
    let partition_count = json::optional_int(&body, "partition_count", "partition_count")?;
    if let Some(count) = partition_count {
        check_partitions(count)?;
    }
    let replication_factor = json::optional_int(&body, "replication_factor", "replication_factor")?;
    let config = parse_config(&body)?;
    let topic = app.write(|store| {
        let now = store.now_ms;
        let cluster = store.cluster_mut(&id)?;
        kafka_cluster(cluster)?;
        require_provisioned(cluster, "update topic")?;
        if let Some(factor) = replication_factor {
            check_replication(cluster, factor)?;
        }
        let topic = cluster
            .topics
            .iter_mut()
            .find(|t| t.name == name)
            .ok_or_else(ApiError::not_found)?;
        if let Some(count) = partition_count {
            if count < topic.partition_count {
                return Err(ApiError::unprocessable(format!(
                    "partition_count can only be increased: the topic has {} partitions, {count} requested",
                    topic.partition_count
                )));
            }
            topic.partition_count = count;
        }
        if let Some(factor) = replication_factor {
            topic.replication_factor = factor;
        }
        topic.config.extend(config);
        topic.state = TopicState::Configuring;
        topic.state_since_ms = now;
        topic.settles = !ctx.never_settles;
        Ok(render(topic))
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "topic": topic })))
}

async fn destroy(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        kafka_cluster(cluster)?;
        if !cluster.topics.iter().any(|t| t.name == name) {
            return Err(ApiError::not_found());
        }
        cluster.topics.retain(|t| t.name != name);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic() -> Topic {
        Topic {
            name: "events".into(),
            state: TopicState::Active,
            state_since_ms: 0,
            settles: true,
            replication_factor: 3,
            partition_count: 2,
            config: Map::new(),
        }
    }

    #[test]
    fn config_lists_every_contract_setting_with_exact_defaults() {
        let config = effective_config(&topic());
        assert_eq!(config.len(), config_schema().properties.len());
        assert_eq!(config["flush_messages"], json!(i64::MAX));
        assert_eq!(config["retention_ms"], json!(604800000));
        assert_eq!(config["cleanup_policy"], "delete");
    }

    #[test]
    fn config_values_are_validated() {
        let parse = |v: Value| parse_config(v.as_object().unwrap());
        assert!(
            parse(json!({"config": {"retention_ms": 1000, "compression_type": "lz4"}})).is_ok()
        );
        let err = parse(json!({"config": {"cleanup_policy": "never"}})).unwrap_err();
        assert!(err.message.contains("config.cleanup_policy"));
        assert!(parse(json!({"config": {"min_insync_replicas": 0}})).is_err());
        assert!(parse(json!({"config": {"retentionMS": 5}}))
            .unwrap_err()
            .message
            .contains("retentionMS"));
    }

    #[test]
    fn the_examples_keys_are_refused_naming_the_schemas_fields() {
        let body = |v: Value| v.as_object().unwrap().clone();
        let err =
            refuse_example_only_keys(&body(json!({"name": "t", "partitions": 3}))).unwrap_err();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err.message.contains("partition_count"));
        assert!(refuse_example_only_keys(&body(json!({"replication": 2})))
            .unwrap_err()
            .message
            .contains("replication_factor"));
        assert!(refuse_example_only_keys(&body(
            json!({"name": "t", "partition_count": 3, "replication_factor": 2})
        ))
        .is_ok());
    }

    #[test]
    fn rendering_lists_partitions() {
        let rendered = render(&topic());
        assert_eq!(rendered["partitions"].as_array().unwrap().len(), 2);
        assert_eq!(rendered["partitions"][1]["id"], 1);
        assert_eq!(render_summary(&topic())["partition_count"], 2);
    }
}
