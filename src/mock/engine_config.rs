//! `GET/PATCH /v2/databases/{id}/config`: each engine's advanced configuration.
//!
//! `advanced_config.json` holds the contract's per-engine schemas (`*_advanced_config`), and
//! PATCH validates against them: unknown settings, wrong types, values out of range, not in the
//! enum, or not matching the pattern are 422s that name the setting. GET returns the engine's
//! defaults overlaid with what was set.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::app::App;
use super::catalogue::size_memory_gib;
use super::engine::Engine;
use super::error::{ApiError, ApiResult};
use super::json;
use super::schema::Property;
use super::store::{Cluster, Ids};

const SCHEMAS_JSON: &str = include_str!("advanced_config.json");

/// The default SQL mode of DigitalOcean MySQL clusters.
pub const DEFAULT_SQL_MODE: &str = "ANSI,ERROR_FOR_DIVISION_BY_ZERO,IGNORE_SPACE,NO_ENGINE_SUBSTITUTION,NO_ZERO_DATE,NO_ZERO_IN_DATE,PIPES_AS_CONCAT,REAL_AS_FLOAT,STRICT_ALL_TABLES";

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/v2/databases/:id/config", get(show).patch(patch))
}

async fn show(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let config = app.read(|store| store.cluster(&id).map(effective))?;
    Ok(json::respond(StatusCode::OK, json!({ "config": config })))
}

async fn patch(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json::parse_object(&body)?;
    let changes = json::optional_object(&body, "config", "config")?
        .cloned()
        .unwrap_or_default();
    app.write(|store| {
        let cluster = store.cluster_mut(&id)?;
        let schema = schema(cluster.engine);
        for (key, value) in &changes {
            let Some(property) = schema.properties.get(key) else {
                return Err(ApiError::unprocessable(format!(
                    "config.{key} is not a setting of {} clusters",
                    cluster.engine.slug()
                )));
            };
            property.check(value, &format!("config.{key}"))?;
        }
        for (key, value) in changes {
            match (cluster.config.get_mut(&key), value) {
                // Nested settings (pgbouncer, timescaledb, …) merge like the top level.
                (Some(Value::Object(current)), Value::Object(update)) => current.extend(update),
                (_, value) => {
                    cluster.config.insert(key, value);
                }
            }
        }
        Ok(())
    })?;
    // The contract documents a 200 with no body for PATCH config.
    Ok(json::empty(StatusCode::OK))
}

/// The configuration a GET returns: defaults overlaid with what was set.
pub fn effective(cluster: &Cluster) -> Map<String, Value> {
    let mut config = defaults(cluster);
    for (key, value) in &cluster.config {
        match (config.get_mut(key), value) {
            (Some(Value::Object(current)), Value::Object(set)) => {
                current.extend(set.iter().map(|(k, v)| (k.clone(), v.clone())))
            }
            _ => {
                config.insert(key.clone(), value.clone());
            }
        }
    }
    config
}

/// Settings chosen when a cluster is created (its daily backup time).
pub fn initial(engine: Engine, ids: &mut Ids) -> Map<String, Value> {
    let mut config = Map::new();
    if engine.is_postgres() || engine.is_mysql() {
        config.insert("backup_hour".into(), json!(ids.below(24)));
        config.insert("backup_minute".into(), json!(ids.below(60)));
    }
    config
}

