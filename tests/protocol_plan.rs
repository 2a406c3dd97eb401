//! Validation and planning through the wire protocol against the built binary, with values
//! encoded as Terraform encodes them (msgpack, typed by the schema the provider sent).
//!
//! The provider is left unconfigured unless a test says otherwise: every plan-time check that
//! needs the API skips itself then, so these tests need no emulator. One test configures it
//! against an unreachable endpoint to show that such checks also skip when the API is down.

mod protocol_support;

use std::time::{Duration, Instant};

use dbaas::plugin::dynamic::Dynamic;
use protocol_support::{
    assert_no_errors, attribute_path, complete, decode, encode, errors, number, object, only_error,
    path_of, pb, propose, show, string, Options, Plugin, ProviderClient, Schemas,
};

const CLUSTER: &str = "dbaas_database_cluster";
const POOL: &str = "dbaas_database_connection_pool";
const CLUSTER_ID: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";

struct Session {
    // Kept for its lifetime: dropping it kills the plugin.
    _plugin: Plugin,
    client: ProviderClient,
    schemas: Schemas,
}

async fn session() -> Session {
    let plugin = Plugin::start(Options::default());
    let mut client = plugin.provider().await;
    let schemas = Schemas::fetch(&mut client).await;
    Session {
        _plugin: plugin,
        client,
        schemas,
    }
}

fn with(base: Dynamic, changes: &[(&str, Dynamic)]) -> Dynamic {
    let Dynamic::Object(mut values) = base else {
        panic!("not an object");
    };
    for (name, value) in changes {
        values.insert(name.to_string(), value.clone());
    }
    Dynamic::Object(values)
}

impl Session {
    fn config(&self, type_name: &str, values: Dynamic) -> Dynamic {
        complete(self.schemas.resource(type_name), values)
    }

    async fn validate(
        &mut self,
        type_name: &str,
        config: &Dynamic,
    ) -> pb::validate_resource_config::Response {
        let ty = self.schemas.resource_type(type_name);
        self.client
            .validate_resource_config(pb::validate_resource_config::Request {
                type_name: type_name.to_string(),
                config: Some(encode(config, &ty)),
                client_capabilities: Some(pb::ClientCapabilities {
                    deferral_allowed: false,
                    write_only_attributes_allowed: true,
                }),
            })
            .await
            .expect("ValidateResourceConfig")
            .into_inner()
    }

    /// Plans `config` over `prior` (null for a create) with Terraform's proposed new state.
    async fn plan(
        &mut self,
        type_name: &str,
        prior: &Dynamic,
        config: &Dynamic,
    ) -> (pb::plan_resource_change::Response, Dynamic) {
        let ty = self.schemas.resource_type(type_name);
        let proposed = propose(self.schemas.resource(type_name), prior, config);
        let response = self
            .client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: type_name.to_string(),
                prior_state: Some(encode(prior, &ty)),
                proposed_new_state: Some(encode(&proposed, &ty)),
                config: Some(encode(config, &ty)),
                prior_private: Vec::new(),
                provider_meta: None,
                client_capabilities: Some(pb::ClientCapabilities {
                    deferral_allowed: false,
                    write_only_attributes_allowed: true,
                }),
                prior_identity: None,
            })
            .await
            .expect("PlanResourceChange")
            .into_inner();
        let planned = decode(response.planned_state.as_ref(), &ty);
        (response, planned)
    }

    /// Plans the destroy of `prior`: Terraform sends a null proposed state and configuration
    /// (it does, since the provider asks for destroy plans with `plan_destroy`).
    async fn plan_destroy(
        &mut self,
        type_name: &str,
        prior: &Dynamic,
    ) -> pb::plan_resource_change::Response {
        let ty = self.schemas.resource_type(type_name);
        self.client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: type_name.to_string(),
                prior_state: Some(encode(prior, &ty)),
                proposed_new_state: Some(encode(&Dynamic::Null, &ty)),
                config: Some(encode(&Dynamic::Null, &ty)),
                ..Default::default()
            })
            .await
            .expect("PlanResourceChange (destroy)")
            .into_inner()
    }

    async fn configure(&mut self, values: Dynamic) -> pb::configure_provider::Response {
        let config = complete(self.schemas.provider(), values);
        let ty = self.schemas.provider_type();
        self.client
            .configure_provider(pb::configure_provider::Request {
                terraform_version: "1.11.0".to_string(),
                config: Some(encode(&config, &ty)),
                client_capabilities: None,
            })
            .await
            .expect("ConfigureProvider")
            .into_inner()
    }
}

