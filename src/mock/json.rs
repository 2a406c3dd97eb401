//! Reading request bodies the way the API does: unparsable JSON is a 400, a well-formed body
//! with a missing or mistyped field is a 422 whose message names the field.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};

use super::error::{ApiError, ApiResult};

pub type Object = Map<String, Value>;

/// Parses a request body. An empty body is `null`.
pub fn parse(bytes: &Bytes) -> ApiResult<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|_| ApiError::for_status(StatusCode::BAD_REQUEST))
}

/// Parses a body that must be a JSON object.
pub fn parse_object(bytes: &Bytes) -> ApiResult<Object> {
    match parse(bytes)? {
        Value::Object(map) => Ok(map),
        Value::Null => Err(ApiError::unprocessable(
            "a JSON object request body is required",
        )),
        _ => Err(ApiError::for_status(StatusCode::BAD_REQUEST)),
    }
}

/// A present, non-null field.
fn present<'a>(obj: &'a Object, field: &str) -> Option<&'a Value> {
    obj.get(field).filter(|v| !v.is_null())
}

pub fn required_str<'a>(obj: &'a Object, field: &str, path: &str) -> ApiResult<&'a str> {
    match present(obj, field) {
        None => Err(ApiError::unprocessable(format!("{path} is required"))),
        Some(Value::String(s)) if s.is_empty() => {
            Err(ApiError::unprocessable(format!("{path} must not be empty")))
        }
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::unprocessable(format!("{path} must be a string"))),
    }
}

pub fn optional_str<'a>(obj: &'a Object, field: &str, path: &str) -> ApiResult<Option<&'a str>> {
    match present(obj, field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::unprocessable(format!("{path} must be a string"))),
    }
}

pub fn required_int(obj: &Object, field: &str, path: &str) -> ApiResult<i64> {
    optional_int(obj, field, path)?
        .ok_or_else(|| ApiError::unprocessable(format!("{path} is required")))
}

pub fn optional_int(obj: &Object, field: &str, path: &str) -> ApiResult<Option<i64>> {
    match present(obj, field) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::unprocessable(format!("{path} must be an integer"))),
    }
}

pub fn optional_bool(obj: &Object, field: &str, path: &str) -> ApiResult<Option<bool>> {
    match present(obj, field) {
        None => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .ok_or_else(|| ApiError::unprocessable(format!("{path} must be a boolean"))),
    }
}

pub fn optional_object<'a>(
    obj: &'a Object,
    field: &str,
    path: &str,
) -> ApiResult<Option<&'a Object>> {
    match present(obj, field) {
        None => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(ApiError::unprocessable(format!("{path} must be an object"))),
    }
}

pub fn optional_array<'a>(
    obj: &'a Object,
    field: &str,
    path: &str,
) -> ApiResult<Option<&'a Vec<Value>>> {
    match present(obj, field) {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(_) => Err(ApiError::unprocessable(format!("{path} must be an array"))),
    }
}

pub fn optional_str_array(obj: &Object, field: &str, path: &str) -> ApiResult<Option<Vec<String>>> {
    let Some(items) = optional_array(obj, field, path)? else {
        return Ok(None);
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_str()
                .map(str::to_string)
                .ok_or_else(|| ApiError::unprocessable(format!("{path}[{i}] must be a string")))
        })
        .collect::<ApiResult<Vec<_>>>()
        .map(Some)
}

/// A JSON response with the contract's content type.
pub fn respond(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// A response without a body (204, 202, and PATCH config's 200).
pub fn empty(status: StatusCode) -> Response {
    status.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Object {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn parse_errors_are_400_and_field_errors_422() {
        assert_eq!(
            parse(&Bytes::from_static(b"{")).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(parse(&Bytes::from_static(b"  ")).unwrap(), Value::Null);
        let o = obj(json!({"name": 3, "n": "x", "e": ""}));
        let err = required_str(&o, "name", "name").unwrap_err();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err.message.contains("name"));
        assert!(required_str(&o, "e", "e")
            .unwrap_err()
            .message
            .contains("empty"));
        assert!(required_int(&o, "n", "n")
            .unwrap_err()
            .message
            .contains("integer"));
        assert!(required_int(&o, "missing", "x.missing")
            .unwrap_err()
            .message
            .contains("x.missing"));
    }
}
