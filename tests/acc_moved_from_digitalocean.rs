//! Acceptance tests for `moved` from DigitalOcean's provider: the real Terraform CLI moves a
//! state written by `terraform-provider-digitalocean` v2.99.1 (`tests/fixtures`, pointed at
//! objects that exist in `dbaas-mock`) into `dbaas_*` resources. The plan shows moves only —
//! no create, delete, replace or update — the apply changes no object, and the plan after it
//! is empty.
//!
//! What Terraform needs of the source provider, found here and written into the migration
//! guide: while `digitalocean_*` resources are in state, Terraform must be able to start the
//! provider at `registry.terraform.io/digitalocean/digitalocean` (it loads the schema of every
//! provider the state names before it applies `moved` blocks), even though only the target
//! provider converts anything. The real DigitalOcean provider cannot be downloaded on the test
//! machines, so a stand-in plugin sits at that address (this provider's own binary behind a
//! wrapper that records each start). The tests prove both halves: without a plugin there,
//! Terraform refuses; with one, Terraform starts it, and once the move is applied it is no
//! longer needed.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use support::terraform::{provider_binary_dir, state_values};
use support::{Mock, Terraform};

const DIGITALOCEAN: &str = "registry.terraform.io/digitalocean/digitalocean";
const SAMPLE: &str = include_str!("fixtures/do-provider-state-sample.json");
/// The IDs the sample was written with.
const SAMPLE_PG: &str = "a1d66fd5-cf39-41ea-91e2-b1697c31b4f3";
const SAMPLE_KAFKA: &str = "2afb2722-9974-4536-bea5-402e986c33f6";

/// A `/v2` request that must succeed; the parsed body.
fn api(mock: &Mock, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let (status, body) = mock.v2(method.clone(), path, body);
    assert!(status.is_success(), "{method} {path} answered {status}");
    body
}

struct Objects {
    pg: String,
    kafka: String,
}

/// What the sample describes, created in the emulator: a pg cluster with a pool and a firewall
/// rule, a Kafka cluster with a topic whose cleanup policy and retention were chosen.
fn create_objects(mock: &Mock) -> Objects {
    use reqwest::Method;
    let cluster = |body: Value| {
        api(mock, Method::POST, "/v2/databases", Some(body))["database"]["id"]
            .as_str()
            .expect("cluster id")
            .to_string()
    };
    let pg = cluster(json!({"name": "mv-pg", "engine": "pg", "version": "16",
        "size": "db-s-1vcpu-1gb", "region": "nyc1", "num_nodes": 1, "tags": ["production"]}));
    let kafka = cluster(
        json!({"name": "mv-kafka", "engine": "kafka", "version": "3.8",
        "size": "db-s-2vcpu-2gb", "region": "nyc1", "num_nodes": 3}),
    );
    api(
        mock,
        Method::PUT,
        &format!("/v2/databases/{pg}/maintenance"),
        Some(json!({"day": "sunday", "hour": "02:00"})),
    );
    api(
        mock,
        Method::POST,
        &format!("/v2/databases/{pg}/pools"),
        Some(json!({"name": "mv-pool", "mode": "transaction", "size": 10,
                    "db": "defaultdb", "user": "doadmin"})),
    );
    api(
        mock,
        Method::PUT,
        &format!("/v2/databases/{pg}/firewall"),
        Some(json!({"rules": [{"type": "ip_addr", "value": "192.0.2.0/24"}]})),
    );
    api(
        mock,
        Method::POST,
        &format!("/v2/databases/{kafka}/topics"),
        Some(
            json!({"name": "mv-topic", "partition_count": 3, "replication_factor": 2,
                    "config": {"cleanup_policy": "compact", "retention_ms": 3600000}}),
        ),
    );
    Objects { pg, kafka }
}

/// The sample state with the emulator's IDs, and the topic's config as DigitalOcean's
/// provider would have read it back (it stores every setting, numbers as strings).
fn source_state(objects: &Objects) -> Value {
    let text = SAMPLE
        .replace(SAMPLE_PG, &objects.pg)
        .replace(SAMPLE_KAFKA, &objects.kafka);
    let mut state: Value = serde_json::from_str(&text).expect("the sample is JSON");
    let object = state.as_object_mut().expect("a state object");
    object.remove("_note");
    object.insert(
        "lineage".into(),
        json!("6f1c2e0a-1d2b-4c3d-8e4f-5a6b7c8d9e0f"),
    );
    for resource in state["resources"].as_array_mut().expect("resources") {
        if resource["type"] == "digitalocean_database_kafka_topic" {
            let config = &mut resource["instances"][0]["attributes"]["config"][0];
            config["cleanup_policy"] = json!("compact");
            config["retention_ms"] = json!("3600000");
        }
    }
    state
}