fn defaults(cluster: &Cluster) -> Map<String, Value> {
    let engine = cluster.engine;
    let mut config: Map<String, Value> = schema(engine)
        .properties
        .iter()
        .filter_map(|(key, property)| property.default.clone().map(|d| (key.clone(), d)))
        .collect();
    let extra = match engine.config_family() {
        // Split in several objects: one would exceed serde_json's macro recursion limit.
        "pg" => vec![
            json!({
                "autovacuum_freeze_max_age": 200000000,
                "autovacuum_max_workers": 3,
                "autovacuum_naptime": 60,
                "autovacuum_vacuum_threshold": 50,
                "autovacuum_analyze_threshold": 50,
                "autovacuum_vacuum_scale_factor": 0.2,
                "autovacuum_analyze_scale_factor": 0.1,
                "autovacuum_vacuum_cost_delay": 20,
                "autovacuum_vacuum_cost_limit": -1,
                "bgwriter_delay": 200,
                "bgwriter_flush_after": 512,
                "bgwriter_lru_maxpages": 100,
                "bgwriter_lru_multiplier": 2.0,
                "deadlock_timeout": 1000,
                "default_toast_compression": "lz4",
                "idle_in_transaction_session_timeout": 0,
                "jit": true,
                "log_autovacuum_min_duration": -1,
                "log_error_verbosity": "DEFAULT",
                "log_line_prefix": "pid=%p,user=%u,db=%d,app=%a,client=%h",
                "log_min_duration_statement": -1,
            }),
            json!({
                "max_files_per_process": 1000,
                "max_prepared_transactions": 0,
                "max_pred_locks_per_transaction": 64,
                "max_locks_per_transaction": 64,
                "max_stack_depth": 2097152,
                "max_standby_archive_delay": 30000,
                "max_standby_streaming_delay": 30000,
                "max_replication_slots": 20,
                "max_logical_replication_workers": 4,
                "max_parallel_workers": 8,
                "max_parallel_workers_per_gather": 2,
                "max_worker_processes": 8,
                "pg_stat_statements.track": "top",
                "temp_file_limit": -1,
                "timezone": "UTC",
                "track_activity_query_size": 1024,
                "track_commit_timestamp": "off",
                "track_functions": "none",
                "track_io_timing": "off",
            }),
            json!({
                "max_wal_senders": 20,
                "wal_sender_timeout": 60000,
                "wal_writer_delay": 200,
                "shared_buffers_percentage": 25,
                "pgbouncer": {
                    "server_reset_query_always": false,
                    "ignore_startup_parameters": [],
                    "min_pool_size": 0,
                    "server_lifetime": 3600,
                    "server_idle_timeout": 600,
                    "autodb_pool_size": 0,
                    "autodb_pool_mode": "transaction",
                    "autodb_max_db_connections": 0,
                    "autodb_idle_timeout": 3600
                },
                "work_mem": 4,
                "timescaledb": { "max_background_workers": 16 },
                "synchronous_replication": "off",
                "stat_monitor_enable": false,
                "max_failover_replication_time_lag": 60,
                "max_connections": (size_memory_gib(&cluster.size) * 25).max(25),
                "max_slot_wal_keep_size": -1
            }),
        ],
        "mysql" => vec![
            json!({
                "connect_timeout": 10,
                "default_time_zone": "SYSTEM",
                "group_concat_max_len": 1024,
                "information_schema_stats_expiry": 86400,
                "innodb_ft_min_token_size": 3,
                "innodb_ft_max_token_size": 84,
                "innodb_lock_wait_timeout": 50,
                "innodb_log_buffer_size": 16777216,
                "innodb_online_alter_log_max_size": 134217728,
                "innodb_print_all_deadlocks": false,
                "innodb_rollback_on_timeout": false,
            }),
            json!({
                "interactive_timeout": 28800,
                "internal_tmp_mem_storage_engine": "TempTable",
                "net_read_timeout": 30,
                "net_write_timeout": 60,
                "sql_mode": DEFAULT_SQL_MODE,
                "sql_require_primary_key": true,
                "wait_timeout": 28800,
                "max_allowed_packet": 67108864,
                "max_heap_table_size": 16777216,
                "sort_buffer_size": 262144,
                "tmp_table_size": 16777216,
                "slow_query_log": false,
                "long_query_time": 10,
                "binlog_retention_period": 600,
                "innodb_change_buffer_max_size": 25,
                "innodb_flush_neighbors": 1,
                "innodb_read_io_threads": 4,
                "innodb_write_io_threads": 4,
                "innodb_thread_concurrency": 0,
                "net_buffer_length": 16384
            }),
        ],
        "redis" => vec![json!({
            "redis_maxmemory_policy": "noeviction",
            "redis_number_of_databases": 16,
            "redis_persistence": "rdb",
            "redis_acl_channels_default": "allchannels",
            "redis_pubsub_client_output_buffer_limit": 64
        })],
        "valkey" => vec![json!({
            "valkey_maxmemory_policy": "noeviction",
            "valkey_number_of_databases": 16,
            "valkey_persistence": "rdb",
            "valkey_acl_channels_default": "allchannels",
            "valkey_pubsub_client_output_buffer_limit": 64
        })],
        "kafka" => vec![json!({
            "compression_type": "producer",
            "group_initial_rebalance_delay_ms": 3000,
            "group_min_session_timeout_ms": 6000,
            "group_max_session_timeout_ms": 1800000,
            "connections_max_idle_ms": 600000,
            "message_max_bytes": 1048588,
            "offsets_retention_minutes": 10080,
            "log_cleaner_delete_retention_ms": 86400000,
            "log_cleaner_min_cleanable_ratio": 0.5,
            "log_cleaner_min_compaction_lag_ms": 0,
            "log_cleanup_policy": "delete",
            "log_index_interval_bytes": 4096,
            "log_index_size_max_bytes": 10485760,
            "log_message_downconversion_enable": true,
            "log_message_timestamp_type": "CreateTime",
            "log_preallocate": false,
            "log_retention_bytes": -1,
            "log_retention_hours": 168,
            "log_segment_bytes": 209715200,
            "log_segment_delete_delay_ms": 60000,
            "min_insync_replicas": 1,
            "num_partitions": 1,
            "default_replication_factor": 2,
            "replica_fetch_max_bytes": 1048576,
            "replica_fetch_response_max_bytes": 10485760,
            "socket_request_max_bytes": 104857600
        })],
        "opensearch" => vec![json!({
            "thread_pool_search_queue_size": 1000,
            "cluster_max_shards_per_node": 1000,
            "action_destructive_requires_name": false
        })],
        _ => Vec::new(),
    };
    for chunk in extra {
        if let Value::Object(chunk) = chunk {
            config.extend(chunk);
        }
    }
    config
}

