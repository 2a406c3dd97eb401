//! The Kafka schema registry (`…/schema-registry`, contract `databases_*_kafka_schema*`):
//! Kafka clusters only.
//!
//! - `POST` registers a schema under a subject: a new subject starts at version 1; another
//!   schema for an existing subject is its next version; the same schema again answers the
//!   version it already is. Schema IDs count up per cluster and are never reused; the same
//!   schema (type and text) under another subject shares its ID, as in a schema registry.
//!   Answers are not enveloped (`kafka_schema`, `kafka_schema_version`).
//! - Schemas are checked for form only: AVRO and JSON must be JSON documents, PROTOBUF must
//!   declare a `syntax`, `message` or `enum`. Compatibility between versions is not checked.
//! - `config` holds the compatibility level (default `BACKWARD`); `config/{subject}` a
//!   subject's own level, falling back to the registry's until one is set.
//! - The subject `config` cannot be registered: the contract's `…/schema-registry/config`
//!   paths would shadow it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::model::{SchemaRegistry, SchemaVersion, Subject};
use super::unsupported;
use crate::mock::app::App;
use crate::mock::engine::Engine;
use crate::mock::error::{ApiError, ApiResult};
use crate::mock::json::{self, Object};
use crate::mock::pools::require_provisioned;
use crate::mock::store::Cluster;

const SCHEMA_TYPES: [&str; 3] = ["AVRO", "JSON", "PROTOBUF"];
const COMPATIBILITY_LEVELS: [&str; 7] = [
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
];
const DEFAULT_COMPATIBILITY: &str = "BACKWARD";

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v2/databases/:id/schema-registry", get(list).post(create))
        .route(
            "/v2/databases/:id/schema-registry/config",
            get(get_config).put(put_config),
        )
        .route(
            "/v2/databases/:id/schema-registry/config/:subject",
            get(get_subject_config).put(put_subject_config),
        )
        .route(
            "/v2/databases/:id/schema-registry/:subject",
            get(show).delete(destroy),
        )
        .route(
            "/v2/databases/:id/schema-registry/:subject/versions/:version",
            get(show_version),
        )
}

fn kafka(cluster: &Cluster) -> ApiResult<&Cluster> {
    if cluster.engine == Engine::Kafka {
        Ok(cluster)
    } else {
        Err(unsupported(
            cluster,
            "the schema registry needs a Kafka cluster",
        ))
    }
}

fn subject<'a>(registry: &'a SchemaRegistry, name: &str) -> ApiResult<&'a Subject> {
    registry
        .subjects
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(ApiError::not_found)
}

fn latest(subject: &Subject) -> &SchemaVersion {
    subject.versions.last().expect("a subject has a version")
}

fn render(subject: &Subject, version: &SchemaVersion) -> Value {
    json!({
        "schema_id": version.schema_id,
        "subject_name": subject.name,
        "schema_type": subject.schema_type,
        "schema": version.schema,
    })
}

fn render_version(subject: &Subject, version: &SchemaVersion) -> Value {
    let mut out = render(subject, version);
    out["version"] = json!(version.version.to_string());
    out
}

async fn list(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let subjects = app.read(|store| {
        let cluster = kafka(store.cluster(&id)?)?;
        Ok::<_, ApiError>(
            cluster
                .schema_registry
                .subjects
                .iter()
                .map(|s| render(s, latest(s)))
                .collect::<Vec<_>>(),
        )
    })?;
    Ok(json::respond(
        StatusCode::OK,
        json!({ "subjects": subjects }),
    ))
}

fn check_subject_name(name: &str) -> ApiResult<()> {
    if name == "config" {
        return Err(ApiError::unprocessable(
            "subject_name: \"config\" is reserved: …/schema-registry/config is the registry's configuration",
        ));
    }
    if name.chars().count() > 255 || name.chars().any(|c| c == '/' || c.is_control()) {
        return Err(ApiError::unprocessable(format!(
            "subject_name: {name:?} is invalid; use at most 255 characters without '/' or control characters"
        )));
    }
    Ok(())
}