const CONFIG: &str = r#"
resource "dbaas_database_cluster" "pg" {
  name               = "mv-pg"
  engine             = "pg"
  version            = "16"
  size               = "db-s-1vcpu-1gb"
  region             = "nyc1"
  node_count         = 1
  tags               = ["production"]

  maintenance_window {
    day  = "sunday"
    hour = "02:00:00"
  }
}

resource "dbaas_database_cluster" "kafka" {
  name       = "mv-kafka"
  engine     = "kafka"
  version    = "3.8"
  size       = "db-s-2vcpu-2gb"
  region     = "nyc1"
  node_count = 3
}

resource "dbaas_database_connection_pool" "pool" {
  cluster_id = dbaas_database_cluster.pg.id
  name       = "mv-pool"
  mode       = "transaction"
  size       = 10
  db_name    = "defaultdb"
  user       = "doadmin"
}

resource "dbaas_database_firewall" "fw" {
  cluster_id = dbaas_database_cluster.pg.id

  rule {
    type  = "ip_addr"
    value = "192.0.2.0/24"
  }
}

resource "dbaas_database_kafka_topic" "topic" {
  cluster_id         = dbaas_database_cluster.kafka.id
  name               = "mv-topic"
  partition_count    = 3
  replication_factor = 2

  config {
    cleanup_policy = "compact"
    retention_ms   = 3600000
  }
}

moved {
  from = digitalocean_database_cluster.pg
  to   = dbaas_database_cluster.pg
}

moved {
  from = digitalocean_database_cluster.kafka
  to   = dbaas_database_cluster.kafka
}

moved {
  from = digitalocean_database_connection_pool.pool
  to   = dbaas_database_connection_pool.pool
}

moved {
  from = digitalocean_database_firewall.fw
  to   = dbaas_database_firewall.fw
}

moved {
  from = digitalocean_database_kafka_topic.topic
  to   = dbaas_database_kafka_topic.topic
}
"#;

const MOVES: [(&str, &str); 5] = [
    (
        "digitalocean_database_cluster.pg",
        "dbaas_database_cluster.pg",
    ),
    (
        "digitalocean_database_cluster.kafka",
        "dbaas_database_cluster.kafka",
    ),
    (
        "digitalocean_database_connection_pool.pool",
        "dbaas_database_connection_pool.pool",
    ),
    (
        "digitalocean_database_firewall.fw",
        "dbaas_database_firewall.fw",
    ),
    (
        "digitalocean_database_kafka_topic.topic",
        "dbaas_database_kafka_topic.topic",
    ),
];

/// A plugin directory serving `DIGITALOCEAN`: a wrapper named like DigitalOcean's provider
/// that notes each start in `starts.log` and runs this provider's binary.
fn stand_in(dir: &Path) -> PathBuf {
    let plugin_dir = dir.join("digitalocean-stand-in");
    fs::create_dir_all(&plugin_dir).unwrap();
    let binary = provider_binary_dir().join("terraform-provider-dbaas");
    let starts = plugin_dir.join("starts.log");
    let script = format!(
        "#!/bin/sh\necho started >> '{}'\nexec '{}' \"$@\"\n",
        starts.display(),
        binary.display()
    );
    let wrapper = plugin_dir.join("terraform-provider-digitalocean");
    fs::write(&wrapper, script).unwrap();
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    plugin_dir
}

