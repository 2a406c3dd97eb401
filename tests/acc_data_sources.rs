//! Acceptance tests for the data sources `dbaas_database_options`, `dbaas_database_cluster`
//! and `dbaas_database_ca`: the real Terraform CLI against `dbaas-mock`. Every test starts its
//! own emulator and Terraform directory.

mod support;

use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::blocking::Client;
use serde_json::{json, Value};

use support::cluster::{str_attr, ClusterHcl, PG_NEWER};
use support::terraform::state_values;
use support::text::hcl_string;
use support::{Mock, Terraform};

const CLUSTER: &str = "dbaas_database_cluster.x";

/// `GET /v2/…` on the emulator, as another API client would send it; the parsed body.
fn v2_get(mock: &Mock, path: &str) -> Value {
    let response = Client::new()
        .get(format!("{}{path}", mock.url()))
        .bearer_auth(mock.token())
        .send()
        .unwrap_or_else(|e| panic!("GET {path} failed: {e}"));
    assert!(
        response.status().is_success(),
        "GET {path} answered {}",
        response.status()
    );
    response
        .json()
        .unwrap_or_else(|e| panic!("GET {path} answered invalid JSON: {e}"))
}

/// `POST /v2/databases` on the emulator; the new cluster's id.
fn v2_create_cluster(mock: &Mock, name: &str) -> String {
    let response = Client::new()
        .post(format!("{}/v2/databases", mock.url()))
        .bearer_auth(mock.token())
        .json(&json!({
            "name": name, "engine": "pg", "version": PG_NEWER,
            "size": "db-s-1vcpu-1gb", "region": "nyc1", "num_nodes": 1
        }))
        .send()
        .unwrap_or_else(|e| panic!("POST /v2/databases failed: {e}"));
    assert_eq!(response.status().as_u16(), 201, "creating cluster {name}");
    let body: Value = response.json().expect("the create answer is JSON");
    body["database"]["id"]
        .as_str()
        .expect("the created cluster has an id")
        .to_string()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|item| item.as_str().expect("a string").to_string())
        .collect()
}

/// The engines of a `dbaas_database_options` result, by name.
fn engine<'a>(values: &'a Value, name: &str) -> &'a Value {
    values["engines"]
        .as_array()
        .expect("engines is a list")
        .iter()
        .find(|e| e["engine"] == name)
        .unwrap_or_else(|| panic!("no engine {name} in {}", values["engines"]))
}

#[test]
fn options_are_read_whole_or_filtered_with_stable_ids() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    let config = r#"
data "dbaas_database_options" "all" {}

data "dbaas_database_options" "kafka" {
  engine     = "kafka"
  region     = "NYC1"
  node_count = 3
}

data "dbaas_database_options" "pg16" {
  engine  = "pg"
  version = "16"
}

