//! `moved` from DigitalOcean's provider (Terraform ≥ 1.8): MoveResourceState hands the target
//! resource the source's stored JSON, and each resource turns a `digitalocean_*` state of
//! schema version 0 into its own. This module checks where the state comes from and reads
//! DigitalOcean's attribute spellings (numbers written as strings, `""` for unset, blocks as
//! lists); the resources map the attributes.
//!
//! Terraform calls MoveResourceState on a provider it has not configured, so a conversion uses
//! no API: the refresh that follows in the same plan brings every computed value up to date.

use serde_json::{Map, Value as Json};

use crate::framework::diag::DiagExt;
use crate::framework::timeouts::Timeouts;
use crate::plugin::service::MoveRequest;
use crate::plugin::value::Value;
use crate::plugin::Diagnostics;

/// The addresses DigitalOcean's provider has in state: Terraform's registry and OpenTofu's.
pub const DIGITALOCEAN_PROVIDERS: [&str; 2] = [
    "registry.terraform.io/digitalocean/digitalocean",
    "registry.opentofu.org/digitalocean/digitalocean",
];

/// The schema version DigitalOcean's provider (v2) writes for every database resource.
pub const DIGITALOCEAN_SCHEMA_VERSION: i64 = 0;

/// DigitalOcean's database resources and where each moves to in this provider.
pub const COUNTERPARTS: [(&str, &str); 20] = [
    ("digitalocean_database_cluster", "dbaas_database_cluster"),
    (
        "digitalocean_database_connection_pool",
        "dbaas_database_connection_pool",
    ),
    (
        "digitalocean_database_kafka_topic",
        "dbaas_database_kafka_topic",
    ),
    ("digitalocean_database_firewall", "dbaas_database_firewall"),
    ("digitalocean_database_user", "dbaas_database_user"),
    ("digitalocean_database_db", "dbaas_database_db"),
    ("digitalocean_database_replica", "dbaas_database_replica"),
    (
        "digitalocean_database_postgresql_config",
        "dbaas_database_postgresql_config",
    ),
    (
        "digitalocean_database_mysql_config",
        "dbaas_database_mysql_config",
    ),
    (
        "digitalocean_database_redis_config",
        "dbaas_database_redis_config",
    ),
    (
        "digitalocean_database_valkey_config",
        "dbaas_database_valkey_config",
    ),
    (
        "digitalocean_database_kafka_config",
        "dbaas_database_kafka_config",
    ),
    (
        "digitalocean_database_mongodb_config",
        "dbaas_database_mongodb_config",
    ),
    (
        "digitalocean_database_opensearch_config",
        "dbaas_database_opensearch_config",
    ),
    (
        "digitalocean_database_advanced_postgresql_config",
        "dbaas_database_advanced_postgresql_config",
    ),
    (
        "digitalocean_database_advanced_mysql_config",
        "dbaas_database_advanced_mysql_config",
    ),
    (
        "digitalocean_database_logsink_rsyslog",
        "dbaas_database_logsink_rsyslog",
    ),
    (
        "digitalocean_database_logsink_opensearch",
        "dbaas_database_logsink_opensearch",
    ),
    (
        "digitalocean_database_online_migration",
        "dbaas_database_online_migration",
    ),
    (
        "digitalocean_database_kafka_schema_registry",
        "dbaas_database_kafka_schema_registry",
    ),
];

/// One DigitalOcean resource's stored attributes.
#[derive(Debug, Clone, Default)]
pub struct SourceState(Map<String, Json>);

/// Checks that `request` moves DigitalOcean's counterpart of `target` at schema version 0 and
/// reads its attributes; anything else is an error diagnostic that says what can be moved.
pub fn source_state(
    diags: &mut Diagnostics,
    request: &MoveRequest,
    target: &str,
) -> Option<SourceState> {
    let expected = COUNTERPARTS
        .iter()
        .find(|(_, ours)| *ours == target)
        .map(|(theirs, _)| *theirs)
        .unwrap_or("a DigitalOcean database resource");
    let source = request.source_type_name.as_str();
    let provider = request.source_provider_address.as_str();
    if !DIGITALOCEAN_PROVIDERS.contains(&provider) {
        diags.root_err(
            "Cannot move this resource here",
            format!(
                "{target} accepts state moved from DigitalOcean's provider ({}) only, from \
                 {expected}; {source} belongs to {provider}. Within this provider, resources of \
                 different types cannot be moved into each other.",
                DIGITALOCEAN_PROVIDERS[0]
            ),
        );
        return None;
    }
    if source != expected {
        let hint = match COUNTERPARTS.iter().find(|(theirs, _)| *theirs == source) {
            Some((_, ours)) => format!("move it to {ours} instead"),
            None => "this provider has no counterpart for it yet".to_string(),
        };
        diags.root_err(
            "Cannot move this resource here",
            format!(
                "{target} can be moved from {expected} only, not from {source}: {hint}. The \
                 `moved` block's `to` must name the matching dbaas_ type."
            ),
        );
        return None;
    }
    if request.source_schema_version != DIGITALOCEAN_SCHEMA_VERSION {
        diags.root_err(
            "Unsupported source state version",
            format!(
                "This {source} was stored with schema version {}; {target} reads version {} \
                 (what DigitalOcean's provider v2 writes). Run a plan with the DigitalOcean \
                 provider version that wrote it first, or remove it from state and import it \
                 as {target}.",
                request.source_schema_version, DIGITALOCEAN_SCHEMA_VERSION
            ),
        );
        return None;
    }
    match serde_json::from_slice::<Json>(&request.source_state_json) {
        Ok(Json::Object(attributes)) => Some(SourceState(attributes)),
        Ok(_) | Err(_) => {
            diags.root_err(
                "Unreadable source state",
                format!(
                    "The stored state of this {source} is not a JSON object, so it cannot be \
                     moved to {target}. Remove it from state and import it as {target} instead."
                ),
            );
            None
        }
    }
}

