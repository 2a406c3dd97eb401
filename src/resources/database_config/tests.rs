use serde_json::json;

use super::*;

const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";

fn contract() -> Json {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/api/config.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("schemas/api/config.json"))
        .expect("the contract schema is JSON")
}

fn f(value: Option<&Json>) -> Option<f64> {
    value.and_then(Json::as_f64)
}

fn check_row(setting: &Setting, schema: &Json, context: &str) {
    let types: Vec<&str> = match &schema["type"] {
        Json::String(t) => vec![t.as_str()],
        Json::Array(ts) => ts.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    };
    let main = types.iter().find(|t| **t != "null").copied();
    let strings = |value: &Json| -> Vec<String> {
        value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    match (&setting.kind, main) {
        (Kind::Bool, Some("boolean")) => {}
        (Kind::Integer { min, max, allowed }, Some("integer")) => {
            assert_eq!(*min, f(schema.get("minimum")), "{context} minimum");
            assert_eq!(*max, f(schema.get("maximum")), "{context} maximum");
            let want: Vec<i64> = schema["enum"]
                .as_array()
                .map(|v| v.iter().filter_map(Json::as_i64).collect())
                .unwrap_or_default();
            assert_eq!(allowed.to_vec(), want, "{context} enum");
        }
        (Kind::Number { min, max }, Some("number")) => {
            assert_eq!(*min, f(schema.get("minimum")), "{context} minimum");
            assert_eq!(*max, f(schema.get("maximum")), "{context} maximum");
        }
        (Kind::String(text), Some("string")) => {
            let allowed: Vec<String> = text.allowed.iter().map(|s| s.to_string()).collect();
            assert_eq!(allowed, strings(&schema["enum"]), "{context} enum");
            let size = |key: &str| schema.get(key).and_then(Json::as_u64).map(|n| n as usize);
            assert_eq!(text.min_length, size("minLength"), "{context} minLength");
            assert_eq!(text.max_length, size("maxLength"), "{context} maxLength");
            assert_eq!(
                text.pattern,
                schema.get("pattern").and_then(Json::as_str),
                "{context} pattern"
            );
            assert_eq!(text.nullable, types.contains(&"null"), "{context} nullable");
        }
        (Kind::StringSet { allowed, max_items }, Some("array")) => {
            let allowed: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
            assert_eq!(
                allowed,
                strings(&schema["items"]["enum"]),
                "{context} items"
            );
            assert_eq!(
                *max_items,
                schema
                    .get("maxItems")
                    .and_then(Json::as_u64)
                    .map(|n| n as usize),
                "{context} maxItems"
            );
        }
        (Kind::Block(inner), Some("object")) => check_rows(inner, schema, context, false),
        (kind, other) => panic!("{context}: the table says {kind:?}, the contract {other:?}"),
    }
    assert_eq!(
        setting
            .default
            .map(|d| serde_json::from_str::<Json>(d).unwrap()),
        schema.get("default").cloned(),
        "{context} default"
    );
    let description = schema["description"].as_str().unwrap_or_default();
    let first_words: String = description
        .split_whitespace()
        .take(4)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        setting.description.starts_with(&first_words),
        "{context}: description {:?} is not the contract's {description:?}",
        setting.description
    );
}

fn check_rows(settings: &[Setting], schema: &Json, context: &str, top: bool) {
    let properties = schema["properties"].as_object().expect("properties");
    assert_eq!(
        settings.len(),
        properties.len(),
        "{context}: number of settings"
    );
    for (key, property) in properties {
        let setting = settings
            .iter()
            .find(|s| s.api == key)
            .unwrap_or_else(|| panic!("{context}: the contract's {key:?} has no row"));
        if !top {
            assert_eq!(setting.name, key, "{context}: nested names are the API's");
        }
        check_row(setting, property, &format!("{context}.{key}"));
    }
}