fn attribute<'a>(value: &'a Dynamic, name: &str) -> &'a Dynamic {
    value
        .attribute(name)
        .unwrap_or_else(|| panic!("the value has no attribute {name}: {value:?}"))
}

// ---------------------------------------------------------------------------------------------
// Clusters
// ---------------------------------------------------------------------------------------------

fn cluster_values() -> Dynamic {
    object([
        ("name", string("protocol-test")),
        ("engine", string("pg")),
        ("version", string("16")),
        ("size", string("db-s-1vcpu-1gb")),
        ("region", string("nyc1")),
        ("node_count", number(1)),
    ])
}

/// A cluster as a read would have left it in state: everything known.
fn cluster_state(session: &Session) -> Dynamic {
    let values = with(
        cluster_values(),
        &[
            ("id", string(CLUSTER_ID)),
            ("urn", string(&format!("do:dbaas:{CLUSTER_ID}"))),
            ("host", string("protocol-test.db.example.com")),
            ("port", number(25060)),
            (
                "uri",
                string("postgresql://doadmin:pw@protocol-test.db.example.com:25060/defaultdb"),
            ),
            ("database", string("defaultdb")),
            ("user", string("doadmin")),
            ("password", string("pw")),
            (
                "private_host",
                string("private-protocol-test.db.example.com"),
            ),
            (
                "private_uri",
                string(
                    "postgresql://doadmin:pw@private-protocol-test.db.example.com:25060/defaultdb",
                ),
            ),
            (
                "private_network_uuid",
                string("0b9f1c4e-9a57-4a1c-9f8e-2f7f3f0c1d2e"),
            ),
            ("project_id", string("5b6d1f4a-3c2e-4e1b-8a7f-9d0c1b2a3e4f")),
            (
                "maintenance_window",
                Dynamic::List(vec![object([
                    ("day", string("tuesday")),
                    ("hour", string("02:00:00")),
                ])]),
            ),
            ("storage_size_mib", number(20480)),
            (
                "metrics_endpoints",
                Dynamic::List(vec![string(
                    "https://protocol-test.db.example.com:9273/metrics",
                )]),
            ),
        ],
    );
    session.config(CLUSTER, values)
}

#[tokio::test]
async fn an_unknown_region_stays_unknown_and_computed_values_are_unknown_on_create() {
    let mut session = session().await;
    let config = session.config(
        CLUSTER,
        with(cluster_values(), &[("region", Dynamic::Unknown)]),
    );
    let (response, planned) = session.plan(CLUSTER, &Dynamic::Null, &config).await;
    assert_no_errors(
        &response.diagnostics,
        "planning a cluster with an unknown region",
    );
    assert!(response.requires_replace.is_empty());
    assert_eq!(
        attribute(&planned, "region"),
        &Dynamic::Unknown,
        "the unknown region must stay unknown"
    );
    for computed in ["id", "host", "uri", "port", "password", "urn"] {
        assert_eq!(
            attribute(&planned, computed),
            &Dynamic::Unknown,
            "computed `{computed}` must be unknown on create"
        );
    }
    // What the configuration says is planned as it says it.
    assert_eq!(attribute(&planned, "name"), &string("protocol-test"));
    assert_eq!(attribute(&planned, "node_count"), &number(1));

    // The control: a known region is planned as configured, not made unknown.
    let config = session.config(CLUSTER, cluster_values());
    let (response, planned) = session.plan(CLUSTER, &Dynamic::Null, &config).await;
    assert_no_errors(&response.diagnostics, "planning a cluster");
    assert_eq!(attribute(&planned, "region"), &string("nyc1"));
}