impl SourceState {
    #[cfg(test)]
    pub fn from_json(value: Json) -> Self {
        match value {
            Json::Object(attributes) => Self(attributes),
            _ => Self::default(),
        }
    }

    fn get(&self, name: &str) -> Option<&Json> {
        self.0.get(name).filter(|value| !value.is_null())
    }

    /// A string attribute; DigitalOcean's provider writes `""` for one never set.
    pub fn string(&self, name: &str) -> Value<String> {
        match self.get(name) {
            Some(Json::String(text)) if !text.is_empty() => Value::Value(text.clone()),
            Some(Json::Number(number)) => Value::Value(number.to_string()),
            Some(Json::Bool(flag)) => Value::Value(flag.to_string()),
            _ => Value::Null,
        }
    }

    /// A whole number, stored as a number or (for 64-bit attributes) a decimal string.
    pub fn int(&self, name: &str) -> Value<i64> {
        match self.get(name) {
            Some(Json::Number(number)) => number
                .as_i64()
                .or_else(|| {
                    number
                        .as_f64()
                        .filter(|x| x.fract() == 0.0)
                        .map(|x| x as i64)
                })
                .map_or(Value::Null, Value::Value),
            Some(Json::String(text)) => text.trim().parse().map_or(Value::Null, Value::Value),
            _ => Value::Null,
        }
    }

    pub fn bool(&self, name: &str) -> Value<bool> {
        match self.get(name) {
            Some(Json::Bool(flag)) => Value::Value(*flag),
            Some(Json::String(text)) => text.parse().map_or(Value::Null, Value::Value),
            _ => Value::Null,
        }
    }

