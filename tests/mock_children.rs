//! What hangs off a cluster: connection pools, Kafka topics, firewall rules, users and dbs,
//! checked against the API's JSON Schemas and the contract's rules.

mod mock_support;

use mock_support::{assert_error, assert_valid, poll, Mock};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn pools_need_postgres_an_existing_db_and_user_and_a_connection_budget() {
    let mock = Mock::start().await;
    let cluster = mock.online_cluster("pooled", "pg").await;
    let id = cluster["id"].as_str().unwrap();
    let pools = format!("/v2/databases/{id}/pools");

    let created = mock
        .post(&pools, json!({"name": "backend-pool", "mode": "transaction", "size": 10, "db": "defaultdb", "user": "doadmin"}))
        .await
        .expect(201);
    assert_valid("pool", &created.body);
    let pool = &created.body["pool"];
    assert_eq!(pool["connection"]["port"], 25061);
    assert_eq!(pool["connection"]["database"], "backend-pool");
    assert_eq!(pool["connection"]["user"], "doadmin");
    assert_eq!(
        pool["connection"]["password"],
        cluster["connection"]["password"]
    );
    assert!(pool["connection"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("/backend-pool?sslmode=require"));
    assert!(pool["private_connection"]["host"]
        .as_str()
        .unwrap()
        .starts_with("private-"));

    mock.post(
        &format!("/v2/databases/{id}/dbs"),
        json!({"name": "reports"}),
    )
    .await
    .expect(201);
    let user = mock
        .post(
            &format!("/v2/databases/{id}/users"),
            json!({"name": "reporter"}),
        )
        .await
        .expect(201);
    let second = mock
        .post(&pools, json!({"name": "reporting-pool", "mode": "session", "size": 5, "db": "reports", "user": "reporter"}))
        .await
        .expect(201);
    assert_eq!(
        second.body["pool"]["connection"]["password"],
        user.body["user"]["password"]
    );
    let inbound = mock
        .post(
            &pools,
            json!({"name": "inbound-pool", "mode": "statement", "size": 2, "db": "defaultdb"}),
        )
        .await
        .expect(201);
    assert!(
        inbound.body["pool"].get("user").is_none(),
        "a pool without user uses the inbound user"
    );

    let listed = mock.get(&pools).await.expect(200);
    assert_valid("pool_list", &listed.body);
    assert_eq!(listed.body["pools"].as_array().unwrap().len(), 3);

    let one = format!("{pools}/backend-pool");
    mock.put(
        &one,
        json!({"mode": "session", "size": 12, "db": "reports", "user": "reporter"}),
    )
    .await
    .expect(204);
    let updated = mock.get(&one).await.expect(200);
    assert_valid("pool", &updated.body);
    assert_eq!(updated.body["pool"]["mode"], "session");
    assert_eq!(updated.body["pool"]["size"], 12);
    assert_eq!(updated.body["pool"]["db"], "reports");

    for (body, field) in [
        (
            json!({"name": "backend-pool", "mode": "session", "size": 1, "db": "defaultdb"}),
            "not available",
        ),
        (
            json!({"name": "p1", "mode": "session", "size": 1, "db": "defaultdb"}),
            "name",
        ),
        (
            json!({"name": "bad-mode", "mode": "pooling", "size": 1, "db": "defaultdb"}),
            "mode",
        ),
        (
            json!({"name": "no-db", "mode": "session", "size": 1, "db": "missing"}),
            "db",
        ),
        (
            json!({"name": "no-user", "mode": "session", "size": 1, "db": "defaultdb", "user": "ghost"}),
            "user",
        ),
        (
            json!({"name": "too-big", "mode": "session", "size": 1000, "db": "defaultdb"}),
            "size",
        ),
    ] {
        let reply = mock.post(&pools, body).await;
        assert_error(&reply, 422, "unprocessable_entity");
        assert!(
            reply.body["message"].as_str().unwrap().contains(field),
            "{field}: {}",
            reply.body
        );
    }
    let in_use = mock
        .delete(&format!("/v2/databases/{id}/users/reporter"))
        .await;
    assert_error(&in_use, 422, "unprocessable_entity");
    let db_in_use = mock
        .delete(&format!("/v2/databases/{id}/dbs/reports"))
        .await;
    assert_error(&db_in_use, 422, "unprocessable_entity");

    mock.delete(&one).await.expect(204);
    assert_error(&mock.get(&one).await, 404, "not_found");
    assert_error(&mock.delete(&one).await, 404, "not_found");
    assert_error(
        &mock.get(&format!("{pools}/never-existed")).await,
        404,
        "not_found",
    );

    let mysql = mock.online_cluster("not-pooled", "mysql").await;
    let reply = mock
        .get(&format!(
            "/v2/databases/{}/pools",
            mysql["id"].as_str().unwrap()
        ))
        .await;
    assert_error(&reply, 422, "unprocessable_entity");
    assert!(reply.body["message"]
        .as_str()
        .unwrap()
        .contains("not supported"));
}

#[tokio::test]
async fn children_wait_for_the_cluster_to_be_provisioned() {
    let mock = Mock::start().await;
    mock.settings(json!({"provision_delay_ms": 600_000})).await;
    let cluster = mock
        .create_cluster(json!({"name": "young", "engine": "pg", "region": "nyc3", "size": "db-s-1vcpu-2gb", "num_nodes": 1}))
        .await;
    let id = cluster["id"].as_str().unwrap();
    let early = mock
        .post(
            &format!("/v2/databases/{id}/pools"),
            json!({"name": "early-pool", "mode": "session", "size": 1, "db": "defaultdb"}),
        )
        .await;
    assert_error(&early, 412, "precondition_failed");
    mock.settings(json!({"provision_delay_ms": 0})).await;
    mock.wait_for_status(id, "online").await;
    mock.post(
        &format!("/v2/databases/{id}/pools"),
        json!({"name": "early-pool", "mode": "session", "size": 1, "db": "defaultdb"}),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn topics_configure_then_become_active() {
    let mock = Mock::start().await;
    let kafka = mock.online_cluster("stream", "kafka").await;
    let id = kafka["id"].as_str().unwrap();
    let topics = format!("/v2/databases/{id}/topics");

    mock.settings(json!({"transition_delay_ms": 600_000})).await;
    let created = mock
        .post(&topics, json!({"name": "customer-events", "partition_count": 3, "replication_factor": 2, "config": {"retention_ms": 100000, "cleanup_policy": "compact"}}))
        .await
        .expect(201);
    assert_valid("topic", &created.body);
    let topic = &created.body["topic"];
    assert_eq!(topic["state"], "configuring");
    assert_eq!(topic["partitions"].as_array().unwrap().len(), 3);
    assert_eq!(topic["config"]["retention_ms"], 100000);
    assert_eq!(topic["config"]["cleanup_policy"], "compact");
    assert_eq!(
        topic["config"]["segment_ms"], 604800000,
        "unset settings carry the server default"
    );
    assert_eq!(topic["config"]["flush_messages"], json!(i64::MAX));

    let listed = mock.get(&topics).await.expect(200);
    assert_valid("topic_list", &listed.body);
    assert_eq!(listed.body["topics"][0]["partition_count"], 3);
    assert_eq!(listed.body["topics"][0]["state"], "configuring");

    mock.settings(json!({"transition_delay_ms": 0})).await;
    let one = format!("{topics}/customer-events");
    let active = poll(|| async {
        let reply = mock.get(&one).await.expect(200);
        (reply.body["topic"]["state"] == "active").then_some(reply.body)
    })
    .await
    .expect("the topic becomes active");
    assert_valid("topic", &active);

    let updated = mock
        .put(
            &one,
            json!({"partition_count": 5, "config": {"retention_bytes": 1048576}}),
        )
        .await
        .expect(200);
    assert_valid("topic", &updated.body);
    assert_eq!(
        updated.body["topic"]["partitions"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(updated.body["topic"]["config"]["retention_bytes"], 1048576);
    assert_eq!(
        updated.body["topic"]["config"]["retention_ms"], 100000,
        "unchanged settings stay"
    );

    for (path, body, field) in [
        (
            one.as_str(),
            json!({"partition_count": 2}),
            "partition_count",
        ),
        (
            topics.as_str(),
            json!({"name": "customer-events"}),
            "not available",
        ),
        (topics.as_str(), json!({"name": "bad name"}), "name"),
        (
            topics.as_str(),
            json!({"name": "rf", "replication_factor": 9}),
            "replication_factor",
        ),
        (
            topics.as_str(),
            json!({"name": "cfg", "config": {"cleanup_policy": "never"}}),
            "config.cleanup_policy",
        ),
        (
            topics.as_str(),
            json!({"name": "camel", "config": {"retentionMS": 1}}),
            "retentionMS",
        ),
    ] {
        let method = if path == one {
            Method::PUT
        } else {
            Method::POST
        };
        let reply = mock.call(method, path, Some(body)).await;
        assert_error(&reply, 422, "unprocessable_entity");
        assert!(
            reply.body["message"].as_str().unwrap().contains(field),
            "{field}: {}",
            reply.body
        );
    }

    mock.delete(&one).await.expect(204);
    assert_error(&mock.get(&one).await, 404, "not_found");

    let pg = mock.online_cluster("no-topics", "pg").await;
    let reply = mock
        .post(
            &format!("/v2/databases/{}/topics", pg["id"].as_str().unwrap()),
            json!({"name": "x"}),
        )
        .await;
    assert_error(&reply, 422, "unprocessable_entity");
}

#[tokio::test]
async fn never_online_faults_keep_topics_configuring() {
    let mock = Mock::start().await;
    let kafka = mock.online_cluster("stuck-stream", "kafka").await;
    let topics = format!("/v2/databases/{}/topics", kafka["id"].as_str().unwrap());
    mock.settings(json!({"transition_delay_ms": 0})).await;
    mock.fault(json!({"method": "POST", "path": "/v2/databases/*/topics", "count": 1, "kind": "never_online"})).await;
    mock.post(&topics, json!({"name": "stuck"}))
        .await
        .expect(201);
    mock.post(&topics, json!({"name": "fine"}))
        .await
        .expect(201);
    poll(|| async {
        let reply = mock.get(&format!("{topics}/fine")).await;
        (reply.body["topic"]["state"] == "active").then_some(())
    })
    .await
    .expect("the unfaulted topic becomes active");
    let stuck = mock.get(&format!("{topics}/stuck")).await.expect(200);
    assert_eq!(stuck.body["topic"]["state"], "configuring");
}

#[tokio::test]
async fn firewall_rules_are_replaced_whole_and_keep_their_identity() {
    let mock = Mock::start().await;
    let cluster = mock.online_cluster("guarded", "pg").await;
    let id = cluster["id"].as_str().unwrap();
    let path = format!("/v2/databases/{id}/firewall");

    let empty = mock.get(&path).await.expect(200);
    assert_valid("firewall", &empty.body);
    assert_eq!(empty.body["rules"], json!([]));

    let rules = json!({"rules": [
        {"type": "ip_addr", "value": "192.168.1.1", "description": "a development IP address"},
        {"type": "k8s", "value": "ff2a6c52-5a44-4b63-b99c-0e98e7a63d61"},
        {"type": "droplet", "value": "163973392"},
        {"type": "tag", "value": "backend"},
        {"type": "app", "value": "0b1b7b5e-2f2a-4d3e-9a8c-6f5e4d3c2b1a"}
    ]});
    mock.put(&path, rules).await.expect(204);
    let listed = mock.get(&path).await.expect(200);
    assert_valid("firewall", &listed.body);
    let first = listed.body["rules"].as_array().unwrap().clone();
    assert_eq!(first.len(), 5);
    assert!(first
        .iter()
        .all(|r| r["cluster_uuid"] == id && r["uuid"].is_string() && r["created_at"].is_string()));
    assert_eq!(first[0]["description"], "a development IP address");

    let kept_uuid = first[2]["uuid"].clone();
    mock.put(
        &path,
        json!({"rules": [
            {"type": "droplet", "value": "163973392"},
            {"uuid": first[3]["uuid"], "type": "tag", "value": "frontend"},
            {"type": "ip_addr", "value": "10.0.0.0/8"}
        ]}),
    )
    .await
    .expect(204);
    let second = mock.get(&path).await.body["rules"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(second.len(), 3);
    assert_eq!(
        second[0]["uuid"], kept_uuid,
        "an unchanged rule keeps its uuid"
    );
    assert_eq!(
        second[1]["uuid"], first[3]["uuid"],
        "a rule named by uuid keeps it"
    );
    assert_eq!(second[1]["value"], "frontend");
    let shown = mock.get(&format!("/v2/databases/{id}")).await;
    assert_valid("cluster", &shown.body);
    assert_eq!(shown.body["database"]["rules"].as_array().unwrap().len(), 3);

    for (rule, field) in [
        (json!({"type": "ip_addr", "value": "2001:db8::1"}), "IPv6"),
        (json!({"type": "droplet", "value": "web-1"}), "Droplet"),
        (json!({"type": "k8s", "value": "nope"}), "UUID"),
        (json!({"type": "vpc", "value": "x"}), "ip_addr"),
        (json!({"type": "tag"}), "value"),
    ] {
        let reply = mock.put(&path, json!({"rules": [rule]})).await;
        assert_error(&reply, 422, "unprocessable_entity");
        assert!(
            reply.body["message"].as_str().unwrap().contains(field),
            "{field}: {}",
            reply.body
        );
    }
    assert_error(
        &mock.put(&path, json!({})).await,
        422,
        "unprocessable_entity",
    );

    mock.put(&path, json!({"rules": []})).await.expect(204);
    assert_eq!(mock.get(&path).await.body["rules"], json!([]));
    let missing = mock
        .get("/v2/databases/00000000-0000-4000-8000-000000000000/firewall")
        .await;
    assert_error(&missing, 404, "not_found");

    let with_rules = mock
        .create_cluster(json!({"name": "born-guarded", "engine": "pg", "region": "nyc3", "size": "db-s-1vcpu-2gb", "num_nodes": 1, "rules": [{"type": "ip_addr", "value": "10.1.1.1"}]}))
        .await;
    let rules = mock
        .get(&format!(
            "/v2/databases/{}/firewall",
            with_rules["id"].as_str().unwrap()
        ))
        .await
        .body;
    assert_eq!(rules["rules"][0]["value"], "10.1.1.1");
}

#[tokio::test]
async fn users_and_dbs() {
    let mock = Mock::start().await;
    let mysql = mock.online_cluster("accounts", "mysql").await;
    let id = mysql["id"].as_str().unwrap();
    let users = format!("/v2/databases/{id}/users");

    let listed = mock.get(&users).await.expect(200);
    assert_valid("users", &listed.body);
    assert_eq!(listed.body["users"][0]["name"], "doadmin");
    assert_eq!(listed.body["users"][0]["role"], "primary");

    let created = mock
        .post(
            &users,
            json!({"name": "app", "mysql_settings": {"auth_plugin": "mysql_native_password"}}),
        )
        .await
        .expect(201);
    assert_valid("user", &created.body);
    assert_eq!(created.body["user"]["role"], "normal");
    assert_eq!(
        created.body["user"]["mysql_settings"]["auth_plugin"],
        "mysql_native_password"
    );
    let password = created.body["user"]["password"].clone();
    let fetched = mock.get(&format!("{users}/app")).await.expect(200);
    assert_valid("user", &fetched.body);
    assert_eq!(fetched.body["user"]["password"], password);
    let cluster = mock.get(&format!("/v2/databases/{id}")).await.body;
    assert!(cluster["database"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["name"] == "app"));

    let reset = mock
        .post(
            &format!("{users}/app/reset_auth"),
            json!({"mysql_settings": {"auth_plugin": "caching_sha2_password"}}),
        )
        .await
        .expect(200);
    assert_valid("user", &reset.body);
    assert_ne!(reset.body["user"]["password"], password);
    assert_eq!(
        reset.body["user"]["mysql_settings"]["auth_plugin"],
        "caching_sha2_password"
    );

    assert_error(
        &mock.post(&users, json!({"name": "app"})).await,
        422,
        "unprocessable_entity",
    );
    assert_error(
        &mock
            .post(
                &users,
                json!({"name": "x", "mysql_settings": {"auth_plugin": "plain"}}),
            )
            .await,
        422,
        "unprocessable_entity",
    );
    assert_error(
        &mock.delete(&format!("{users}/doadmin")).await,
        422,
        "unprocessable_entity",
    );
    mock.delete(&format!("{users}/app")).await.expect(204);
    assert_error(&mock.get(&format!("{users}/app")).await, 404, "not_found");

    let dbs = format!("/v2/databases/{id}/dbs");
    let initial = mock.get(&dbs).await.expect(200);
    assert_valid("dbs", &initial.body);
    assert_eq!(initial.body["dbs"], json!([{"name": "defaultdb"}]));
    let created = mock.post(&dbs, json!({"name": "alpha"})).await.expect(201);
    assert_valid("db", &created.body);
    assert_eq!(created.body["db"]["name"], "alpha");
    assert_valid(
        "db",
        &mock.get(&format!("{dbs}/alpha")).await.expect(200).body,
    );
    assert_error(
        &mock.post(&dbs, json!({"name": "alpha"})).await,
        422,
        "unprocessable_entity",
    );
    let names: Vec<Value> = mock.get(&format!("/v2/databases/{id}")).await.body["database"]
        ["db_names"]
        .as_array()
        .unwrap()
        .clone();
    assert!(names.contains(&json!("alpha")));
    mock.delete(&format!("{dbs}/alpha")).await.expect(204);
    assert_error(&mock.get(&format!("{dbs}/alpha")).await, 404, "not_found");

    let kafka = mock.online_cluster("stream-users", "kafka").await;
    let kafka_user = mock
        .post(&format!("/v2/databases/{}/users", kafka["id"].as_str().unwrap()), json!({"name": "producer", "settings": {"acl": [{"topic": "orders.*", "permission": "produce"}]}}))
        .await
        .expect(201);
    assert_valid("user", &kafka_user.body);
    assert!(kafka_user.body["user"]["access_cert"]
        .as_str()
        .unwrap()
        .contains("BEGIN CERTIFICATE"));
    let redis = mock.online_cluster("no-dbs", "valkey").await;
    let reply = mock
        .post(
            &format!("/v2/databases/{}/dbs", redis["id"].as_str().unwrap()),
            json!({"name": "x"}),
        )
        .await;
    assert_error(&reply, 422, "unprocessable_entity");
}
