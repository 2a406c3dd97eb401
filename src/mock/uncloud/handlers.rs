//! The routes: list, create, show, delete, credentials.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{Map, Value};

use super::store::{versions, Database, Outcome, DB_TYPES, DEFAULT_PROJECT};
use crate::mock::app::App;
use crate::mock::gateway::RequestCtx;

const NOT_FOUND: &str = "database not found";

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/databases", get(list).post(create))
        .route("/api/v1/databases/:id", get(show).delete(destroy))
        .route("/api/v1/databases/:id/credentials", get(credentials))
}

/// The platform's error answer, `{"error": "<message>"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncloudError {
    pub status: StatusCode,
    pub message: String,
}

impl UncloudError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        UncloudError {
            status,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        UncloudError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    fn not_found() -> Self {
        UncloudError::new(StatusCode::NOT_FOUND, NOT_FOUND)
    }
}

impl IntoResponse for UncloudError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

type Answer = Result<Response, UncloudError>;

async fn list(State(app): State<Arc<App>>) -> Answer {
    let databases = app.uncloud(|store, now, settings| {
        store
            .data
            .databases
            .iter()
            .map(|db| db.object(now, settings))
            .collect::<Vec<_>>()
    });
    Ok(Json(Value::Array(databases)).into_response())
}

async fn show(State(app): State<Arc<App>>, Path(id): Path<String>) -> Answer {
    app.uncloud(|store, now, settings| {
        store
            .data
            .databases
            .iter()
            .find(|db| db.id == id)
            .map(|db| Json(db.object(now, settings)).into_response())
            .ok_or_else(UncloudError::not_found)
    })
}

async fn destroy(State(app): State<Arc<App>>, Path(id): Path<String>) -> Answer {
    app.uncloud(|store, now, _| {
        let db = store
            .data
            .databases
            .iter_mut()
            .find(|db| db.id == id && db.deleted_ms.is_none())
            .ok_or_else(UncloudError::not_found)?;
        db.deleted_ms = Some(now);
        store.changed();
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn credentials(State(app): State<Arc<App>>, Path(id): Path<String>) -> Answer {
    app.uncloud(|store, now, settings| {
        let db = store
            .data
            .databases
            .iter()
            .find(|db| db.id == id && db.deleted_ms.is_none())
            .ok_or_else(UncloudError::not_found)?;
        match db.status(now, settings) {
            "running" => Ok(Json(db.credentials()).into_response()),
            status => Err(UncloudError::new(
                StatusCode::CONFLICT,
                format!("database {id} is {status}; credentials are available once it is running"),
            )),
        }
    })
}

async fn create(
    State(app): State<Arc<App>>,
    Extension(ctx): Extension<RequestCtx>,
    body: Bytes,
) -> Answer {
    let body: Value = serde_json::from_slice(&body).map_err(|e| {
        UncloudError::new(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}"))
    })?;
    let Value::Object(body) = body else {
        return Err(UncloudError::new(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object",
        ));
    };
    let request = CreateRequest::parse(&body)?;
    let outcome = if ctx.never_settles {
        Outcome::Stuck
    } else if ctx.fails_provisioning {
        Outcome::Fails(
            "provisioning failed: the database pods did not become ready (injected fault)".into(),
        )
    } else {
        Outcome::Running
    };
    app.uncloud(|store, now, settings| {
        let taken = store.data.databases.iter().any(|db| {
            db.name == request.name
                && db.project_id == request.project_id
                && db.status(now, settings) != "destroyed"
        });
        if taken {
            return Err(UncloudError::new(
                StatusCode::CONFLICT,
                format!(
                    "a database named {:?} already exists in project {}",
                    request.name, request.project_id
                ),
            ));
        }
        let id = store.new_id();
        let password = store.password();
        let user = request.slug().replace('-', "_");
        let db = Database {
            id,
            slug: request.slug(),
            project_id: request.project_id.clone(),
            name: request.name.clone(),
            db_type: request.db_type.clone(),
            version: request.version.clone(),
            plan_id: request.plan_id.clone(),
            region: request.region.clone(),
            storage_gb: request.storage_gb,
            replicas: request.replicas,
            created_ms: now,
            outcome,
            deleted_ms: None,
            username: user.clone(),
            password,
            database: user,
        };
        let answer = db.created();
        store.data.databases.push(db);
        store.changed();
        Ok((StatusCode::CREATED, Json(answer)).into_response())
    })
}

/// A create body, checked field by field.
struct CreateRequest {
    name: String,
    db_type: String,
    version: String,
    plan_id: String,
    region: String,
    storage_gb: i64,
    replicas: i64,
    project_id: String,
}

impl CreateRequest {
    fn parse(body: &Map<String, Value>) -> Result<CreateRequest, UncloudError> {
        let name = required_text(body, "name")?;
        if !(1..=63).contains(&name.len())
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(UncloudError::invalid(
                "name must be 1 to 63 letters, digits, '-' or '_'",
            ));
        }
        let db_type = required_text(body, "db_type")?;
        if !DB_TYPES.contains(&db_type.as_str()) {
            return Err(UncloudError::invalid(format!(
                "db_type must be one of {}",
                DB_TYPES.join(", ")
            )));
        }
        let offered = versions(&db_type);
        let version = match optional_text(body, "version")? {
            None => offered[offered.len() - 1].to_string(),
            Some(version) if offered.contains(&version.as_str()) => version,
            Some(version) => {
                return Err(UncloudError::invalid(format!(
                    "version {version:?} is not offered for {db_type}; offered: {}",
                    offered.join(", ")
                )))
            }
        };
        let plan_id = required_text(body, "plan_id")?;
        if !is_plan(&plan_id) {
            return Err(UncloudError::invalid(
                "plan_id must be a plan slug like db-s-1vcpu-1gb",
            ));
        }
        let region = required_text(body, "region")?;
        let region_ok = region.len() == 4
            && region[..3].bytes().all(|b| b.is_ascii_lowercase())
            && region.as_bytes()[3].is_ascii_digit();
        if !region_ok {
            return Err(UncloudError::invalid(
                "region must be a region slug like nyc1",
            ));
        }
        let storage_gb = optional_integer(body, "storage_gb", 10, 1..=16384)?;
        let replicas = optional_integer(body, "replicas", 1, 1..=5)?;
        let project_id = optional_text(body, "project_id")?.unwrap_or(DEFAULT_PROJECT.into());
        if !project_id.starts_with("proj_") || project_id.len() < 6 {
            return Err(UncloudError::invalid(
                "project_id must be a project ID (proj_…)",
            ));
        }
        Ok(CreateRequest {
            name,
            db_type,
            version,
            plan_id,
            region,
            storage_gb,
            replicas,
            project_id,
        })
    }

    fn slug(&self) -> String {
        self.name.to_ascii_lowercase().replace('_', "-")
    }
}

fn is_plan(plan: &str) -> bool {
    let Some(rest) = plan.strip_prefix("db-s-") else {
        return false;
    };
    let Some((cpus, memory)) = rest.split_once("vcpu-") else {
        return false;
    };
    let Some(gigabytes) = memory.strip_suffix("gb") else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(cpus) && digits(gigabytes)
}

fn required_text(body: &Map<String, Value>, field: &str) -> Result<String, UncloudError> {
    optional_text(body, field)?.ok_or_else(|| UncloudError::invalid(format!("{field} is required")))
}

fn optional_text(body: &Map<String, Value>, field: &str) -> Result<Option<String>, UncloudError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(Some(text.clone())),
        Some(Value::String(_)) => Err(UncloudError::invalid(format!("{field} must not be empty"))),
        Some(_) => Err(UncloudError::invalid(format!("{field} must be a string"))),
    }
}

