//! What the provider says about itself: GetProviderSchema, GetMetadata, identity schemas and
//! functions, checked on the wire against the built binary (and, for nested attributes, which
//! the provider's own resources do not use yet, against an in-process provider that does).

mod protocol_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use dbaas::map;
use dbaas::plugin::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, NestedBlock, Schema,
};
use dbaas::plugin::service::{ProviderHandler, ProviderSchemas};
use protocol_support::{
    all_attributes, assert_no_errors, pb, type_of_attribute, type_of_block, InProcess, Options,
    Plugin, Schemas,
};

const RESOURCES: [&str; 23] = [
    "dbaas_database_cluster",
    "dbaas_database_connection_pool",
    "dbaas_database_db",
    "dbaas_database_firewall",
    "dbaas_database_kafka_topic",
    "dbaas_database_user",
    "dbaas_uncloud_database",
    "dbaas_database_postgresql_config",
    "dbaas_database_mysql_config",
    "dbaas_database_redis_config",
    "dbaas_database_valkey_config",
    "dbaas_database_kafka_config",
    "dbaas_database_mongodb_config",
    "dbaas_database_opensearch_config",
    "dbaas_database_advanced_postgresql_config",
    "dbaas_database_advanced_mysql_config",
    "dbaas_database_logsink_rsyslog",
    "dbaas_database_logsink_opensearch",
    "dbaas_database_logsink_elasticsearch",
    "dbaas_database_logsink_datadog",
    "dbaas_database_online_migration",
    "dbaas_database_kafka_schema_registry",
    "dbaas_database_replica",
];
const EPHEMERAL_RESOURCES: [&str; 2] = [
    "dbaas_database_credentials",
    "dbaas_uncloud_database_credentials",
];
const DATA_SOURCES: [&str; 8] = [
    "dbaas_database_ca",
    "dbaas_database_cluster",
    "dbaas_database_connection_pool",
    "dbaas_database_metrics_credentials",
    "dbaas_database_options",
    "dbaas_database_replica",
    "dbaas_database_user",
    "dbaas_uncloud_database",
];

fn names<'a>(keys: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
    keys.into_iter().cloned().collect()
}

