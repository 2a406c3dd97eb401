//! Firewall rules, a.k.a. trusted sources (`firewall_rule`).

use serde::{Deserialize, Serialize};

/// One trusted source. `PUT …/firewall` replaces the whole list, so callers send every rule
/// they want to keep; `uuid` may be sent to keep a rule's identity, `cluster_uuid` and
/// `created_at` are server-set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FirewallRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_uuid: Option<String>,
    /// `droplet`, `k8s`, `ip_addr`, `tag` or `app` (the JSON field `type`).
    #[serde(rename = "type")]
    pub rule_type: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl FirewallRule {
    /// A rule to send: type and value, nothing server-set.
    pub fn new(rule_type: impl Into<String>, value: impl Into<String>) -> Self {
        FirewallRule {
            rule_type: rule_type.into(),
            value: value.into(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_contract_example() {
        let body = json!({"rules": [
            {"uuid": "79f26d28-ea8a-41f2-8ad8-8cfcdd020095", "cluster_uuid": "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30",
             "type": "k8s", "value": "ff2a6c52-5a44-4b63-b99c-0e98e7a63d61", "created_at": "2019-11-14T20:30:28Z"},
            {"uuid": "adfe81a8-0fa1-4e2d-973f-06aa5af19b44", "cluster_uuid": "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30",
             "type": "ip_addr", "description": "a development IP address", "value": "192.168.1.1",
             "created_at": "2019-11-14T20:30:28Z"}
        ]});
        let rules: Vec<FirewallRule> = serde_json::from_value(body["rules"].clone()).unwrap();
        assert_eq!(rules[0].rule_type, "k8s");
        assert_eq!(
            rules[1].description.as_deref(),
            Some("a development IP address")
        );
        assert_eq!(serde_json::to_value(&rules).unwrap(), body["rules"]);
    }

    #[test]
    fn a_new_rule_sends_type_and_value_only() {
        let mut rule = FirewallRule::new("tag", "backend");
        rule.description = Some("a backend tag".into());
        assert_eq!(
            serde_json::to_value(rule).unwrap(),
            json!({"type": "tag", "value": "backend", "description": "a backend tag"})
        );
    }
}