#[test]
fn the_tables_match_the_contract() {
    let contract = contract();
    let schemas = contract["properties"]["config"]["anyOf"]
        .as_array()
        .expect("config is anyOf the engines' schemas");
    let tables: [(&str, &[Setting]); 7] = [
        ("mysql", settings::MYSQL),
        ("pg", settings::POSTGRES),
        ("redis", settings::REDIS),
        ("valkey", settings::VALKEY),
        ("kafka", settings::KAFKA),
        ("opensearch", settings::OPENSEARCH),
        ("mongodb", settings::MONGODB),
    ];
    assert_eq!(schemas.len(), tables.len());
    for ((engine, table), schema) in tables.iter().zip(schemas) {
        check_rows(table, schema, engine, true);
    }
    // Every engine of the contract has its resource, and the advanced editions share the
    // schemas of their engines, as the contract serves them.
    let engines: Vec<&str> = ENGINES.iter().map(|spec| spec.engine).collect();
    for engine in [
        "pg",
        "mysql",
        "redis",
        "valkey",
        "kafka",
        "mongodb",
        "opensearch",
        "advanced_pg",
        "advanced_mysql",
    ] {
        assert!(engines.contains(&engine), "{engine}");
    }
    assert!(std::ptr::eq(
        table::ADVANCED_POSTGRESQL.settings,
        table::POSTGRESQL.settings
    ));
}

#[test]
fn names_follow_digitaloceans_provider() {
    let redis = &table::REDIS;
    assert_eq!(redis.setting("timeout").unwrap().api, "redis_timeout");
    assert_eq!(
        redis.setting("maxmemory_policy").unwrap().api,
        "redis_maxmemory_policy"
    );
    let valkey = &table::VALKEY;
    assert_eq!(valkey.setting("ssl").unwrap().api, "valkey_ssl");
    assert_eq!(
        valkey.setting("valkey_maxmemory_policy").unwrap().api,
        "valkey_maxmemory_policy"
    );
    assert_eq!(
        valkey.setting("frequent_snapshots").unwrap().api,
        "frequent_snapshots"
    );
    let pg = &table::POSTGRESQL;
    assert_eq!(
        pg.setting("pg_stat_statements_track").unwrap().api,
        "pg_stat_statements.track"
    );
    for spec in ENGINES {
        let schema = config_schema(spec);
        for name in ["id", "cluster_id"] {
            assert!(schema.block.attributes.contains_key(name), "{name}");
        }
        for setting in spec.settings {
            let present = schema.block.attributes.contains_key(setting.name)
                || schema.block.blocks.contains_key(setting.name);
            assert!(present, "{} {}", spec.type_name, setting.name);
        }
    }
    let schema = config_schema(&table::POSTGRESQL);
    assert!(matches!(
        schema.block.blocks["pgbouncer"],
        NestedBlock::Group(_)
    ));
}

fn n(value: i64) -> Value<Node> {
    Value::Value(Node::Number(value.into()))
}

fn s(text: &str) -> Value<Node> {
    Value::Value(Node::Text(text.to_string()))
}

