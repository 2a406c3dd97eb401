//! Resource identity (protocol 6.9) through the wire protocol against the built binary and
//! `dbaas-mock`: the identity schemas, the identity that import, read and plan return, and
//! import by identity (what Terraform ≥ 1.12 sends for an `import` block with `identity`).
//! Terraform 1.11 does not use identity yet, so these tests are its only proof.

mod protocol_support;
mod support;

use std::collections::BTreeMap;

use dbaas::plugin::dynamic::{Dynamic, Type};
use protocol_support::{
    assert_no_errors, complete, decode, encode, errors, object, pb, propose, show, string, Options,
    Plugin, Session,
};
use serde_json::{json, Value};
use support::Mock;

const CLUSTER: &str = "dbaas_database_cluster";
const POOL: &str = "dbaas_database_connection_pool";
const FIREWALL: &str = "dbaas_database_firewall";
const TOPIC: &str = "dbaas_database_kafka_topic";
const USER: &str = "dbaas_database_user";
const DB: &str = "dbaas_database_db";
const UNCLOUD: &str = "dbaas_uncloud_database";
/// The engine configuration resources, each identified by its cluster.
const CONFIGS: [&str; 9] = [
    "dbaas_database_postgresql_config",
    "dbaas_database_mysql_config",
    "dbaas_database_redis_config",
    "dbaas_database_valkey_config",
    "dbaas_database_kafka_config",
    "dbaas_database_mongodb_config",
    "dbaas_database_opensearch_config",
    "dbaas_database_advanced_postgresql_config",
    "dbaas_database_advanced_mysql_config",
];

/// What identifies each resource, in import-ID order.
const IDENTITIES: [(&str, &[&str]); 23] = [
    (CLUSTER, &["id"]),
    (POOL, &["cluster_id", "name"]),
    (FIREWALL, &["cluster_id"]),
    (TOPIC, &["cluster_id", "name"]),
    (USER, &["cluster_id", "name"]),
    (DB, &["cluster_id", "name"]),
    (UNCLOUD, &["id"]),
    (CONFIGS[0], &["cluster_id"]),
    (CONFIGS[1], &["cluster_id"]),
    (CONFIGS[2], &["cluster_id"]),
    (CONFIGS[3], &["cluster_id"]),
    (CONFIGS[4], &["cluster_id"]),
    (CONFIGS[5], &["cluster_id"]),
    (CONFIGS[6], &["cluster_id"]),
    (CONFIGS[7], &["cluster_id"]),
    (CONFIGS[8], &["cluster_id"]),
    (
        "dbaas_database_logsink_rsyslog",
        &["cluster_id", "logsink_id"],
    ),
    (
        "dbaas_database_logsink_opensearch",
        &["cluster_id", "logsink_id"],
    ),
    (
        "dbaas_database_logsink_elasticsearch",
        &["cluster_id", "logsink_id"],
    ),
    (
        "dbaas_database_logsink_datadog",
        &["cluster_id", "logsink_id"],
    ),
    ("dbaas_database_online_migration", &["cluster_id"]),
    (
        "dbaas_database_kafka_schema_registry",
        &["cluster_id", "subject_name"],
    ),
    ("dbaas_database_replica", &["cluster_id", "name"]),
];

fn identity_names(type_name: &str) -> &'static [&'static str] {
    IDENTITIES
        .iter()
        .find(|(name, _)| *name == type_name)
        .map(|(_, names)| *names)
        .unwrap_or_else(|| panic!("no identity listed for {type_name}"))
}

/// The identity's type, as Terraform builds it from the identity schema.
fn identity_type(type_name: &str) -> Type {
    Type::object(
        identity_names(type_name)
            .iter()
            .map(|name| (name.to_string(), Type::String)),
    )
}

// ---------------------------------------------------------------------------------------------
// The emulator, set up before any async runtime exists (its controls are blocking HTTP)
// ---------------------------------------------------------------------------------------------

fn post(mock: &Mock, path: &str, body: Value) -> Value {
    let response = reqwest::blocking::Client::new()
        .post(format!("{}{path}", mock.url()))
        .bearer_auth(mock.token())
        .json(&body)
        .send()
        .unwrap_or_else(|e| panic!("POST {path} failed: {e}"));
    let status = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    assert_eq!(status, 201, "POST {path} answered {status}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST {path}: not JSON ({e}): {text}"))
}

fn create_cluster(mock: &Mock, name: &str, engine: &str, version: &str, size: &str) -> String {
    let nodes = if engine == "kafka" { 3 } else { 1 };
    let body = post(
        mock,
        "/v2/databases",
        json!({"name": name, "engine": engine, "version": version, "size": size,
               "region": "nyc1", "num_nodes": nodes}),
    );
    body["database"]["id"]
        .as_str()
        .expect("the created cluster has an id")
        .to_string()
}

