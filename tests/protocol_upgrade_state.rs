//! UpgradeResourceState for `dbaas_database_cluster` through the wire protocol: a state stored
//! at schema version 1, when `maintenance_window` was an object attribute, becomes the block of
//! version 2. The version 1 state is `tests/fixtures/cluster-state-v1.json`, the state file
//! `terraform apply` wrote with the release before the change (commit cf529a5).

mod protocol_support;

use dbaas::plugin::dynamic::Dynamic;
use protocol_support::{
    assert_no_errors, decode, errors, number, object, pb, show, string, Session,
};
use serde_json::{json, Value};

const CLUSTER: &str = "dbaas_database_cluster";
const STATE_V1: &str = include_str!("fixtures/cluster-state-v1.json");

/// The stored attributes of the fixture's cluster `name`, and its schema version.
fn stored(name: &str) -> (Value, i64) {
    let state: Value = serde_json::from_str(STATE_V1).expect("the fixture is JSON");
    let instance = state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["type"] == CLUSTER && r["name"] == name)
        .unwrap_or_else(|| panic!("no cluster {name} in the fixture"))["instances"][0]
        .clone();
    let version = instance["schema_version"].as_i64().expect("schema_version");
    (instance["attributes"].clone(), version)
}

async fn upgrade(
    session: &mut Session,
    version: i64,
    state: &Value,
) -> pb::upgrade_resource_state::Response {
    session
        .client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: CLUSTER.to_string(),
            version,
            raw_state: Some(pb::RawState {
                json: serde_json::to_vec(state).unwrap(),
                flatmap: Default::default(),
            }),
        })
        .await
        .expect("UpgradeResourceState")
        .into_inner()
}

fn attribute<'a>(value: &'a Dynamic, name: &str) -> &'a Dynamic {
    value
        .attribute(name)
        .unwrap_or_else(|| panic!("no attribute {name}"))
}

#[tokio::test]
async fn the_schema_is_at_version_2() {
    let session = Session::start(None).await;
    assert_eq!(
        session.schemas.response.resource_schemas[CLUSTER].version,
        2
    );
    let block = session.schemas.resource(CLUSTER);
    assert!(
        block
            .attributes
            .iter()
            .all(|a| a.name != "maintenance_window"),
        "maintenance_window is still an attribute"
    );
    let nested = block
        .block_types
        .iter()
        .find(|b| b.type_name == "maintenance_window")
        .expect("a maintenance_window block");
    assert_eq!((nested.min_items, nested.max_items), (0, 1));
}

#[tokio::test]
async fn a_version_1_window_becomes_the_block() {
    let mut session = Session::start(None).await;
    let (state, version) = stored("with_window");
    assert_eq!(version, 1, "the fixture was written at version 1");
    assert_eq!(
        state["maintenance_window"],
        json!({"day": "tuesday", "hour": "03:30:00"}),
        "the fixture holds the window as an object"
    );
    let response = upgrade(&mut session, 1, &state).await;
    assert_no_errors(&response.diagnostics, "UpgradeResourceState");
    let upgraded = decode(
        response.upgraded_state.as_ref(),
        &session.schemas.resource_type(CLUSTER),
    );
    assert_eq!(
        attribute(&upgraded, "maintenance_window"),
        &Dynamic::List(vec![object([
            ("day", string("tuesday")),
            ("hour", string("03:30:00")),
        ])]),
        "`03:30:00` is the configuration's spelling (a window from the API is stored as `03:30`)"
    );
    // Everything else is as stored.
    let text = |name: &str| state[name].as_str().unwrap_or_else(|| panic!("{name}"));
    for name in [
        "id", "name", "engine", "version", "size", "region", "host", "urn",
    ] {
        assert_eq!(attribute(&upgraded, name), &string(text(name)), "{name}");
    }
    let storage = state["storage_size_mib"].as_i64().expect("storage");
    assert_eq!(attribute(&upgraded, "storage_size_mib"), &number(storage));
    assert_eq!(
        attribute(&upgraded, "tags"),
        &Dynamic::Set(vec![string("upgrade")])
    );
}

