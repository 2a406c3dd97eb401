//! dbaas-mock's Uncloud surface (`/api/v1/databases`, seed 002): answers checked against the
//! JSON Schemas written from the platform's reference (`schemas/uncloud/*.json`), the
//! lifecycle, the platform's error envelope, authentication with the `--token` list, faults,
//! the request log and the state file.

mod mock_support;

use mock_support::{poll, quick_config, Mock, Reply, TOKEN};
use reqwest::Method;
use serde_json::{json, Value};

/// Validates `instance` against `schemas/uncloud/<name>.json`, panicking with every error.
fn assert_uncloud_valid(name: &str, instance: &Value) {
    let path = format!("{}/schemas/uncloud/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    let compiled = jsonschema::JSONSchema::options()
        .should_validate_formats(true)
        .compile(&schema)
        .unwrap_or_else(|e| panic!("schema {name} does not compile: {e}"));
    let errors: Vec<String> = match compiled.validate(instance) {
        Ok(()) => return,
        Err(errors) => errors
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect(),
    };
    panic!(
        "answer does not match schema {name}:\n{}\n{instance:#}",
        errors.join("\n")
    );
}

/// An error answer in the platform's envelope, with a message containing `words`.
fn assert_uncloud_error(reply: &Reply, status: u16, words: &str) {
    assert_eq!(reply.status.as_u16(), status, "body: {}", reply.body);
    assert_uncloud_valid("error", &reply.body);
    let message = reply.body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains(words),
        "{message:?} should mention {words:?}"
    );
}

fn body(name: &str, db_type: &str) -> Value {
    json!({"name": name, "db_type": db_type, "plan_id": "db-s-1vcpu-1gb", "region": "nyc1"})
}

async fn running(mock: &Mock, id: &str) -> Value {
    poll(|| async {
        let reply = mock.get(&format!("/api/v1/databases/{id}")).await;
        (reply.body["status"] == "running").then_some(reply.body)
    })
    .await
    .unwrap_or_else(|| panic!("{id} never became running"))
}

