//! MoveResourceState through the wire protocol against the built binary, as Terraform ≥ 1.8
//! sends it for `moved` from DigitalOcean's provider: to a provider it started but never
//! configured, with the stored JSON of `tests/fixtures/do-provider-state-sample.json` (state
//! written by terraform-provider-digitalocean v2.99.1). Each of the four types converts, with
//! the matching identity; every other source is refused with a message that says what can move.

mod protocol_support;

use dbaas::plugin::dynamic::{Dynamic, Type};
use protocol_support::{assert_no_errors, decode, errors, pb, show, Session};
use serde_json::Value;

const DIGITALOCEAN: &str = "registry.terraform.io/digitalocean/digitalocean";
const SAMPLE: &str = include_str!("fixtures/do-provider-state-sample.json");
const PG: &str = "a1d66fd5-cf39-41ea-91e2-b1697c31b4f3";
const KAFKA: &str = "2afb2722-9974-4536-bea5-402e986c33f6";

/// The sample's attributes of `type_name.name`, as Terraform sends them.
fn sample(type_name: &str, name: &str) -> Vec<u8> {
    let state: Value = serde_json::from_str(SAMPLE).unwrap();
    let resource = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == type_name && r["name"] == name)
        .unwrap_or_else(|| panic!("{type_name}.{name} is in the sample"));
    serde_json::to_vec(&resource["instances"][0]["attributes"]).unwrap()
}

fn request(
    source: &str,
    version: i64,
    json: Vec<u8>,
    target: &str,
) -> pb::move_resource_state::Request {
    pb::move_resource_state::Request {
        source_provider_address: DIGITALOCEAN.to_string(),
        source_type_name: source.to_string(),
        source_schema_version: version,
        source_state: Some(pb::RawState {
            json,
            ..Default::default()
        }),
        target_type_name: target.to_string(),
        source_private: b"null".to_vec(),
        ..Default::default()
    }
}

struct Moved {
    state: Dynamic,
    identity: Dynamic,
}

async fn moved(session: &mut Session, request: pb::move_resource_state::Request) -> Moved {
    let target = request.target_type_name.clone();
    let response = session
        .client
        .move_resource_state(request)
        .await
        .expect("MoveResourceState")
        .into_inner();
    assert_no_errors(&response.diagnostics, "MoveResourceState");
    let state = decode(
        response.target_state.as_ref(),
        &session.schemas.resource_type(&target),
    );
    let names: &[&str] = match target.as_str() {
        "dbaas_database_cluster" => &["id"],
        "dbaas_database_firewall" => &["cluster_id"],
        _ => &["cluster_id", "name"],
    };
    let identity_type = Type::object(names.iter().map(|name| (name.to_string(), Type::String)));
    let identity = decode(
        response
            .target_identity
            .as_ref()
            .and_then(|i| i.identity_data.as_ref()),
        &identity_type,
    );
    Moved { state, identity }
}

async fn refused(session: &mut Session, request: pb::move_resource_state::Request) -> String {
    let response = session
        .client
        .move_resource_state(request)
        .await
        .expect("MoveResourceState")
        .into_inner();
    assert!(
        !errors(&response.diagnostics).is_empty(),
        "expected an error, got a state"
    );
    assert!(
        response
            .target_state
            .as_ref()
            .map_or(true, |value| value.msgpack.is_empty()
                || value.msgpack == [0xc0]),
        "no state comes with an error"
    );
    show(&response.diagnostics)
}

fn text<'a>(value: &'a Dynamic, name: &str) -> &'a str {
    match value.attribute(name) {
        Some(Dynamic::String(text)) => text,
        other => panic!("{name} is {other:?}"),
    }
}

fn int(value: &Dynamic, name: &str) -> i64 {
    match value.attribute(name) {
        Some(Dynamic::Number(n)) => n.to_string().parse().unwrap(),
        other => panic!("{name} is {other:?}"),
    }
}

