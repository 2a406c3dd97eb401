//! Acceptance test for the `dbaas_database_cluster` state upgrade: a state file written by the
//! release before `maintenance_window` became a block (`tests/fixtures/cluster-state-v1.json`,
//! schema version 1, written by `terraform apply` with commit cf529a5) is planned with this
//! build and a configuration rewritten in block syntax. The real Terraform CLI upgrades the
//! state through UpgradeResourceState; the plan must be empty for the windows the old state can
//! be read for, and apply nothing harmful where it cannot.
//!
//! The fixture is Terraform 1.11's state file, so the test needs a Terraform that reads it as
//! written (1.11 or later; Terraform 1.0 reads 1.11's sensitivity marks differently and plans
//! to change them). The same steps with a state written by Terraform 1.0.3 itself and planned
//! with 1.0.3 give the same plans.

mod support;

use std::fs;

use serde_json::{json, Value};

use support::terraform::state_values;
use support::{Mock, Terraform};

const STATE_V1: &str = include_str!("fixtures/cluster-state-v1.json");

/// A maintenance window: day and hour.
type Window = (&'static str, &'static str);

/// The fixture's clusters: resource name, cluster name, and the window the old configuration
/// set (`None`: the API picked it).
const CLUSTERS: [(&str, &str, Option<Window>); 3] = [
    (
        "with_window",
        "upgrade-window",
        Some(("tuesday", "03:30:00")),
    ),
    (
        "with_canonical_window",
        "upgrade-canonical",
        Some(("friday", "01:00")),
    ),
    ("without_window", "upgrade-plain", None),
];

/// The configuration of the fixture, in the new syntax (the window as a block).
fn config(with_canonical_window: bool) -> String {
    let mut hcl = String::new();
    for (resource, name, window) in CLUSTERS {
        hcl.push_str(&format!(
            "resource \"dbaas_database_cluster\" \"{resource}\" {{\n  name       = \"{name}\"\n  \
             engine     = \"pg\"\n  version    = \"16\"\n  size       = \"db-s-1vcpu-1gb\"\n  \
             region     = \"nyc1\"\n  node_count = 1\n"
        ));
        if resource == "with_window" {
            hcl.push_str("  tags       = [\"upgrade\"]\n");
        }
        match window {
            Some((day, hour)) if resource != "with_canonical_window" || with_canonical_window => {
                hcl.push_str(&format!(
                    "\n  maintenance_window {{\n    day  = \"{day}\"\n    hour = \"{hour}\"\n  }}\n"
                ));
            }
            _ => {}
        }
        hcl.push_str("}\n\n");
    }
    hcl
}

/// Creates the fixture's clusters in the emulator, as the old configuration set them up, and
/// returns the fixture state pointed at them.
fn create_and_point_state(mock: &Mock) -> Value {
    let mut state: Value = serde_json::from_str(STATE_V1).expect("the fixture is JSON");
    state.as_object_mut().unwrap().remove("_note");
    for (resource, name, window) in CLUSTERS {
        let mut body = json!({"name": name, "engine": "pg", "version": "16",
            "size": "db-s-1vcpu-1gb", "region": "nyc1", "num_nodes": 1});
        if resource == "with_window" {
            body["tags"] = json!(["upgrade"]);
        }
        let (status, created) = mock.v2(reqwest::Method::POST, "/v2/databases", Some(body));
        assert!(status.is_success(), "create {name}: {status}");
        let id = created["database"]["id"].as_str().expect("id").to_string();
        if let Some((day, hour)) = window {
            let (status, _) = mock.v2(
                reqwest::Method::PUT,
                &format!("/v2/databases/{id}/maintenance"),
                Some(json!({"day": day, "hour": hour})),
            );
            assert!(status.is_success(), "maintenance of {name}: {status}");
        }
        let attributes = &mut state["resources"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|r| r["name"] == resource)
            .expect("the fixture has the cluster")["instances"][0]["attributes"];
        let old = attributes.clone();
        let mut text = old.to_string();
        // The values this emulator gave the new cluster replace the recorded ones, so that
        // the refresh finds no drift (Terraform 1.0 counts drift as a change).
        let new = &created["database"];
        for (recorded, current) in [
            (&old["id"], &new["id"]),
            (&old["host"], &new["connection"]["host"]),
            (&old["private_host"], &new["private_connection"]["host"]),
            (&old["private_network_uuid"], &new["private_network_uuid"]),
            (&old["project_id"], &new["project_id"]),
            (
                &json!("secret-from-the-emulator"),
                &new["connection"]["password"],
            ),
        ] {
            let (Some(recorded), Some(current)) = (recorded.as_str(), current.as_str()) else {
                panic!("{name}: no {recorded} or {current} to point the state at");
            };
            text = text.replace(recorded, current);
        }
        *attributes = serde_json::from_str(&text).unwrap();
    }
    state
}

