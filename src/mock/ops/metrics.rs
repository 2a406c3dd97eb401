//! The metrics endpoints' credentials (`/v2/databases/metrics/credentials`, contract
//! `databases_*_cluster_metrics_credentials`): one basic-auth pair for every cluster of the
//! account, so it lives in the account (which the state file's journal saves like clusters).
//!
//! Until a `PUT` sets them, the credentials are the account's defaults, derived from the
//! account itself (no ID is drawn for them, so a seeded emulator's IDs do not move). The
//! answer has one level, `{"credentials": {"basic_auth_username", "basic_auth_password"}}`, as
//! the contract's example and DigitalOcean's clients have it; its schema nests
//! `credentials` twice (contract §5 item 5).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;

use super::model::MetricsCredentials;
use crate::mock::app::App;
use crate::mock::error::{ApiError, ApiResult};
use crate::mock::json;
use crate::mock::store::Account;

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/v2/databases/metrics/credentials", get(show).put(update))
}

/// The credentials in force for the account.
pub fn credentials(account: &Account) -> MetricsCredentials {
    if let Some(set) = &account.metrics_credentials {
        return MetricsCredentials::clone(set);
    }
    let password: String = account
        .project_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    MetricsCredentials {
        basic_auth_username: format!("metrics-{}", account.user_number),
        basic_auth_password: password,
    }
}

async fn show(State(app): State<Arc<App>>) -> Response {
    let current = app.read(|store| credentials(&store.data.account));
    json::respond(
        StatusCode::OK,
        json!({
            "credentials": {
                "basic_auth_username": current.basic_auth_username,
                "basic_auth_password": current.basic_auth_password,
            }
        }),
    )
}

/// `PUT` → 204. The body is optional in the contract, but without `credentials` there is
/// nothing to update; a field left out keeps its value.
async fn update(State(app): State<Arc<App>>, body: Bytes) -> ApiResult<Response> {
    let body = match json::parse(&body)? {
        serde_json::Value::Object(body) => body,
        serde_json::Value::Null => json::Object::new(),
        _ => return Err(ApiError::for_status(StatusCode::BAD_REQUEST)),
    };
    let given = json::optional_object(&body, "credentials", "credentials")?
        .ok_or_else(|| ApiError::unprocessable("credentials is required"))?;
    let mut fields = [None, None];
    for (slot, field) in fields
        .iter_mut()
        .zip(["basic_auth_username", "basic_auth_password"])
    {
        let path = format!("credentials.{field}");
        if given.get(field).is_some_and(serde_json::Value::is_null) {
            return Err(ApiError::unprocessable(format!("{path} must not be null")));
        }
        *slot = match json::optional_str(given, field, &path)? {
            Some("") => return Err(ApiError::unprocessable(format!("{path} must not be empty"))),
            other => other.map(str::to_string),
        };
    }
    let [username, password] = fields;
    if username.is_none() && password.is_none() {
        return Err(ApiError::unprocessable(
            "credentials needs basic_auth_username, basic_auth_password or both",
        ));
    }
    app.write(|store| {
        let mut current = credentials(&store.data.account);
        if let Some(username) = username {
            current.basic_auth_username = username;
        }
        if let Some(password) = password {
            current.basic_auth_password = password;
        }
        store.data.account.metrics_credentials = Some(Box::new(current));
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}
