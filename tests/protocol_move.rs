//! MoveResourceState through the wire protocol against the built binary, as Terraform ≥ 1.8
//! sends it for `moved` from DigitalOcean's provider: to a provider it started but never
//! configured, with the stored JSON of `tests/fixtures/do-provider-state-sample.json` (state
//! written by terraform-provider-digitalocean v2.99.1) for the cluster, pool, topic and
//! firewall, and of `tests/fixtures/do-provider-user-db-state.json` (users and a database in
//! the shape that provider stores them) for users and databases. Each type converts, with the
//! matching identity; every other source is refused with a message that says what can move.

mod protocol_support;

use dbaas::plugin::dynamic::{Dynamic, Type};
use protocol_support::{assert_no_errors, decode, errors, pb, show, Session};
use serde_json::Value;

const DIGITALOCEAN: &str = "registry.terraform.io/digitalocean/digitalocean";
const SAMPLE: &str = include_str!("fixtures/do-provider-state-sample.json");
const USERS_AND_DBS: &str = include_str!("fixtures/do-provider-user-db-state.json");
const PG: &str = "a1d66fd5-cf39-41ea-91e2-b1697c31b4f3";
const KAFKA: &str = "2afb2722-9974-4536-bea5-402e986c33f6";
const OPENSEARCH: &str = "5c0f3e1a-7b2d-4e8f-9a6b-3d4c2e1f0a9b";

/// The sample's attributes of `type_name.name`, as Terraform sends them.
fn sample(type_name: &str, name: &str) -> Vec<u8> {
    attributes_in(SAMPLE, type_name, name)
}

/// The attributes of `type_name.name` in the users-and-databases fixture.
fn user_or_db(type_name: &str, name: &str) -> Vec<u8> {
    attributes_in(USERS_AND_DBS, type_name, name)
}

fn attributes_in(fixture: &str, type_name: &str, name: &str) -> Vec<u8> {
    let state: Value = serde_json::from_str(fixture).unwrap();
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

/// The blocks of a nested block list (none when it is null).
fn blocks<'a>(value: &'a Dynamic, name: &str) -> &'a [Dynamic] {
    match value.attribute(name) {
        Some(Dynamic::List(items)) => items,
        Some(other) if other.is_null() => &[],
        other => panic!("{name} is {other:?}"),
    }
}