#[tokio::test]
async fn shrinking_storage_is_a_plan_error_naming_storage_size_mib() {
    let mut session = session().await;
    let prior = cluster_state(&session);
    let config = session.config(
        CLUSTER,
        with(cluster_values(), &[("storage_size_mib", number(10240))]),
    );
    let (response, _) = session.plan(CLUSTER, &prior, &config).await;
    let error = only_error(&response.diagnostics, "a storage shrink");
    assert_eq!(
        path_of(error),
        "storage_size_mib",
        "{}",
        show(&response.diagnostics)
    );
    assert!(
        error.detail.contains("20480") && error.detail.contains("10240"),
        "the error should say what the sizes are: {}",
        error.detail
    );
}

#[tokio::test]
async fn a_version_downgrade_is_a_plan_error_naming_version() {
    let mut session = session().await;
    let prior = cluster_state(&session);
    let config = session.config(
        CLUSTER,
        with(cluster_values(), &[("version", string("15"))]),
    );
    let (response, _) = session.plan(CLUSTER, &prior, &config).await;
    let error = only_error(&response.diagnostics, "a version downgrade");
    assert_eq!(path_of(error), "version", "{}", show(&response.diagnostics));
}

#[tokio::test]
async fn growing_storage_and_upgrading_are_planned_in_place() {
    // The control for the two errors above.
    let mut session = session().await;
    let prior = cluster_state(&session);
    let config = session.config(
        CLUSTER,
        with(
            cluster_values(),
            &[
                ("version", string("17")),
                ("storage_size_mib", number(30720)),
            ],
        ),
    );
    let (response, planned) = session.plan(CLUSTER, &prior, &config).await;
    assert_no_errors(&response.diagnostics, "an upgrade and a storage increase");
    assert!(
        response.requires_replace.is_empty(),
        "{:?}",
        response.requires_replace
    );
    assert_eq!(attribute(&planned, "version"), &string("17"));
    assert_eq!(attribute(&planned, "storage_size_mib"), &number(30720));
    // Nothing about the connection changes, so it stays known.
    assert_eq!(attribute(&planned, "host"), attribute(&prior, "host"));
    assert_eq!(attribute(&planned, "id"), &string(CLUSTER_ID));
}