fn pg_config(settings: &[(&'static str, Value<Node>)]) -> ConfigModel {
    let mut model = ConfigModel {
        cluster_id: Value::Value(CLUSTER.to_string()),
        ..ConfigModel::default()
    };
    for (name, value) in settings {
        model.settings.insert(name, value.clone());
    }
    model
}

fn errors(spec: &EngineSpec, config: &ConfigModel) -> Vec<(String, String, String)> {
    let mut diags = Diagnostics::default();
    validate_config(&mut diags, spec, config);
    diags
        .errors
        .iter()
        .map(|d| {
            (
                d.summary.to_string(),
                d.detail.to_string(),
                path_name(&d.attribute),
            )
        })
        .collect()
}

#[test]
fn bad_inputs_fail_at_plan_time_naming_the_attribute() {
    let mut bouncer = BTreeMap::new();
    bouncer.insert("min_pool_size", n(20000));
    let cases: Vec<(&'static str, Value<Node>, &str)> = vec![
        ("work_mem", n(0), "from 1 to 1024"),
        (
            "work_mem",
            Value::Value(Node::Text("1.5".into())),
            "whole number",
        ),
        ("log_error_verbosity", s("LOUD"), "TERSE, DEFAULT, VERBOSE"),
        ("timezone", s(&"x".repeat(65)), "at most 64"),
        ("pg_partman_bgw_role", s("-bad"), "pattern"),
        (
            "shared_buffers_percentage",
            Value::Value(Node::Number(serde_json::Number::from_f64(60.5).unwrap())),
            "from 20 to 60",
        ),
    ];
    for (attribute, value, needle) in cases {
        let found = errors(&table::POSTGRESQL, &pg_config(&[(attribute, value)]));
        assert_eq!(found.len(), 1, "{attribute}: {found:?}");
        assert_eq!(found[0].0, format!("Invalid {attribute}"));
        assert_eq!(found[0].2, attribute);
        assert!(
            found[0].1.contains(needle) && found[0].1.contains(&format!("`{attribute}`")),
            "{attribute}: {}",
            found[0].1
        );
    }
    let found = errors(
        &table::POSTGRESQL,
        &pg_config(&[("pgbouncer", Value::Value(Node::Block(bouncer)))]),
    );
    assert_eq!(found[0].2, "pgbouncer.min_pool_size", "{found:?}");
    let found = errors(
        &table::MYSQL,
        &pg_config(&[("innodb_flush_neighbors", n(3))]),
    );
    assert!(found[0].1.contains("one of 0, 1, 2"), "{found:?}");
    let found = errors(
        &table::OPENSEARCH,
        &pg_config(&[(
            "reindex_remote_whitelist",
            Value::Value(Node::List(vec![s("a")])),
        )]),
    );
    assert!(found.is_empty(), "{found:?}");
    let mut not_uuid = pg_config(&[]);
    not_uuid.cluster_id = Value::Value("nope".into());
    assert_eq!(errors(&table::POSTGRESQL, &not_uuid)[0].2, "cluster_id");
}

#[test]
fn unknown_and_valid_values_pass() {
    let config = pg_config(&[
        ("work_mem", Value::Unknown),
        ("jit", Value::Value(Node::Bool(false))),
        ("idle_in_transaction_session_timeout", n(0)),
        ("log_line_prefix", s("%m [%p] %q[user=%u,db=%d,app=%a]")),
        ("pg_partman_bgw_role", s("partman")),
    ]);
    assert!(errors(&table::POSTGRESQL, &config).is_empty());
    let mut unknown = pg_config(&[]);
    unknown.cluster_id = Value::Unknown;
    assert!(errors(&table::POSTGRESQL, &unknown).is_empty());
}

#[test]
fn only_written_changed_settings_are_sent_false_and_zero_included() {
    let spec = &table::POSTGRESQL;
    let mut prior = pg_config(&[
        ("work_mem", n(4)),
        ("jit", Value::Value(Node::Bool(true))),
        ("timezone", s("UTC")),
        ("idle_in_transaction_session_timeout", n(600)),
    ]);
    complete(spec.settings, &mut prior.settings);
    let mut config = pg_config(&[
        ("work_mem", n(4)),
        ("jit", Value::Value(Node::Bool(false))),
        ("idle_in_transaction_session_timeout", n(0)),
    ]);
    complete(spec.settings, &mut config.settings);
    let mut planned = prior.clone();
    for (name, value) in &config.settings {
        if value.is_value() && !matches!(value, Value::Value(Node::Block(_))) {
            planned.settings.insert(name, value.clone());
        }
    }
    let sent = changes(
        spec.settings,
        &config.settings,
        &planned.settings,
        Some(&prior.settings),
    );
    assert_eq!(
        Json::Object(sent),
        json!({"jit": false, "idle_in_transaction_session_timeout": 0})
    );
    let all = changes(spec.settings, &config.settings, &planned.settings, None);
    assert_eq!(
        Json::Object(all),
        json!({"work_mem": 4, "jit": false, "idle_in_transaction_session_timeout": 0})
    );
}

#[test]
fn nested_settings_are_sent_one_by_one() {
    let spec = &table::POSTGRESQL;
    let mut config = pg_config(&[]);
    complete(spec.settings, &mut config.settings);
    if let Some(Value::Value(Node::Block(bouncer))) = config.settings.get_mut("pgbouncer") {
        bouncer.insert("min_pool_size", n(0));
    }
    let planned = config.clone();
    let sent = changes(spec.settings, &config.settings, &planned.settings, None);
    assert_eq!(
        Json::Object(sent),
        json!({"pgbouncer": {"min_pool_size": 0}})
    );
}

#[test]
fn the_api_s_answer_keeps_equivalent_spellings_and_fills_every_setting() {
    let spec = &table::POSTGRESQL;
    let remote = json!({
        "shared_buffers_percentage": 25,
        "timezone": "UTC",
        "pg_stat_statements.track": "top",
        "pgbouncer": {"ignore_startup_parameters": ["search_path", "extra_float_digits"]},
        "not_in_the_contract": 1
    });
    let remote = remote.as_object().unwrap();
    let mut reference = pg_config(&[(
        "shared_buffers_percentage",
        Value::Value(Node::Number(serde_json::Number::from_f64(25.0).unwrap())),
    )]);
    let mut bouncer = BTreeMap::new();
    bouncer.insert(
        "ignore_startup_parameters",
        Value::Value(Node::List(vec![s("extra_float_digits"), s("search_path")])),
    );
    reference
        .settings
        .insert("pgbouncer", Value::Value(Node::Block(bouncer.clone())));
    let state = settings_from_api(spec.settings, remote, &reference.settings);
    assert_eq!(state.len(), spec.settings.len());
    assert_eq!(
        state["shared_buffers_percentage"],
        reference.settings["shared_buffers_percentage"]
    );
    assert_eq!(state["pg_stat_statements_track"], s("top"));
    assert_eq!(state["work_mem"], Value::Null);
    let Value::Value(Node::Block(read)) = &state["pgbouncer"] else {
        panic!("pgbouncer is a block")
    };
    assert_eq!(
        read["ignore_startup_parameters"],
        bouncer["ignore_startup_parameters"]
    );
    assert_eq!(read["min_pool_size"], Value::Null);
}

#[test]
fn an_apply_returns_what_the_plan_promised() {
    let spec = &table::POSTGRESQL;
    let mut state = BTreeMap::new();
    state.insert("work_mem", n(8));
    state.insert("timezone", s("UTC"));
    let mut planned = BTreeMap::new();
    planned.insert("work_mem", n(16));
    planned.insert("timezone", Value::Unknown);
    conform(spec.settings, &mut state, &planned);
    assert_eq!(state["work_mem"], n(16));
    assert_eq!(state["timezone"], s("UTC"));
}

#[test]
fn the_wrong_engine_is_named_with_the_right_resource() {
    let cluster = Cluster {
        id: CLUSTER.into(),
        name: "db".into(),
        engine: "pg".into(),
        ..Cluster::default()
    };
    let mut diags = Diagnostics::default();
    assert!(!check_engine(&mut diags, &table::MYSQL, &cluster));
    assert_eq!(path_name(&diags.errors[0].attribute), "cluster_id");
    assert!(diags.errors[0]
        .detail
        .contains("dbaas_database_postgresql_config"));
    let mut diags = Diagnostics::default();
    assert!(check_engine(&mut diags, &table::POSTGRESQL, &cluster));
    assert!(!check_engine(
        &mut diags,
        &table::ADVANCED_POSTGRESQL,
        &cluster
    ));
}

#[test]
fn a_digitalocean_state_moves_with_its_settings() {
    let source = SourceState::from_json(json!({
        "id": format!("{CLUSTER}/postgresql-config"),
        "cluster_id": CLUSTER,
        "work_mem": 16,
        "jit": false,
        "timezone": "",
        "shared_buffers_percentage": 30.5,
        "pgbouncer": [{"min_pool_size": 2, "ignore_startup_parameters": ["search_path"]}],
        "timescaledb": []
    }));
    let mut diags = Diagnostics::default();
    let moved = moved_from_digitalocean(&mut diags, &table::POSTGRESQL, &source).unwrap();
    assert_eq!(moved.id, Value::Value(CLUSTER.to_string()));
    assert_eq!(moved.settings["work_mem"], n(16));
    assert_eq!(moved.settings["jit"], Value::Value(Node::Bool(false)));
    assert_eq!(moved.settings["timezone"], Value::Null);
    let Value::Value(Node::Block(bouncer)) = &moved.settings["pgbouncer"] else {
        panic!("pgbouncer")
    };
    assert_eq!(bouncer["min_pool_size"], n(2));
    assert!(matches!(
        moved.settings["timescaledb"],
        Value::Value(Node::Block(_))
    ));
    let kafka = SourceState::from_json(json!({
        "cluster_id": CLUSTER, "log_retention_bytes": "9000000000"
    }));
    let moved = moved_from_digitalocean(&mut diags, &table::KAFKA, &kafka).unwrap();
    assert_eq!(moved.settings["log_retention_bytes"], n(9_000_000_000));
}

#[test]
fn digitaloceans_parameter_maps_are_typed_checked_and_sent() {
    let spec = &table::ADVANCED_POSTGRESQL;
    let parameters = |pairs: &[(&str, &str)]| -> Value<Parameters> {
        Value::Value(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::Value(v.to_string())))
                .collect(),
        )
    };
    let mut config = pg_config(&[]);
    config.parameters_name = spec.parameters;
    config.parameters = parameters(&[("work_mem", "32"), ("jit", "off"), ("timezone", "UTC")]);
    assert!(errors(spec, &config).is_empty());
    assert_eq!(
        Json::Object(parameter_changes(spec, &config.parameters, None)),
        json!({"work_mem": 32, "jit": false, "timezone": "UTC"})
    );
    let prior = parameters(&[("work_mem", "32.0"), ("jit", "off"), ("timezone", "UTC")]);
    assert!(parameter_changes(spec, &config.parameters, Some(&prior)).is_empty());

    config.parameters = parameters(&[("work_mem", "4096"), ("bogus", "1"), ("jit", "maybe")]);
    let found: Vec<String> = errors(spec, &config).into_iter().map(|e| e.2).collect();
    assert_eq!(
        found,
        [
            "pg_parameters[\"bogus\"]",
            "pg_parameters[\"jit\"]",
            "pg_parameters[\"work_mem\"]"
        ]
    );
    let mut both = pg_config(&[("work_mem", n(8))]);
    both.parameters = parameters(&[("work_mem", "8")]);
    assert!(errors(spec, &both)[0].1.contains("also written"));

    let remote = json!({"work_mem": 32, "jit": true});
    let read = parameters_from_api(
        spec,
        remote.as_object().unwrap(),
        &parameters(&[("work_mem", "32"), ("jit", "off"), ("timezone", "UTC")]),
    );
    assert_eq!(
        read,
        parameters(&[("work_mem", "32"), ("jit", "true"), ("timezone", "UTC")])
    );
    assert!(config_schema(spec)
        .block
        .attributes
        .contains_key("pg_parameters"));
    assert!(!config_schema(&table::POSTGRESQL)
        .block
        .attributes
        .contains_key("pg_parameters"));
}
