//! Fault injection (`/_mock/faults`): make matching `/v2` and `/api/v1` requests fail, stall, lose their
//! response, or leave what they create in a transitional state.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer `status` with the contract's error body, without performing the request.
    Status,
    /// Wait `delay_ms`, then handle the request normally.
    Delay,
    /// Close the connection without answering; the request is not performed.
    Drop,
    /// Perform the request, then close the connection without answering (a lost response).
    DropAfterHandling,
    /// Answer 404, without performing the request.
    NotFound,
    /// Perform the request; what it starts (cluster creation, resize, migration, topic
    /// change) never finishes.
    NeverOnline,
    /// Perform the request, then answer 202 `{"id":"accepted",…}` instead of its body.
    AcceptedWithoutBody,
    /// Perform the request, then answer its success status with an empty body.
    EmptyBody,
    /// Perform the request, then answer its success status with `{}`.
    EmptyObject,
    /// Perform the request, then answer its success status with the first half of its body
    /// (JSON cut off in the middle).
    TruncatedBody,
    /// Perform the request, then answer its success status with the object under the
    /// envelope key reduced to its `id` or `name` (a 201 missing required fields).
    MissingFields,
    /// Perform the request; the Uncloud database it creates ends in `error` instead of
    /// `running` (a provisioning failure).
    ProvisioningFails,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    pub id: String,
    pub method: String,
    pub path: String,
    /// How many matching requests it affects; `None` is forever.
    pub count: Option<u64>,
    /// How many it still affects; `None` is forever.
    pub remaining: Option<u64>,
    pub kind: FaultKind,
    pub status: Option<u16>,
    pub delay_ms: Option<u64>,
    pub retry_after_secs: Option<u64>,
    /// How many requests it has affected so far.
    pub hits: u64,
}

impl Fault {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.remaining != Some(0)
            && (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && glob_matches(&self.path, path)
    }
}

#[derive(Debug, Default)]
pub struct Faults {
    next_id: u64,
    faults: Vec<Fault>,
}

impl Faults {
    /// Adds a fault from a `POST /_mock/faults` body.
    pub fn add(&mut self, body: &Value) -> Result<Fault, String> {
        let Some(body) = body.as_object() else {
            return Err("the fault must be a JSON object".into());
        };
        const KNOWN: [&str; 7] = [
            "method",
            "path",
            "count",
            "kind",
            "status",
            "delay_ms",
            "retry_after_secs",
        ];
        if let Some(unknown) = body.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!(
                "unknown field {unknown:?}; known fields: {}",
                KNOWN.join(", ")
            ));
        }
        let text = |field: &str, default: &str| -> Result<String, String> {
            match body.get(field) {
                None | Some(Value::Null) => Ok(default.to_string()),
                Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                Some(_) => Err(format!("{field} must be a non-empty string")),
            }
        };
        let number = |field: &str| -> Result<Option<u64>, String> {
            match body.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| format!("{field} must be a non-negative integer")),
            }
        };
        let method = text("method", "*")?.to_ascii_uppercase();
        let path = text("path", "**")?;
        let kind: FaultKind = match body.get("kind") {
            Some(kind) => serde_json::from_value(kind.clone()).map_err(|_| {
                "kind must be one of status, delay, drop, drop_after_handling, not_found, \
                 never_online, accepted_without_body, empty_body, empty_object, truncated_body, \
                 missing_fields, provisioning_fails"
                    .to_string()
            })?,
            None => return Err("kind is required".into()),
        };
        let count = number("count")?;
        if count == Some(0) {
            return Err("count must be at least 1, or null for forever".into());
        }
        let status = number("status")?;
        let status = match (kind, status) {
            (FaultKind::Status, Some(code @ 400..=599)) => Some(code as u16),
            (FaultKind::Status, Some(_)) => return Err("status must be between 400 and 599".into()),
            (FaultKind::Status, None) => return Err("status is required for kind status".into()),
            (_, Some(_)) => return Err("status is only used with kind status".into()),
            (_, None) => None,
        };
        let delay_ms = number("delay_ms")?;
        match (kind, delay_ms) {
            (FaultKind::Delay, None) => return Err("delay_ms is required for kind delay".into()),
            (FaultKind::Delay, Some(_)) | (_, None) => {}
            (_, Some(_)) => return Err("delay_ms is only used with kind delay".into()),
        }
        self.next_id += 1;
        let fault = Fault {
            id: format!("f-{}", self.next_id),
            method,
            path,
            count,
            remaining: count,
            kind,
            status,
            delay_ms,
            retry_after_secs: number("retry_after_secs")?,
            hits: 0,
        };
        self.faults.push(fault.clone());
        Ok(fault)
    }

    /// The oldest active fault matching the request, counted as used.
    pub fn take(&mut self, method: &str, path: &str) -> Option<Fault> {
        let fault = self.faults.iter_mut().find(|f| f.matches(method, path))?;
        fault.hits += 1;
        if let Some(remaining) = fault.remaining.as_mut() {
            *remaining -= 1;
        }
        Some(fault.clone())
    }

    pub fn list(&self) -> &[Fault] {
        &self.faults
    }

    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.faults.len();
        self.faults.retain(|f| f.id != id);
        self.faults.len() != before
    }

    pub fn clear(&mut self) {
        self.faults.clear();
    }
}

