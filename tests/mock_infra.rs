//! The emulator's cross-cutting behaviour: authentication, headers, rate limits, every fault
//! kind, the `/_mock` controls, busy-cluster tracking, and the request log.

mod mock_support;

use dbaas::mock::MockConfig;
use mock_support::{assert_error, assert_valid, poll, quick_config, Mock, TOKEN};
use reqwest::Method;
use serde_json::{json, Value};

fn small_pg(name: &str) -> Value {
    json!({"name": name, "engine": "pg", "region": "nyc3", "size": "db-s-1vcpu-2gb", "num_nodes": 1})
}

fn assert_budget_headers(reply: &mock_support::Reply) {
    for name in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
        let value = reply
            .header(name)
            .unwrap_or_else(|| panic!("{name} missing ({})", reply.status));
        value
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("{name} is not an integer: {value}"));
    }
}

#[tokio::test]
async fn bearer_authentication() {
    let mock = Mock::start_with(MockConfig {
        tokens: vec!["right".into()],
        ..quick_config()
    })
    .await;
    for token in [None, Some("wrong")] {
        let reply = mock
            .try_call(Method::GET, "/v2/databases", None, token)
            .await
            .unwrap();
        assert_error(&reply, 401, "unauthorized");
        assert_eq!(reply.body["message"], "Unable to authenticate you.");
        assert_budget_headers(&reply);
    }
    let basic = mock
        .http
        .get(format!("{}/v2/databases", mock.url))
        .basic_auth("right", Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    let ok = mock
        .try_call(Method::GET, "/v2/databases", None, Some("right"))
        .await
        .unwrap();
    assert_eq!(ok.status, 200);

    let open = Mock::start().await;
    let any = open
        .try_call(Method::GET, "/v2/databases", None, Some("anything"))
        .await
        .unwrap();
    assert_eq!(
        any.status, 200,
        "without --token any non-empty token is accepted"
    );
}

#[tokio::test]
async fn every_api_response_carries_rate_limit_headers_and_json_errors() {
    let mock = Mock::start().await;
    let created = mock
        .post("/v2/databases", small_pg("headers"))
        .await
        .expect(201);
    assert_eq!(created.header("content-type"), Some("application/json"));
    let id = created.body["database"]["id"].as_str().unwrap().to_string();
    let replies = vec![
        created,
        mock.get("/v2/databases").await.expect(200),
        mock.put(
            &format!("/v2/databases/{id}/maintenance"),
            json!({"day": "monday", "hour": "01:00"}),
        )
        .await
        .expect(204),
        mock.get("/v2/databases/00000000-0000-4000-8000-000000000000")
            .await
            .expect(404),
        mock.post("/v2/databases", json!({})).await.expect(422),
        mock.get("/v2/no/such/path").await.expect(404),
        mock.call(Method::PATCH, "/v2/databases", None)
            .await
            .expect(405),
    ];
    for reply in &replies {
        assert_budget_headers(reply);
        if reply.status.as_u16() >= 400 {
            assert_valid("error", &reply.body);
            assert!(reply.body["request_id"].is_string());
            assert_eq!(reply.header("content-type"), Some("application/json"));
        }
    }
    let remaining: Vec<u64> = replies[..3]
        .iter()
        .map(|r| r.header("ratelimit-remaining").unwrap().parse().unwrap())
        .collect();
    assert!(
        remaining.windows(2).all(|w| w[1] < w[0]),
        "remaining counts down: {remaining:?}"
    );
}

#[tokio::test]
async fn per_minute_budget_answers_429_with_retry_after() {
    let mock = Mock::start().await;
    let settings = mock
        .settings(json!({"rate_limit_per_minute": 3, "retry_after_secs": 7}))
        .await;
    assert_eq!(settings["rate_limit_per_minute"], 3);
    for expected_remaining in [2, 1, 0] {
        let reply = mock.get("/v2/databases").await.expect(200);
        assert_eq!(reply.header("ratelimit-limit"), Some("3"));
        assert_eq!(
            reply.header("ratelimit-remaining"),
            Some(expected_remaining.to_string().as_str())
        );
    }
    let limited = mock.get("/v2/databases").await;
    assert_error(&limited, 429, "too_many_requests");
    assert_eq!(limited.header("retry-after"), Some("7"));
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
    assert_budget_headers(&limited);
    let other_token = mock
        .try_call(Method::GET, "/v2/databases", None, Some("another"))
        .await
        .unwrap();
    assert_eq!(other_token.status, 200, "budgets are per token");
    assert!(mock.requests().await.iter().any(|r| r["status"] == 429));

    mock.settings(json!({"rate_limit_per_minute": null})).await;
    mock.get("/v2/databases").await.expect(200);
}

#[tokio::test]
async fn per_hour_budget_answers_429() {
    let mock = Mock::start_with(MockConfig {
        rate_limit_per_hour: Some(2),
        ..quick_config()
    })
    .await;
    mock.get("/v2/databases").await.expect(200);
    let last = mock.get("/v2/databases").await.expect(200);
    assert_eq!(last.header("ratelimit-limit"), Some("2"));
    assert_eq!(last.header("ratelimit-remaining"), Some("0"));
    let limited = mock.get("/v2/databases").await;
    assert_error(&limited, 429, "too_many_requests");
    assert_eq!(limited.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn status_faults_answer_without_performing_the_request() {
    let mock = Mock::start().await;
    let fault = mock
        .fault(json!({"method": "POST", "path": "/v2/databases", "count": 2, "kind": "status", "status": 503}))
        .await;
    assert_eq!(fault["id"], "f-1");
    assert_eq!(fault["remaining"], 2);
    for _ in 0..2 {
        assert_error(
            &mock.post("/v2/databases", small_pg("faulty")).await,
            503,
            "service_unavailable",
        );
    }
    assert_eq!(
        mock.get("/v2/databases").await.body["databases"],
        json!([]),
        "a faulted POST creates nothing"
    );
    mock.post("/v2/databases", small_pg("faulty"))
        .await
        .expect(201);

    let listed = mock
        .control(Method::GET, "/_mock/faults", None)
        .await
        .expect(200);
    assert_eq!(listed.body["faults"][0]["remaining"], 0);
    assert_eq!(listed.body["faults"][0]["hits"], 2);
    let log = mock.requests().await;
    assert_eq!(log.iter().filter(|r| r["fault"] == "f-1").count(), 2);

    mock.fault(json!({"path": "/v2/databases", "count": 1, "kind": "status", "status": 429, "retry_after_secs": 2})).await;
    let limited = mock.get("/v2/databases").await;
    assert_error(&limited, 429, "too_many_requests");
    assert_eq!(limited.header("retry-after"), Some("2"));
    assert_budget_headers(&limited);

    mock.fault(json!({"kind": "status", "status": 500})).await;
    assert_error(&mock.get("/v2/databases").await, 500, "server_error");
    assert_error(
        &mock.get("/v2/databases/options").await,
        500,
        "server_error",
    );
    mock.control(Method::DELETE, "/_mock/faults", None)
        .await
        .expect(204);
    mock.get("/v2/databases").await.expect(200);
}

#[tokio::test]
async fn not_found_faults_hide_a_new_cluster_for_a_few_reads() {
    let mock = Mock::start().await;
    let id = mock.create_cluster(small_pg("eventual")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    mock.fault(
        json!({"method": "GET", "path": "/v2/databases/*", "count": 2, "kind": "not_found"}),
    )
    .await;
    assert_error(
        &mock.get(&format!("/v2/databases/{id}")).await,
        404,
        "not_found",
    );
    mock.get(&format!("/v2/databases/{id}/ca"))
        .await
        .expect(200);
    assert_error(
        &mock.get(&format!("/v2/databases/{id}")).await,
        404,
        "not_found",
    );
    mock.get(&format!("/v2/databases/{id}")).await.expect(200);
}

#[tokio::test]
async fn delay_faults_stall_then_answer_normally() {
    let mock = Mock::start().await;
    let fault = mock.fault(json!({"method": "GET", "path": "/v2/databases", "count": 1, "kind": "delay", "delay_ms": 300})).await;
    mock.get("/v2/databases").await.expect(200);
    let log = mock.requests().await;
    assert_eq!(log[0]["fault"], fault["id"]);
    assert_eq!(log[0]["status"], 200);
}

#[tokio::test]
async fn drop_faults_close_the_connection_before_or_after_handling() {
    let mock = Mock::start().await;
    mock.fault(json!({"method": "POST", "path": "/v2/databases", "count": 1, "kind": "drop"}))
        .await;
    let dropped = mock
        .try_call(
            Method::POST,
            "/v2/databases",
            Some(small_pg("dropped")),
            Some(TOKEN),
        )
        .await;
    assert!(
        dropped.is_err(),
        "the connection is closed without a response"
    );
    assert_eq!(
        mock.get("/v2/databases").await.body["databases"],
        json!([]),
        "a dropped request is not performed"
    );

    mock.fault(json!({"method": "POST", "path": "/v2/databases", "count": 1, "kind": "drop_after_handling"})).await;
    let lost = mock
        .try_call(
            Method::POST,
            "/v2/databases",
            Some(small_pg("lost")),
            Some(TOKEN),
        )
        .await;
    assert!(lost.is_err(), "the response is lost");
    let clusters = mock.get("/v2/databases").await.body["databases"].clone();
    assert_eq!(clusters[0]["name"], "lost", "the request was performed");

    let log = mock.requests().await;
    let posts: Vec<&Value> = log.iter().filter(|r| r["method"] == "POST").collect();
    assert_eq!(posts[0]["status"], Value::Null, "nothing was answered");
    assert_eq!(posts[1]["status"], 201, "the lost answer was a 201");
    mock.post("/v2/databases", small_pg("after"))
        .await
        .expect(201);
}

#[tokio::test]
async fn never_online_faults_keep_clusters_creating() {
    let mock = Mock::start().await;
    mock.settings(json!({"provision_delay_ms": 0})).await;
    mock.fault(
        json!({"method": "POST", "path": "/v2/databases", "count": 1, "kind": "never_online"}),
    )
    .await;
    let stuck = mock.create_cluster(small_pg("stuck")).await;
    let fine = mock.create_cluster(small_pg("fine")).await;
    mock.wait_for_status(fine["id"].as_str().unwrap(), "online")
        .await;
    let stuck_now = mock
        .get(&format!("/v2/databases/{}", stuck["id"].as_str().unwrap()))
        .await
        .body;
    assert_eq!(
        stuck_now["database"]["status"], "creating",
        "the faulted create never finishes"
    );
}

#[tokio::test]
async fn accepted_without_body_answers_202_but_performs_the_request() {
    let mock = Mock::start().await;
    let kafka = mock.online_cluster("events", "kafka").await;
    let id = kafka["id"].as_str().unwrap();
    mock.fault(json!({"method": "POST", "path": "/v2/databases/*/topics", "count": 1, "kind": "accepted_without_body"})).await;
    let reply = mock
        .post(
            &format!("/v2/databases/{id}/topics"),
            json!({"name": "orders"}),
        )
        .await
        .expect(202);
    assert_eq!(reply.body["id"], "accepted");
    assert!(reply.body["message"].is_string());
    let topic = mock
        .get(&format!("/v2/databases/{id}/topics/orders"))
        .await
        .expect(200);
    assert_valid("topic", &topic.body);
}

#[tokio::test]
async fn invalid_faults_and_settings_are_refused() {
    let mock = Mock::start().await;
    for fault in [
        json!({"kind": "explode"}),
        json!({"kind": "status"}),
        json!({"kind": "delay"}),
        json!({"kind": "drop", "pathh": "/v2"}),
    ] {
        let reply = mock
            .control(Method::POST, "/_mock/faults", Some(fault))
            .await;
        assert_eq!(reply.status, 400, "{}", reply.body);
    }
    let reply = mock
        .control(
            Method::PATCH,
            "/_mock/settings",
            Some(json!({"unknown": 1})),
        )
        .await;
    assert_eq!(reply.status, 400);
    let fault = mock.fault(json!({"kind": "not_found"})).await;
    let path = format!("/_mock/faults/{}", fault["id"].as_str().unwrap());
    mock.control(Method::DELETE, &path, None).await.expect(204);
    mock.control(Method::DELETE, &path, None).await.expect(404);
    mock.get("/v2/databases").await.expect(200);
}

#[tokio::test]
async fn request_log_records_v2_requests_only() {
    let mock = Mock::start().await;
    mock.post("/v2/databases", small_pg("logged"))
        .await
        .expect(201);
    mock.get("/v2/databases?tag_name=x").await.expect(200);
    mock.control(Method::GET, "/_mock/settings", None)
        .await
        .expect(200);
    let log = mock.requests().await;
    assert_eq!(log.len(), 2, "controls are not logged: {log:?}");
    assert_eq!(log[0]["seq"], 1);
    assert_eq!(log[0]["method"], "POST");
    assert_eq!(log[0]["path"], "/v2/databases");
    assert_eq!(log[0]["status"], 201);
    assert_eq!(log[0]["body"]["name"], "logged");
    assert!(log[0]["at_ms"].as_u64().unwrap() > 0);
    assert_eq!(log[1]["query"], "tag_name=x");
    assert_eq!(log[1]["body"], Value::Null);
    mock.control(Method::DELETE, "/_mock/requests", None)
        .await
        .expect(204);
    assert!(mock.requests().await.is_empty());
}

#[tokio::test]
async fn reset_forgets_everything_and_restores_settings() {
    let mock = Mock::start().await;
    let initial = mock
        .control(Method::GET, "/_mock/settings", None)
        .await
        .body;
    assert_eq!(initial["provision_delay_ms"], 200);
    assert_eq!(initial["rate_limit_per_hour"], Value::Null);
    mock.create_cluster(small_pg("doomed")).await;
    mock.settings(json!({"provision_delay_ms": 5})).await;
    mock.fault(json!({"kind": "delay", "delay_ms": 1, "path": "/v2/tags"}))
        .await;
    mock.control(Method::POST, "/_mock/reset", None)
        .await
        .expect(204);
    assert_eq!(
        mock.control(Method::GET, "/_mock/settings", None)
            .await
            .body,
        initial
    );
    assert_eq!(
        mock.control(Method::GET, "/_mock/faults", None).await.body["faults"],
        json!([])
    );
    assert!(mock.requests().await.is_empty());
    assert_eq!(mock.get("/v2/databases").await.body["databases"], json!([]));
}

#[tokio::test]
async fn state_shows_clusters_with_their_children_and_secrets() {
    let mock = Mock::start().await;
    let cluster = mock.online_cluster("stateful", "pg").await;
    let id = cluster["id"].as_str().unwrap();
    mock.post(&format!("/v2/databases/{id}/pools"), json!({"name": "app-pool", "mode": "transaction", "size": 5, "db": "defaultdb", "user": "doadmin"}))
        .await
        .expect(201);
    mock.put(
        &format!("/v2/databases/{id}/firewall"),
        json!({"rules": [{"type": "ip_addr", "value": "10.0.0.1"}]}),
    )
    .await
    .expect(204);
    let state = mock
        .control(Method::GET, "/_mock/state", None)
        .await
        .expect(200)
        .body;
    let entry = &state["clusters"][0];
    assert_eq!(entry["database"]["id"], id);
    assert_eq!(
        entry["database"]["connection"]["password"],
        cluster["connection"]["password"]
    );
    assert_eq!(entry["pools"][0]["name"], "app-pool");
    assert_eq!(entry["firewall_rules"][0]["value"], "10.0.0.1");
    assert!(entry["config"].is_object());
    assert_eq!(state["overlapping_mutations"], 0);
}

#[tokio::test]
async fn overlapping_mutations_of_a_cluster_are_counted_and_can_be_refused() {
    let mock = Mock::start().await;
    let id = mock.online_cluster("busy", "pg").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    mock.fault(json!({"method": "PUT", "path": "/v2/databases/*/maintenance", "count": 1, "kind": "delay", "delay_ms": 3000})).await;
    let slow_path = format!("/v2/databases/{id}/maintenance");
    let slow = mock.put(&slow_path, json!({"day": "monday", "hour": "01:00"}));
    let fast = async {
        // Wait until the slow request is in flight (it is logged only when done, so poll the
        // faults list for its hit instead).
        poll(|| async {
            let faults = mock.control(Method::GET, "/_mock/faults", None).await.body;
            (faults["faults"][0]["hits"] == 1).then_some(())
        })
        .await
        .expect("the slow request arrives");
        mock.settings(json!({"reject_concurrent_mutations": true}))
            .await;
        mock.put(
            &format!("/v2/databases/{id}/firewall"),
            json!({"rules": []}),
        )
        .await
    };
    let (slow, fast) = tokio::join!(slow, fast);
    slow.expect(204);
    assert_error(&fast, 412, "precondition_failed");
    let state = mock.control(Method::GET, "/_mock/state", None).await.body;
    assert_eq!(state["overlapping_mutations"], 1);
    mock.put(
        &format!("/v2/databases/{id}/firewall"),
        json!({"rules": []}),
    )
    .await
    .expect(204);
}

/// A deliberately wrong object must fail the schemas, or the checks above prove nothing.
#[tokio::test]
async fn schemas_reject_drift() {
    let mock = Mock::start().await;
    let cluster = mock.create_cluster(small_pg("drifty")).await;
    let checks: Vec<(&str, Value)> = vec![
        (
            "cluster",
            json!({"database": {"invented_field": true, "name": "x", "engine": "pg", "num_nodes": 1, "size": "s", "region": "r"}}),
        ),
        (
            "cluster",
            json!({"database": {"name": "x", "engine": "pg", "num_nodes": "one", "size": "s", "region": "r"}}),
        ),
        (
            "cluster",
            json!({"database": {"name": "x", "engine": "pg", "num_nodes": 1, "size": "s", "region": "r", "status": "deleting"}}),
        ),
        ("cluster", {
            let mut c = cluster.clone();
            c["created_at"] = json!("yesterday");
            json!({"database": c})
        }),
        ("error", json!({"id": "not_found"})),
    ];
    for (schema, instance) in checks {
        let outcome = std::panic::catch_unwind(|| assert_valid(schema, &instance));
        assert!(outcome.is_err(), "schema {schema} accepted {instance}");
    }
}