#[tokio::test]
async fn a_database_goes_from_provisioning_to_running_and_back_to_nothing() {
    let mock = Mock::start().await;
    let request = body("orders", "postgresql");
    assert_uncloud_valid("database_create_request", &request);
    let created = mock.post("/api/v1/databases", request).await.expect(201);
    assert_uncloud_valid("database_created", &created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert!(
        created.body.get("plan_id").is_none(),
        "the create answers a partial object"
    );
    assert!(
        created.header("ratelimit-limit").is_none(),
        "the platform has no rate limits"
    );

    let shown = mock
        .get(&format!("/api/v1/databases/{id}"))
        .await
        .expect(200);
    assert_uncloud_valid("database", &shown.body);
    assert_eq!(shown.body["status"], "provisioning");
    assert_eq!(
        (
            &shown.body["version"],
            &shown.body["storage_gb"],
            &shown.body["replicas"]
        ),
        (&json!("16"), &json!(10), &json!(1)),
        "defaults: the newest version, 10 GB, 1 replica"
    );
    assert_eq!(shown.body["project_id"], "proj_default");
    let early = mock
        .get(&format!("/api/v1/databases/{id}/credentials"))
        .await;
    assert_uncloud_error(&early, 409, "provisioning");

    let object = running(&mock, &id).await;
    assert_uncloud_valid("database", &object);
    let list = mock.get("/api/v1/databases").await.expect(200);
    assert_uncloud_valid("database_list", &list.body);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let credentials = mock
        .get(&format!("/api/v1/databases/{id}/credentials"))
        .await
        .expect(200);
    assert_uncloud_valid("credentials", &credentials.body);
    assert_eq!(credentials.body["port"], 5432);

    let second = mock
        .post("/api/v1/databases", body("orders", "mysql"))
        .await;
    assert_uncloud_error(&second, 409, "already exists");

    let deleted = mock.delete(&format!("/api/v1/databases/{id}")).await;
    assert_eq!(deleted.status.as_u16(), 204);
    let destroyed = mock
        .get(&format!("/api/v1/databases/{id}"))
        .await
        .expect(200);
    assert_eq!(destroyed.body["status"], "destroyed");
    assert_uncloud_valid("database", &destroyed.body);
    assert_uncloud_error(
        &mock.delete(&format!("/api/v1/databases/{id}")).await,
        404,
        "not found",
    );
    let reused = mock
        .post("/api/v1/databases", body("orders", "redis"))
        .await;
    assert_eq!(
        reused.status.as_u16(),
        201,
        "a destroyed database's name is free: {}",
        reused.body
    );
    poll(|| async {
        let reply = mock.get(&format!("/api/v1/databases/{id}")).await;
        (reply.status.as_u16() == 404).then_some(())
    })
    .await
    .expect("the destroyed database disappears");
}

#[tokio::test]
async fn each_engine_has_its_own_credentials() {
    let mock = Mock::start().await;
    let mut ids = Vec::new();
    for db_type in ["postgresql", "mysql", "redis", "mongodb"] {
        let created = mock
            .post("/api/v1/databases", body(&format!("db-{db_type}"), db_type))
            .await
            .expect(201);
        ids.push((db_type, created.body["id"].as_str().unwrap().to_string()));
    }
    for (db_type, id) in ids {
        running(&mock, &id).await;
        let credentials = mock
            .get(&format!("/api/v1/databases/{id}/credentials"))
            .await
            .expect(200)
            .body;
        assert_uncloud_valid("credentials", &credentials);
        let (port, scheme) = match db_type {
            "postgresql" => (5432, "postgresql://"),
            "mysql" => (3306, "mysql://"),
            "redis" => (6379, "redis://"),
            _ => (27017, "mongodb://"),
        };
        assert_eq!(credentials["port"], port, "{db_type}");
        let uri = credentials["connection_string"].as_str().unwrap();
        assert!(uri.starts_with(scheme), "{db_type}: {uri}");
        let password = credentials["password"].as_str().unwrap();
        assert!(uri.contains(&format!(":{password}@")), "{db_type}");
        assert_eq!(
            credentials.get("username").is_none(),
            db_type == "redis",
            "only Redis has no username: {db_type}"
        );
    }
}

#[tokio::test]
async fn invalid_bodies_are_refused_naming_the_field() {
    let mock = Mock::start().await;
    let cases = [
        (
            json!({"db_type": "postgresql", "plan_id": "db-s-1vcpu-1gb", "region": "nyc1"}),
            422,
            "name is required",
        ),
        (
            json!({"name": "x", "db_type": "oracle", "plan_id": "db-s-1vcpu-1gb", "region": "nyc1"}),
            422,
            "db_type must be one of",
        ),
        (
            json!({"name": "x", "db_type": "mysql", "version": "5.7", "plan_id": "db-s-1vcpu-1gb", "region": "nyc1"}),
            422,
            "offered: 8.0, 8.4",
        ),
        (
            json!({"name": "x", "db_type": "redis", "plan_id": "tiny", "region": "nyc1"}),
            422,
            "plan_id",
        ),
        (
            json!({"name": "x", "db_type": "redis", "plan_id": "db-s-1vcpu-1gb", "region": "atlantis"}),
            422,
            "region",
        ),
        (
            json!({"name": "x", "db_type": "redis", "plan_id": "db-s-1vcpu-1gb", "region": "nyc1", "storage_gb": "10"}),
            422,
            "storage_gb",
        ),
        (
            json!({"name": "x", "db_type": "redis", "plan_id": "db-s-1vcpu-1gb", "region": "nyc1", "replicas": 0}),
            422,
            "replicas",
        ),
        (
            json!({"name": "bad name", "db_type": "redis", "plan_id": "db-s-1vcpu-1gb", "region": "nyc1"}),
            422,
            "name must be",
        ),
        (json!(["not", "an", "object"]), 400, "JSON object"),
    ];
    for (request, status, words) in cases {
        let reply = mock.post("/api/v1/databases", request).await;
        assert_uncloud_error(&reply, status, words);
    }
    let unknown = mock.get("/api/v1/databases/db_0000000000000000").await;
    assert_uncloud_error(&unknown, 404, "not found");
    let unrouted = mock.get("/api/v1/nothing-here").await;
    assert_uncloud_error(&unrouted, 404, "could not be found");
    let wrong_method = mock
        .put("/api/v1/databases/db_0000000000000000", json!({}))
        .await;
    assert_uncloud_error(&wrong_method, 405, "");
    assert!(mock
        .get("/api/v1/databases")
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn authentication_and_limits_answer_in_the_platforms_envelope() {
    let mut config = quick_config();
    config.tokens = vec![TOKEN.to_string()];
    let mock = Mock::start_with(config).await;
    let anonymous = mock
        .try_call(Method::GET, "/api/v1/databases", None, None)
        .await
        .expect("answered");
    assert_uncloud_error(&anonymous, 401, "authenticate");
    let wrong = mock
        .try_call(Method::GET, "/api/v1/databases", None, Some("dkc_other"))
        .await
        .expect("answered");
    assert_uncloud_error(&wrong, 401, "authenticate");
    let huge = json!({"name": "x".repeat(2 * 1024 * 1024)});
    let refused = mock.post("/api/v1/databases", huge).await;
    assert_uncloud_error(&refused, 413, "larger than");
}

#[tokio::test]
async fn faults_reach_the_platform_and_requests_are_logged() {
    let mock = Mock::start().await;
    mock.fault(json!({"method": "POST", "path": "/api/v1/databases", "kind": "provisioning_fails", "count": 1}))
        .await;
    let failing = mock
        .post("/api/v1/databases", body("fails", "postgresql"))
        .await
        .expect(201);
    let id = failing.body["id"].as_str().unwrap().to_string();
    let ended = poll(|| async {
        let reply = mock.get(&format!("/api/v1/databases/{id}")).await;
        (reply.body["status"] == "error").then_some(reply.body)
    })
    .await
    .expect("the database ends in error");
    assert_uncloud_valid("database", &ended);
    assert!(ended["error_message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_uncloud_error(
        &mock
            .get(&format!("/api/v1/databases/{id}/credentials"))
            .await,
        409,
        "error",
    );

    mock.fault(json!({"method": "GET", "path": "/api/v1/databases", "kind": "status", "status": 503, "count": 1}))
        .await;
    assert_uncloud_error(&mock.get("/api/v1/databases").await, 503, "");
    mock.fault(
        json!({"method": "POST", "path": "/api/v1/databases", "kind": "never_online", "count": 1}),
    )
    .await;
    let stuck = mock
        .post("/api/v1/databases", body("stuck", "redis"))
        .await
        .expect(201);
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let stuck_id = stuck.body["id"].as_str().unwrap();
    assert_eq!(
        mock.get(&format!("/api/v1/databases/{stuck_id}"))
            .await
            .body["status"],
        "provisioning",
        "never_online keeps it provisioning"
    );

    let logged: Vec<(String, String, u64)> = mock
        .requests()
        .await
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap_or_default().to_string(),
                r["path"].as_str().unwrap_or_default().to_string(),
                r["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert!(logged.contains(&("POST".into(), "/api/v1/databases".into(), 201)));
    assert!(logged.contains(&("GET".into(), "/api/v1/databases".into(), 503)));
}

#[tokio::test]
async fn the_state_file_keeps_the_databases_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("state.json");
    let mut config = quick_config();
    config.state_file = Some(state_file.clone());
    let mock = Mock::start_with(config.clone()).await;
    let created = mock
        .post("/api/v1/databases", body("kept", "mongodb"))
        .await
        .expect(201);
    let id = created.body["id"].as_str().unwrap().to_string();
    let before = running(&mock, &id).await;
    let credentials = mock
        .get(&format!("/api/v1/databases/{id}/credentials"))
        .await
        .expect(200)
        .body;
    let gone = mock
        .post("/api/v1/databases", body("gone", "mysql"))
        .await
        .expect(201);
    let gone_id = gone.body["id"].as_str().unwrap().to_string();
    mock.delete(&format!("/api/v1/databases/{gone_id}")).await;
    // No clean stop: what was answered is already on disk.
    drop(mock);

    let restarted = Mock::start_with(config).await;
    let after = restarted
        .get(&format!("/api/v1/databases/{id}"))
        .await
        .expect(200);
    assert_eq!(after.body, before, "the same database, still running");
    let again = restarted
        .get(&format!("/api/v1/databases/{id}/credentials"))
        .await
        .expect(200);
    assert_eq!(again.body, credentials, "the same credentials");
    let deleted = restarted.get(&format!("/api/v1/databases/{gone_id}")).await;
    assert!(
        deleted.status.as_u16() == 404 || deleted.body["status"] == "destroyed",
        "a deleted database stays deleted: {}",
        deleted.body
    );
    let fresh = restarted
        .post("/api/v1/databases", body("new", "postgresql"))
        .await
        .expect(201);
    assert_ne!(fresh.body["id"], created.body["id"]);
    assert_ne!(fresh.body["id"], gone.body["id"]);
}
