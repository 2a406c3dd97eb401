//! The generic tags API (`/v2/tags`), as far as database clusters use it: create, list, get and
//! delete tags, and tag or untag resources of `resource_type` `database`. Tagged clusters show
//! the tag in `tags` and match `GET /v2/databases?tag_name=…`.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use regex::Regex;
use serde_json::{json, Value};

use super::app::App;
use super::error::{ApiError, ApiResult};
use super::json;
use super::store::Store;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v2/tags", get(list).post(create))
        .route("/v2/tags/:name", get(show).delete(destroy))
        .route(
            "/v2/tags/:name/resources",
            post(tag_resources).delete(untag_resources),
        )
}

/// Tag names: letters, digits, `:`, `-` and `_`, at most 255 characters.
pub fn validate_tag_name(name: &str, path: &str) -> ApiResult<()> {
    static TAG: OnceLock<Regex> = OnceLock::new();
    let pattern =
        TAG.get_or_init(|| Regex::new(r"^[a-zA-Z0-9_:\-]{1,255}$").expect("valid tag pattern"));
    if pattern.is_match(name) {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!(
            "{path}: {name:?} is not a valid tag name; tags have 1 to 255 letters, digits, ':', '-' or '_'"
        )))
    }
}

fn render(store: &Store, name: &str) -> Value {
    let tagged: Vec<&str> = store
        .data
        .clusters
        .iter()
        .filter(|c| c.tags.iter().any(|t| t == name))
        .map(|c| c.id.as_str())
        .collect();
    let last_tagged_uri = tagged
        .last()
        .map(|id| format!("https://api.digitalocean.com/v2/databases/{id}"))
        .unwrap_or_default();
    json!({
        "name": name,
        "resources": {
            "count": tagged.len(),
            "last_tagged_uri": last_tagged_uri,
            "databases": { "count": tagged.len(), "last_tagged_uri": last_tagged_uri },
        },
    })
}

async fn list(State(app): State<Arc<App>>) -> Response {
    let tags: Vec<Value> = app.read(|store| {
        store
            .data
            .tags
            .iter()
            .map(|name| render(store, name))
            .collect()
    });
    let total = tags.len();
    json::respond(
        StatusCode::OK,
        json!({ "tags": tags, "links": {}, "meta": { "total": total } }),
    )
}

async fn create(State(app): State<Arc<App>>, body: Bytes) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let name = json::required_str(&body, "name", "name")?.to_string();
    validate_tag_name(&name, "name")?;
    let tag = app.write(|store| {
        store.register_tags([&name]);
        Ok(render(store, &name))
    })?;
    Ok(json::respond(StatusCode::CREATED, json!({ "tag": tag })))
}

async fn show(State(app): State<Arc<App>>, Path(name): Path<String>) -> ApiResult<Response> {
    let tag = app.read(|store| {
        store
            .data
            .tags
            .contains(&name)
            .then(|| render(store, &name))
            .ok_or_else(ApiError::not_found)
    })?;
    Ok(json::respond(StatusCode::OK, json!({ "tag": tag })))
}

async fn destroy(State(app): State<Arc<App>>, Path(name): Path<String>) -> ApiResult<Response> {
    app.write(|store| {
        if !store.data.tags.contains(&name) {
            return Err(ApiError::not_found());
        }
        store.data.tags.retain(|t| t != &name);
        // Only the tagged clusters are touched (and so journaled by `--state-file`).
        for cluster in store
            .data
            .clusters
            .iter_mut()
            .filter(|c| c.tags.contains(&name))
        {
            cluster.tags.retain(|t| t != &name);
        }
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

/// The cluster IDs of a `{"resources": [{resource_id, resource_type}]}` body.
fn parse_resources(body: &Bytes) -> ApiResult<Vec<String>> {
    let body = json::parse_object(body)?;
    let items = json::optional_array(&body, "resources", "resources")?
        .filter(|items| !items.is_empty())
        .ok_or_else(|| ApiError::unprocessable("resources must list at least one resource"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let Value::Object(resource) = item else {
                return Err(ApiError::unprocessable(format!("resources[{i}] must be an object")));
            };
            let id = json::required_str(resource, "resource_id", &format!("resources[{i}].resource_id"))?;
            let kind =
                json::required_str(resource, "resource_type", &format!("resources[{i}].resource_type"))?;
            if kind != "database" {
                return Err(ApiError::unprocessable(format!(
                    "resources[{i}].resource_type: {kind:?} is not supported here; this API only has database resources"
                )));
            }
            Ok(id.to_string())
        })
        .collect()
}

async fn tag_resources(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let ids = parse_resources(&body)?;
    app.write(|store| {
        if !store.data.tags.contains(&name) {
            return Err(ApiError::not_found_because(format!(
                "tag {name:?} does not exist"
            )));
        }
        check_clusters_exist(store, &ids)?;
        for cluster in store
            .data
            .clusters
            .iter_mut()
            .filter(|c| ids.contains(&c.id))
        {
            if !cluster.tags.contains(&name) {
                cluster.tags.push(name.clone());
            }
        }
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

async fn untag_resources(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let ids = parse_resources(&body)?;
    app.write(|store| {
        if !store.data.tags.contains(&name) {
            return Err(ApiError::not_found_because(format!(
                "tag {name:?} does not exist"
            )));
        }
        check_clusters_exist(store, &ids)?;
        for cluster in store
            .data
            .clusters
            .iter_mut()
            .filter(|c| ids.contains(&c.id))
        {
            cluster.tags.retain(|t| t != &name);
        }
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

fn check_clusters_exist(store: &Store, ids: &[String]) -> ApiResult<()> {
    match ids.iter().find(|id| store.cluster(id).is_err()) {
        Some(missing) => Err(ApiError::not_found_because(format!(
            "database cluster {missing:?} does not exist"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names() {
        assert!(validate_tag_name("env:prod_1-a", "tags[0]").is_ok());
        assert!(validate_tag_name("", "tags[0]").is_err());
        assert!(validate_tag_name("has space", "tags[0]")
            .unwrap_err()
            .message
            .contains("tags[0]"));
        assert!(validate_tag_name(&"a".repeat(256), "tags[0]").is_err());
    }
}