struct World {
    mock: Mock,
    pg: String,
    kafka: String,
}

/// A pg cluster with a pool and a firewall rule, and a Kafka cluster with a topic, all online.
fn world() -> World {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let pg = create_cluster(&mock, "identity-pg", "pg", "16", "db-s-1vcpu-1gb");
    let kafka = create_cluster(&mock, "identity-kafka", "kafka", "3.8", "gd-2vcpu-8gb");
    post(
        &mock,
        &format!("/v2/databases/{pg}/pools"),
        json!({"name": "backend", "mode": "transaction", "size": 5, "db": "defaultdb",
               "user": "doadmin"}),
    );
    post(
        &mock,
        &format!("/v2/databases/{kafka}/topics"),
        json!({"name": "events", "partition_count": 3, "replication_factor": 2}),
    );
    World { mock, pg, kafka }
}

// ---------------------------------------------------------------------------------------------
// A configured provider session
// ---------------------------------------------------------------------------------------------

impl Session {
    async fn import(
        &mut self,
        type_name: &str,
        id: &str,
        identity: Option<Dynamic>,
    ) -> pb::import_resource_state::Response {
        let identity = identity.map(|value| pb::ResourceIdentityData {
            identity_data: Some(encode(&value, &identity_type(type_name))),
        });
        self.client
            .import_resource_state(pb::import_resource_state::Request {
                type_name: type_name.to_string(),
                id: id.to_string(),
                client_capabilities: None,
                identity,
            })
            .await
            .expect("ImportResourceState")
            .into_inner()
    }

    /// Imports by identity alone and returns the state and the identity that came back.
    async fn import_by_identity(
        &mut self,
        type_name: &str,
        identity: Dynamic,
    ) -> (Dynamic, Dynamic) {
        let response = self.import(type_name, "", Some(identity)).await;
        assert_no_errors(
            &response.diagnostics,
            &format!("importing {type_name} by identity"),
        );
        assert_eq!(
            response.imported_resources.len(),
            1,
            "{type_name}: one object imported"
        );
        let imported = &response.imported_resources[0];
        assert_eq!(imported.type_name, type_name);
        let state = decode(
            imported.state.as_ref(),
            &self.schemas.resource_type(type_name),
        );
        (state, identity_of(type_name, imported.identity.as_ref()))
    }

    async fn read(&mut self, type_name: &str, state: &Dynamic) -> (Dynamic, Dynamic) {
        let ty = self.schemas.resource_type(type_name);
        let response = self
            .client
            .read_resource(pb::read_resource::Request {
                type_name: type_name.to_string(),
                current_state: Some(encode(state, &ty)),
                private: Vec::new(),
                provider_meta: None,
                client_capabilities: None,
                current_identity: None,
            })
            .await
            .expect("ReadResource")
            .into_inner();
        assert_no_errors(&response.diagnostics, &format!("reading {type_name}"));
        (
            decode(response.new_state.as_ref(), &ty),
            identity_of(type_name, response.new_identity.as_ref()),
        )
    }

    /// Plans `config` over `prior`; the planned state and identity.
    async fn plan(
        &mut self,
        type_name: &str,
        prior: &Dynamic,
        config: &Dynamic,
    ) -> (Dynamic, Option<Dynamic>) {
        let ty = self.schemas.resource_type(type_name);
        let block = self.schemas.resource(type_name);
        let config = complete(block, config.clone());
        let proposed = propose(block, prior, &config);
        let response = self
            .client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: type_name.to_string(),
                prior_state: Some(encode(prior, &ty)),
                proposed_new_state: Some(encode(&proposed, &ty)),
                config: Some(encode(&config, &ty)),
                prior_private: Vec::new(),
                provider_meta: None,
                client_capabilities: None,
                prior_identity: None,
            })
            .await
            .expect("PlanResourceChange")
            .into_inner();
        assert_no_errors(&response.diagnostics, &format!("planning {type_name}"));
        let identity = response
            .planned_identity
            .as_ref()
            .map(|data| identity_of(type_name, Some(data)));
        (decode(response.planned_state.as_ref(), &ty), identity)
    }
}

fn identity_of(type_name: &str, data: Option<&pb::ResourceIdentityData>) -> Dynamic {
    let data = data.unwrap_or_else(|| panic!("{type_name}: no identity returned"));
    decode(data.identity_data.as_ref(), &identity_type(type_name))
}

fn text<'a>(value: &'a Dynamic, name: &str) -> &'a str {
    match value.attribute(name) {
        Some(Dynamic::String(text)) => text,
        other => panic!("{name} is not a known string: {other:?} in {value:?}"),
    }
}