fn starts(plugin_dir: &Path) -> usize {
    fs::read_to_string(plugin_dir.join("starts.log"))
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

fn write_state(terraform: &Terraform, state: &Value) {
    fs::write(
        terraform.dir().join("terraform.tfstate"),
        serde_json::to_string_pretty(state).unwrap(),
    )
    .unwrap();
}

fn mutations(mock: &Mock) -> Vec<String> {
    mock.requests()
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/v2/")))
        .filter(|r| r["method"].as_str().is_some_and(|m| m != "GET"))
        .map(|r| format!("{} {}", r["method"], r["path"]))
        .collect()
}

#[test]
fn all_four_types_move_from_digitalocean_without_recreating_anything() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let objects = create_objects(&mock);
    let clusters_before = mock.cluster_count();
    let terraform = Terraform::new(&mock);
    terraform.write_config(CONFIG);
    write_state(&terraform, &source_state(&objects));

    if !terraform.version_at_least((1, 8)) {
        // `moved` across providers arrived in Terraform 1.8 (1.0 has no `moved` at all):
        // Terraform itself refuses, and the state is left as it was.
        let refused = terraform.plan_expect_error();
        refused.assert_mentions("moved");
        refused.assert_no_backtrace();
        assert_eq!(terraform.state_file(), source_state(&objects));
        return;
    }

    // Without a plugin at DigitalOcean's address, Terraform refuses to plan a state that
    // names that provider: the source provider must be installed until the move is applied.
    let refused = terraform.plan_expect_error();
    refused.assert_mentions("registry.terraform.io/digitalocean/digitalocean");
    refused.assert_no_backtrace();

    let plugin_dir = stand_in(terraform.dir());
    terraform.set_extra_dev_overrides(&[(DIGITALOCEAN, &plugin_dir)]);
    mock.clear_requests();
    let plan = terraform.plan();
    assert!(
        starts(&plugin_dir) > 0,
        "Terraform starts the source provider"
    );
    for (from, to) in MOVES {
        let change = plan.resource_change(to);
        assert_eq!(
            change["previous_address"],
            json!(from),
            "{to} moves from {from}:\n{}",
            plan.stdout
        );
        assert_eq!(
            plan.actions(to),
            ["no-op"],
            "{to}: a move and nothing else:\n{}",
            plan.stdout
        );
    }
    assert!(
        plan.stdout
            .contains("has moved to dbaas_database_cluster.pg"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("must be replaced") && !plan.stdout.contains("will be created"),
        "{}",
        plan.stdout
    );

    terraform.apply();
    assert_eq!(
        mutations(&mock),
        Vec::<String>::new(),
        "nothing was changed"
    );
    assert_eq!(
        mock.cluster_count(),
        clusters_before,
        "nothing was re-created"
    );

    let state = terraform.state_file();
    for resource in state["resources"].as_array().unwrap() {
        assert!(
            resource["type"].as_str().unwrap().starts_with("dbaas_"),
            "only dbaas_ resources remain: {}",
            resource["type"]
        );
        assert_eq!(
            resource["provider"],
            json!("provider[\"registry.terraform.io/dbaas/dbaas\"]")
        );
    }
    let shown = terraform.show_state();
    let pg = state_values(&shown, "dbaas_database_cluster.pg");
    assert_eq!(pg["id"], json!(objects.pg));
    let live = api(
        &mock,
        reqwest::Method::GET,
        &format!("/v2/databases/{}", objects.pg),
        None,
    );
    assert_eq!(
        pg["password"], live["database"]["connection"]["password"],
        "the refresh after the move replaced the sample's placeholder with the real password"
    );
    assert_eq!(pg["storage_size_mib"], live["database"]["storage_size_mib"]);
    assert_eq!(
        state_values(&shown, "dbaas_database_firewall.fw")["id"],
        json!(objects.pg),
        "DigitalOcean's random firewall ID became the cluster ID"
    );
    assert_eq!(
        state_values(&shown, "dbaas_database_connection_pool.pool")["id"],
        json!(format!("{},mv-pool", objects.pg))
    );
    let topic = state_values(&shown, "dbaas_database_kafka_topic.topic");
    assert_eq!(topic["id"], json!(format!("{},mv-topic", objects.kafka)));
    assert_eq!(topic["config"][0]["cleanup_policy"], json!("compact"));
    assert_eq!(topic["config"][0]["retention_ms"], json!(3600000));
    assert_eq!(
        topic["config"][0]["segment_ms"],
        Value::Null,
        "settings at Kafka's default are not managed after the move"
    );

    terraform.assert_plan_empty();
    // Once the move is applied, the source provider is no longer needed.
    terraform.set_extra_dev_overrides(&[]);
    let before = starts(&plugin_dir);
    terraform.assert_plan_empty();
    assert_eq!(starts(&plugin_dir), before);

    terraform.destroy();
    assert_eq!(mock.cluster_count(), 0, "destroy removed every cluster");
}

#[test]
fn a_move_into_the_wrong_type_is_a_clear_error() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let objects = create_objects(&mock);
    let terraform = Terraform::new(&mock);
    let plugin_dir = stand_in(terraform.dir());
    terraform.set_extra_dev_overrides(&[(DIGITALOCEAN, &plugin_dir)]);
    write_state(&terraform, &source_state(&objects));
    terraform.write_config(&format!(
        r#"
resource "dbaas_database_cluster" "fw" {{
  name       = "mv-pg"
  engine     = "pg"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}}

moved {{
  from = digitalocean_database_firewall.fw
  to   = dbaas_database_cluster.fw
}}
# {}
"#,
        objects.pg
    ));
    let failed = terraform.plan_expect_error();
    failed.assert_no_backtrace();
    if !terraform.version_at_least((1, 8)) {
        // Terraform before 1.8 refuses any `moved` across types before asking a provider.
        failed.assert_mentions("moved");
        return;
    }
    failed.assert_mentions(
        "dbaas_database_cluster can be moved from digitalocean_database_cluster only",
    );
    failed.assert_mentions("move it to dbaas_database_firewall instead");
    failed.assert_no_backtrace();
    assert_eq!(
        terraform.state_file()["resources"]
            .as_array()
            .unwrap()
            .len(),
        5,
        "the state is untouched"
    );
}