fn check_schema(schema_type: &str, schema: &str) -> ApiResult<()> {
    let well_formed = match schema_type {
        "AVRO" => serde_json::from_str::<Value>(schema).is_ok(),
        "JSON" => matches!(
            serde_json::from_str::<Value>(schema),
            Ok(Value::Object(_) | Value::Bool(_))
        ),
        _ => ["syntax", "message", "enum"]
            .iter()
            .any(|word| schema.contains(word)),
    };
    if well_formed {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!(
            "schema: not a valid {schema_type} schema"
        )))
    }
}

async fn create(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let name = json::required_str(&body, "subject_name", "subject_name")?.to_string();
    check_subject_name(&name)?;
    let schema_type = json::required_str(&body, "schema_type", "schema_type")?.to_string();
    if !SCHEMA_TYPES.contains(&schema_type.as_str()) {
        return Err(ApiError::unprocessable(format!(
            "schema_type: {schema_type:?} is not a schema type; allowed values: {}",
            SCHEMA_TYPES.join(", ")
        )));
    }
    let schema = json::required_str(&body, "schema", "schema")?.to_string();
    check_schema(&schema_type, &schema)?;
    let registered = app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        kafka(cluster)?;
        require_provisioned(cluster, "create schema")?;
        let registry = &mut cluster.schema_registry;
        let same_schema = registry
            .subjects
            .iter()
            .filter(|s| s.schema_type == schema_type)
            .flat_map(|s| &s.versions)
            .find(|v| v.schema == schema)
            .map(|v| v.schema_id);
        let mut next_id = || {
            registry.last_schema_id += 1;
            registry.last_schema_id
        };
        let schema_id = same_schema.unwrap_or_else(&mut next_id);
        let position = match registry.subjects.iter().position(|s| s.name == name) {
            Some(position) => {
                let existing = &mut registry.subjects[position];
                if existing.schema_type != schema_type {
                    return Err(ApiError::unprocessable(format!(
                        "schema_type: subject {name:?} holds {} schemas, not {schema_type}",
                        existing.schema_type
                    )));
                }
                if !existing.versions.iter().any(|v| v.schema == schema) {
                    let version = latest(existing).version + 1;
                    existing.versions.push(SchemaVersion {
                        version,
                        schema_id,
                        schema: schema.clone(),
                    });
                }
                position
            }
            None => {
                registry.subjects.push(Subject {
                    name: name.clone(),
                    schema_type: schema_type.clone(),
                    compatibility_level: None,
                    versions: vec![SchemaVersion {
                        version: 1,
                        schema_id,
                        schema: schema.clone(),
                    }],
                });
                registry.subjects.len() - 1
            }
        };
        let subject = &registry.subjects[position];
        let version = subject
            .versions
            .iter()
            .find(|v| v.schema == schema)
            .expect("the schema was just registered");
        Ok(render(subject, version))
    })?;
    Ok(json::respond(StatusCode::CREATED, registered))
}

async fn show(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let version = app.read(|store| {
        let cluster = kafka(store.cluster(&id)?)?;
        let subject = subject(&cluster.schema_registry, &name)?;
        Ok::<_, ApiError>(render_version(subject, latest(subject)))
    })?;
    Ok(json::respond(StatusCode::OK, version))
}

/// `version` is a version number or `latest`.
async fn show_version(
    State(app): State<Arc<App>>,
    Path((id, name, version)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let wanted = match version.as_str() {
        "latest" => None,
        number => Some(
            number
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    ApiError::unprocessable(format!(
                        "version: {number:?} is not a version; use a number from 1, or latest"
                    ))
                })?,
        ),
    };
    let found = app.read(|store| {
        let cluster = kafka(store.cluster(&id)?)?;
        let subject = subject(&cluster.schema_registry, &name)?;
        let version = match wanted {
            None => Some(latest(subject)),
            Some(number) => subject.versions.iter().find(|v| v.version == number),
        }
        .ok_or_else(ApiError::not_found)?;
        Ok::<_, ApiError>(render_version(subject, version))
    })?;
    Ok(json::respond(StatusCode::OK, found))
}