#[tokio::test]
async fn the_four_types_move_on_an_unconfigured_provider() {
    // Terraform starts a fresh provider for moves and never configures it.
    let mut session = Session::start(None).await;

    let cluster = moved(
        &mut session,
        request(
            "digitalocean_database_cluster",
            0,
            sample("digitalocean_database_cluster", "pg"),
            "dbaas_database_cluster",
        ),
    )
    .await;
    assert_eq!(text(&cluster.state, "id"), PG);
    assert_eq!(text(&cluster.state, "engine"), "pg");
    assert_eq!(
        int(&cluster.state, "storage_size_mib"),
        10240,
        "a number again"
    );
    let Some(Dynamic::List(windows)) = cluster.state.attribute("maintenance_window") else {
        panic!("maintenance_window is not a block list");
    };
    assert_eq!(windows.len(), 1, "DigitalOcean's block becomes the block");
    assert_eq!(text(&windows[0], "day"), "sunday");
    assert_eq!(text(&windows[0], "hour"), "02:00:00");
    assert_eq!(text(&cluster.identity, "id"), PG);

    let kafka = moved(
        &mut session,
        request(
            "digitalocean_database_cluster",
            0,
            sample("digitalocean_database_cluster", "kafka"),
            "dbaas_database_cluster",
        ),
    )
    .await;
    assert_eq!(int(&kafka.state, "node_count"), 3);
    assert_eq!(
        kafka.state.attribute("maintenance_window"),
        Some(&Dynamic::List(Vec::new())),
        "an empty block list is no window"
    );
    assert!(
        kafka.state.attribute("database").unwrap().is_null(),
        "\"\" is unset"
    );

    let pool = moved(
        &mut session,
        request(
            "digitalocean_database_connection_pool",
            0,
            sample("digitalocean_database_connection_pool", "pool"),
            "dbaas_database_connection_pool",
        ),
    )
    .await;
    assert_eq!(text(&pool.state, "id"), format!("{PG},mv-pool"));
    assert_eq!(int(&pool.state, "size"), 10);
    assert_eq!(text(&pool.identity, "cluster_id"), PG);
    assert_eq!(text(&pool.identity, "name"), "mv-pool");

    let firewall = moved(
        &mut session,
        request(
            "digitalocean_database_firewall",
            0,
            sample("digitalocean_database_firewall", "fw"),
            "dbaas_database_firewall",
        ),
    )
    .await;
    assert_eq!(
        text(&firewall.state, "id"),
        PG,
        "the random ID becomes the cluster ID"
    );
    let Some(Dynamic::Set(rules)) = firewall.state.attribute("rule") else {
        panic!("rule is a set")
    };
    assert_eq!(rules.len(), 1);
    assert_eq!(text(&rules[0], "type"), "ip_addr");
    assert_eq!(text(&rules[0], "value"), "192.0.2.0/24");
    assert_eq!(text(&firewall.identity, "cluster_id"), PG);

    let topic = moved(
        &mut session,
        request(
            "digitalocean_database_kafka_topic",
            0,
            sample("digitalocean_database_kafka_topic", "topic"),
            "dbaas_database_kafka_topic",
        ),
    )
    .await;
    assert_eq!(text(&topic.state, "id"), format!("{KAFKA},mv-topic"));
    assert_eq!(int(&topic.state, "partition_count"), 3);
    assert!(
        matches!(topic.state.attribute("config"), Some(Dynamic::List(items)) if items.is_empty()),
        "the sample's settings are all Kafka's defaults, so none is managed: {:?}",
        topic.state.attribute("config")
    );
    assert_eq!(text(&topic.identity, "name"), "mv-topic");
}

#[tokio::test]
async fn other_sources_are_refused_with_what_can_move() {
    let mut session = Session::start(None).await;
    let firewall = || sample("digitalocean_database_firewall", "fw");

    let wrong_type = refused(
        &mut session,
        request(
            "digitalocean_database_firewall",
            0,
            firewall(),
            "dbaas_database_cluster",
        ),
    )
    .await;
    assert!(
        wrong_type.contains("move it to dbaas_database_firewall instead"),
        "{wrong_type}"
    );

    let unknown = refused(
        &mut session,
        request(
            "digitalocean_droplet",
            0,
            firewall(),
            "dbaas_database_firewall",
        ),
    )
    .await;
    assert!(unknown.contains("no counterpart"), "{unknown}");

    let newer = refused(
        &mut session,
        request(
            "digitalocean_database_firewall",
            1,
            firewall(),
            "dbaas_database_firewall",
        ),
    )
    .await;
    assert!(newer.contains("schema version 1"), "{newer}");

    let mut other_provider = request(
        "digitalocean_database_firewall",
        0,
        firewall(),
        "dbaas_database_firewall",
    );
    other_provider.source_provider_address = "registry.terraform.io/hashicorp/aws".to_string();
    let other_provider = refused(&mut session, other_provider).await;
    assert!(
        other_provider.contains("DigitalOcean's provider"),
        "{other_provider}"
    );

    let broken = refused(
        &mut session,
        request(
            "digitalocean_database_firewall",
            0,
            b"[1,2".to_vec(),
            "dbaas_database_firewall",
        ),
    )
    .await;
    assert!(broken.contains("not a JSON object"), "{broken}");

    let no_cluster = refused(
        &mut session,
        request(
            "digitalocean_database_firewall",
            0,
            br#"{"id": "x", "rule": []}"#.to_vec(),
            "dbaas_database_firewall",
        ),
    )
    .await;
    assert!(no_cluster.contains("has no `cluster_id`"), "{no_cluster}");

    let unknown_target = refused(
        &mut session,
        request(
            "digitalocean_database_firewall",
            0,
            firewall(),
            "dbaas_database_nothing",
        ),
    )
    .await;
    assert!(
        unknown_target.contains("dbaas_database_nothing"),
        "{unknown_target}"
    );
}