const USERS_AND_DBS: &str = include_str!("fixtures/do-provider-user-db-state.json");
/// The OpenSearch cluster the users-and-databases fixture names.
const SAMPLE_OPENSEARCH: &str = "5c0f3e1a-7b2d-4e8f-9a6b-3d4c2e1f0a9b";
/// The Kafka ACL IDs of the fixture. The emulator keeps the IDs a create gives (the real API
/// chooses them), so the ACLs are created with these.
const SAMPLE_ACL_IDS: [&str; 2] = ["2f1c4b6a8d0e", "7a9b3c5d1e2f"];

/// The users and database of the users-and-databases fixture, created in the emulator on a pg,
/// a Kafka and an OpenSearch cluster: a pg user, a Kafka user with two topic ACLs, an
/// OpenSearch user with two index ACLs and a database. Returns the clusters' IDs and the
/// Kafka ACLs' IDs as the API answered them.
fn create_users_and_db(mock: &Mock) -> (Objects, String, Vec<String>) {
    use reqwest::Method;
    let cluster = |body: Value| {
        api(mock, Method::POST, "/v2/databases", Some(body))["database"]["id"]
            .as_str()
            .expect("cluster id")
            .to_string()
    };
    let pg = cluster(json!({"name": "mv-pg", "engine": "pg", "version": "16",
        "size": "db-s-1vcpu-1gb", "region": "nyc1", "num_nodes": 1}));
    let kafka = cluster(
        json!({"name": "mv-kafka", "engine": "kafka", "version": "3.8",
        "size": "db-s-2vcpu-2gb", "region": "nyc1", "num_nodes": 3}),
    );
    let search = cluster(json!({"name": "mv-search", "engine": "opensearch",
        "size": "db-s-1vcpu-2gb", "region": "nyc1", "num_nodes": 1}));
    api(
        mock,
        Method::POST,
        &format!("/v2/databases/{pg}/dbs"),
        Some(json!({"name": "orders"})),
    );
    api(
        mock,
        Method::POST,
        &format!("/v2/databases/{pg}/users"),
        Some(json!({"name": "app"})),
    );
    let events = api(
        mock,
        Method::POST,
        &format!("/v2/databases/{kafka}/users"),
        Some(json!({"name": "events", "settings": {"acl": [
            {"id": SAMPLE_ACL_IDS[0], "topic": "mv-topic", "permission": "produceconsume"},
            {"id": SAMPLE_ACL_IDS[1], "topic": "audit-.*", "permission": "consume"}
        ]}})),
    );
    let acl_ids = events["user"]["settings"]["acl"]
        .as_array()
        .expect("the Kafka user's ACLs")
        .iter()
        .map(|acl| acl["id"].as_str().expect("an ACL id").to_string())
        .collect();
    api(
        mock,
        Method::POST,
        &format!("/v2/databases/{search}/users"),
        Some(json!({"name": "search", "settings": {"opensearch_acl": [
            {"index": "logs-*", "permission": "read"},
            {"index": "metrics", "permission": "readwrite"}
        ]}})),
    );
    (Objects { pg, kafka }, search, acl_ids)
}

