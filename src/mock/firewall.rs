//! Firewall rules ("trusted sources", contract §3.4). `PUT` replaces the whole set; the server
//! assigns `uuid`, `cluster_uuid` and `created_at`, and a rule that is kept (same `uuid`, or
//! same type and value) keeps its identity.

use std::net::Ipv4Addr;
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use regex::Regex;
use serde_json::{json, Value};

use super::app::App;
use super::error::{ApiError, ApiResult};
use super::json;
use super::store::{timestamp, Cluster, FirewallRule, Ids};
use super::tags::validate_tag_name;

/// The API's limit on trusted sources per cluster.
const MAX_RULES: usize = 100;
const RULE_TYPES: [&str; 5] = ["ip_addr", "droplet", "k8s", "tag", "app"];

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/v2/databases/:id/firewall", get(list).put(replace))
}

/// A rule as sent in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInput {
    pub uuid: Option<String>,
    pub kind: String,
    pub value: String,
    pub description: Option<String>,
}

pub fn render_rules(cluster: &Cluster) -> Vec<Value> {
    cluster
        .firewall_rules
        .iter()
        .map(|rule| {
            let mut out = json!({
                "uuid": rule.uuid,
                "cluster_uuid": cluster.id,
                "type": rule.kind,
                "value": rule.value,
                "created_at": rule.created_at,
            });
            if let Some(description) = &rule.description {
                out["description"] = json!(description);
            }
            out
        })
        .collect()
}

async fn list(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let rules = app.read(|store| store.cluster(&id).map(render_rules))?;
    Ok(json::respond(StatusCode::OK, json!({ "rules": rules })))
}

async fn replace(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let items = json::optional_array(&body, "rules", "rules")?.ok_or_else(|| {
        ApiError::unprocessable("rules is required (send [] to remove every rule)")
    })?;
    let rules = parse_rules(items, "rules")?;
    app.write(|store| {
        let now = store.now_ms;
        let super::store::Store { data, ids, .. } = store;
        let cluster = data
            .clusters
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(ApiError::not_found)?;
        replace_rules(cluster, &rules, ids, now);
        Ok(())
    })?;
    Ok(json::empty(StatusCode::NO_CONTENT))
}

/// Validates a `rules` array: types, values per type, duplicates and the 100-rule limit.
pub fn parse_rules(items: &[Value], path: &str) -> ApiResult<Vec<RuleInput>> {
    if items.len() > MAX_RULES {
        return Err(ApiError::unprocessable(format!(
            "{path}: a cluster allows at most {MAX_RULES} firewall rules, got {}",
            items.len()
        )));
    }
    let mut rules: Vec<RuleInput> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let Value::Object(rule) = item else {
            return Err(ApiError::unprocessable(format!("{at} must be an object")));
        };
        let kind = json::required_str(rule, "type", &format!("{at}.type"))?;
        if !RULE_TYPES.contains(&kind) {
            return Err(ApiError::unprocessable(format!(
                "{at}.type: {kind:?} is not a rule type; allowed values: {}",
                RULE_TYPES.join(", ")
            )));
        }
        let value = json::required_str(rule, "value", &format!("{at}.value"))?;
        check_value(kind, value, &format!("{at}.value"))?;
        let uuid = json::optional_str(rule, "uuid", &format!("{at}.uuid"))?
            .filter(|u| !u.is_empty())
            .map(str::to_string);
        let description = json::optional_str(rule, "description", &format!("{at}.description"))?
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        if rules.iter().any(|r| r.kind == kind && r.value == value) {
            return Err(ApiError::unprocessable(format!(
                "{at}: duplicate rule {kind} {value:?}"
            )));
        }
        rules.push(RuleInput {
            uuid,
            kind: kind.to_string(),
            value: value.to_string(),
            description,
        });
    }
    Ok(rules)
}

