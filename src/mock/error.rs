//! The contract's error body (`{id, message, request_id}`, contract §2.3). Handlers return
//! [`ApiError`]; the gateway adds the `request_id` and the rate-limit headers.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub id: String,
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            id: error_id(status),
            message: message.into(),
        }
    }

    /// The contract's body for `status`, with its documented message.
    pub fn for_status(status: StatusCode) -> Self {
        ApiError::new(status, standard_message(status))
    }

    pub fn not_found() -> Self {
        ApiError::for_status(StatusCode::NOT_FOUND)
    }

    pub fn not_found_because(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn body(&self) -> serde_json::Value {
        serde_json::Value::Object(self.fields())
    }

    /// The body's fields, for adding a `request_id`.
    pub fn fields(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut fields = serde_json::Map::new();
        fields.insert("id".into(), json!(self.id));
        fields.insert("message".into(), json!(self.message));
        fields
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// The short identifier the API uses for a status (`not_found`, `unprocessable_entity`, …).
pub fn error_id(status: StatusCode) -> String {
    match status.as_u16() {
        400 => "bad_request".into(),
        401 => "unauthorized".into(),
        403 => "forbidden".into(),
        404 => "not_found".into(),
        405 => "method_not_allowed".into(),
        409 => "conflict".into(),
        412 => "precondition_failed".into(),
        413 => "payload_too_large".into(),
        422 => "unprocessable_entity".into(),
        429 => "too_many_requests".into(),
        500 => "server_error".into(),
        502 => "bad_gateway".into(),
        503 => "service_unavailable".into(),
        504 => "gateway_timeout".into(),
        _ => status
            .canonical_reason()
            .map(|reason| {
                reason
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_lowercase()
                        } else {
                            '_'
                        }
                    })
                    .collect()
            })
            .unwrap_or_else(|| "error".into()),
    }
}

/// The message the contract documents for a status, or the status's reason phrase.
pub fn standard_message(status: StatusCode) -> String {
    match status.as_u16() {
        400 => "error parsing request body".into(),
        401 => "Unable to authenticate you.".into(),
        403 => "You do not have access for the attempted action.".into(),
        404 => "The resource you requested could not be found.".into(),
        422 => "request payload validation failed".into(),
        429 => "API rate limit exceeded.".into(),
        500 => "Unexpected server-side error".into(),
        503 => "Service is temporarily unavailable. Please try again later.".into(),
        _ => status
            .canonical_reason()
            .unwrap_or("Unexpected error")
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_bodies() {
        assert_eq!(
            ApiError::for_status(StatusCode::UNAUTHORIZED).body(),
            json!({"id": "unauthorized", "message": "Unable to authenticate you."})
        );
        assert_eq!(
            ApiError::for_status(StatusCode::TOO_MANY_REQUESTS).body(),
            json!({"id": "too_many_requests", "message": "API rate limit exceeded."})
        );
        assert_eq!(error_id(StatusCode::IM_A_TEAPOT), "i_m_a_teapot");
        assert_eq!(
            error_id(StatusCode::PRECONDITION_FAILED),
            "precondition_failed"
        );
    }
}
