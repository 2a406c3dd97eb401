//! Acceptance tests for `dbaas_database_firewall`: the real Terraform CLI against `dbaas-mock`.
//! Every test starts its own emulator and Terraform directory.

mod support;

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use support::cluster::{str_attr, ClusterHcl, PG_NEWER};
use support::terraform::{state_resource, state_resource_count, state_values};
use support::text::hcl_string;
use support::{Mock, Terraform};

const FIREWALL: &str = "dbaas_database_firewall.x";
const CLUSTER: &str = "dbaas_database_cluster.x";
const OTHER: &str = "dbaas_database_cluster.other";
const K8S: &str = "ff2a6c52-5a44-4b63-b99c-0e98e7a63d61";

fn lit(text: &str) -> String {
    hcl_string(text)
}

/// A PostgreSQL cluster as `dbaas_database_cluster.<label>`.
fn cluster(label: &str, name: &str) -> String {
    ClusterHcl::new(name, "pg")
        .set_str("version", PG_NEWER)
        .render()
        .replacen(
            "\"dbaas_database_cluster\" \"x\"",
            &format!("\"dbaas_database_cluster\" \"{label}\""),
            1,
        )
}

/// `dbaas_database_firewall.x` on `cluster_id` (an HCL expression), with one `rule` block per
/// `(type, value expression)`, and optional extra lines.
fn firewall(cluster_id: &str, rules: &[(&str, String)], extra: &str) -> String {
    let mut hcl =
        format!("resource \"dbaas_database_firewall\" \"x\" {{\n  cluster_id = {cluster_id}\n");
    for (rule_type, value) in rules {
        hcl.push_str(&format!(
            "\n  rule {{\n    type  = {}\n    value = {value}\n  }}\n",
            lit(rule_type)
        ));
    }
    hcl.push_str(extra);
    hcl.push_str("}\n");
    hcl
}