#[tokio::test]
async fn a_create_plan_survives_an_unreachable_api() {
    let mut session = session().await;
    let configured = session
        .configure(object([
            ("token", string("protocol-test-token")),
            ("api_endpoint", string("http://127.0.0.1:9")),
            ("http_retry_max", number(0)),
            ("request_timeout", string("3s")),
        ]))
        .await;
    assert_no_errors(&configured.diagnostics, "ConfigureProvider");
    // Fully known, so the plan-time catalogue check runs; the API is down, so it must skip.
    let config = session.config(CLUSTER, cluster_values());
    let started = Instant::now();
    let (response, planned) = session.plan(CLUSTER, &Dynamic::Null, &config).await;
    assert_no_errors(&response.diagnostics, "planning against an unreachable API");
    assert_eq!(attribute(&planned, "id"), &Dynamic::Unknown);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the plan took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn deletion_protection_refuses_destroy_and_replace_plans() {
    let mut session = session().await;
    let unprotected = cluster_state(&session);
    let response = session.plan_destroy(CLUSTER, &unprotected).await;
    assert_no_errors(
        &response.diagnostics,
        "planning the destroy of an unprotected cluster",
    );
    let ty = session.schemas.resource_type(CLUSTER);
    assert_eq!(
        decode(response.planned_state.as_ref(), &ty),
        Dynamic::Null,
        "a destroy plans a null state"
    );

    let protected = with(
        unprotected,
        &[("deletion_protection", protocol_support::boolean(true))],
    );
    let response = session.plan_destroy(CLUSTER, &protected).await;
    let error = only_error(&response.diagnostics, "destroying a protected cluster");
    assert_eq!(
        path_of(error),
        "deletion_protection",
        "{}",
        show(&response.diagnostics)
    );

    // A replacement destroys the cluster too.
    let renamed = session.config(
        CLUSTER,
        with(
            cluster_values(),
            &[
                ("name", string("protocol-renamed")),
                ("deletion_protection", protocol_support::boolean(true)),
            ],
        ),
    );
    let (response, _) = session.plan(CLUSTER, &protected, &renamed).await;
    let error = only_error(&response.diagnostics, "replacing a protected cluster");
    assert!(
        error.summary.contains("protected"),
        "{}",
        show(&response.diagnostics)
    );
}

#[tokio::test]
async fn reading_a_data_source_unconfigured_says_the_provider_is_not_configured() {
    let mut session = session().await;
    let block = session.schemas.response.data_source_schemas["dbaas_database_ca"]
        .block
        .clone()
        .expect("a block");
    let ty = protocol_support::type_of_block(&block);
    let config = complete(&block, object([("cluster_id", string(CLUSTER_ID))]));
    let response = session
        .client
        .read_data_source(pb::read_data_source::Request {
            type_name: "dbaas_database_ca".to_string(),
            config: Some(encode(&config, &ty)),
            ..Default::default()
        })
        .await
        .expect("ReadDataSource")
        .into_inner();
    let error = only_error(&response.diagnostics, "an unconfigured data source read");
    assert_eq!(
        error.summary,
        "Provider not configured",
        "{}",
        show(&response.diagnostics)
    );
}

// ---------------------------------------------------------------------------------------------
// Connection pools
// ---------------------------------------------------------------------------------------------

fn pool_values() -> Dynamic {
    object([
        ("cluster_id", string(CLUSTER_ID)),
        ("name", string("pool-one")),
        ("mode", string("transaction")),
        ("size", number(10)),
        ("db_name", string("defaultdb")),
    ])
}

fn pool_state(session: &Session) -> Dynamic {
    session.config(
        POOL,
        with(
            pool_values(),
            &[
                ("id", string(&format!("{CLUSTER_ID},pool-one"))),
                ("host", string("pool.db.example.com")),
                ("port", number(25061)),
                (
                    "uri",
                    string("postgresql://doadmin:pw@pool.db.example.com:25061/pool-one"),
                ),
                ("private_host", string("private-pool.db.example.com")),
                (
                    "private_uri",
                    string("postgresql://doadmin:pw@private-pool.db.example.com:25061/pool-one"),
                ),
                ("password", string("pw")),
            ],
        ),
    )
}

#[tokio::test]
async fn renaming_a_pool_requires_replacement_resizing_does_not() {
    let mut session = session().await;
    let prior = pool_state(&session);

    let renamed = session.config(POOL, with(pool_values(), &[("name", string("pool-two"))]));
    let (response, planned) = session.plan(POOL, &prior, &renamed).await;
    assert_no_errors(&response.diagnostics, "renaming a pool");
    assert_eq!(
        response.requires_replace,
        vec![attribute_path(&["name"])],
        "a new name must replace the pool"
    );
    assert_eq!(attribute(&planned, "name"), &string("pool-two"));

    let resized = session.config(POOL, with(pool_values(), &[("size", number(20))]));
    let (response, planned) = session.plan(POOL, &prior, &resized).await;
    assert_no_errors(&response.diagnostics, "resizing a pool");
    assert!(
        response.requires_replace.is_empty(),
        "a new size is changed in place, but the plan replaces: {:?}",
        response.requires_replace
    );
    assert_eq!(attribute(&planned, "size"), &number(20));
    // In place: the connection details are kept, not made unknown.
    assert_eq!(attribute(&planned, "host"), attribute(&prior, "host"));
    assert_eq!(attribute(&planned, "uri"), attribute(&prior, "uri"));
}

#[tokio::test]
async fn an_invalid_pool_mode_is_an_error_on_mode() {
    let mut session = session().await;
    let bogus = session.config(POOL, with(pool_values(), &[("mode", string("bogus"))]));
    let response = session.validate(POOL, &bogus).await;
    let error = only_error(&response.diagnostics, "mode = \"bogus\"");
    assert_eq!(path_of(error), "mode", "{}", show(&response.diagnostics));
    assert!(
        error.detail.contains("transaction") && error.detail.contains("bogus"),
        "the error should list the valid modes and the bad one: {}",
        error.detail
    );

    // The control: the same configuration with a valid mode passes.
    let valid = session.config(POOL, pool_values());
    let response = session.validate(POOL, &valid).await;
    assert_no_errors(&response.diagnostics, "a valid pool");

    // And an unknown mode is not judged yet.
    let unknown = session.config(POOL, with(pool_values(), &[("mode", Dynamic::Unknown)]));
    let response = session.validate(POOL, &unknown).await;
    assert_no_errors(&response.diagnostics, "a pool with an unknown mode");
}

#[tokio::test]
async fn a_current_state_upgrades_to_itself() {
    // Terraform calls UpgradeResourceState for every resource in state before each plan.
    let mut session = session().await;
    let version = session.schemas.response.resource_schemas[POOL].version;
    let state = serde_json::json!({
        "id": format!("{CLUSTER_ID},pool-one"),
        "cluster_id": CLUSTER_ID,
        "name": "pool-one",
        "mode": "transaction",
        "size": 10,
        "db_name": "defaultdb",
        "user": null,
        "host": "pool.db.example.com",
        "port": 25061,
        "uri": null,
        "private_host": null,
        "private_uri": null,
        "password": null,
        "timeouts": [],
    });
    let response = session
        .client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: POOL.to_string(),
            version,
            raw_state: Some(pb::RawState {
                json: serde_json::to_vec(&state).unwrap(),
                flatmap: Default::default(),
            }),
        })
        .await
        .expect("UpgradeResourceState")
        .into_inner();
    assert_no_errors(&response.diagnostics, "UpgradeResourceState");
    let upgraded = decode(
        response.upgraded_state.as_ref(),
        &session.schemas.resource_type(POOL),
    );
    assert_eq!(attribute(&upgraded, "name"), &string("pool-one"));
    assert_eq!(attribute(&upgraded, "size"), &number(10));
    assert_eq!(attribute(&upgraded, "port"), &number(25061));
}