    /// A list or set of strings; empty strings are dropped.
    pub fn strings(&self, name: &str) -> Option<Vec<String>> {
        match self.get(name) {
            Some(Json::Array(items)) => Some(
                items
                    .iter()
                    .filter_map(|item| item.as_str())
                    .filter(|text| !text.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            _ => None,
        }
    }

    /// A nested block, stored as a list of objects.
    pub fn blocks(&self, name: &str) -> Vec<SourceState> {
        match self.get(name) {
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(|item| match item {
                    Json::Object(attributes) => Some(SourceState(attributes.clone())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A single nested block (`MaxItems: 1`), if it is there.
    pub fn block(&self, name: &str) -> Option<SourceState> {
        self.blocks(name).into_iter().next()
    }

    /// The attributes as the API spells them: without the ones DigitalOcean's provider left
    /// empty (`""`), and with the whole numbers it stores as strings (64-bit settings) as
    /// numbers again.
    pub fn api_json(&self) -> Json {
        Json::Object(
            self.0
                .iter()
                .filter(|(_, value)| !value.is_null() && value.as_str() != Some(""))
                .map(|(name, value)| {
                    let value = match value.as_str().map(|text| text.parse::<i64>()) {
                        Some(Ok(number)) => Json::from(number),
                        _ => value.clone(),
                    };
                    (name.clone(), value)
                })
                .collect(),
        )
    }

    /// The `timeouts` block: DigitalOcean's provider stores it as an object (or null) with the
    /// same names.
    pub fn timeouts(&self) -> Value<Timeouts> {
        let Some(Json::Object(limits)) = self.get("timeouts") else {
            return Value::Null;
        };
        let limits = SourceState(limits.clone());
        let timeouts = Timeouts {
            create: limits.string("create"),
            update: limits.string("update"),
            delete: limits.string("delete"),
        };
        if timeouts == Timeouts::default() {
            Value::Null
        } else {
            Value::Value(timeouts)
        }
    }
}

/// A required identifying attribute, or an error diagnostic naming it.
pub fn required(
    diags: &mut Diagnostics,
    state: &SourceState,
    source: &str,
    name: &str,
) -> Option<String> {
    match state.string(name) {
        Value::Value(value) => Some(value),
        _ => {
            diags.root_err(
                "Incomplete source state",
                format!(
                    "The stored {source} has no `{name}`, so there is nothing to identify the \
                     object by. Remove it from state and import it instead."
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(provider: &str, source: &str, version: i64, state: Json) -> MoveRequest {
        MoveRequest {
            source_provider_address: provider.to_string(),
            source_type_name: source.to_string(),
            source_schema_version: version,
            source_state_json: serde_json::to_vec(&state).unwrap(),
            target_type_name: "dbaas_database_cluster".to_string(),
            ..Default::default()
        }
    }

    fn error_of(request: &MoveRequest) -> String {
        let mut diags = Diagnostics::default();
        assert!(source_state(&mut diags, request, &request.target_type_name).is_none());
        format!("{diags:?}")
    }

    #[test]
    fn only_digitaloceans_counterpart_at_version_0_is_accepted() {
        let state = json!({"id": "c1"});
        let mut diags = Diagnostics::default();
        let ok = request(
            DIGITALOCEAN_PROVIDERS[0],
            "digitalocean_database_cluster",
            0,
            state.clone(),
        );
        assert!(source_state(&mut diags, &ok, "dbaas_database_cluster").is_some());
        let tofu = request(
            DIGITALOCEAN_PROVIDERS[1],
            "digitalocean_database_cluster",
            0,
            state.clone(),
        );
        assert!(source_state(&mut diags, &tofu, "dbaas_database_cluster").is_some());
        assert!(!diags.has_errors());

        let other = request(
            "registry.terraform.io/hashicorp/aws",
            "aws_db_instance",
            0,
            state.clone(),
        );
        assert!(error_of(&other).contains("belongs to registry.terraform.io/hashicorp/aws"));
        let ours = request(
            "registry.terraform.io/example/dbaas",
            "dbaas_database_firewall",
            0,
            state.clone(),
        );
        assert!(error_of(&ours).contains("DigitalOcean's provider"));

        let wrong = request(
            DIGITALOCEAN_PROVIDERS[0],
            "digitalocean_database_firewall",
            0,
            state.clone(),
        );
        let text = error_of(&wrong);
        assert!(
            text.contains("move it to dbaas_database_firewall instead"),
            "{text}"
        );
        let unknown = request(
            DIGITALOCEAN_PROVIDERS[0],
            "digitalocean_droplet",
            0,
            state.clone(),
        );
        assert!(error_of(&unknown).contains("no counterpart"));

        let newer = request(
            DIGITALOCEAN_PROVIDERS[0],
            "digitalocean_database_cluster",
            3,
            state,
        );
        let text = error_of(&newer);
        assert!(
            text.contains("schema version 3") && text.contains("reads version 0"),
            "{text}"
        );

        let mut broken = request(
            DIGITALOCEAN_PROVIDERS[0],
            "digitalocean_database_cluster",
            0,
            json!(1),
        );
        broken.source_state_json = b"{not json".to_vec();
        assert!(error_of(&broken).contains("not a JSON object"));
    }

    #[test]
    fn digitaloceans_spellings_are_read() {
        let state = SourceState::from_json(json!({
            "size_mib": "10240", "count": 3, "ratio": 0.5, "empty": "", "name": "db",
            "flag": true, "tags": ["a", ""], "timeouts": {"create": "30m"},
            "window": [{"day": "sunday"}], "none": null
        }));
        assert_eq!(state.int("size_mib"), Value::Value(10240));
        assert_eq!(state.int("count"), Value::Value(3));
        assert_eq!(state.int("ratio"), Value::Null);
        assert_eq!(state.string("empty"), Value::Null);
        assert_eq!(state.string("none"), Value::Null);
        assert_eq!(state.string("name"), Value::Value("db".into()));
        assert_eq!(state.bool("flag"), Value::Value(true));
        assert_eq!(state.strings("tags"), Some(vec!["a".to_string()]));
        assert_eq!(state.strings("none"), None);
        assert_eq!(
            state.block("window").unwrap().string("day"),
            Value::Value("sunday".into())
        );
        assert!(state.block("tags").is_none());
        let Value::Value(timeouts) = state.timeouts() else {
            panic!("timeouts")
        };
        assert_eq!(timeouts.create, Value::Value("30m".into()));
        assert_eq!(timeouts.delete, Value::Null);
        let api = state.api_json();
        assert!(api.get("empty").is_none());
        assert_eq!(api["size_mib"], json!(10240));
        assert_eq!(api["name"], json!("db"));
        let mut diags = Diagnostics::default();
        assert!(required(&mut diags, &state, "digitalocean_database_cluster", "id").is_none());
        assert!(format!("{diags:?}").contains("has no `id`"));
    }
}