fn expected(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn the_schema_lists_every_resource_and_data_source_and_the_capabilities() {
    let plugin = Plugin::start(Options::default());
    let mut client = plugin.provider().await;
    let schemas = Schemas::fetch(&mut client).await;
    let response = &schemas.response;

    assert_eq!(
        names(response.resource_schemas.keys()),
        expected(&RESOURCES)
    );
    assert_eq!(
        names(response.data_source_schemas.keys()),
        expected(&DATA_SOURCES)
    );
    assert_eq!(
        names(response.ephemeral_resource_schemas.keys()),
        expected(&EPHEMERAL_RESOURCES)
    );
    assert!(response.functions.is_empty());

    let capabilities = response.server_capabilities.expect("server capabilities");
    assert!(capabilities.plan_destroy, "{capabilities:?}");
    assert!(capabilities.move_resource_state, "{capabilities:?}");
    assert!(
        capabilities.get_provider_schema_optional,
        "{capabilities:?}"
    );

    // The provider block is there, and its secret is marked sensitive.
    let provider = schemas.provider();
    let token = provider
        .attributes
        .iter()
        .find(|a| a.name == "token")
        .expect("provider attribute token");
    assert!(token.sensitive && token.optional && !token.required);
    assert!(provider.attributes.iter().any(|a| a.name == "api_endpoint"));

    // Every schema has a block, and each block decodes into a type.
    for (name, schema) in response
        .resource_schemas
        .iter()
        .chain(response.data_source_schemas.iter())
    {
        let block = schema
            .block
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has no block"));
        assert!(!block.attributes.is_empty(), "{name} has no attributes");
        let _ = type_of_block(block);
    }
}

/// The rule tf-provider broke: an attribute with `nested_type` must have an empty `type`
/// (Terraform rejects a schema that sets both); every other attribute must have a type.
fn check_attribute_types(owner: &str, block: &pb::schema::Block) -> usize {
    let mut nested = 0;
    for (path, attribute) in all_attributes(block) {
        match &attribute.nested_type {
            Some(_) => {
                nested += 1;
                assert!(
                    attribute.r#type.is_empty(),
                    "{owner}.{path} has nested_type and also type {:?}",
                    String::from_utf8_lossy(&attribute.r#type)
                );
            }
            None => {
                assert!(
                    !attribute.r#type.is_empty(),
                    "{owner}.{path} has neither type nor nested_type"
                );
                let _ = type_of_attribute(attribute);
            }
        }
    }
    nested
}

#[tokio::test]
async fn no_attribute_of_the_provider_sets_both_type_and_nested_type() {
    let plugin = Plugin::start(Options::default());
    let mut client = plugin.provider().await;
    let schemas = Schemas::fetch(&mut client).await;
    let response = &schemas.response;
    let mut checked = 0;
    check_attribute_types("provider", schemas.provider());
    for (name, schema) in response
        .resource_schemas
        .iter()
        .chain(response.data_source_schemas.iter())
    {
        check_attribute_types(name, schema.block.as_ref().expect("a block"));
        checked += 1;
    }
    assert_eq!(checked, RESOURCES.len() + DATA_SOURCES.len());
}

#[tokio::test]
async fn the_wire_schema_describes_exactly_the_type_the_server_decodes_with() {
    // The server decodes values with `Schema::value_type()`; Terraform encodes them with the
    // type it reads from the proto schema. If `to_proto` lost or changed anything (a nesting
    // mode, an attribute type), the two would disagree and values would not decode.
    let plugin = Plugin::start(Options::default());
    let mut client = plugin.provider().await;
    let schemas = Schemas::fetch(&mut client).await;
    let served =
        dbaas::provider::provider(Arc::new(dbaas::framework::context::ProviderData::default()))
            .schemas();
    for (name, schema) in &served.resources {
        assert_eq!(
            schemas.resource_type(name),
            schema.value_type(),
            "resource {name}: the wire schema and the decoding type differ"
        );
    }
    for (name, schema) in &served.data_sources {
        let block = schemas.response.data_source_schemas[name]
            .block
            .as_ref()
            .expect("a block");
        assert_eq!(
            type_of_block(block),
            schema.value_type(),
            "data source {name}: the wire schema and the decoding type differ"
        );
    }
    assert_eq!(schemas.provider_type(), served.provider.value_type());
}

#[tokio::test]
async fn get_metadata_agrees_with_get_provider_schema() {
    let plugin = Plugin::start(Options::default());
    let mut client = plugin.provider().await;
    let schemas = Schemas::fetch(&mut client).await;
    let metadata = client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata")
        .into_inner();
    assert_no_errors(&metadata.diagnostics, "GetMetadata");
    let resources: BTreeSet<String> = metadata
        .resources
        .iter()
        .map(|r| r.type_name.clone())
        .collect();
    let data_sources: BTreeSet<String> = metadata
        .data_sources
        .iter()
        .map(|d| d.type_name.clone())
        .collect();
    assert_eq!(resources.len(), metadata.resources.len(), "duplicates");
    assert_eq!(
        resources,
        names(schemas.response.resource_schemas.keys()),
        "GetMetadata and GetProviderSchema list different resources"
    );
    assert_eq!(
        data_sources,
        names(schemas.response.data_source_schemas.keys()),
        "GetMetadata and GetProviderSchema list different data sources"
    );
    assert_eq!(
        metadata.server_capabilities, schemas.response.server_capabilities,
        "the capabilities must be the same in both answers"
    );
    assert!(metadata.functions.is_empty());
    let ephemeral: BTreeSet<String> = metadata
        .ephemeral_resources
        .iter()
        .map(|e| e.type_name.clone())
        .collect();
    assert_eq!(ephemeral, expected(&EPHEMERAL_RESOURCES));
}

#[tokio::test]
async fn resource_identity_schemas_and_functions_answer_without_error() {
    let plugin = Plugin::start(Options::default());
    let mut client = plugin.provider().await;
    let identities = client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .expect("GetResourceIdentitySchemas must be implemented")
        .into_inner();
    assert_no_errors(&identities.diagnostics, "GetResourceIdentitySchemas");
    for (name, identity) in &identities.identity_schemas {
        assert!(
            RESOURCES.contains(&name.as_str()),
            "identity schema for unknown resource {name}"
        );
        assert!(
            !identity.identity_attributes.is_empty(),
            "{name}: an identity schema without attributes"
        );
        for attribute in &identity.identity_attributes {
            let json: serde_json::Value = serde_json::from_slice(&attribute.r#type)
                .unwrap_or_else(|e| panic!("{name}.{}: type is not JSON: {e}", attribute.name));
            dbaas::plugin::dynamic::Type::from_json(&json)
                .unwrap_or_else(|e| panic!("{name}.{}: {e}", attribute.name));
        }
    }

    let functions = client
        .get_functions(pb::get_functions::Request {})
        .await
        .expect("GetFunctions must be implemented")
        .into_inner();
    assert!(functions.functions.is_empty(), "{:?}", functions.functions);
    assert_no_errors(&functions.diagnostics, "GetFunctions");
}

// ---------------------------------------------------------------------------------------------
// Nested attributes, through an in-process provider that declares every nesting mode
// ---------------------------------------------------------------------------------------------

struct NestedAttributes;

fn nested_schema() -> Schema {
    let inner = || {
        map! {
            "label" => Attribute {
                attr_type: AttributeType::String,
                constraint: AttributeConstraint::Required,
                ..Default::default()
            },
            "weight" => Attribute {
                attr_type: AttributeType::Number,
                constraint: AttributeConstraint::Optional,
                ..Default::default()
            },
        }
    };
    let attribute = |attr_type| Attribute {
        attr_type,
        constraint: AttributeConstraint::Optional,
        ..Default::default()
    };
    Schema {
        version: 1,
        block: Block {
            version: 1,
            attributes: map! {
                "plain" => attribute(AttributeType::List(Box::new(AttributeType::String))),
                "single" => attribute(AttributeType::AttributeSingle(inner())),
                "list" => attribute(AttributeType::AttributeList(inner())),
                "set" => attribute(AttributeType::AttributeSet(inner())),
                "map" => attribute(AttributeType::AttributeMap(inner())),
            },
            blocks: map! {
                "group" => NestedBlock::List(Block {
                    attributes: map! {
                        "deep" => attribute(AttributeType::AttributeList(inner())),
                    },
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
    }
}

#[async_trait]
impl ProviderHandler for NestedAttributes {
    fn schemas(&self) -> ProviderSchemas {
        ProviderSchemas {
            resources: BTreeMap::from([("test_nested".to_string(), nested_schema())]),
            ..Default::default()
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nested_attributes_go_out_as_nested_type_alone() {
    let server = InProcess::start(Arc::new(NestedAttributes)).await;
    let mut client = server.provider().await;
    let schemas = Schemas::fetch(&mut client).await;
    let block = schemas.resource("test_nested");

    // Five nested attributes: four at the top, one inside the block.
    assert_eq!(check_attribute_types("test_nested", block), 5);

    use pb::schema::object::NestingMode;
    let nesting = |name: &str| {
        let attribute = block
            .attributes
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("attribute {name}"));
        let object = attribute
            .nested_type
            .as_ref()
            .unwrap_or_else(|| panic!("{name} must be sent as nested_type"));
        let inner: BTreeMap<&str, (bool, bool)> = object
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), (a.required, a.optional)))
            .collect();
        assert_eq!(
            inner,
            BTreeMap::from([("label", (true, false)), ("weight", (false, true))]),
            "{name}: the nested attributes and their constraints"
        );
        NestingMode::try_from(object.nesting).expect("a known nesting mode")
    };
    assert_eq!(nesting("single"), NestingMode::Single);
    assert_eq!(nesting("list"), NestingMode::List);
    assert_eq!(nesting("set"), NestingMode::Set);
    assert_eq!(nesting("map"), NestingMode::Map);

    // And the type Terraform rebuilds from it is the type the server decodes with.
    assert_eq!(type_of_block(block), nested_schema().value_type());
    server.stop().await.expect("serve_with ends cleanly");
}