// ---------------------------------------------------------------------------------------------
// The provider block and the RPCs the provider does not offer
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_bad_api_endpoint_is_an_error_on_api_endpoint() {
    let mut session = session().await;
    let ty = session.schemas.provider_type();
    for bad in ["ftp://example.com", "not a url"] {
        let config = complete(
            session.schemas.provider(),
            object([("api_endpoint", string(bad))]),
        );
        let response = session
            .client
            .validate_provider_config(pb::validate_provider_config::Request {
                config: Some(encode(&config, &ty)),
            })
            .await
            .expect("ValidateProviderConfig")
            .into_inner();
        let error = only_error(&response.diagnostics, bad);
        assert_eq!(
            path_of(error),
            "api_endpoint",
            "{}",
            show(&response.diagnostics)
        );
    }
    // The control: a good endpoint (and no token, which is only needed at configure time).
    let config = complete(
        session.schemas.provider(),
        object([("api_endpoint", string("http://127.0.0.1:9"))]),
    );
    let response = session
        .client
        .validate_provider_config(pb::validate_provider_config::Request {
            config: Some(encode(&config, &ty)),
        })
        .await
        .expect("ValidateProviderConfig")
        .into_inner();
    assert_no_errors(&response.diagnostics, "a good api_endpoint");
}

#[tokio::test]
async fn stop_provider_answers_with_an_empty_error_and_the_provider_keeps_answering() {
    let mut session = session().await;
    let response = session
        .client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider")
        .into_inner();
    assert_eq!(response.error, "", "StopProvider must succeed");
    // Terraform may still ask for schemas and plans (destroy-time) after an interrupt.
    session
        .client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata after StopProvider");
}