fn write_state(tf: &Terraform, state: &Value) {
    fs::write(
        tf.dir().join("terraform.tfstate"),
        serde_json::to_string_pretty(state).unwrap(),
    )
    .unwrap();
}

fn mutations(mock: &Mock) -> Vec<String> {
    mock.requests()
        .iter()
        .filter(|r| r["method"] != "GET")
        .map(|r| format!("{} {}", r["method"], r["path"]))
        .collect()
}

/// The schema version and `maintenance_window` of each cluster in the state file.
fn stored_windows(tf: &Terraform) -> Vec<(String, i64, Value)> {
    let file = tf.state_file();
    let mut windows: Vec<(String, i64, Value)> = file["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let instance = &r["instances"][0];
            (
                r["name"].as_str().unwrap().to_string(),
                instance["schema_version"].as_i64().unwrap(),
                instance["attributes"]["maintenance_window"].clone(),
            )
        })
        .collect();
    windows.sort_by(|a, b| a.0.cmp(&b.0));
    windows
}

#[test]
fn a_state_of_the_previous_release_plans_empty_after_the_upgrade() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let state = create_and_point_state(&mock);
    let tf = Terraform::new(&mock);
    tf.write_config(&config(false));
    write_state(&tf, &state);
    mock.clear_requests();

    // The configured window whose spelling shows it was the configuration's, and the window
    // the API picked: nothing to do.
    tf.assert_plan_empty();
    tf.apply();
    assert!(
        mutations(&mock).is_empty(),
        "the upgrade changed a cluster: {:?}",
        mutations(&mock)
    );
    assert_eq!(
        stored_windows(&tf),
        [
            ("with_canonical_window".to_string(), 2, json!([])),
            (
                "with_window".to_string(),
                2,
                json!([{"day": "tuesday", "hour": "03:30:00"}])
            ),
            ("without_window".to_string(), 2, json!([])),
        ],
        "the state file was rewritten at version 2 with the windows as blocks"
    );
    let shown = tf.show_state();
    assert_eq!(
        state_values(&shown, "dbaas_database_cluster.with_window")["tags"],
        json!(["upgrade"])
    );
}

#[test]
fn a_configured_window_the_old_state_cannot_show_is_set_again_once() {
    // `01:00` is how the old release stored a window it read from the API too, so the upgrade
    // cannot know the configuration set it: the first plan adds the block, whose apply sets
    // the window the cluster already has, and the plan after it is empty.
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let state = create_and_point_state(&mock);
    let tf = Terraform::new(&mock);
    tf.write_config(&config(true));
    write_state(&tf, &state);
    mock.clear_requests();

    let plan = tf.plan();
    plan.assert_update("dbaas_database_cluster.with_canonical_window");
    for untouched in [
        "dbaas_database_cluster.with_window",
        "dbaas_database_cluster.without_window",
    ] {
        assert_eq!(plan.actions(untouched), ["no-op"], "{}", plan.stdout);
    }
    tf.apply();
    tf.assert_plan_empty();
    let changed = mutations(&mock);
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].ends_with("/maintenance\""), "{changed:?}");
    let canonical = stored_windows(&tf)
        .into_iter()
        .find(|(name, _, _)| name == "with_canonical_window")
        .unwrap();
    assert_eq!(canonical.2, json!([{"day": "friday", "hour": "01:00"}]));
}