#[derive(Debug)]
struct EngineSchema {
    properties: HashMap<String, Property>,
}

fn schema(engine: Engine) -> &'static EngineSchema {
    static SCHEMAS: OnceLock<HashMap<String, EngineSchema>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        let raw: Map<String, Value> =
            serde_json::from_str(SCHEMAS_JSON).expect("advanced_config.json is valid JSON");
        raw.into_iter()
            .map(|(family, schema)| {
                let property = Property::from_schema(&schema);
                (
                    family,
                    EngineSchema {
                        properties: property.properties,
                    },
                )
            })
            .collect()
    });
    schemas
        .get(engine.config_family())
        .expect("every engine family has a config schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(engine: Engine, key: &str, value: Value) -> ApiResult<()> {
        let property = schema(engine).properties.get(key).expect("known setting");
        property.check(&value, &format!("config.{key}"))
    }

    #[test]
    fn every_engine_has_a_schema() {
        for engine in Engine::ALL {
            assert!(!schema(engine).properties.is_empty(), "{engine:?}");
        }
    }

    #[test]
    fn validates_types_ranges_enums_patterns_and_nesting() {
        assert!(check(Engine::Pg, "work_mem", json!(64)).is_ok());
        let err = check(Engine::Pg, "work_mem", json!(2048)).unwrap_err();
        assert!(err.message.contains("config.work_mem") && err.message.contains("1024"));
        assert!(check(Engine::Pg, "work_mem", json!("64"))
            .unwrap_err()
            .message
            .contains("integer"));
        assert!(check(Engine::Pg, "jit", json!(false)).is_ok());
        assert!(check(Engine::Pg, "track_io_timing", json!("maybe")).is_err());
        assert!(check(Engine::Pg, "pgbouncer", json!({"min_pool_size": 5})).is_ok());
        let err = check(Engine::Pg, "pgbouncer", json!({"bogus": 1})).unwrap_err();
        assert!(err.message.contains("bogus"));
        assert!(check(Engine::Mysql, "sql_mode", json!("ANSI,TRADITIONAL")).is_ok());
        assert!(check(Engine::Mysql, "sql_mode", json!("ansi")).is_err());
        assert!(check(Engine::Mysql, "innodb_flush_neighbors", json!(2)).is_ok());
        assert!(check(Engine::Mysql, "innodb_flush_neighbors", json!(3)).is_err());
        assert!(check(Engine::Mysql, "innodb_ft_user_stopword_table", json!(null)).is_ok());
        assert!(check(Engine::Redis, "redis_timeout", json!(0)).is_ok());
        assert!(check(Engine::Kafka, "log_cleaner_min_cleanable_ratio", json!(0.1)).is_err());
    }

    #[test]
    fn every_engine_reports_defaults_its_own_schema_accepts() {
        for engine in Engine::ALL {
            let mut cluster = super::super::store::sample_cluster("c1");
            cluster.engine = engine;
            let config = effective(&cluster);
            assert!(!config.is_empty(), "{engine:?} reports no settings");
            let properties = &schema(engine).properties;
            for (key, value) in &config {
                let property = properties
                    .get(key)
                    .unwrap_or_else(|| panic!("{engine:?} reports {key}, not in its schema"));
                property
                    .check(value, &format!("config.{key}"))
                    .unwrap_or_else(|e| panic!("{engine:?}: {}", e.message));
            }
        }
    }

    #[test]
    fn advanced_editions_are_served_their_engines_schemas() {
        assert!(std::ptr::eq(schema(Engine::AdvancedPg), schema(Engine::Pg)));
        assert!(std::ptr::eq(
            schema(Engine::AdvancedMysql),
            schema(Engine::Mysql)
        ));
        assert!(check(Engine::AdvancedPg, "work_mem", json!(8)).is_ok());
        // The advanced editions take the contract's typed settings, not a parameter map.
        assert!(!schema(Engine::AdvancedPg)
            .properties
            .contains_key("pg_parameters"));
    }

    #[test]
    fn nested_settings_and_nullable_ones_are_checked_key_by_key() {
        let err = check(
            Engine::Pg,
            "pgbouncer",
            json!({"autodb_pool_mode": "pooled"}),
        )
        .unwrap_err();
        assert!(
            err.message.contains("config.pgbouncer.autodb_pool_mode"),
            "{}",
            err.message
        );
        assert!(check(Engine::Pg, "jit", json!(null)).is_err());
        assert!(check(
            Engine::Opensearch,
            "reindex_remote_whitelist",
            json!(["a:1"])
        )
        .is_ok());
        assert!(check(Engine::Opensearch, "reindex_remote_whitelist", json!("a:1")).is_err());
        assert!(check(
            Engine::Valkey,
            "valkey_maxmemory_policy",
            json!("allkeys-lru")
        )
        .is_err());
        assert!(check(
            Engine::Redis,
            "redis_maxmemory_policy",
            json!("allkeys-lru")
        )
        .is_ok());
    }
}