fn assert_clear_error(diagnostics: &[pb::Diagnostic], summary: &str, mentions: &str) {
    let found = errors(diagnostics);
    assert!(
        found
            .iter()
            .any(|d| d.summary.contains(summary) && d.detail.contains(mentions)),
        "expected an error {summary:?} mentioning {mentions:?}, got:\n{}",
        show(diagnostics)
    );
}

#[tokio::test]
async fn an_unknown_resource_type_is_a_clear_error_diagnostic() {
    let mut session = session().await;
    let validate = session
        .client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "dbaas_nope".to_string(),
            config: Some(pb::DynamicValue::default()),
            client_capabilities: None,
        })
        .await
        .expect("ValidateResourceConfig for an unknown type answers with diagnostics")
        .into_inner();
    assert_clear_error(&validate.diagnostics, "Unknown resource type", "dbaas_nope");

    let plan = session
        .client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "dbaas_nope".to_string(),
            ..Default::default()
        })
        .await
        .expect("PlanResourceChange for an unknown type answers with diagnostics")
        .into_inner();
    assert_clear_error(&plan.diagnostics, "Unknown resource type", "dbaas_nope");

    let read = session
        .client
        .read_data_source(pb::read_data_source::Request {
            type_name: "dbaas_nope".to_string(),
            ..Default::default()
        })
        .await
        .expect("ReadDataSource for an unknown type answers with diagnostics")
        .into_inner();
    assert_clear_error(&read.diagnostics, "Unknown data source type", "dbaas_nope");
}

#[tokio::test]
async fn move_resource_state_is_refused_with_a_diagnostic() {
    let mut session = session().await;
    let request = |target: &str| pb::move_resource_state::Request {
        source_provider_address: "registry.terraform.io/example/other".to_string(),
        source_type_name: "other_database".to_string(),
        source_schema_version: 0,
        source_state: Some(pb::RawState {
            json: b"{\"id\":\"x\"}".to_vec(),
            flatmap: Default::default(),
        }),
        target_type_name: target.to_string(),
        source_private: Vec::new(),
        source_identity: None,
        source_identity_schema_version: 0,
    };
    let response = session
        .client
        .move_resource_state(request(CLUSTER))
        .await
        .expect("MoveResourceState must be answered, not UNIMPLEMENTED")
        .into_inner();
    assert_clear_error(
        &response.diagnostics,
        "Cannot move this resource here",
        "other_database",
    );
    assert!(response.target_state.is_none());

    let response = session
        .client
        .move_resource_state(request("dbaas_nope"))
        .await
        .expect("MoveResourceState")
        .into_inner();
    assert_clear_error(&response.diagnostics, "Unknown resource type", "dbaas_nope");
}

#[tokio::test]
async fn an_unknown_ephemeral_resource_type_is_refused_with_a_diagnostic() {
    let mut session = session().await;
    let response = session
        .client
        .open_ephemeral_resource(pb::open_ephemeral_resource::Request {
            type_name: "dbaas_nope_credentials".to_string(),
            config: Some(pb::DynamicValue::default()),
            client_capabilities: None,
        })
        .await
        .expect("OpenEphemeralResource must be answered, not UNIMPLEMENTED")
        .into_inner();
    assert_clear_error(
        &response.diagnostics,
        "Unknown ephemeral resource type",
        "dbaas_nope_credentials",
    );
    assert!(response.result.is_none());
}

#[tokio::test]
async fn call_function_is_refused_with_a_function_error() {
    let mut session = session().await;
    let response = session
        .client
        .call_function(pb::call_function::Request {
            name: "parse_uri".to_string(),
            arguments: Vec::new(),
        })
        .await
        .expect("CallFunction must be answered, not UNIMPLEMENTED")
        .into_inner();
    let error = response.error.expect("a function error");
    assert!(
        error.text.contains("no function") && error.text.contains("parse_uri"),
        "the error should say the function does not exist: {:?}",
        error.text
    );
    assert!(response.result.is_none());
}