#[tokio::test]
async fn a_version_1_window_that_may_be_the_apis_is_left_untracked() {
    // Version 1 stored the API's window whether or not the configuration set it. One spelled
    // as the provider stores the API's cannot be told apart from it, so it is not tracked.
    let mut session = Session::start(None).await;
    for (name, window) in [
        (
            "without_window",
            json!({"day": "saturday", "hour": "16:51:27"}),
        ),
        (
            "with_canonical_window",
            json!({"day": "friday", "hour": "01:00"}),
        ),
    ] {
        let (state, _) = stored(name);
        assert_eq!(state["maintenance_window"], window, "{name}");
        let response = upgrade(&mut session, 1, &state).await;
        assert_no_errors(&response.diagnostics, "UpgradeResourceState");
        let upgraded = decode(
            response.upgraded_state.as_ref(),
            &session.schemas.resource_type(CLUSTER),
        );
        assert_eq!(
            attribute(&upgraded, "maintenance_window"),
            &Dynamic::List(Vec::new()),
            "{name}"
        );
        assert_eq!(
            attribute(&upgraded, "id"),
            &string(state["id"].as_str().unwrap())
        );
    }

    // A day with capitals was the configuration's too; a null window is no block.
    let (mut state, _) = stored("with_canonical_window");
    state["maintenance_window"] = json!({"day": "Friday", "hour": "01:00"});
    let response = upgrade(&mut session, 1, &state).await;
    assert_no_errors(&response.diagnostics, "UpgradeResourceState");
    let upgraded = decode(
        response.upgraded_state.as_ref(),
        &session.schemas.resource_type(CLUSTER),
    );
    assert_eq!(
        attribute(&upgraded, "maintenance_window"),
        &Dynamic::List(vec![object([
            ("day", string("Friday")),
            ("hour", string("01:00")),
        ])])
    );
    state["maintenance_window"] = Value::Null;
    let response = upgrade(&mut session, 1, &state).await;
    assert_no_errors(&response.diagnostics, "UpgradeResourceState");
    let upgraded = decode(
        response.upgraded_state.as_ref(),
        &session.schemas.resource_type(CLUSTER),
    );
    assert_eq!(
        attribute(&upgraded, "maintenance_window"),
        &Dynamic::List(Vec::new())
    );
}

#[tokio::test]
async fn a_version_2_state_reads_as_it_is() {
    let mut session = Session::start(None).await;
    let (mut state, _) = stored("with_window");
    state["maintenance_window"] = json!([{"day": "friday", "hour": "01:00:00"}]);
    let response = upgrade(&mut session, 2, &state).await;
    assert_no_errors(&response.diagnostics, "UpgradeResourceState");
    let upgraded = decode(
        response.upgraded_state.as_ref(),
        &session.schemas.resource_type(CLUSTER),
    );
    assert_eq!(
        attribute(&upgraded, "maintenance_window"),
        &Dynamic::List(vec![object([
            ("day", string("friday")),
            ("hour", string("01:00:00")),
        ])])
    );
}

#[tokio::test]
async fn other_versions_and_broken_windows_are_errors_that_say_what_to_do() {
    let mut session = Session::start(None).await;
    let (state, _) = stored("with_window");
    for version in [0, 3] {
        let response = upgrade(&mut session, version, &state).await;
        let found = errors(&response.diagnostics);
        assert_eq!(found.len(), 1, "{}", show(&response.diagnostics));
        assert!(
            found[0]
                .detail
                .contains(&format!("schema version {version}"))
                && found[0].detail.contains("import it again"),
            "{}",
            found[0].detail
        );
    }
    let mut broken = state.clone();
    broken["maintenance_window"] = json!("sunday");
    let response = upgrade(&mut session, 1, &broken).await;
    let found = errors(&response.diagnostics);
    assert_eq!(found.len(), 1, "{}", show(&response.diagnostics));
    assert!(
        found[0].detail.contains("maintenance_window"),
        "{}",
        found[0].detail
    );
}