async fn destroy(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        kafka(cluster)?;
        require_provisioned(cluster, "delete schema")?;
        subject(&cluster.schema_registry, &name)?;
        cluster.schema_registry.subjects.retain(|s| s.name != name);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

/// The `compatibility_level` of a config update. The body is optional in the contract, the
/// field in it required.
fn parse_level(body: &Bytes) -> ApiResult<String> {
    let body = match json::parse(body)? {
        Value::Null => Object::new(),
        Value::Object(body) => body,
        _ => return Err(ApiError::for_status(StatusCode::BAD_REQUEST)),
    };
    let level = json::required_str(&body, "compatibility_level", "compatibility_level")?;
    if COMPATIBILITY_LEVELS.contains(&level) {
        Ok(level.to_string())
    } else {
        Err(ApiError::unprocessable(format!(
            "compatibility_level: {level:?} is not a compatibility level; allowed values: {}",
            COMPATIBILITY_LEVELS.join(", ")
        )))
    }
}

fn registry_level(registry: &SchemaRegistry) -> &str {
    registry
        .compatibility_level
        .as_deref()
        .unwrap_or(DEFAULT_COMPATIBILITY)
}

async fn get_config(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let level = app.read(|store| {
        let cluster = kafka(store.cluster(&id)?)?;
        Ok::<_, ApiError>(registry_level(&cluster.schema_registry).to_string())
    })?;
    Ok(json::respond(
        StatusCode::OK,
        json!({ "compatibility_level": level }),
    ))
}

async fn put_config(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let level = parse_level(&body)?;
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        kafka(cluster)?;
        require_provisioned(cluster, "update schema registry config")?;
        cluster.schema_registry.compatibility_level = Some(level.clone());
        Ok(())
    })?;
    Ok(json::respond(
        StatusCode::OK,
        json!({ "compatibility_level": level }),
    ))
}

async fn get_subject_config(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let level = app.read(|store| {
        let cluster = kafka(store.cluster(&id)?)?;
        let registry = &cluster.schema_registry;
        let subject = subject(registry, &name)?;
        Ok::<_, ApiError>(
            subject
                .compatibility_level
                .clone()
                .unwrap_or_else(|| registry_level(registry).to_string()),
        )
    })?;
    Ok(json::respond(
        StatusCode::OK,
        json!({ "subject_name": name, "compatibility_level": level }),
    ))
}

async fn put_subject_config(
    State(app): State<Arc<App>>,
    Path((id, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let level = parse_level(&body)?;
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        kafka(cluster)?;
        require_provisioned(cluster, "update schema registry config")?;
        let subject = cluster
            .schema_registry
            .subjects
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(ApiError::not_found)?;
        subject.compatibility_level = Some(level.clone());
        Ok(())
    })?;
    Ok(json::respond(
        StatusCode::OK,
        json!({ "subject_name": name, "compatibility_level": level }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_are_checked_for_form() {
        assert!(check_schema("AVRO", r#"{"type": "record", "name": "C", "fields": []}"#).is_ok());
        assert!(check_schema("AVRO", r#""string""#).is_ok());
        assert!(check_schema("AVRO", "{not json").is_err());
        assert!(check_schema("JSON", r#"{"type": "object"}"#).is_ok());
        assert!(check_schema("JSON", "42").is_err());
        assert!(check_schema("PROTOBUF", "syntax = \"proto3\"; message M {}").is_ok());
        assert!(check_schema("PROTOBUF", "hello").is_err());
        assert!(check_subject_name("config").is_err());
        assert!(check_subject_name("a/b").is_err());
        assert!(check_subject_name("customer-schema").is_ok());
    }
}
