//! The contract's operations served by `src/mock/ops/` (replicas, backups, events, log sinks,
//! online migration, OpenSearch indexes, Kafka schema registry, metrics credentials) and four
//! fixes of earlier deviations (null and other engines' fields in user settings, the topic
//! example's keys, Caching creates): happy paths checked against the API's JSON Schemas,
//! lifecycles, 404/422/412 answers, and persistence across `kill -9`.

mod mock_support;
#[path = "mock_support/process.rs"]
mod process;
#[path = "support/signal.rs"]
mod signal;

use std::fs;

use mock_support::{assert_error, assert_valid, poll, Mock};
use process::Process;
use reqwest::Method;
use serde_json::{json, Value};

fn id_of(cluster: &Value) -> String {
    cluster["id"].as_str().expect("an id").to_string()
}

/// A cluster that stays `creating`: a `never_online` fault on its create.
async fn stuck_cluster(mock: &Mock, name: &str, engine: &str) -> String {
    mock.fault(
        json!({"method": "POST", "path": "/v2/databases", "count": 1, "kind": "never_online"}),
    )
    .await;
    let (size, nodes) = match engine {
        "kafka" => ("gd-2vcpu-8gb", 3),
        _ => ("db-s-1vcpu-2gb", 1),
    };
    let cluster = mock
        .create_cluster(json!({"name": name, "engine": engine, "region": "nyc3", "size": size, "num_nodes": nodes}))
        .await;
    assert_eq!(cluster["status"], "creating");
    id_of(&cluster)
}

/// Polls `path` until `field` of its body is `value`.
async fn wait_for_field(mock: &Mock, path: &str, pointer: &str, value: &str) -> Value {
    poll(|| async {
        let body = mock.get(path).await.expect(200).body;
        (body.pointer(pointer) == Some(&json!(value))).then_some(body)
    })
    .await
    .unwrap_or_else(|| panic!("{path}{pointer} never became {value}"))
}

// ---- metrics credentials --------------------------------------------------------------------

#[tokio::test]
async fn metrics_credentials_have_defaults_and_are_updated_field_by_field() {
    let mock = Mock::start().await;
    let path = "/v2/databases/metrics/credentials";
    let initial = mock.get(path).await.expect(200).body;
    assert_valid("metrics_credentials", &initial);
    let username = initial["credentials"]["basic_auth_username"]
        .as_str()
        .unwrap();
    assert!(!username.is_empty());
    assert!(!initial["credentials"]["basic_auth_password"]
        .as_str()
        .unwrap()
        .is_empty());

    let update = json!({"credentials": {"basic_auth_username": "new_username", "basic_auth_password": "new_password"}});
    assert_valid("metrics_credentials_request", &update);
    let reply = mock.put(path, update).await.expect(204);
    assert_eq!(reply.body, Value::Null);
    assert_eq!(
        mock.get(path).await.body,
        json!({"credentials": {"basic_auth_username": "new_username", "basic_auth_password": "new_password"}})
    );
    mock.put(
        path,
        json!({"credentials": {"basic_auth_password": "rotated"}}),
    )
    .await
    .expect(204);
    let now = mock.get(path).await.body;
    assert_eq!(now["credentials"]["basic_auth_username"], "new_username");
    assert_eq!(now["credentials"]["basic_auth_password"], "rotated");

    for bad in [
        json!({}),
        json!({"credentials": {}}),
        json!({"credentials": {"basic_auth_username": ""}}),
        json!({"credentials": {"basic_auth_username": null}}),
        json!({"credentials": {"basic_auth_password": 7}}),
    ] {
        assert_error(&mock.put(path, bad).await, 422, "unprocessable_entity");
    }
    assert_eq!(
        mock.get(path).await.body,
        now,
        "refused updates change nothing"
    );
}

// ---- replicas -------------------------------------------------------------------------------