fn check_value(kind: &str, value: &str, path: &str) -> ApiResult<()> {
    static DROPLET_ID: OnceLock<Regex> = OnceLock::new();
    let valid = match kind {
        "ip_addr" => is_ipv4_or_cidr(value),
        "droplet" => DROPLET_ID
            .get_or_init(|| Regex::new(r"^[1-9][0-9]{0,19}$").expect("valid droplet ID pattern"))
            .is_match(value),
        "k8s" | "app" => value.len() == 36 && uuid::Uuid::parse_str(value).is_ok(),
        "tag" => return validate_tag_name(value, path),
        _ => false,
    };
    if valid {
        return Ok(());
    }
    let expected = match kind {
        "ip_addr" => "an IPv4 address or CIDR block (IPv6 addresses cannot be trusted sources)",
        "droplet" => "a numeric Droplet ID",
        "k8s" => "a Kubernetes cluster UUID",
        _ => "an App Platform app UUID",
    };
    Err(ApiError::unprocessable(format!(
        "{path}: {value:?} is not {expected}"
    )))
}

fn is_ipv4_or_cidr(value: &str) -> bool {
    let (address, prefix) = match value.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (value, None),
    };
    address.parse::<Ipv4Addr>().is_ok()
        && prefix.map_or(true, |p| {
            p.parse::<u8>().is_ok_and(|p| p <= 32) && !p.starts_with('+')
        })
}

/// Replaces the cluster's rules. A rule keeps its `uuid` and `created_at` when the request names
/// that `uuid`, or (without one) has the same type and value as an existing rule.
pub fn replace_rules(cluster: &mut Cluster, rules: &[RuleInput], ids: &mut Ids, now_ms: u64) {
    let previous = std::mem::take(&mut cluster.firewall_rules);
    cluster.firewall_rules = rules
        .iter()
        .map(|input| {
            let kept = previous.iter().find(|old| match &input.uuid {
                Some(uuid) => &old.uuid == uuid,
                None => old.kind == input.kind && old.value == input.value,
            });
            FirewallRule {
                uuid: kept.map_or_else(|| ids.uuid(), |old| old.uuid.clone()),
                kind: input.kind.clone(),
                value: input.value.clone(),
                created_at: kept.map_or_else(|| timestamp(now_ms), |old| old.created_at.clone()),
                description: input.description.clone(),
            }
        })
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_per_type() {
        let ok = |kind: &str, value: &str| check_value(kind, value, "rules[0].value").is_ok();
        assert!(ok("ip_addr", "192.168.1.1"));
        assert!(ok("ip_addr", "10.0.0.0/8"));
        assert!(!ok("ip_addr", "10.0.0.0/33"));
        assert!(!ok("ip_addr", "2001:db8::1"));
        assert!(!ok("ip_addr", "example.com"));
        assert!(ok("droplet", "163973392"));
        assert!(!ok("droplet", "droplet-1"));
        assert!(ok("k8s", "ff2a6c52-5a44-4b63-b99c-0e98e7a63d61"));
        assert!(!ok("k8s", "ff2a6c52"));
        assert!(ok("app", "ff2a6c52-5a44-4b63-b99c-0e98e7a63d61"));
        assert!(ok("tag", "backend"));
        assert!(!ok("tag", "no spaces"));
    }

    #[test]
    fn parse_rejects_bad_types_and_duplicates() {
        let err = parse_rules(&[json!({"type": "vpc", "value": "x"})], "rules").unwrap_err();
        assert!(err.message.contains("rules[0].type") && err.message.contains("ip_addr"));
        let dup = [
            json!({"type": "tag", "value": "a"}),
            json!({"type": "tag", "value": "a"}),
        ];
        assert!(parse_rules(&dup, "rules")
            .unwrap_err()
            .message
            .contains("duplicate"));
        let missing = parse_rules(&[json!({"type": "tag"})], "rules").unwrap_err();
        assert!(missing.message.contains("rules[0].value"));
        let too_many: Vec<Value> = (1..=101)
            .map(|n| json!({"type": "droplet", "value": n.to_string()}))
            .collect();
        assert!(parse_rules(&too_many, "rules").is_err());
    }
}