fn optional_integer(
    body: &Map<String, Value>,
    field: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, UncloudError> {
    let value = match body.get(field) {
        None | Some(Value::Null) => return Ok(default),
        Some(value) => value.as_i64(),
    };
    match value {
        Some(n) if range.contains(&n) => Ok(n),
        _ => Err(UncloudError::invalid(format!(
            "{field} must be a whole number from {} to {}",
            range.start(),
            range.end()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_slugs() {
        assert!(is_plan("db-s-1vcpu-1gb"));
        assert!(is_plan("db-s-16vcpu-64gb"));
        for bad in [
            "db-s-1vcpu",
            "s-1vcpu-1gb",
            "db-s-xvcpu-1gb",
            "db-s-1vcpu-gb",
        ] {
            assert!(!is_plan(bad), "{bad}");
        }
    }

    #[test]
    fn create_bodies_are_checked_field_by_field() {
        let parse = |body: Value| match CreateRequest::parse(body.as_object().unwrap()) {
            Ok(_) => String::new(),
            Err(error) => error.message,
        };
        let good = serde_json::json!({
            "name": "orders", "db_type": "postgresql", "plan_id": "db-s-1vcpu-1gb", "region": "nyc1"
        });
        assert_eq!(parse(good.clone()), "");
        let with = |key: &str, value: Value| {
            let mut body = good.clone();
            body[key] = value;
            parse(body)
        };
        assert!(with("db_type", "oracle".into()).starts_with("db_type must be one of"));
        assert!(with("version", "13".into()).contains("offered: 14, 15, 16"));
        assert!(with("storage_gb", 0.into()).starts_with("storage_gb must be"));
        assert!(with("replicas", 6.into()).starts_with("replicas must be"));
        assert!(with("region", "new-york".into()).starts_with("region must be"));
        assert!(with("name", "a b".into()).starts_with("name must be"));
        assert_eq!(with("plan_id", Value::Null), "plan_id is required");
    }
}