#[tokio::test]
async fn users_and_databases_move_on_an_unconfigured_provider() {
    let mut session = Session::start(None).await;

    let db = moved(
        &mut session,
        request(
            "digitalocean_database_db",
            0,
            user_or_db("digitalocean_database_db", "orders"),
            "dbaas_database_db",
        ),
    )
    .await;
    assert_eq!(
        text(&db.state, "id"),
        format!("{PG},orders"),
        "`<cluster>/database/<name>` becomes `<cluster>,<name>`"
    );
    assert_eq!(text(&db.state, "cluster_id"), PG);
    assert_eq!(text(&db.state, "name"), "orders");
    assert_eq!(text(&db.identity, "cluster_id"), PG);
    assert_eq!(text(&db.identity, "name"), "orders");

    let app = moved(
        &mut session,
        request(
            "digitalocean_database_user",
            0,
            user_or_db("digitalocean_database_user", "app"),
            "dbaas_database_user",
        ),
    )
    .await;
    assert_eq!(text(&app.state, "id"), format!("{PG},app"));
    assert_eq!(text(&app.state, "role"), "normal");
    assert_eq!(
        text(&app.state, "password"),
        "<secret>",
        "the stored password comes along until the next refresh"
    );
    assert!(
        blocks(&app.state, "settings").is_empty(),
        "the empty settings block DigitalOcean stores for every user is no settings: {:?}",
        app.state.attribute("settings")
    );
    for unset in ["mysql_auth_plugin", "access_cert", "access_key"] {
        assert!(
            app.state.attribute(unset).unwrap().is_null(),
            "{unset}: \"\" is unset"
        );
    }
    assert_eq!(text(&app.identity, "cluster_id"), PG);
    assert_eq!(text(&app.identity, "name"), "app");

    let events = moved(
        &mut session,
        request(
            "digitalocean_database_user",
            0,
            user_or_db("digitalocean_database_user", "events"),
            "dbaas_database_user",
        ),
    )
    .await;
    assert_eq!(text(&events.state, "id"), format!("{KAFKA},events"));
    assert!(text(&events.state, "access_cert").starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(text(&events.state, "access_key").starts_with("-----BEGIN PRIVATE KEY-----"));
    let settings = blocks(&events.state, "settings");
    assert_eq!(settings.len(), 1, "one settings block");
    let acls: Vec<(&str, &str, &str)> = blocks(&settings[0], "acl")
        .iter()
        .map(|acl| (text(acl, "id"), text(acl, "topic"), text(acl, "permission")))
        .collect();
    assert_eq!(
        acls,
        [
            ("2f1c4b6a8d0e", "mv-topic", "produceconsume"),
            ("7a9b3c5d1e2f", "audit-.*", "consume")
        ],
        "the ACLs, in order, with the IDs the API gave them"
    );
    assert!(blocks(&settings[0], "opensearch_acl").is_empty());
    assert_eq!(text(&events.identity, "cluster_id"), KAFKA);
    assert_eq!(text(&events.identity, "name"), "events");

    let search = moved(
        &mut session,
        request(
            "digitalocean_database_user",
            0,
            user_or_db("digitalocean_database_user", "search"),
            "dbaas_database_user",
        ),
    )
    .await;
    let settings = blocks(&search.state, "settings");
    assert_eq!(settings.len(), 1);
    let indexes: Vec<(&str, &str)> = blocks(&settings[0], "opensearch_acl")
        .iter()
        .map(|acl| (text(acl, "index"), text(acl, "permission")))
        .collect();
    assert_eq!(indexes, [("logs-*", "read"), ("metrics", "readwrite")]);
    assert!(blocks(&settings[0], "acl").is_empty());
    assert_eq!(text(&search.identity, "cluster_id"), OPENSEARCH);
}

#[tokio::test]
async fn users_and_databases_refuse_other_sources_and_broken_state() {
    let mut session = Session::start(None).await;
    let user = || user_or_db("digitalocean_database_user", "events");
    let db = || user_or_db("digitalocean_database_db", "orders");

    let user_as_db = refused(
        &mut session,
        request("digitalocean_database_user", 0, user(), "dbaas_database_db"),
    )
    .await;
    assert!(
        user_as_db.contains("dbaas_database_db can be moved from digitalocean_database_db only")
            && user_as_db.contains("move it to dbaas_database_user instead"),
        "{user_as_db}"
    );

    let db_as_user = refused(
        &mut session,
        request("digitalocean_database_db", 0, db(), "dbaas_database_user"),
    )
    .await;
    assert!(
        db_as_user
            .contains("dbaas_database_user can be moved from digitalocean_database_user only")
            && db_as_user.contains("move it to dbaas_database_db instead"),
        "{db_as_user}"
    );

    let cluster_as_user = refused(
        &mut session,
        request(
            "digitalocean_database_cluster",
            0,
            sample("digitalocean_database_cluster", "kafka"),
            "dbaas_database_user",
        ),
    )
    .await;
    assert!(
        cluster_as_user.contains("move it to dbaas_database_cluster instead"),
        "{cluster_as_user}"
    );

    for target in ["dbaas_database_user", "dbaas_database_db"] {
        let source = target.replace("dbaas_", "digitalocean_");
        let newer = refused(&mut session, request(&source, 1, user(), target)).await;
        assert!(newer.contains("schema version 1"), "{target}: {newer}");

        let broken = refused(&mut session, request(&source, 0, b"[1,2".to_vec(), target)).await;
        assert!(broken.contains("not a JSON object"), "{target}: {broken}");

        let not_an_object =
            refused(&mut session, request(&source, 0, b"\"x\"".to_vec(), target)).await;
        assert!(
            not_an_object.contains("not a JSON object"),
            "{target}: {not_an_object}"
        );

        let no_name = refused(
            &mut session,
            request(
                &source,
                0,
                format!(r#"{{"id": "{PG}/x", "cluster_id": "{PG}"}}"#).into_bytes(),
                target,
            ),
        )
        .await;
        assert!(no_name.contains("has no `name`"), "{target}: {no_name}");

        let no_cluster = refused(
            &mut session,
            request(&source, 0, br#"{"name": "orders"}"#.to_vec(), target),
        )
        .await;
        assert!(
            no_cluster.contains("has no `cluster_id`"),
            "{target}: {no_cluster}"
        );
    }
}