/// The users-and-databases fixture pointed at the emulator's objects: its clusters' IDs and
/// ACL IDs, without the dependencies on cluster resources this state does not hold.
fn users_and_db_state(objects: &Objects, search: &str, acl_ids: &[String]) -> Value {
    let mut text = USERS_AND_DBS
        .replace(SAMPLE_PG, &objects.pg)
        .replace(SAMPLE_KAFKA, &objects.kafka)
        .replace(SAMPLE_OPENSEARCH, search);
    for (sample_id, id) in SAMPLE_ACL_IDS.iter().zip(acl_ids) {
        text = text.replace(sample_id, id);
    }
    let mut state: Value = serde_json::from_str(&text).expect("the fixture is JSON");
    let object = state.as_object_mut().expect("a state object");
    object.remove("_note");
    object.insert(
        "lineage".into(),
        json!("0b7d5c3e-2f4a-4e6b-9c8d-1a2b3c4d5e6f"),
    );
    for resource in state["resources"].as_array_mut().expect("resources") {
        resource["instances"][0]["dependencies"] = json!([]);
    }
    state
}

fn users_and_db_config(objects: &Objects, search: &str) -> String {
    format!(
        r#"
resource "dbaas_database_db" "orders" {{
  cluster_id = "{pg}"
  name       = "orders"
}}

resource "dbaas_database_user" "app" {{
  cluster_id = "{pg}"
  name       = "app"
}}

resource "dbaas_database_user" "events" {{
  cluster_id = "{kafka}"
  name       = "events"

  settings {{
    acl {{
      topic      = "mv-topic"
      permission = "produceconsume"
    }}
    acl {{
      topic      = "audit-.*"
      permission = "consume"
    }}
  }}
}}

resource "dbaas_database_user" "search" {{
  cluster_id = "{search}"
  name       = "search"

  settings {{
    opensearch_acl {{
      index      = "logs-*"
      permission = "read"
    }}
    opensearch_acl {{
      index      = "metrics"
      permission = "readwrite"
    }}
  }}
}}

moved {{
  from = digitalocean_database_db.orders
  to   = dbaas_database_db.orders
}}

moved {{
  from = digitalocean_database_user.app
  to   = dbaas_database_user.app
}}

moved {{
  from = digitalocean_database_user.events
  to   = dbaas_database_user.events
}}

moved {{
  from = digitalocean_database_user.search
  to   = dbaas_database_user.search
}}
"#,
        pg = objects.pg,
        kafka = objects.kafka,
    )
}

const USER_AND_DB_MOVES: [(&str, &str); 4] = [
    (
        "digitalocean_database_db.orders",
        "dbaas_database_db.orders",
    ),
    ("digitalocean_database_user.app", "dbaas_database_user.app"),
    (
        "digitalocean_database_user.events",
        "dbaas_database_user.events",
    ),
    (
        "digitalocean_database_user.search",
        "dbaas_database_user.search",
    ),
];

/// The emulator's user `name` of `cluster_id`, as the API shows it (secrets included).
fn live_user(mock: &Mock, cluster_id: &str, name: &str) -> Value {
    api(
        mock,
        reqwest::Method::GET,
        &format!("/v2/databases/{cluster_id}/users/{name}"),
        None,
    )["user"]
        .clone()
}