data "dbaas_database_options" "nothing" {
  engine     = "kafka"
  node_count = 1
}
"#;
    let state = tf.step(config);
    let catalogue = v2_get(&mock, "/v2/databases/options");

    // Unfiltered: every engine of the API, with all of its regions, versions and layouts.
    let all = state_values(&state, "data.dbaas_database_options.all");
    assert_eq!(str_attr(all, "id"), "database-options");
    let mut expected_engines: Vec<String> = catalogue["options"]
        .as_object()
        .expect("options is an object")
        .keys()
        .cloned()
        .collect();
    expected_engines.sort();
    let listed: Vec<String> = all["engines"]
        .as_array()
        .expect("engines is a list")
        .iter()
        .map(|e| {
            e["engine"]
                .as_str()
                .expect("engine is a string")
                .to_string()
        })
        .collect();
    assert_eq!(listed, expected_engines);
    for name in &expected_engines {
        let ours = engine(all, name);
        let theirs = &catalogue["options"][name];
        assert_eq!(
            strings(&ours["regions"]),
            strings(&theirs["regions"]),
            "{name} regions"
        );
        let versions: Vec<Value> = ours["versions"]
            .as_array()
            .expect("versions is a list")
            .iter()
            .map(|v| v["version"].clone())
            .collect();
        assert_eq!(
            Value::Array(versions),
            theirs["versions"],
            "{name} versions"
        );
        assert_eq!(
            ours["layouts"].as_array().map(Vec::len),
            theirs["layouts"].as_array().map(Vec::len),
            "{name} layouts"
        );
    }
    let pg_17 = engine(all, "pg")["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["version"] == "17")
        .expect("pg 17 is offered")
        .clone();
    let availability = catalogue["version_availability"]["pg"]
        .as_array()
        .expect("pg availability")
        .iter()
        .find(|v| v["version"] == "17")
        .expect("pg 17 has dates")
        .clone();
    assert_eq!(pg_17["end_of_life"], availability["end_of_life"]);
    assert_eq!(
        pg_17["end_of_availability"],
        availability["end_of_availability"]
    );

    // Filtered: one engine, narrowed to the region and the node count.
    let kafka = state_values(&state, "data.dbaas_database_options.kafka");
    assert_eq!(
        str_attr(kafka, "id"),
        "database-options:engine=kafka,region=nyc1,node_count=3"
    );
    let engines = kafka["engines"].as_array().expect("engines is a list");
    assert_eq!(engines.len(), 1);
    assert_eq!(strings(&engines[0]["regions"]), ["nyc1"]);
    let layouts = engines[0]["layouts"].as_array().expect("layouts");
    assert_eq!(layouts.len(), 1);
    assert_eq!(layouts[0]["num_nodes"], 3);
    assert!(strings(&layouts[0]["sizes"]).contains(&"gd-2vcpu-8gb".to_string()));
    assert_eq!(engines[0]["versions"][0]["version"], "3.8");
    assert_eq!(engines[0]["versions"][0]["end_of_life"], Value::Null);

    let pg16 = state_values(&state, "data.dbaas_database_options.pg16");
    let versions = pg16["engines"][0]["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["version"], "16");

    let nothing = state_values(&state, "data.dbaas_database_options.nothing");
    assert_eq!(nothing["engines"], json!([]));

    // The same filters give the same IDs on every read.
    let again = tf.step(config);
    for address in [
        "data.dbaas_database_options.all",
        "data.dbaas_database_options.kafka",
    ] {
        assert_eq!(
            state_values(&again, address)["id"],
            state_values(&state, address)["id"]
        );
    }

    // The result is known at plan time, so it can drive other resources' arguments.
    tf.write_config(&format!(
        "{config}\n{}",
        ClusterHcl::new("acc-from-options", "kafka")
            .set(
                "version",
                "data.dbaas_database_options.kafka.engines[0].versions[0].version"
            )
            .set(
                "size",
                "data.dbaas_database_options.kafka.engines[0].layouts[0].sizes[0]"
            )
            .set("node_count", "3")
            .render()
    ));
    let plan = tf.plan();
    assert_eq!(plan.planned(CLUSTER, "version"), "3.8");
    assert!(!plan.is_unknown(CLUSTER, "size"));

    // An engine the API does not offer is an error that lists the ones it does.
    tf.write_config(r#"data "dbaas_database_options" "typo" { engine = "postgres" }"#);
    let error = tf.plan_expect_error();
    error.assert_mentions("engine");
    error.assert_mentions("kafka");
    error.assert_no_backtrace();
}

#[test]
fn a_cluster_is_found_by_name_with_its_ca() {
    let mock = Mock::start(&[]);
    let tf = Terraform::new(&mock);
    // The data source always shows the window; the resource only when it manages it.
    let cluster = ClusterHcl::new("acc-ds-pg", "pg")
        .set_str("version", PG_NEWER)
        .set("tags", r#"["acceptance"]"#)
        .block("maintenance_window {\n day = \"thursday\"\n hour = \"04:00\"\n}")
        .render();
    let state = tf.step(&cluster);
    let resource = state_values(&state, CLUSTER).clone();
    let cluster_id = str_attr(&resource, "id").to_string();

    let lookups = r#"
data "dbaas_database_cluster" "byname" {
  name = dbaas_database_cluster.x.name
}

data "dbaas_database_ca" "x" {
  cluster_id = data.dbaas_database_cluster.byname.id
}
"#;
    let state = tf.step(&format!("{cluster}\n{lookups}"));
    let found = state_values(&state, "data.dbaas_database_cluster.byname");
    for attribute in [
        "id",
        "urn",
        "name",
        "engine",
        "version",
        "size",
        "region",
        "node_count",
        "tags",
        "maintenance_window",
        "storage_size_mib",
        "host",
        "port",
        "database",
        "user",
        "private_host",
        "metrics_endpoints",
    ] {
        assert_eq!(found[attribute], resource[attribute], "{attribute}");
    }
    // Secrets are compared without ever being printed.
    for secret in ["password", "uri", "private_uri"] {
        assert!(
            found[secret] == resource[secret],
            "{secret} differs between the data source and the resource"
        );
    }
    assert!(!str_attr(found, "password").is_empty());
    assert_eq!(
        found["maintenance_window"],
        json!([{"day": "thursday", "hour": "04:00"}]),
        "a list of one, as in DigitalOcean's data source"
    );

    let ca = state_values(&state, "data.dbaas_database_ca.x");
    assert_eq!(str_attr(ca, "id"), cluster_id);
    let from_api = v2_get(&mock, &format!("/v2/databases/{cluster_id}/ca"));
    assert_eq!(ca["certificate"], from_api["ca"]["certificate"]);
    let pem = str_attr(ca, "certificate_pem");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(str_attr(ca, "certificate"))
        .expect("the certificate is base64");
    assert_eq!(String::from_utf8(decoded).expect("PEM is text"), pem);

    // A name no cluster has is an error that lists the names that exist.
    tf.write_config(&format!(
        "{cluster}\ndata \"dbaas_database_cluster\" \"missing\" {{ name = \"acc-ds-missing\" }}\n"
    ));
    let error = tf.plan_expect_error();
    error.assert_mentions("Database cluster not found");
    error.assert_mentions("acc-ds-missing");
    error.assert_mentions("\"acc-ds-pg\"");
    error.assert_no_backtrace();

    // Names are case-sensitive, and the error says which cluster was probably meant.
    tf.write_config(&format!(
        "{cluster}\ndata \"dbaas_database_cluster\" \"cased\" {{ name = \"ACC-DS-PG\" }}\n"
    ));
    tf.plan_expect_error()
        .assert_mentions("did you mean \"acc-ds-pg\"");

    // The CA of a cluster that does not exist is an error naming cluster_id.
    tf.write_config(&format!(
        "{cluster}\ndata \"dbaas_database_ca\" \"missing\" {{ cluster_id = {} }}\n",
        hcl_string("0b7c3a7e-1f0e-4c53-9a53-5d7e1f0e4c53")
    ));
    let error = tf.plan_expect_error();
    error.assert_mentions("cluster_id");
    error.assert_mentions("Cluster not found");

    tf.write_config(&cluster);
    tf.destroy();
    assert_eq!(mock.cluster_count(), 0);
}

/// Waits until the emulator's state file mentions every one of `needles` (each change is on
/// disk before it is answered; the wait only guards against a slow file system).
fn wait_for_state_file(path: &std::path::Path, needles: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if needles.iter().all(|needle| text.contains(needle)) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "the state file never recorded {needles:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_name_shared_by_several_clusters_is_an_error() {
    // The API refuses a second cluster with a taken name, so the emulator's saved state is
    // edited between two runs to give two clusters the same name.
    let dir = tempfile::tempdir().expect("temporary directory");
    let state_file = dir.path().join("mock-state.json");
    let state_file_arg = state_file.to_str().expect("UTF-8 path");
    let (first, second) = {
        let mock = Mock::start(&["--state-file", state_file_arg]);
        let first = v2_create_cluster(&mock, "acc-twin-a");
        let second = v2_create_cluster(&mock, "acc-twin-b");
        (first, second)
    };
    let saved = wait_for_state_file(&state_file, &["\"acc-twin-a\"", "\"acc-twin-b\""]);
    std::fs::write(
        &state_file,
        saved.replace("\"acc-twin-b\"", "\"acc-twin-a\""),
    )
    .expect("rewrite the state file");

    let mock = Mock::start(&["--state-file", state_file_arg]);
    let tf = Terraform::new(&mock);
    tf.write_config(r#"data "dbaas_database_cluster" "twin" { name = "acc-twin-a" }"#);
    let error = tf.plan_expect_error();
    error.assert_mentions("Several database clusters have this name");
    error.assert_mentions(&first);
    error.assert_mentions(&second);
    error.assert_no_backtrace();
}