/// The emulator's rules of a cluster as `(type, value)` pairs.
fn stored_rules(mock: &Mock, cluster_id: &str) -> BTreeSet<(String, String)> {
    let record = mock
        .cluster_record(cluster_id)
        .unwrap_or_else(|| panic!("the emulator has no cluster {cluster_id}"));
    record["firewall_rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rule| {
            (
                rule["type"].as_str().unwrap_or_default().to_string(),
                rule["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn pairs(rules: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    rules
        .iter()
        .map(|(t, v)| (t.to_string(), v.to_string()))
        .collect()
}

fn detail<'a>(values: &'a Value, key: &str) -> &'a Value {
    values["rule_details"]
        .get(key)
        .unwrap_or_else(|| panic!("rule_details has no entry {key:?}"))
}

#[test]
fn firewall_lifecycle_create_update_drift_replace_import_destroy() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);

    // The third rule's value is the id of the cluster created in the same apply, so it is
    // unknown at plan time: the set must still plan and apply.
    let rules = vec![
        ("ip_addr", lit("192.168.1.1")),
        ("tag", lit("backend")),
        ("app", format!("{CLUSTER}.id")),
    ];
    let config = |rules: &[(&str, String)], on: &str| {
        format!(
            "{}\n{}\n{}",
            cluster("x", "acc-fw-one"),
            cluster("other", "acc-fw-two"),
            firewall(on, rules, "")
        )
    };
    tf.write_config(&config(&rules, &format!("{CLUSTER}.id")));
    let plan = tf.plan();
    assert_eq!(plan.actions(FIREWALL), ["create"], "{}", plan.stdout);
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.show_state();
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let other_id = str_attr(state_values(&state, OTHER), "id").to_string();
    let values = state_values(&state, FIREWALL).clone();
    assert_eq!(
        str_attr(&values, "id"),
        cluster_id,
        "the firewall's id is its cluster's"
    );
    assert_eq!(
        stored_rules(&mock, &cluster_id),
        pairs(&[
            ("ip_addr", "192.168.1.1"),
            ("tag", "backend"),
            ("app", &cluster_id)
        ])
    );
    assert_eq!(values["rule_details"].as_object().map(|m| m.len()), Some(3));
    let ip_uuid = str_attr(detail(&values, "ip_addr:192.168.1.1"), "uuid").to_string();
    assert!(!ip_uuid.is_empty());
    assert!(!str_attr(detail(&values, "tag:backend"), "created_at").is_empty());

    // Swapping one rule is an in-place update; the rule that stays keeps its identity.
    let rules = vec![
        ("ip_addr", lit("192.168.1.1")),
        ("k8s", lit(K8S)),
        ("app", format!("{CLUSTER}.id")),
    ];
    tf.write_config(&config(&rules, &format!("{CLUSTER}.id")));
    let plan = tf.plan();
    plan.assert_update(FIREWALL);
    assert!(plan.is_unknown(FIREWALL, "rule_details"));
    tf.apply();
    tf.assert_plan_empty();
    let values = state_values(&tf.show_state(), FIREWALL).clone();
    assert_eq!(
        str_attr(detail(&values, "ip_addr:192.168.1.1"), "uuid"),
        ip_uuid
    );
    assert!(values["rule_details"].get("tag:backend").is_none());
    assert_eq!(
        stored_rules(&mock, &cluster_id),
        pairs(&[
            ("ip_addr", "192.168.1.1"),
            ("k8s", K8S),
            ("app", &cluster_id)
        ])
    );

    // A rule added by another API client is drift, and the next apply removes it.
    let path = format!("/v2/databases/{cluster_id}/firewall");
    let (status, body) = mock.v2(Method::GET, &path, None);
    assert_eq!(status, StatusCode::OK);
    let mut current = body["rules"].as_array().cloned().unwrap_or_default();
    current.push(json!({"type": "droplet", "value": "163973392"}));
    let (status, _) = mock.v2(Method::PUT, &path, Some(json!({"rules": current})));
    assert_eq!(status, StatusCode::NO_CONTENT);
    let plan = tf.plan();
    assert!(
        plan.has_changes,
        "an added rule must show as drift:\n{}",
        plan.stdout
    );
    plan.assert_update(FIREWALL);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(stored_rules(&mock, &cluster_id).len(), 3);
    assert!(!stored_rules(&mock, &cluster_id).contains(&("droplet".into(), "163973392".into())));

    // Another cluster is another firewall: the old cluster's rules are removed.
    tf.write_config(&config(&rules, &format!("{OTHER}.id")));
    tf.plan().assert_replace(FIREWALL);
    tf.apply();
    tf.assert_plan_empty();
    assert!(stored_rules(&mock, &cluster_id).is_empty());
    assert_eq!(
        stored_rules(&mock, &other_id),
        pairs(&[
            ("ip_addr", "192.168.1.1"),
            ("k8s", K8S),
            ("app", &cluster_id)
        ])
    );

    // Import by cluster ID round-trips exactly.
    let before = state_values(&tf.show_state(), FIREWALL).clone();
    tf.state_rm(FIREWALL);
    assert!(state_resource(&tf.show_state(), FIREWALL).is_none());
    tf.import(FIREWALL, &other_id);
    tf.assert_plan_empty();
    let imported = state_values(&tf.show_state(), FIREWALL).clone();
    for attribute in ["id", "cluster_id", "rule", "rule_details"] {
        assert_eq!(
            imported[attribute], before[attribute],
            "{attribute} differs after import"
        );
    }

    // Removing the resource removes every rule of its cluster, and only that.
    tf.step(&format!(
        "{}\n{}",
        cluster("x", "acc-fw-one"),
        cluster("other", "acc-fw-two")
    ));
    assert!(stored_rules(&mock, &other_id).is_empty());
    assert_eq!(mock.cluster_count(), 2);

    tf.destroy();
    assert_eq!(state_resource_count(&tf.show_state()), 0);
    assert_eq!(mock.cluster_count(), 0, "destroy left clusters behind");
}