/// `*` matches one path segment, `**` any rest (including nothing); other segments literally.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches_from(&pattern, &path)
}

fn matches_from(pattern: &[&str], path: &[&str]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(&"**"), _) => true,
        (Some(&"*"), Some(segment)) => {
            !segment.is_empty() && matches_from(&pattern[1..], &path[1..])
        }
        (Some(literal), Some(segment)) => {
            literal == segment && matches_from(&pattern[1..], &path[1..])
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs() {
        assert!(glob_matches("**", "/v2/databases"));
        assert!(glob_matches("/v2/databases/*", "/v2/databases/abc"));
        assert!(!glob_matches("/v2/databases/*", "/v2/databases/abc/pools"));
        assert!(!glob_matches("/v2/databases/*", "/v2/databases"));
        assert!(glob_matches(
            "/v2/databases/**",
            "/v2/databases/abc/pools/p"
        ));
        assert!(glob_matches(
            "/v2/databases/*/pools",
            "/v2/databases/abc/pools"
        ));
        assert!(!glob_matches(
            "/v2/databases/*/pools",
            "/v2/databases/abc/topics"
        ));
    }

    #[test]
    fn counts_run_out_and_the_oldest_match_wins() {
        let mut faults = Faults::default();
        let first = faults
            .add(&json!({"method": "get", "path": "/v2/databases/*", "count": 1, "kind": "not_found"}))
            .unwrap();
        faults
            .add(&json!({"kind": "status", "status": 500}))
            .unwrap();
        assert_eq!(first.id, "f-1");
        assert_eq!(first.method, "GET");
        assert_eq!(faults.take("GET", "/v2/databases/x").unwrap().id, "f-1");
        assert_eq!(faults.take("GET", "/v2/databases/x").unwrap().id, "f-2");
        assert_eq!(faults.list()[0].remaining, Some(0));
        assert_eq!(faults.list()[1].hits, 1);
    }

    #[test]
    fn rejects_incomplete_faults() {
        let mut faults = Faults::default();
        assert!(faults.add(&json!({"kind": "status"})).is_err());
        assert!(faults
            .add(&json!({"kind": "status", "status": 200}))
            .is_err());
        assert!(faults.add(&json!({"kind": "delay"})).is_err());
        assert!(faults.add(&json!({"kind": "explode"})).is_err());
        assert!(faults.add(&json!({"kind": "drop", "count": 0})).is_err());
        assert!(faults.add(&json!({"kind": "drop", "paht": "/"})).is_err());
        assert!(faults.list().is_empty());
    }
}