#[tokio::test]
async fn replicas_fork_come_online_and_are_promoted_to_clusters() {
    let mock = Mock::start().await;
    let primary = mock.online_cluster("primary-db", "pg").await;
    let id = id_of(&primary);
    let replicas = format!("/v2/databases/{id}/replicas");

    let request = json!({"name": "read-nyc3-01", "region": "nyc3", "size": "db-s-2vcpu-4gb", "storage_size_mib": 61440, "tags": ["reporting"], "do_settings": {"service_cnames": ["replica-db.example.com"]}});
    assert_valid("replica_create_request", &request);
    let created = mock.post(&replicas, request).await.expect(201);
    assert_valid("replica", &created.body);
    let replica = &created.body["replica"];
    assert_eq!(replica["status"], "forking");
    assert_eq!(replica["size"], "db-s-2vcpu-4gb");
    assert_eq!(replica["storage_size_mib"], 61440);
    assert_eq!(replica["tags"], json!(["reporting"]));
    assert_eq!(
        replica["do_settings"]["service_cnames"],
        json!(["replica-db.example.com"])
    );
    let host = replica["connection"]["host"].as_str().unwrap();
    assert!(host.starts_with("read-nyc3-01-do-user-"), "{host}");
    assert_eq!(
        replica["private_connection"]["host"],
        format!("private-{host}")
    );
    assert_eq!(
        replica["connection"]["password"], primary["connection"]["password"],
        "a replica answers with its primary's users"
    );
    let replica_id = id_of(replica);

    let listed = mock.get(&replicas).await.expect(200);
    assert_valid("replica_list", &listed.body);
    assert_eq!(listed.body["replicas"].as_array().unwrap().len(), 1);
    let one = format!("{replicas}/read-nyc3-01");
    let online = wait_for_field(&mock, &one, "/replica/status", "online").await;
    assert_valid("replica", &online);
    let names: Vec<Value> = mock.get("/v2/databases").await.body["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(
        names,
        [json!("primary-db")],
        "a replica is listed under its primary, not as a cluster"
    );

    // Validation and names.
    for (body, why) in [
        (
            json!({"name": "small-replica", "size": "db-s-1vcpu-1gb"}),
            "smaller than the primary",
        ),
        (
            json!({"name": "primary-db", "size": "db-s-2vcpu-4gb"}),
            "a cluster's name",
        ),
        (
            json!({"name": "read-nyc3-01", "size": "db-s-2vcpu-4gb"}),
            "a replica's name",
        ),
        (json!({"size": "db-s-2vcpu-4gb"}), "no name"),
        (json!({"name": "no-size"}), "no size"),
        (
            json!({"name": "far-away", "size": "db-s-2vcpu-4gb", "region": "mars1"}),
            "unknown region",
        ),
    ] {
        let reply = mock.post(&replicas, body).await;
        assert_eq!(reply.status.as_u16(), 422, "{why}: {}", reply.body);
        assert_error(&reply, 422, "unprocessable_entity");
    }
    let taken = mock
        .post("/v2/databases", json!({"name": "read-nyc3-01", "engine": "pg", "region": "nyc3", "size": "db-s-1vcpu-2gb", "num_nodes": 1}))
        .await;
    assert_error(&taken, 422, "unprocessable_entity");

    // Promotion: the replica becomes a cluster with its ID, name and size.
    mock.fault(json!({"method": "POST", "path": replicas, "count": 1, "kind": "never_online"}))
        .await;
    let second = mock
        .post(
            &replicas,
            json!({"name": "read-nyc3-02", "size": "db-s-2vcpu-4gb"}),
        )
        .await
        .expect(201);
    assert_error(
        &mock
            .put(&format!("{replicas}/read-nyc3-02/promote"), json!({}))
            .await,
        412,
        "precondition_failed",
    );
    mock.put(&format!("{one}/promote"), json!({}))
        .await
        .expect(204);
    assert_error(&mock.get(&one).await, 404, "not_found");
    let promoted = mock
        .get(&format!("/v2/databases/{replica_id}"))
        .await
        .expect(200);
    assert_valid("cluster", &promoted.body);
    let promoted = &promoted.body["database"];
    assert_eq!(promoted["name"], "read-nyc3-01");
    assert_eq!(promoted["status"], "online");
    assert_eq!(promoted["size"], "db-s-2vcpu-4gb");
    assert_eq!(promoted["engine"], "pg");
    assert_eq!(promoted["num_nodes"], 1);
    assert_eq!(promoted["tags"], json!(["reporting"]));
    let events = mock
        .get(&format!("/v2/databases/{replica_id}/events"))
        .await
        .body;
    assert!(events["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["event_type"] == "cluster_master_promotion"));
    assert_eq!(
        mock.get(&replicas).await.body["replicas"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Delete.
    let second = format!(
        "{replicas}/{}",
        second.body["replica"]["name"].as_str().unwrap()
    );
    mock.delete(&second).await.expect(204);
    assert_error(&mock.get(&second).await, 404, "not_found");
    assert_error(&mock.delete(&second).await, 404, "not_found");
    assert_error(
        &mock
            .get("/v2/databases/9cc10173-e9ea-4176-9dbc-a4cee4c4ff30/replicas")
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn replicas_need_postgres_or_mysql_and_an_online_primary() {
    let mock = Mock::start().await;
    let mysql = mock.online_cluster("shop-db", "mysql").await;
    mock.post(
        &format!("/v2/databases/{}/replicas", id_of(&mysql)),
        json!({"name": "shop-read", "size": "db-s-1vcpu-2gb"}),
    )
    .await
    .expect(201);
    for engine in ["valkey", "kafka", "mongodb", "opensearch"] {
        let cluster = mock
            .online_cluster(&format!("{engine}-replicated"), engine)
            .await;
        let path = format!("/v2/databases/{}/replicas", id_of(&cluster));
        let list = mock.get(&path).await;
        assert_error(&list, 422, "unprocessable_entity");
        assert!(list.body["message"]
            .as_str()
            .unwrap()
            .starts_with("operation is not supported for this cluster type"));
        assert_error(
            &mock
                .post(&path, json!({"name": "never", "size": "gd-2vcpu-8gb"}))
                .await,
            422,
            "unprocessable_entity",
        );
    }
    let stuck = stuck_cluster(&mock, "still-creating", "pg").await;
    assert_error(
        &mock
            .post(
                &format!("/v2/databases/{stuck}/replicas"),
                json!({"name": "too-early", "size": "db-s-1vcpu-2gb"}),
            )
            .await,
        412,
        "precondition_failed",
    );
}

// ---- backups and events ---------------------------------------------------------------------

#[tokio::test]
async fn backups_start_when_the_cluster_is_online_and_events_record_changes() {
    let mock = Mock::start().await;
    let stuck = stuck_cluster(&mock, "not-yet", "pg").await;
    let none = mock
        .get(&format!("/v2/databases/{stuck}/backups"))
        .await
        .expect(200);
    assert_valid("backups", &none.body);
    assert_eq!(none.body["backups"], json!([]));

    let pg = mock.online_cluster("backed-up", "pg").await;
    let id = id_of(&pg);
    let backups = mock
        .get(&format!("/v2/databases/{id}/backups"))
        .await
        .expect(200);
    assert_valid("backups", &backups.body);
    let list = backups.body["backups"].as_array().unwrap();
    assert_eq!(
        list.len(),
        1,
        "the first backup is taken when it comes online"
    );
    assert!(list[0].get("incremental").is_none());
    assert_eq!(
        backups.body["scheduled_backup_time"]["backup_interval_hours"],
        24
    );
    let mysql = mock.online_cluster("backed-up-mysql", "mysql").await;
    let mysql_backups = mock
        .get(&format!("/v2/databases/{}/backups", id_of(&mysql)))
        .await
        .body;
    assert_eq!(mysql_backups["backups"][0]["incremental"], false);
    let valkey = mock.online_cluster("no-backups", "valkey").await;
    assert_error(
        &mock
            .get(&format!("/v2/databases/{}/backups", id_of(&valkey)))
            .await,
        422,
        "unprocessable_entity",
    );

    let events_path = format!("/v2/databases/{id}/events");
    let events = mock.get(&events_path).await.expect(200);
    assert_valid("events", &events.body);
    assert_eq!(events.body["events"].as_array().unwrap().len(), 1);
    assert_eq!(events.body["events"][0]["event_type"], "cluster_create");
    assert_eq!(events.body["events"][0]["cluster_name"], "backed-up");
    assert_eq!(events.body["events"][0]["create_time"], pg["created_at"]);
    mock.put(
        &format!("/v2/databases/{id}/resize"),
        json!({"size": "db-s-2vcpu-4gb", "num_nodes": 1}),
    )
    .await
    .expect(202);
    mock.put(&format!("/v2/databases/{id}/install_update"), json!({}))
        .await
        .expect(204);
    let events = mock.get(&events_path).await.expect(200);
    assert_valid("events", &events.body);
    let types: Vec<&str> = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "cluster_create",
            "cluster_update",
            "cluster_maintenance_perform"
        ]
    );
    assert_error(
        &mock
            .get("/v2/databases/9cc10173-e9ea-4176-9dbc-a4cee4c4ff30/events")
            .await,
        404,
        "not_found",
    );
}

// ---- log sinks ------------------------------------------------------------------------------

#[tokio::test]
async fn log_sinks_are_created_read_replaced_and_deleted() {
    let mock = Mock::start().await;
    let pg = mock.online_cluster("logged", "pg").await;
    let sinks = format!("/v2/databases/{}/logsink", id_of(&pg));

    let request = json!({"sink_name": "logs-sink", "sink_type": "rsyslog", "config": {"server": "192.168.0.1", "port": 514, "tls": false, "format": "rfc5424"}});
    assert_valid("logsink_create_request", &request);
    let created = mock.post(&sinks, request).await.expect(201);
    assert_valid("logsink", &created.body);
    let sink = &created.body["sink"];
    assert_eq!(sink["sink_type"], "rsyslog");
    assert_eq!(sink["config"]["port"], 514);
    let one = format!("{sinks}/{}", sink["sink_id"].as_str().unwrap());

    let fetched = mock.get(&one).await.expect(200);
    assert_valid("logsink_data", &fetched.body);
    assert_eq!(
        &fetched.body, sink,
        "GET answers the sink itself, not enveloped"
    );
    let search = json!({"sink_name": "search-sink", "sink_type": "elasticsearch", "config": {"url": "https://user:passwd@192.168.0.1:25060", "index_prefix": "elasticsearch-logs", "index_days_max": 5}});
    let search = mock.post(&sinks, search).await.expect(201);
    assert_eq!(
        search.body["sink"]["config"]["url"], "https://user:passwd@192.168.0.1:25060",
        "configurations are answered as sent, as the contract's examples"
    );
    let listed = mock.get(&sinks).await.expect(200);
    assert_valid("logsink_list", &listed.body);
    assert_eq!(listed.body["sinks"].as_array().unwrap().len(), 2);

    let update = json!({"config": {"server": "192.168.10.1", "port": 514, "tls": true, "format": "rfc3164"}});
    assert_valid("logsink_update_request", &update);
    let updated = mock.put(&one, update).await.expect(200);
    assert_eq!(
        updated.body,
        Value::Null,
        "the update answers without a body"
    );
    let fetched = mock.get(&one).await.body;
    assert_eq!(fetched["config"]["server"], "192.168.10.1");
    assert_eq!(fetched["config"]["format"], "rfc3164");
    assert_eq!(fetched["sink_type"], "rsyslog");

    for bad in [
        json!({"config": {"url": "https://x:9200", "index_prefix": "p"}}),
        json!({"config": {"server": "h", "port": 514, "tls": false}}),
        json!({"config": {"server": "h", "port": 70000, "tls": false, "format": "rfc5424"}}),
        json!({"config": {"server": "h", "port": 514, "tls": false, "format": "custom"}}),
        json!({}),
    ] {
        assert_error(&mock.put(&one, bad).await, 422, "unprocessable_entity");
    }
    assert_eq!(
        mock.get(&one).await.body,
        fetched,
        "refused updates change nothing"
    );

    for bad in [
        json!({"sink_name": "logs-sink", "sink_type": "rsyslog", "config": {"server": "h", "port": 1, "tls": false, "format": "rfc5424"}}),
        json!({"sink_name": "x", "sink_type": "splunk", "config": {}}),
        json!({"sink_name": "x", "sink_type": "opensearch"}),
        json!({"sink_name": "x", "sink_type": "opensearch", "config": {"url": "not a url", "index_prefix": "p"}}),
        json!({"sink_name": "x", "sink_type": "opensearch", "config": {"url": "https://h", "index_prefix": null}}),
        json!({"sink_type": "opensearch", "config": {"url": "https://h", "index_prefix": "p"}}),
        json!({"sink_name": "dd", "sink_type": "datadog", "config": {"site": "http-intake.logs.datadoghq.com", "datadog_api_key": "k"}}),
    ] {
        assert_error(&mock.post(&sinks, bad).await, 422, "unprocessable_entity");
    }

    let mongo = mock.online_cluster("documents", "mongodb").await;
    let datadog = mock
        .post(
            &format!("/v2/databases/{}/logsink", id_of(&mongo)),
            json!({"sink_name": "dd", "sink_type": "datadog", "config": {"site": "http-intake.logs.datadoghq.com", "datadog_api_key": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}),
        )
        .await
        .expect(201);
    assert_valid("logsink", &datadog.body);
    assert_eq!(datadog.body["sink"]["sink_type"], "datadog");

    let deleted = mock.delete(&one).await.expect(200);
    assert_eq!(deleted.body, Value::Null);
    assert_error(&mock.get(&one).await, 404, "not_found");
    assert_error(&mock.delete(&one).await, 404, "not_found");
    assert_eq!(
        mock.get(&sinks).await.body["sinks"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let stuck = stuck_cluster(&mock, "unready", "pg").await;
    assert_error(
        &mock
            .post(
                &format!("/v2/databases/{stuck}/logsink"),
                json!({"sink_name": "early", "sink_type": "rsyslog", "config": {"server": "h", "port": 514, "tls": false, "format": "rfc5424"}}),
            )
            .await,
        412,
        "precondition_failed",
    );
}

// ---- online migration -----------------------------------------------------------------------

#[tokio::test]
async fn online_migrations_run_sync_finish_and_can_be_stopped() {
    let mock = Mock::start().await;
    let pg = mock.online_cluster("migration-target", "pg").await;
    let path = format!("/v2/databases/{}/online-migration", id_of(&pg));
    assert_error(&mock.get(&path).await, 404, "not_found");

    let request = json!({"source": {"host": "source-do-user-6607903-0.b.db.ondigitalocean.com", "dbname": "defaultdb", "port": 25060, "username": "doadmin", "password": "paakjnfe10rsrsmf"}, "disable_ssl": false, "ignore_dbs": ["db0", "db1"]});
    assert_valid("online_migration_request", &request);
    let started = mock.put(&path, request.clone()).await.expect(200);
    assert_valid("online_migration", &started.body);
    assert_eq!(started.body["status"], "running");
    let migration_id = started.body["id"].as_str().unwrap().to_string();
    assert_error(
        &mock.put(&path, request.clone()).await,
        412,
        "precondition_failed",
    );

    // running → syncing → done (tests/… model unit tests pin each step's timing).
    let moved_on = poll(|| async {
        let body = mock.get(&path).await.expect(200).body;
        (body["status"] != "running").then_some(body)
    })
    .await
    .expect("the migration moves on from running");
    assert!(
        moved_on["status"] == "syncing" || moved_on["status"] == "done",
        "{moved_on}"
    );
    let done = wait_for_field(&mock, &path, "/status", "done").await;
    assert_valid("online_migration", &done);
    assert_eq!(done["id"], migration_id.as_str());
    mock.delete(&format!("{path}/{migration_id}"))
        .await
        .expect(204);
    assert_eq!(
        mock.get(&path).await.body["status"],
        "done",
        "an ended migration stays ended"
    );

    // Stopped while in progress: canceled.
    mock.fault(json!({"method": "PUT", "path": path, "count": 1, "kind": "never_online"}))
        .await;
    let second = mock.put(&path, request.clone()).await.expect(200);
    let second_id = second.body["id"].as_str().unwrap().to_string();
    assert_ne!(second_id, migration_id);
    assert_error(
        &mock.delete(&format!("{path}/{migration_id}")).await,
        404,
        "not_found",
    );
    mock.delete(&format!("{path}/{second_id}"))
        .await
        .expect(204);
    let canceled = mock.get(&path).await.expect(200);
    assert_eq!(canceled.body["status"], "canceled");

    for bad in [
        json!({}),
        json!({"source": {"port": 25060}}),
        json!({"source": {"host": "h", "port": 0}}),
        json!({"source": {"host": "h"}, "ignore_dbs": "db0"}),
    ] {
        assert_error(&mock.put(&path, bad).await, 422, "unprocessable_entity");
    }
    let kafka = mock.online_cluster("no-migrations", "kafka").await;
    let kafka_path = format!("/v2/databases/{}/online-migration", id_of(&kafka));
    assert_error(&mock.get(&kafka_path).await, 422, "unprocessable_entity");
    assert_error(
        &mock.put(&kafka_path, request.clone()).await,
        422,
        "unprocessable_entity",
    );
    let valkey = mock.online_cluster("cache-target", "valkey").await;
    mock.put(
        &format!("/v2/databases/{}/online-migration", id_of(&valkey)),
        request.clone(),
    )
    .await
    .expect(200);
    let stuck = stuck_cluster(&mock, "migration-early", "mysql").await;
    assert_error(
        &mock
            .put(&format!("/v2/databases/{stuck}/online-migration"), request)
            .await,
        412,
        "precondition_failed",
    );
}

// ---- OpenSearch indexes ---------------------------------------------------------------------

#[tokio::test]
async fn opensearch_indexes_come_from_forwarded_logs_and_can_be_deleted() {
    let mock = Mock::start().await;
    let search = mock.online_cluster("log-store", "opensearch").await;
    let indexes = format!("/v2/databases/{}/indexes", id_of(&search));
    let empty = mock.get(&indexes).await.expect(200);
    assert_valid("opensearch_indexes", &empty.body);
    assert_eq!(empty.body["indexes"], json!([]));

    let pg = mock.online_cluster("log-source", "pg").await;
    let url = format!(
        "https://doadmin:secret@{}:25060",
        search["connection"]["host"].as_str().unwrap()
    );
    mock.post(
        &format!("/v2/databases/{}/logsink", id_of(&pg)),
        json!({"sink_name": "to-search", "sink_type": "opensearch", "config": {"url": url, "index_prefix": "pg-logs", "index_days_max": 3}}),
    )
    .await
    .expect(201);
    mock.post(
        &format!("/v2/databases/{}/logsink", id_of(&pg)),
        json!({"sink_name": "elsewhere", "sink_type": "opensearch", "config": {"url": "https://other.example.com:9200", "index_prefix": "other"}}),
    )
    .await
    .expect(201);
    let listed = mock.get(&indexes).await.expect(200);
    assert_valid("opensearch_indexes", &listed.body);
    let list = listed.body["indexes"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", listed.body);
    let name = list[0]["index_name"].as_str().unwrap().to_string();
    assert!(name.starts_with("pg-logs-20"), "{name}");
    assert_eq!(list[0]["status"], "open");

    mock.delete(&format!("{indexes}/{name}")).await.expect(204);
    assert_eq!(mock.get(&indexes).await.body["indexes"], json!([]));
    assert_error(
        &mock.delete(&format!("{indexes}/{name}")).await,
        404,
        "not_found",
    );
    let pg_indexes = format!("/v2/databases/{}/indexes", id_of(&pg));
    assert_error(&mock.get(&pg_indexes).await, 422, "unprocessable_entity");
    assert_error(
        &mock.delete(&format!("{pg_indexes}/x")).await,
        422,
        "unprocessable_entity",
    );
}

// ---- Kafka schema registry ------------------------------------------------------------------

const AVRO_V1: &str =
    r#"{"type": "record", "name": "Customer", "fields": [{"name": "id", "type": "string"}]}"#;
const AVRO_V2: &str = r#"{"type": "record", "name": "Customer", "fields": [{"name": "id", "type": "string"}, {"name": "email", "type": ["null", "string"], "default": null}]}"#;

#[tokio::test]
async fn schema_registry_subjects_get_versions_and_compatibility_levels() {
    let mock = Mock::start().await;
    let kafka = mock.online_cluster("streams", "kafka").await;
    assert!(kafka["schema_registry_connection"]["host"].is_string());
    let registry = format!("/v2/databases/{}/schema-registry", id_of(&kafka));

    let request =
        json!({"subject_name": "customer-schema", "schema_type": "AVRO", "schema": AVRO_V1});
    assert_valid("kafka_schema_create_request", &request);
    let first = mock.post(&registry, request.clone()).await.expect(201);
    assert_valid("kafka_schema", &first.body);
    assert_eq!(first.body["subject_name"], "customer-schema");
    let first_id = first.body["schema_id"].as_u64().unwrap();
    let again = mock.post(&registry, request).await.expect(201);
    assert_eq!(
        again.body["schema_id"], first_id,
        "the same schema is the same version"
    );
    let second = mock
        .post(
            &registry,
            json!({"subject_name": "customer-schema", "schema_type": "AVRO", "schema": AVRO_V2}),
        )
        .await
        .expect(201);
    assert_ne!(second.body["schema_id"], first_id);

    let latest = mock
        .get(&format!("{registry}/customer-schema"))
        .await
        .expect(200);
    assert_valid("kafka_schema_version", &latest.body);
    assert_eq!(latest.body["version"], "2");
    assert_eq!(latest.body["schema"], AVRO_V2);
    let v1 = mock
        .get(&format!("{registry}/customer-schema/versions/1"))
        .await
        .expect(200);
    assert_valid("kafka_schema_version", &v1.body);
    assert_eq!(v1.body["schema"], AVRO_V1);
    assert_eq!(
        mock.get(&format!("{registry}/customer-schema/versions/latest"))
            .await
            .body["version"],
        "2"
    );
    assert_error(
        &mock
            .get(&format!("{registry}/customer-schema/versions/3"))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &mock
            .get(&format!("{registry}/customer-schema/versions/first"))
            .await,
        422,
        "unprocessable_entity",
    );
    let listed = mock.get(&registry).await.expect(200);
    assert_valid("kafka_schema_list", &listed.body);
    assert_eq!(listed.body["subjects"].as_array().unwrap().len(), 1);

    // Compatibility levels.
    let config = format!("{registry}/config");
    let initial = mock.get(&config).await.expect(200);
    assert_valid("schema_registry_config", &initial.body);
    assert_eq!(initial.body["compatibility_level"], "BACKWARD");
    let update = json!({"compatibility_level": "FULL"});
    assert_valid("schema_registry_config_request", &update);
    let updated = mock.put(&config, update).await.expect(200);
    assert_eq!(updated.body, json!({"compatibility_level": "FULL"}));
    let subject_config = format!("{config}/customer-schema");
    let inherited = mock.get(&subject_config).await.expect(200);
    assert_valid("schema_registry_subject_config", &inherited.body);
    assert_eq!(
        inherited.body,
        json!({"subject_name": "customer-schema", "compatibility_level": "FULL"})
    );
    mock.put(&subject_config, json!({"compatibility_level": "NONE"}))
        .await
        .expect(200);
    assert_eq!(
        mock.get(&subject_config).await.body["compatibility_level"],
        "NONE"
    );
    assert_eq!(mock.get(&config).await.body["compatibility_level"], "FULL");
    assert_error(
        &mock
            .put(&config, json!({"compatibility_level": "SOMETIMES"}))
            .await,
        422,
        "unprocessable_entity",
    );
    assert_error(
        &mock.put(&config, json!({})).await,
        422,
        "unprocessable_entity",
    );
    assert_error(
        &mock.get(&format!("{config}/nobody")).await,
        404,
        "not_found",
    );

    for bad in [
        json!({"subject_name": "s", "schema_type": "XML", "schema": "<a/>"}),
        json!({"subject_name": "s", "schema_type": "AVRO", "schema": "{not json"}),
        json!({"subject_name": "s", "schema_type": "PROTOBUF", "schema": "hello"}),
        json!({"subject_name": "config", "schema_type": "JSON", "schema": "{}"}),
        json!({"subject_name": "customer-schema", "schema_type": "JSON", "schema": "{}"}),
        json!({"schema_type": "JSON", "schema": "{}"}),
    ] {
        assert_error(
            &mock.post(&registry, bad).await,
            422,
            "unprocessable_entity",
        );
    }

    mock.delete(&format!("{registry}/customer-schema"))
        .await
        .expect(204);
    assert_error(
        &mock.get(&format!("{registry}/customer-schema")).await,
        404,
        "not_found",
    );
    assert_error(
        &mock.delete(&format!("{registry}/customer-schema")).await,
        404,
        "not_found",
    );

    let pg = mock.online_cluster("no-registry", "pg").await;
    let pg_registry = format!("/v2/databases/{}/schema-registry", id_of(&pg));
    assert_error(&mock.get(&pg_registry).await, 422, "unprocessable_entity");
    assert_error(
        &mock.get(&format!("{pg_registry}/config")).await,
        422,
        "unprocessable_entity",
    );
    let stuck = stuck_cluster(&mock, "registry-early", "kafka").await;
    assert_error(
        &mock
            .post(
                &format!("/v2/databases/{stuck}/schema-registry"),
                json!({"subject_name": "s", "schema_type": "JSON", "schema": "{}"}),
            )
            .await,
        412,
        "precondition_failed",
    );
}

// ---- the four fixes -------------------------------------------------------------------------

#[tokio::test]
async fn null_in_user_settings_is_refused_naming_the_field() {
    let mock = Mock::start().await;
    let kafka = mock.online_cluster("acl-kafka", "kafka").await;
    let users = format!("/v2/databases/{}/users", id_of(&kafka));
    for (body, field) in [
        (
            json!({"name": "app", "settings": {"acl": [{"topic": ".*", "permission": "admin", "id": null}]}}),
            "settings.acl[0].id",
        ),
        (
            json!({"name": "app", "settings": {"acl": null}}),
            "settings.acl",
        ),
        (json!({"name": "app", "settings": null}), "settings"),
    ] {
        let reply = mock.post(&users, body).await;
        assert_error(&reply, 422, "unprocessable_entity");
        assert!(
            reply.body["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field} must not be null")),
            "{}",
            reply.body
        );
    }
    assert_error(&mock.get(&format!("{users}/app")).await, 404, "not_found");
    mock.post(
        &users,
        json!({"name": "app", "settings": {"acl": [{"topic": ".*", "permission": "admin"}]}}),
    )
    .await
    .expect(201);
    let reply = mock
        .put(
            &format!("{users}/app"),
            json!({"settings": {"acl": [{"topic": null, "permission": "admin"}]}}),
        )
        .await;
    assert_error(&reply, 422, "unprocessable_entity");
    assert!(reply.body["message"]
        .as_str()
        .unwrap()
        .contains("settings.acl[0].topic"));
    let stored = mock.get(&format!("{users}/app")).await.body;
    assert_eq!(stored["user"]["settings"]["acl"][0]["topic"], ".*");
}

#[tokio::test]
async fn user_settings_belong_to_their_engine() {
    let mock = Mock::start().await;
    let cases = [
        ("pg", json!({"pg_allow_replication": true})),
        (
            "kafka",
            json!({"acl": [{"topic": ".*", "permission": "consume"}]}),
        ),
        (
            "opensearch",
            json!({"opensearch_acl": [{"index": "logs-*", "permission": "read"}]}),
        ),
        (
            "mongodb",
            json!({"mongo_user_settings": {"databases": ["admin"], "role": "readOnly"}}),
        ),
    ];
    let mut ids = Vec::new();
    for (engine, _) in &cases {
        let cluster = mock
            .online_cluster(&format!("{engine}-users"), engine)
            .await;
        ids.push((*engine, id_of(&cluster)));
    }
    for (engine, settings) in &cases {
        for (other, id) in &ids {
            let users = format!("/v2/databases/{id}/users");
            let reply = mock
                .post(
                    &users,
                    json!({"name": format!("u-{engine}"), "settings": settings}),
                )
                .await;
            if other == engine {
                reply.expect(201);
            } else {
                assert_error(&reply, 422, "unprocessable_entity");
                assert!(
                    reply.body["message"]
                        .as_str()
                        .unwrap()
                        .starts_with("operation is not supported for this cluster type"),
                    "{other}: {}",
                    reply.body
                );
            }
        }
    }
    // Updates are checked too.
    let (_, pg_id) = &ids[0];
    let reply = mock
        .put(
            &format!("/v2/databases/{pg_id}/users/doadmin"),
            json!({"settings": {"acl": [{"topic": ".*", "permission": "admin"}]}}),
        )
        .await;
    assert_error(&reply, 422, "unprocessable_entity");
}

#[tokio::test]
async fn topics_refuse_the_contract_examples_keys() {
    let mock = Mock::start().await;
    let kafka = mock.online_cluster("example-topics", "kafka").await;
    let topics = format!("/v2/databases/{}/topics", id_of(&kafka));
    // The contract's request example, verbatim.
    let example = json!({"name": "customer-events", "partitions": 3, "replication": 2, "config": {"retention_bytes": -1, "retention_ms": 100000}});
    let reply = mock.post(&topics, example).await;
    assert_error(&reply, 422, "unprocessable_entity");
    assert!(reply.body["message"]
        .as_str()
        .unwrap()
        .contains("partition_count"));
    assert_error(
        &mock.get(&format!("{topics}/customer-events")).await,
        404,
        "not_found",
    );
    let created = mock
        .post(
            &topics,
            json!({"name": "customer-events", "partition_count": 3, "replication_factor": 2}),
        )
        .await
        .expect(201);
    assert_eq!(
        created.body["topic"]["partitions"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let reply = mock
        .put(
            &format!("{topics}/customer-events"),
            json!({"partitions": 6, "replication": 3}),
        )
        .await;
    assert_error(&reply, 422, "unprocessable_entity");
    assert_eq!(
        mock.get(&format!("{topics}/customer-events")).await.body["topic"]["partitions"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn caching_creates_are_refused_as_the_contract_says_and_valkey_stays() {
    let mock = Mock::start().await;
    let reply = mock
        .post("/v2/databases", json!({"name": "old-cache", "engine": "redis", "region": "nyc3", "size": "db-s-1vcpu-1gb", "num_nodes": 1}))
        .await;
    assert_error(&reply, 422, "unprocessable_entity");
    assert!(reply.body["message"].as_str().unwrap().starts_with(
        "Caching cluster creates are no longer supported as of 2025-04-30T00:00:00Z."
    ));
    assert_eq!(mock.get("/v2/databases").await.body["databases"], json!([]));
    let valkey = mock.online_cluster("new-cache", "valkey").await;
    assert_eq!(valkey["engine"], "valkey");
    let restore = mock
        .post("/v2/databases", json!({"name": "cache-copy", "engine": "valkey", "region": "nyc3", "size": "db-s-1vcpu-1gb", "num_nodes": 1, "backup_restore": {"database_name": "new-cache"}}))
        .await;
    assert_error(&restore, 422, "unprocessable_entity");
}

/// Caching clusters that exist (created before 2025-04-30, here loaded from a state file)
/// keep working: eviction policy and configuration.
#[test]
fn caching_clusters_from_before_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let emulator = Process::start(&path, 0);
    let created = emulator.expect(
        Method::POST,
        "/v2/databases",
        Some(json!({"name": "legacy-cache", "engine": "valkey", "region": "nyc3", "size": "db-s-1vcpu-1gb", "num_nodes": 1})),
        201,
    );
    let id = id_of(&created["database"]);
    emulator.terminate();
    // Make it the Caching cluster it would have been.
    let mut state: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let cluster = &mut state["clusters"][0];
    cluster["engine"] = json!("redis");
    cluster["version"] = json!("7");
    cluster["config"] = json!({});
    fs::write(&path, serde_json::to_vec_pretty(&state).unwrap()).unwrap();

    let restarted = Process::start(&path, 0);
    let shown = restarted.expect(Method::GET, &format!("/v2/databases/{id}"), None, 200);
    assert_eq!(shown["database"]["engine"], "redis");
    let policy = format!("/v2/databases/{id}/eviction_policy");
    restarted.expect(
        Method::PUT,
        &policy,
        Some(json!({"eviction_policy": "allkeys_lru"})),
        204,
    );
    assert_eq!(
        restarted.expect(Method::GET, &policy, None, 200)["eviction_policy"],
        "allkeys_lru"
    );
    restarted.expect(
        Method::PATCH,
        &format!("/v2/databases/{id}/config"),
        Some(json!({"config": {"redis_timeout": 0}})),
        200,
    );
    assert_error_status(
        restarted.call(
            Method::PATCH,
            &format!("/v2/databases/{id}/config"),
            Some(json!({"config": {"redis_persistence": "always"}})),
        ),
        422,
    );
}

fn assert_error_status(answer: (reqwest::StatusCode, Value), status: u16) {
    assert_eq!(answer.0.as_u16(), status, "{}", answer.1);
}

// ---- infrastructure: persistence, gateway, schemas ------------------------------------------

/// Everything the new operations keep is back after `kill -9` right after the last answer.
#[test]
fn the_new_data_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let emulator = Process::start(&path, 0);
    let create = |name: &str, engine: &str| {
        let (size, nodes) = match engine {
            "kafka" => ("gd-2vcpu-8gb", 3),
            _ => ("db-s-1vcpu-2gb", 1),
        };
        id_of(&emulator.expect(
            Method::POST,
            "/v2/databases",
            Some(json!({"name": name, "engine": engine, "region": "nyc3", "size": size, "num_nodes": nodes})),
            201,
        )["database"])
    };
    let pg = create("durable-primary", "pg");
    let kafka = create("durable-streams", "kafka");
    let replica = emulator.expect(
        Method::POST,
        &format!("/v2/databases/{pg}/replicas"),
        Some(json!({"name": "durable-replica", "size": "db-s-2vcpu-4gb"})),
        201,
    );
    let sink = emulator.expect(
        Method::POST,
        &format!("/v2/databases/{pg}/logsink"),
        Some(json!({"sink_name": "durable-sink", "sink_type": "rsyslog", "config": {"server": "10.0.0.1", "port": 514, "tls": true, "format": "rfc5424"}})),
        201,
    );
    let migration = emulator.expect(
        Method::PUT,
        &format!("/v2/databases/{pg}/online-migration"),
        Some(json!({"source": {"host": "old.example.com", "port": 5432, "password": "durable-source-password"}})),
        200,
    );
    emulator.expect(
        Method::PUT,
        &format!("/v2/databases/{pg}/resize"),
        Some(json!({"size": "db-s-2vcpu-4gb", "num_nodes": 1})),
        202,
    );
    emulator.expect(
        Method::POST,
        &format!("/v2/databases/{kafka}/schema-registry"),
        Some(json!({"subject_name": "orders", "schema_type": "JSON", "schema": "{\"type\": \"object\"}"})),
        201,
    );
    emulator.expect(
        Method::PUT,
        &format!("/v2/databases/{kafka}/schema-registry/config"),
        Some(json!({"compatibility_level": "FORWARD"})),
        200,
    );
    let events_before = emulator.expect(
        Method::GET,
        &format!("/v2/databases/{pg}/events"),
        None,
        200,
    );
    emulator.expect(
        Method::PUT,
        "/v2/databases/metrics/credentials",
        Some(json!({"credentials": {"basic_auth_username": "scraper", "basic_auth_password": "s3cret"}})),
        204,
    );
    emulator.kill_9();
    let saved = fs::read_to_string(&path).unwrap();
    assert!(saved.contains("durable-sink") && saved.contains("scraper"));
    assert!(
        !saved.contains("durable-source-password"),
        "an online migration's source password is not kept"
    );

    let restarted = Process::start(&path, 0);
    let replicas = restarted.expect(
        Method::GET,
        &format!("/v2/databases/{pg}/replicas"),
        None,
        200,
    );
    assert_eq!(replicas["replicas"][0]["id"], replica["replica"]["id"]);
    assert_eq!(replicas["replicas"][0]["status"], "online");
    let sinks = restarted.expect(
        Method::GET,
        &format!("/v2/databases/{pg}/logsink"),
        None,
        200,
    );
    assert_eq!(sinks["sinks"], json!([sink["sink"]]));
    let migrated = restarted.expect(
        Method::GET,
        &format!("/v2/databases/{pg}/online-migration"),
        None,
        200,
    );
    assert_eq!(migrated["id"], migration["id"]);
    assert_eq!(migrated["status"], "done");
    assert_eq!(
        restarted.expect(
            Method::GET,
            &format!("/v2/databases/{pg}/events"),
            None,
            200
        ),
        events_before
    );
    let subject = restarted.expect(
        Method::GET,
        &format!("/v2/databases/{kafka}/schema-registry/orders"),
        None,
        200,
    );
    assert_eq!(subject["version"], "1");
    assert_eq!(
        restarted.expect(
            Method::GET,
            &format!("/v2/databases/{kafka}/schema-registry/config"),
            None,
            200
        )["compatibility_level"],
        "FORWARD"
    );
    assert_eq!(
        restarted.expect(Method::GET, "/v2/databases/metrics/credentials", None, 200),
        json!({"credentials": {"basic_auth_username": "scraper", "basic_auth_password": "s3cret"}})
    );
}

/// The gateway applies to the new routes like to the old: faults by method and path, the
/// request log, authentication.
#[tokio::test]
async fn the_gateway_covers_the_new_routes() {
    let mock = Mock::start().await;
    let pg = mock.online_cluster("guarded", "pg").await;
    let sinks = format!("/v2/databases/{}/logsink", id_of(&pg));
    mock.fault(
        json!({"method": "POST", "path": sinks, "count": 1, "kind": "status", "status": 503}),
    )
    .await;
    let body = json!({"sink_name": "s", "sink_type": "rsyslog", "config": {"server": "h", "port": 514, "tls": false, "format": "rfc5424"}});
    assert_error(
        &mock.post(&sinks, body.clone()).await,
        503,
        "service_unavailable",
    );
    assert_eq!(
        mock.get(&sinks).await.body["sinks"],
        json!([]),
        "the fault answered instead"
    );
    mock.post(&sinks, body).await.expect(201);
    let logged: Vec<Value> = mock
        .requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == sinks.as_str() && r["method"] == "POST")
        .collect();
    assert_eq!(logged.len(), 2);
    let unauthenticated = mock
        .try_call(Method::GET, "/v2/databases/metrics/credentials", None, None)
        .await
        .unwrap();
    assert_error(&unauthenticated, 401, "unauthorized");
}

/// A deliberately wrong object must fail the new schemas, or the checks above prove nothing.
#[test]
fn the_new_schemas_reject_drift() {
    let checks: Vec<(&str, Value)> = vec![
        (
            "replica",
            json!({"replica": {"name": "r", "status": "active"}}),
        ),
        ("replica", json!({"replica": {"invented": 1, "name": "r"}})),
        ("online_migration", json!({"id": "m", "status": "paused"})),
        (
            "events",
            json!({"events": [{"event_type": "cluster_explode"}]}),
        ),
        (
            "backups",
            json!({"backups": [{"created_at": "2019-01-31T19:25:22Z"}]}),
        ),
        (
            "logsink_data",
            json!({"sink_id": "s", "sink_name": "n", "sink_type": "rsyslog", "config": {"server": "h"}}),
        ),
        (
            "kafka_schema_version",
            json!({"schema_id": 1, "subject_name": "s", "schema_type": "AVRO", "schema": "{}"}),
        ),
        (
            "metrics_credentials",
            json!({"credentials": {"credentials": {"basic_auth_username": "u"}}}),
        ),
        (
            "opensearch_indexes",
            json!({"indexes": [{"index_name": "i", "health": "purple"}]}),
        ),
        (
            "schema_registry_config",
            json!({"compatibility_level": "SOMETIMES"}),
        ),
    ];
    for (schema, instance) in checks {
        let outcome = std::panic::catch_unwind(|| assert_valid(schema, &instance));
        assert!(outcome.is_err(), "schema {schema} accepted {instance}");
    }
}