#[test]
fn rules_set_elsewhere_are_not_taken_over_silently() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let cluster_hcl = cluster("x", "acc-fw-foreign");
    let state = tf.step(&cluster_hcl);
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    let path = format!("/v2/databases/{cluster_id}/firewall");
    let (status, _) = mock.v2(
        Method::PUT,
        &path,
        Some(json!({"rules": [{"type": "tag", "value": "legacy"}]})),
    );
    assert_eq!(status, StatusCode::NO_CONTENT);

    let wanted = [("ip_addr", lit("10.0.0.0/24"))];
    tf.write_config(&format!(
        "{cluster_hcl}\n{}",
        firewall(&format!("{CLUSTER}.id"), &wanted, "")
    ));
    let error = tf.apply_expect_error();
    error.assert_mentions("already trusts sources");
    error.assert_mentions("tag legacy");
    error.assert_mentions(&format!("terraform import <address> {cluster_id}"));
    error.assert_no_backtrace();
    assert_eq!(
        stored_rules(&mock, &cluster_id),
        pairs(&[("tag", "legacy")])
    );

    // Imported, the foreign rule is a planned removal.
    tf.import(FIREWALL, &cluster_id);
    let plan = tf.plan();
    plan.assert_update(FIREWALL);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        stored_rules(&mock, &cluster_id),
        pairs(&[("ip_addr", "10.0.0.0/24")])
    );

    // Rules removed elsewhere are drift too.
    let (status, _) = mock.v2(Method::PUT, &path, Some(json!({"rules": []})));
    assert_eq!(status, StatusCode::NO_CONTENT);
    tf.plan().assert_update(FIREWALL);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        stored_rules(&mock, &cluster_id),
        pairs(&[("ip_addr", "10.0.0.0/24")])
    );

    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn a_busy_cluster_is_retried() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let cluster_hcl = cluster("x", "acc-fw-busy");
    let state = tf.step(&cluster_hcl);
    let cluster_id = str_attr(state_values(&state, CLUSTER), "id").to_string();
    mock.add_fault(json!({
        "method": "PUT",
        "path": "/v2/databases/*/firewall",
        "kind": "status",
        "status": 412,
        "count": 2,
    }));
    mock.clear_requests();
    tf.step(&format!(
        "{cluster_hcl}\n{}",
        firewall(&format!("{CLUSTER}.id"), &[("tag", lit("web"))], "")
    ));
    let statuses: Vec<i64> = mock
        .requests()
        .iter()
        .filter(|r| r["method"] == "PUT")
        .filter_map(|r| r["status"].as_i64())
        .collect();
    assert_eq!(statuses, [412, 412, 204], "{}", mock.request_summary());
    assert_eq!(stored_rules(&mock, &cluster_id), pairs(&[("tag", "web")]));
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

#[test]
fn bad_inputs_fail_at_plan_naming_the_attribute() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let cluster_id = lit("9cc10173-e9ea-4176-9dbc-a4cee4c4ff30");
    tf.write_config(&firewall(&lit("cluster-1"), &[("tag", lit("web"))], ""));
    let error = tf.plan_expect_error();
    error.assert_mentions("Invalid cluster_id");
    error.assert_mentions("`cluster_id` must be a UUID");
    error.assert_no_backtrace();

    // (rule type, rule value, diagnostic summary, words of its detail); no type means no rule.
    let cases = [
        (None, "", "Missing rule", "At least one `rule`"),
        (
            Some("vpc"),
            "x",
            "Invalid rule.type",
            "`rule.type` must be one of",
        ),
        (Some("ip_addr"), "300.1.1.1", "Invalid rule.value", "IPv4"),
        (Some("ip_addr"), "2001:db8::1", "Invalid rule.value", "IPv6"),
        (
            Some("ip_addr"),
            "10.0.0.1/24",
            "Invalid rule.value",
            "10.0.0.0/24",
        ),
        (Some("droplet"), "web-1", "Invalid rule.value", "Droplet ID"),
        (Some("k8s"), "abc", "Invalid rule.value", "Kubernetes"),
        (Some("app"), "abc", "Invalid rule.value", "App Platform"),
        (Some("tag"), "has space", "Invalid rule.value", "tag name"),
    ];
    for (rule_type, value, summary, detail) in cases {
        let rules: Vec<(&str, String)> = rule_type.map(|t| (t, lit(value))).into_iter().collect();
        tf.write_config(&firewall(&cluster_id, &rules, ""));
        let error = tf.plan_expect_error();
        error.assert_mentions(summary);
        error.assert_mentions(detail);
        error.assert_no_backtrace();
    }

    tf.write_config(&firewall(
        &cluster_id,
        &[("tag", lit("web"))],
        "\n  timeouts {\n    update = \"soon\"\n  }\n",
    ));
    tf.plan_expect_error().assert_mentions("timeouts.update");

    // A well-formed ID of a cluster that does not exist is caught at plan time.
    tf.write_config(&firewall(&cluster_id, &[("tag", lit("web"))], ""));
    let error = tf.plan_expect_error();
    error.assert_mentions("cluster_id");
    error.assert_mentions("names no database cluster");
    assert!(
        mock.requests().iter().all(|r| r["method"] == "GET"),
        "a failing plan must not change anything:\n{}",
        mock.request_summary()
    );

    // Malformed import IDs say what is expected.
    let output = tf.run(&[
        "import",
        "-no-color",
        "-input=false",
        FIREWALL,
        "my-cluster",
    ]);
    assert!(!output.success());
    assert!(
        support::text::flatten(&output.stderr).contains("database cluster's UUID"),
        "{}",
        output.stderr
    );
}
