//! Log sinks (`…/logsink`, contract `databases_*_logsink`): rsyslog, Elasticsearch,
//! OpenSearch and (MongoDB only) Datadog. Each `config` is checked against its sink type's
//! schema (`rsyslog_logsink`, `elasticsearch_logsink`, `opensearch_logsink`,
//! `datadog_logsink`): required fields, types, enums and bounds; keys of another type's
//! schema are refused rather than ignored.
//!
//! The contract's answers, as odd as they are: create → 201 `{"sink": …}`; get → 200 with the
//! sink *not* enveloped (`logsink_data`); update and delete → 200 without a body
//! (`no_content`). Configurations are answered as they were sent, secrets included (URL
//! credentials, `datadog_api_key`, client keys): the contract's examples echo them and no
//! field is `writeOnly`.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::model::LogSink;
use super::unsupported;
use crate::mock::app::App;
use crate::mock::engine::Engine;
use crate::mock::error::{ApiError, ApiResult};
use crate::mock::json::{self, Object};
use crate::mock::pools::require_provisioned;
use crate::mock::schema::Property;
use crate::mock::store::Cluster;

const SINK_TYPES: [&str; 4] = ["rsyslog", "elasticsearch", "opensearch", "datadog"];

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v2/databases/:id/logsink", get(list).post(create))
        .route(
            "/v2/databases/:id/logsink/:sink",
            get(show).put(update).delete(destroy),
        )
}

/// One sink type's configuration schema (from the contract) and its required fields.
struct SinkSchema {
    property: Property,
    required: &'static [&'static str],
}

fn sink_schema(sink_type: &str) -> &'static SinkSchema {
    static SCHEMAS: OnceLock<Vec<(&'static str, SinkSchema)>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        let search = json!({
            "type": "object",
            "properties": {
                "url": {"type": "string"},
                "index_prefix": {"type": "string"},
                "index_days_max": {"type": "integer", "minimum": 1, "maximum": 10000},
                "timeout": {"type": "number", "minimum": 10, "maximum": 120},
                "ca": {"type": "string"},
            }
        });
        vec![
            (
                "rsyslog",
                SinkSchema {
                    property: Property::from_schema(&json!({
                        "type": "object",
                        "properties": {
                            "server": {"type": "string"},
                            // The contract states only the maximum; port 0 is no port.
                            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                            "tls": {"type": "boolean"},
                            "format": {"type": "string", "enum": ["rfc5424", "rfc3164", "custom"]},
                            "logline": {"type": "string"},
                            "sd": {"type": "string"},
                            "ca": {"type": "string"},
                            "key": {"type": "string"},
                            "cert": {"type": "string"},
                        }
                    })),
                    required: &["server", "port", "tls", "format"],
                },
            ),
            (
                "elasticsearch",
                SinkSchema {
                    property: Property::from_schema(&search),
                    required: &["url", "index_prefix"],
                },
            ),
            (
                "opensearch",
                SinkSchema {
                    property: Property::from_schema(&search),
                    required: &["url", "index_prefix"],
                },
            ),
            (
                "datadog",
                SinkSchema {
                    property: Property::from_schema(&json!({
                        "type": "object",
                        "properties": {
                            "site": {"type": "string"},
                            "datadog_api_key": {"type": "string"},
                        }
                    })),
                    required: &["site", "datadog_api_key"],
                },
            ),
        ]
    });
    &schemas
        .iter()
        .find(|(name, _)| *name == sink_type)
        .expect("sink types are checked before their schema is looked up")
        .1
}

/// Validates `config` for a sink of `sink_type`.
fn check_config(sink_type: &str, config: &Object) -> ApiResult<()> {
    let schema = sink_schema(sink_type);
    for field in schema.required {
        if config.get(*field).is_none() {
            return Err(ApiError::unprocessable(format!(
                "config.{field} is required for a {sink_type} log sink"
            )));
        }
    }
    if let Some(key) = config
        .keys()
        .find(|key| !schema.property.properties.contains_key(*key))
    {
        return Err(ApiError::unprocessable(format!(
            "config.{key} is not a setting of a {sink_type} log sink; its settings are: {}",
            sorted_keys(&schema.property)
        )));
    }
    schema
        .property
        .check(&Value::Object(config.clone()), "config")?;
    for (field, value) in config {
        if value.as_str().is_some_and(str::is_empty) && schema.required.contains(&field.as_str()) {
            return Err(ApiError::unprocessable(format!(
                "config.{field} must not be empty"
            )));
        }
    }
    if sink_type == "rsyslog"
        && config.get("format").and_then(Value::as_str) == Some("custom")
        && config
            .get("logline")
            .and_then(Value::as_str)
            .map_or(true, str::is_empty)
    {
        return Err(ApiError::unprocessable(
            "config.logline is required when config.format is \"custom\"",
        ));
    }
    if let Some(url) = config.get("url").and_then(Value::as_str) {
        let parsed = url::Url::parse(url).ok();
        let web = parsed
            .as_ref()
            .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if !web {
            return Err(ApiError::unprocessable(format!(
                "config.url: {url:?} is not an http(s) URL"
            )));
        }
    }
    Ok(())
}

fn sorted_keys(property: &Property) -> String {
    let mut keys: Vec<&str> = property.properties.keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys.join(", ")
}