#[test]
fn users_and_databases_move_from_digitalocean_without_recreating_anything() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let (objects, search, acl_ids) = create_users_and_db(&mock);
    let terraform = Terraform::new(&mock);
    terraform.write_config(&users_and_db_config(&objects, &search));
    let source = users_and_db_state(&objects, &search, &acl_ids);
    write_state(&terraform, &source);

    if !terraform.version_at_least((1, 8)) {
        let refused = terraform.plan_expect_error();
        refused.assert_mentions("moved");
        refused.assert_no_backtrace();
        assert_eq!(terraform.state_file(), source);
        return;
    }

    let plugin_dir = stand_in(terraform.dir());
    terraform.set_extra_dev_overrides(&[(DIGITALOCEAN, &plugin_dir)]);
    mock.clear_requests();
    let plan = terraform.plan();
    for (from, to) in USER_AND_DB_MOVES {
        assert_eq!(
            plan.resource_change(to)["previous_address"],
            json!(from),
            "{to} moves from {from}:\n{}",
            plan.stdout
        );
        assert_eq!(
            plan.actions(to),
            ["no-op"],
            "{to}: a move and nothing else:\n{}",
            plan.stdout
        );
    }

    terraform.apply();
    assert_eq!(
        mutations(&mock),
        Vec::<String>::new(),
        "nothing was changed"
    );
    let state = terraform.state_file();
    for resource in state["resources"].as_array().unwrap() {
        assert!(
            resource["type"].as_str().unwrap().starts_with("dbaas_"),
            "only dbaas_ resources remain: {}",
            resource["type"]
        );
    }
    let shown = terraform.show_state();
    assert_eq!(
        state_values(&shown, "dbaas_database_db.orders")["id"],
        json!(format!("{},orders", objects.pg))
    );
    let app = state_values(&shown, "dbaas_database_user.app");
    assert_eq!(app["id"], json!(format!("{},app", objects.pg)));
    assert_eq!(
        app["password"],
        live_user(&mock, &objects.pg, "app")["password"],
        "the refresh after the move replaced the fixture's placeholder with the real password"
    );
    let events = state_values(&shown, "dbaas_database_user.events");
    let live_events = live_user(&mock, &objects.kafka, "events");
    assert_eq!(events["access_cert"], live_events["access_cert"]);
    assert_eq!(events["access_key"], live_events["access_key"]);
    let ids: Vec<String> = events["settings"][0]["acl"]
        .as_array()
        .expect("the moved ACLs")
        .iter()
        .map(|acl| acl["id"].as_str().expect("an ACL id").to_string())
        .collect();
    assert_eq!(ids, acl_ids, "the ACLs keep the IDs the API gave them");
    let search_user = state_values(&shown, "dbaas_database_user.search");
    assert_eq!(
        search_user["settings"][0]["opensearch_acl"][1]["permission"],
        json!("readwrite")
    );

    terraform.assert_plan_empty();
    terraform.set_extra_dev_overrides(&[]);
    terraform.assert_plan_empty();

    mock.clear_requests();
    terraform.destroy();
    let mut deleted = mutations(&mock);
    deleted.sort();
    let delete = |path: String| format!("{} {}", json!("DELETE"), json!(path));
    let mut expected = vec![
        delete(format!("/v2/databases/{}/dbs/orders", objects.pg)),
        delete(format!("/v2/databases/{}/users/app", objects.pg)),
        delete(format!("/v2/databases/{}/users/events", objects.kafka)),
        delete(format!("/v2/databases/{search}/users/search")),
    ];
    expected.sort();
    assert_eq!(
        deleted, expected,
        "destroy deletes what was moved, once each"
    );
}

#[test]
fn a_user_moved_into_the_db_type_is_a_clear_error() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let (objects, search, acl_ids) = create_users_and_db(&mock);
    let terraform = Terraform::new(&mock);
    let plugin_dir = stand_in(terraform.dir());
    terraform.set_extra_dev_overrides(&[(DIGITALOCEAN, &plugin_dir)]);
    let mut source = users_and_db_state(&objects, &search, &acl_ids);
    source["resources"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["name"] == "app");
    write_state(&terraform, &source);
    terraform.write_config(&format!(
        r#"
resource "dbaas_database_db" "app" {{
  cluster_id = "{}"
  name       = "app"
}}

moved {{
  from = digitalocean_database_user.app
  to   = dbaas_database_db.app
}}
"#,
        objects.pg
    ));
    let failed = terraform.plan_expect_error();
    failed.assert_no_backtrace();
    if !terraform.version_at_least((1, 8)) {
        failed.assert_mentions("moved");
        return;
    }
    failed.assert_mentions("dbaas_database_db can be moved from digitalocean_database_db only");
    failed.assert_mentions("move it to dbaas_database_user instead");
    assert_eq!(terraform.state_file(), source, "the state is untouched");
}