/// The identity `type_name` should have for `state`: its identity attributes, copied.
fn expected_identity(type_name: &str, state: &Dynamic) -> Dynamic {
    object(
        identity_names(type_name)
            .iter()
            .map(|name| (*name, string(text(state, name)))),
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_resource_has_an_identity_schema_of_required_strings() {
    let plugin = Plugin::start(Options::default());
    let mut client = plugin.provider().await;
    let response = client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .expect("GetResourceIdentitySchemas")
        .into_inner();
    assert_no_errors(&response.diagnostics, "GetResourceIdentitySchemas");
    let served: BTreeMap<&str, &pb::ResourceIdentitySchema> = response
        .identity_schemas
        .iter()
        .map(|(name, schema)| (name.as_str(), schema))
        .collect();
    let mut expected: Vec<&str> = IDENTITIES.iter().map(|(name, _)| *name).collect();
    expected.sort_unstable();
    assert_eq!(
        served.keys().copied().collect::<Vec<_>>(),
        expected,
        "every resource, and only resources, have an identity"
    );
    for (type_name, names) in IDENTITIES {
        let schema = served[type_name];
        assert_eq!(schema.version, 0, "{type_name}");
        let attributes: Vec<&str> = schema
            .identity_attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            attributes, names,
            "{type_name}: identity attributes in import-ID order"
        );
        for attribute in &schema.identity_attributes {
            let ty: Value = serde_json::from_slice(&attribute.r#type).expect("a JSON type");
            assert_eq!(ty, json!("string"), "{type_name}.{}", attribute.name);
            assert!(
                attribute.required_for_import,
                "{type_name}.{}",
                attribute.name
            );
            assert!(
                !attribute.optional_for_import,
                "{type_name}.{}",
                attribute.name
            );
            assert!(
                !attribute.description.is_empty(),
                "{type_name}.{}: described",
                attribute.name
            );
        }
    }
}

#[tokio::test]
async fn stored_identities_of_the_current_version_upgrade_as_they_are() {
    let plugin = Plugin::start(Options::default());
    let mut client = plugin.provider().await;
    let upgrade = |version: i64, json: &str| pb::upgrade_resource_identity::Request {
        type_name: POOL.to_string(),
        version,
        raw_identity: Some(pb::RawState {
            json: json.as_bytes().to_vec(),
            flatmap: Default::default(),
        }),
    };
    let stored = r#"{"cluster_id":"9cc10173-e9ea-4176-9dbc-a4cee4c4ff30","name":"app-pool"}"#;

    let response = client
        .upgrade_resource_identity(upgrade(0, stored))
        .await
        .expect("UpgradeResourceIdentity")
        .into_inner();
    assert_no_errors(&response.diagnostics, "UpgradeResourceIdentity");
    assert_eq!(
        identity_of(POOL, response.upgraded_identity.as_ref()),
        object([
            ("cluster_id", string("9cc10173-e9ea-4176-9dbc-a4cee4c4ff30")),
            ("name", string("app-pool")),
        ])
    );

    // A version this provider never wrote, and a stored identity that is not one.
    for (version, json, says) in [
        (3, stored, "identity schema version 3"),
        (0, "{not json", "could not be read"),
    ] {
        let response = client
            .upgrade_resource_identity(upgrade(version, json))
            .await
            .expect("UpgradeResourceIdentity")
            .into_inner();
        let found = errors(&response.diagnostics);
        assert_eq!(found.len(), 1, "{}", show(&response.diagnostics));
        assert!(
            found[0].detail.contains(says),
            "{}",
            show(&response.diagnostics)
        );
        assert!(response.upgraded_identity.is_none());
    }
}

#[test]
fn import_by_identity_and_by_id_agree_and_read_returns_the_identity() {
    let world = world();
    runtime().block_on(async {
        let mut session = Session::start(Some((world.mock.url(), world.mock.token()))).await;
        let cases = [
            (CLUSTER, vec![("id", world.pg.as_str())], world.pg.clone()),
            (
                POOL,
                vec![("cluster_id", world.pg.as_str()), ("name", "backend")],
                format!("{},backend", world.pg),
            ),
            (
                FIREWALL,
                vec![("cluster_id", world.pg.as_str())],
                world.pg.clone(),
            ),
            (
                TOPIC,
                vec![("cluster_id", world.kafka.as_str()), ("name", "events")],
                format!("{},events", world.kafka),
            ),
        ];
        for (type_name, identity, id) in cases {
            let identity = object(identity.into_iter().map(|(k, v)| (k, string(v))));
            let (state, returned) = session
                .import_by_identity(type_name, identity.clone())
                .await;
            assert_eq!(
                returned, identity,
                "{type_name}: import returns the identity it was given"
            );
            assert_eq!(
                expected_identity(type_name, &state),
                identity,
                "{type_name}: the imported state is the object the identity names"
            );

            let by_id = session.import(type_name, &id, None).await;
            assert_no_errors(&by_id.diagnostics, &format!("importing {type_name} by ID"));
            let imported = &by_id.imported_resources[0];
            let state_by_id = decode(
                imported.state.as_ref(),
                &session.schemas.resource_type(type_name),
            );
            assert_eq!(
                state_by_id, state,
                "{type_name}: by ID and by identity alike"
            );
            assert_eq!(
                identity_of(type_name, imported.identity.as_ref()),
                identity,
                "{type_name}: import by ID returns the identity too"
            );

            let (read, read_identity) = session.read(type_name, &state).await;
            assert!(!read.is_null(), "{type_name}: the object exists");
            assert_eq!(
                read_identity, identity,
                "{type_name}: read returns the identity"
            );
        }
    });
}

#[test]
fn import_by_an_incomplete_or_wrong_identity_is_a_clear_error() {
    let world = world();
    runtime().block_on(async {
        let mut session = Session::start(Some((world.mock.url(), world.mock.token()))).await;

        // A pool's identity without its name.
        let response = session
            .import(
                POOL,
                "",
                Some(object([
                    ("cluster_id", string(&world.pg)),
                    ("name", Dynamic::Null),
                ])),
            )
            .await;
        let found = errors(&response.diagnostics);
        assert_eq!(found.len(), 1, "{}", show(&response.diagnostics));
        assert!(response.imported_resources.is_empty());
        assert!(
            found[0].detail.contains("\"name\"") && found[0].detail.contains("cluster_id, name"),
            "the error names the missing attribute and what identifies a pool: {}",
            show(&response.diagnostics)
        );

        // An identity naming no object: the resource's own not-found error, nothing imported.
        let response = session
            .import(
                POOL,
                "",
                Some(object([
                    ("cluster_id", string(&world.pg)),
                    ("name", string("no-such-pool")),
                ])),
            )
            .await;
        assert_eq!(
            errors(&response.diagnostics).len(),
            1,
            "{}",
            show(&response.diagnostics)
        );
        assert!(response.imported_resources.is_empty());
        assert!(
            show(&response.diagnostics).contains("no-such-pool"),
            "{}",
            show(&response.diagnostics)
        );

        // Neither an ID nor an identity.
        let response = session.import(CLUSTER, "", None).await;
        assert_eq!(
            errors(&response.diagnostics).len(),
            1,
            "{}",
            show(&response.diagnostics)
        );
        assert!(show(&response.diagnostics).contains("needs an ID or an identity"));
    });
}

#[test]
fn plans_carry_the_identity_unknown_for_a_create_and_known_for_an_update() {
    let world = world();
    runtime().block_on(async {
        let mut session = Session::start(Some((world.mock.url(), world.mock.token()))).await;

        // A new pool: the cluster and name are known from the configuration.
        let pool_config = object([
            ("cluster_id", string(&world.pg)),
            ("name", string("reports")),
            ("mode", string("session")),
            ("size", protocol_support::number(3)),
            ("db_name", string("defaultdb")),
            ("user", string("doadmin")),
        ]);
        let (_, identity) = session.plan(POOL, &Dynamic::Null, &pool_config).await;
        assert_eq!(
            identity,
            Some(object([
                ("cluster_id", string(&world.pg)),
                ("name", string("reports")),
            ])),
            "a create's identity is what the configuration already says"
        );

        // A new cluster: its ID is known only after apply, and so is its identity.
        let cluster_config = object([
            ("name", string("identity-new")),
            ("engine", string("pg")),
            ("version", string("16")),
            ("size", string("db-s-1vcpu-1gb")),
            ("region", string("nyc1")),
            ("node_count", protocol_support::number(1)),
        ]);
        let (planned, identity) = session.plan(CLUSTER, &Dynamic::Null, &cluster_config).await;
        assert!(planned.attribute("id").is_some_and(Dynamic::is_unknown));
        assert_eq!(identity, Some(object([("id", Dynamic::Unknown)])));

        // An existing cluster: the identity is its ID, and stays so through an update.
        let (state, _) = session
            .import_by_identity(CLUSTER, object([("id", string(&world.pg))]))
            .await;
        let (state, _) = session.read(CLUSTER, &state).await;
        let update = object([
            ("name", string("identity-pg")),
            ("engine", string("pg")),
            ("version", string("16")),
            ("size", string("db-s-1vcpu-1gb")),
            ("region", string("nyc1")),
            ("node_count", protocol_support::number(1)),
            ("tags", Dynamic::Set(vec![string("identity")])),
        ]);
        let (planned, identity) = session.plan(CLUSTER, &state, &update).await;
        assert_eq!(
            text(&planned, "id"),
            world.pg,
            "an update, not a replacement"
        );
        assert_eq!(identity, Some(object([("id", string(&world.pg))])));
    });
}