/// Datadog sinks are for MongoDB clusters only (contract: `datadog_logsink`, `logsink_base`).
fn check_engine(cluster: &Cluster, sink_type: &str) -> ApiResult<()> {
    if sink_type == "datadog" && cluster.engine != Engine::Mongodb {
        Err(unsupported(
            cluster,
            "datadog log sinks need a MongoDB cluster",
        ))
    } else {
        Ok(())
    }
}

pub fn render(sink: &LogSink) -> Value {
    json!({
        "sink_id": sink.id,
        "sink_name": sink.name,
        "sink_type": sink.sink_type,
        "config": sink.config,
    })
}

fn find<'a>(cluster: &'a Cluster, sink_id: &str) -> ApiResult<&'a LogSink> {
    cluster
        .log_sinks
        .iter()
        .find(|s| s.id == sink_id)
        .ok_or_else(ApiError::not_found)
}

async fn list(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let sinks = app.read(|store| {
        store
            .cluster(&id)
            .map(|c| c.log_sinks.iter().map(render).collect::<Vec<_>>())
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "sinks": sinks })))
}

async fn show(
    State(app): State<Arc<App>>,
    Path((id, sink_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let sink = app.read(|store| find(store.cluster(&id)?, &sink_id).map(render))?;
    Ok(json::respond(StatusCode::OK, sink))
}

fn required_config(body: &Object) -> ApiResult<Map<String, Value>> {
    json::optional_object(body, "config", "config")?
        .cloned()
        .ok_or_else(|| ApiError::unprocessable("config is required"))
}

async fn create(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let name = json::required_str(&body, "sink_name", "sink_name")?.to_string();
    let sink_type = json::required_str(&body, "sink_type", "sink_type")?.to_string();
    if !SINK_TYPES.contains(&sink_type.as_str()) {
        return Err(ApiError::unprocessable(format!(
            "sink_type: {sink_type:?} is not a log sink type; allowed values: {}",
            SINK_TYPES.join(", ")
        )));
    }
    let config = required_config(&body)?;
    check_config(&sink_type, &config)?;
    let sink = app.write(|store| {
        let now = store.now_ms;
        let sink_id = store.ids.uuid();
        let cluster = store.cluster_mut(&id)?;
        check_engine(cluster, &sink_type)?;
        require_provisioned(cluster, "create logsink")?;
        if cluster.log_sinks.iter().any(|s| s.name == name) {
            return Err(ApiError::unprocessable(format!(
                "sink name is not available: a log sink named {name:?} already exists"
            )));
        }
        let sink = LogSink {
            id: sink_id,
            name,
            sink_type,
            config,
            created_ms: now,
        };
        let rendered = render(&sink);
        cluster.log_sinks.push(sink);
        Ok(rendered)
    })?;
    Ok(json::respond(StatusCode::CREATED, json!({ "sink": sink })))
}

/// `PUT …/logsink/{id}` replaces the configuration; the sink's type stays what it was.
async fn update(
    State(app): State<Arc<App>>,
    Path((id, sink_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let config = required_config(&body)?;
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        require_provisioned(cluster, "update logsink")?;
        let sink = cluster
            .log_sinks
            .iter_mut()
            .find(|s| s.id == sink_id)
            .ok_or_else(ApiError::not_found)?;
        check_config(&sink.sink_type, &config)?;
        sink.config = config;
        Ok(())
    })?;
    Ok(json::empty(StatusCode::OK))
}

async fn destroy(
    State(app): State<Arc<App>>,
    Path((id, sink_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        find(cluster, &sink_id)?;
        cluster.log_sinks.retain(|s| s.id != sink_id);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(v: Value) -> Object {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn configs_are_checked_against_their_type() {
        let rsyslog = config(
            json!({"server": "192.168.0.1", "port": 514, "tls": false, "format": "rfc5424"}),
        );
        assert!(check_config("rsyslog", &rsyslog).is_ok());
        let mut no_port = rsyslog.clone();
        no_port.remove("port");
        assert!(check_config("rsyslog", &no_port)
            .unwrap_err()
            .message
            .contains("config.port is required"));
        let mut custom = rsyslog.clone();
        custom.insert("format".into(), json!("custom"));
        assert!(check_config("rsyslog", &custom)
            .unwrap_err()
            .message
            .contains("config.logline"));
        let mut big_port = rsyslog.clone();
        big_port.insert("port".into(), json!(70000));
        assert!(check_config("rsyslog", &big_port).is_err());
        let mut mixed = rsyslog.clone();
        mixed.insert("index_prefix".into(), json!("x"));
        assert!(check_config("rsyslog", &mixed)
            .unwrap_err()
            .message
            .contains("config.index_prefix"));

        let search = config(
            json!({"url": "https://user:passwd@192.168.0.1:25060", "index_prefix": "logs", "index_days_max": 5}),
        );
        assert!(check_config("opensearch", &search).is_ok());
        assert!(check_config("elasticsearch", &search).is_ok());
        let mut days = search.clone();
        days.insert("index_days_max".into(), json!(0));
        assert!(check_config("opensearch", &days).is_err());
        let mut not_url = search.clone();
        not_url.insert("url".into(), json!("ftp://x"));
        assert!(check_config("opensearch", &not_url).is_err());
        let mut null_prefix = search.clone();
        null_prefix.insert("index_prefix".into(), Value::Null);
        assert!(check_config("opensearch", &null_prefix).is_err());

        let datadog = config(json!({"site": "http-intake.logs.datadoghq.com"}));
        assert!(check_config("datadog", &datadog)
            .unwrap_err()
            .message
            .contains("datadog_api_key"));
    }
}
