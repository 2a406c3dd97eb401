//! The emulator's cluster endpoints, checked against the API's JSON Schemas
//! (`schemas/api/*.json`) and the contract's lifecycles and validation rules.

mod mock_support;

use mock_support::{assert_error, assert_valid, Mock};
use reqwest::Method;
use serde_json::{json, Value};

fn pg(name: &str) -> Value {
    json!({"name": name, "engine": "pg", "version": "16", "region": "nyc3", "size": "db-s-2vcpu-4gb", "num_nodes": 2, "tags": ["production"]})
}

#[tokio::test]
async fn options_cover_every_engine_and_match_the_schema() {
    let mock = Mock::start().await;
    let reply = mock.get("/v2/databases/options").await.expect(200);
    assert_valid("options", &reply.body);
    for engine in [
        "pg",
        "mysql",
        "redis",
        "valkey",
        "mongodb",
        "kafka",
        "opensearch",
    ] {
        let options = &reply.body["options"][engine];
        assert!(
            !options["regions"].as_array().unwrap().is_empty(),
            "{engine}"
        );
        assert!(
            !options["versions"].as_array().unwrap().is_empty(),
            "{engine}"
        );
        assert!(
            !options["layouts"][0]["sizes"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{engine}"
        );
        let availability = reply.body["version_availability"][engine]
            .as_array()
            .unwrap();
        assert!(
            availability.iter().all(|v| v.get("end_of_life").is_some()),
            "{engine}"
        );
    }
}

#[tokio::test]
async fn create_get_list_and_delete_follow_the_contract() {
    let mock = Mock::start().await;
    let created = mock.create_cluster(pg("backend")).await;
    assert_eq!(created["status"], "creating");
    assert_eq!(created["version"], "16");
    assert!(created["semantic_version"]
        .as_str()
        .unwrap()
        .starts_with("16."));
    assert_eq!(created["tags"], json!(["production"]));
    assert_eq!(created["db_names"], json!(["defaultdb"]));
    let id = created["id"].as_str().unwrap().to_string();

    let connection = &created["connection"];
    let host = connection["host"].as_str().unwrap();
    assert!(
        host.starts_with("backend-do-user-") && host.ends_with(".db.ondigitalocean.com"),
        "{host}"
    );
    assert_eq!(connection["port"], 25060);
    assert_eq!(connection["user"], "doadmin");
    let password = connection["password"].as_str().unwrap();
    assert!(!password.is_empty());
    assert!(connection["uri"]
        .as_str()
        .unwrap()
        .contains(&format!("doadmin:{password}@{host}")));
    assert_eq!(
        created["private_connection"]["host"],
        format!("private-{host}")
    );
    assert!(created["standby_connection"]["host"]
        .as_str()
        .unwrap()
        .starts_with("replica-"));
    assert_eq!(created["users"][0]["role"], "primary");
    assert_eq!(created["metrics_endpoints"].as_array().unwrap().len(), 2);
    assert!(!created["private_network_uuid"].as_str().unwrap().is_empty());

    let fetched = mock.get(&format!("/v2/databases/{id}")).await.expect(200);
    assert_valid("cluster", &fetched.body);
    assert_eq!(
        fetched.body["database"]["connection"]["password"], password,
        "GET includes the password, as in the contract"
    );

    let listed = mock.get("/v2/databases").await.expect(200);
    assert_valid("cluster_list", &listed.body);
    assert_eq!(listed.body["databases"].as_array().unwrap().len(), 1);

    let online = mock.wait_for_status(&id, "online").await;
    assert_eq!(online["size"], "db-s-2vcpu-4gb");

    mock.delete(&format!("/v2/databases/{id}"))
        .await
        .expect(204);
    let gone = mock.get(&format!("/v2/databases/{id}")).await;
    assert_error(&gone, 404, "not_found");
    assert_error(
        &mock.delete(&format!("/v2/databases/{id}")).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn every_engine_gets_realistic_connection_details() {
    let mock = Mock::start().await;
    let cases = [
        ("pg", "db-s-1vcpu-1gb", 1, 25060, "postgres://"),
        ("mysql", "db-s-1vcpu-1gb", 1, 25060, "mysql://"),
        ("valkey", "db-s-1vcpu-1gb", 1, 25061, "rediss://"),
        ("mongodb", "db-s-1vcpu-1gb", 1, 27017, "mongodb+srv://"),
        ("kafka", "gd-2vcpu-8gb", 3, 25073, ""),
        ("opensearch", "db-s-1vcpu-2gb", 1, 25060, "https://"),
    ];
    for (engine, size, nodes, port, scheme) in cases {
        let name = format!("{engine}-cluster");
        let cluster = mock
            .create_cluster(json!({"name": name, "engine": engine, "region": "fra1", "size": size, "num_nodes": nodes}))
            .await;
        let options = mock.get("/v2/databases/options").await.body;
        assert_eq!(
            cluster["version"], options["options"][engine]["default_version"],
            "{engine}: default version"
        );
        assert_eq!(cluster["connection"]["port"], port, "{engine}");
        assert!(
            cluster["connection"]["uri"]
                .as_str()
                .unwrap()
                .starts_with(scheme),
            "{engine}"
        );
        assert_eq!(
            cluster["ui_connection"].is_object(),
            engine == "opensearch",
            "{engine}"
        );
        if engine == "opensearch" {
            assert_eq!(cluster["ui_connection"]["port"], 443);
        }
        let user = if matches!(engine, "redis" | "valkey") {
            "default"
        } else {
            "doadmin"
        };
        assert_eq!(cluster["connection"]["user"], user, "{engine}");
    }
    let listed = mock.get("/v2/databases").await.expect(200);
    assert_valid("cluster_list", &listed.body);
    assert_eq!(
        listed.body["databases"].as_array().unwrap().len(),
        cases.len()
    );
}

#[tokio::test]
async fn create_validation_names_the_field_and_allowed_values() {
    let mock = Mock::start().await;
    let base = json!({"name": "alpha", "engine": "pg", "region": "nyc3", "size": "db-s-1vcpu-1gb", "num_nodes": 1});
    let cases = [
        (json!({"engine": "oracle"}), "engine", "pg"),
        (json!({"version": "14.5"}), "version", "17"),
        (json!({"region": "mars1"}), "region", "nyc3"),
        (json!({"num_nodes": 4}), "num_nodes", "3"),
        (json!({"size": "db-s-64vcpu-1tb"}), "size", "db-s-1vcpu-2gb"),
        (
            json!({"storage_size_mib": 1024}),
            "storage_size_mib",
            "10240",
        ),
        (json!({"name": "Not_Valid"}), "name", "lowercase"),
        (json!({"tags": ["has space"]}), "tags[0]", "tag"),
        (
            json!({"rules": [{"type": "vpc", "value": "x"}]}),
            "rules[0].type",
            "ip_addr",
        ),
        (
            json!({"private_network_uuid": "vpc-1"}),
            "private_network_uuid",
            "UUID",
        ),
        (
            json!({"autoscale": {"storage": {"enabled": true, "increment_gib": 1}}}),
            "increment_gib",
            "10",
        ),
    ];
    for (patch, field, allowed) in cases {
        let mut body = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = mock.post("/v2/databases", body).await;
        assert_error(&reply, 422, "unprocessable_entity");
        let message = reply.body["message"].as_str().unwrap();
        assert!(
            message.contains(field) && message.contains(allowed),
            "{field}: {message}"
        );
    }
    let missing = mock
        .post("/v2/databases", json!({"name": "alpha", "engine": "pg"}))
        .await;
    assert_error(&missing, 422, "unprocessable_entity");
    assert!(missing.body["message"].as_str().unwrap().contains("region"));

    let unparsable = mock
        .http
        .post(format!("{}/v2/databases", mock.url))
        .bearer_auth(mock_support::TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(unparsable.status(), 400);

    mock.create_cluster(base.clone()).await;
    let duplicate = mock.post("/v2/databases", base).await;
    assert_error(&duplicate, 422, "unprocessable_entity");
    assert!(duplicate.body["message"]
        .as_str()
        .unwrap()
        .contains("alpha"));
    assert_eq!(
        mock.get("/v2/databases").await.body["databases"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn resize_and_migrate_go_through_their_transitions() {
    let mock = Mock::start().await;
    let cluster = mock.online_cluster("resizable", "pg").await;
    let id = cluster["id"].as_str().unwrap();
    let path = format!("/v2/databases/{id}/resize");

    let shrink = mock
        .put(
            &path,
            json!({"size": "db-s-1vcpu-2gb", "num_nodes": 1, "storage_size_mib": 1024}),
        )
        .await;
    assert_error(&shrink, 422, "unprocessable_entity");

    mock.settings(json!({"transition_delay_ms": 60_000})).await;
    mock.put(&path, json!({"size": "db-s-2vcpu-4gb", "num_nodes": 2}))
        .await
        .expect(202);
    let resizing = mock.get(&format!("/v2/databases/{id}")).await.expect(200);
    assert_eq!(resizing.body["database"]["status"], "resizing");
    assert_valid("cluster", &resizing.body);
    let busy = mock
        .put(
            &format!("/v2/databases/{id}/migrate"),
            json!({"region": "ams3"}),
        )
        .await;
    assert_error(&busy, 412, "precondition_failed");

    mock.settings(json!({"transition_delay_ms": 50})).await;
    let resized = mock.wait_for_status(id, "online").await;
    assert_eq!(resized["size"], "db-s-2vcpu-4gb");
    assert_eq!(resized["num_nodes"], 2);
    assert_eq!(
        resized["storage_size_mib"], 61440,
        "storage grows to the new size's base"
    );

    let before_vpc = resized["private_network_uuid"].clone();
    mock.put(
        &format!("/v2/databases/{id}/migrate"),
        json!({"region": "ams3"}),
    )
    .await
    .expect(202);
    // The region changes when the migration completes, together with the status.
    let migrated = mock.wait_for_status(id, "online").await;
    assert_eq!(migrated["region"], "ams3");
    assert_ne!(
        migrated["private_network_uuid"], before_vpc,
        "a migrated cluster moves to the new region's VPC"
    );
    let bad_region = mock
        .put(
            &format!("/v2/databases/{id}/migrate"),
            json!({"region": "mars1"}),
        )
        .await;
    assert_error(&bad_region, 422, "unprocessable_entity");
}

#[tokio::test]
async fn upgrades_only_go_up() {
    let mock = Mock::start().await;
    let cluster = mock
        .create_cluster(json!({"name": "upgradable", "engine": "pg", "version": "14", "region": "nyc3", "size": "db-s-1vcpu-1gb", "num_nodes": 1}))
        .await;
    let id = cluster["id"].as_str().unwrap();
    mock.wait_for_status(id, "online").await;
    let path = format!("/v2/databases/{id}/upgrade");
    mock.put(&path, json!({"version": "16"})).await.expect(204);
    let upgraded = mock.get(&format!("/v2/databases/{id}")).await.body;
    assert_eq!(upgraded["database"]["version"], "16");
    assert_error(
        &mock.put(&path, json!({"version": "15"})).await,
        422,
        "unprocessable_entity",
    );
    assert_error(
        &mock.put(&path, json!({"version": "16"})).await,
        422,
        "unprocessable_entity",
    );
    assert_error(
        &mock.put(&path, json!({"version": "99"})).await,
        422,
        "unprocessable_entity",
    );
}

#[tokio::test]
async fn maintenance_window_is_reflected_and_validated() {
    let mock = Mock::start().await;
    let cluster = mock.create_cluster(pg("maintained")).await;
    let id = cluster["id"].as_str().unwrap();
    let path = format!("/v2/databases/{id}/maintenance");
    mock.put(&path, json!({"day": "Tuesday", "hour": "14:00"}))
        .await
        .expect(204);
    let window = mock.get(&format!("/v2/databases/{id}")).await.body["database"]
        ["maintenance_window"]
        .clone();
    assert_eq!(window["day"], "tuesday");
    assert_eq!(window["hour"], "14:00:00");
    assert_error(
        &mock
            .put(&path, json!({"day": "someday", "hour": "14:00"}))
            .await,
        422,
        "unprocessable_entity",
    );
    assert_error(
        &mock
            .put(&path, json!({"day": "monday", "hour": "25:00"}))
            .await,
        422,
        "unprocessable_entity",
    );
    assert_error(
        &mock.put(&path, json!({"day": "monday"})).await,
        422,
        "unprocessable_entity",
    );
    mock.put(&format!("/v2/databases/{id}/install_update"), json!({}))
        .await
        .expect(204);
}

#[tokio::test]
async fn eviction_policy_and_sql_mode_belong_to_their_engines() {
    let mock = Mock::start().await;
    // Caching (`redis`) clusters can no longer be created: tests/mock_contract_ops.rs covers
    // the eviction policy of one loaded from a state file.
    {
        let cluster = mock.create_cluster(json!({"name": "valkey-cache", "engine": "valkey", "region": "nyc3", "size": "db-s-1vcpu-1gb", "num_nodes": 1})).await;
        let path = format!(
            "/v2/databases/{}/eviction_policy",
            cluster["id"].as_str().unwrap()
        );
        let initial = mock.get(&path).await.expect(200);
        assert_valid("eviction_policy", &initial.body);
        mock.put(&path, json!({"eviction_policy": "allkeys_lru"}))
            .await
            .expect(204);
        assert_eq!(mock.get(&path).await.body["eviction_policy"], "allkeys_lru");
        assert_error(
            &mock.put(&path, json!({"eviction_policy": "lru"})).await,
            422,
            "unprocessable_entity",
        );
    }
    let mysql = mock.create_cluster(json!({"name": "shop", "engine": "mysql", "region": "nyc3", "size": "db-s-1vcpu-1gb", "num_nodes": 1})).await;
    let path = format!("/v2/databases/{}/sql_mode", mysql["id"].as_str().unwrap());
    let initial = mock.get(&path).await.expect(200);
    assert_valid("sql_mode", &initial.body);
    let modes = "ANSI,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";
    mock.put(&path, json!({"sql_mode": modes}))
        .await
        .expect(204);
    assert_eq!(mock.get(&path).await.body["sql_mode"], modes);
    assert_error(
        &mock
            .put(&path, json!({"sql_mode": "ANSI,NOT_A_MODE"}))
            .await,
        422,
        "unprocessable_entity",
    );

    let pg = mock.create_cluster(pg("relational")).await;
    let pg_id = pg["id"].as_str().unwrap();
    for endpoint in ["eviction_policy", "sql_mode"] {
        let path = format!("/v2/databases/{pg_id}/{endpoint}");
        assert_error(&mock.get(&path).await, 422, "unprocessable_entity");
        let body = if endpoint == "sql_mode" {
            json!({"sql_mode": "ANSI"})
        } else {
            json!({"eviction_policy": "noeviction"})
        };
        assert_error(&mock.put(&path, body).await, 422, "unprocessable_entity");
    }
}

#[tokio::test]
async fn config_defaults_validate_and_patches_apply() {
    let mock = Mock::start().await;
    let cases = [
        (
            "pg",
            json!({"work_mem": 16, "pgbouncer": {"min_pool_size": 2}}),
            json!({"work_mem": 5000}),
        ),
        (
            "mysql",
            json!({"sql_require_primary_key": false}),
            json!({"innodb_flush_neighbors": 7}),
        ),
        (
            "valkey",
            json!({"valkey_io_threads": 2}),
            json!({"valkey_io_threads": 64}),
        ),
        ("mongodb", json!({"verbosity": 2}), json!({"verbosity": 9})),
        (
            "kafka",
            json!({"auto_create_topics_enable": true}),
            json!({"log_cleanup_policy": "forever"}),
        ),
        (
            "opensearch",
            json!({"ism_enabled": false}),
            json!({"not_a_setting": 1}),
        ),
    ];
    for (engine, good, bad) in cases {
        let cluster = mock
            .online_cluster(&format!("{engine}-configured"), engine)
            .await;
        let path = format!("/v2/databases/{}/config", cluster["id"].as_str().unwrap());
        let defaults = mock.get(&path).await.expect(200);
        assert_valid("config", &defaults.body);
        let patched = mock.patch(&path, json!({"config": good})).await.expect(200);
        assert_eq!(
            patched.body,
            Value::Null,
            "PATCH config answers 200 without a body"
        );
        let after = mock.get(&path).await.expect(200);
        assert_valid("config", &after.body);
        for (key, value) in good.as_object().unwrap() {
            match value {
                Value::Object(nested) => {
                    for (k, v) in nested {
                        assert_eq!(&after.body["config"][key][k], v, "{engine}.{key}.{k}");
                    }
                }
                _ => assert_eq!(&after.body["config"][key], value, "{engine}.{key}"),
            }
        }
        let rejected = mock.patch(&path, json!({"config": bad})).await;
        assert_error(&rejected, 422, "unprocessable_entity");
        let key = bad.as_object().unwrap().keys().next().unwrap();
        assert!(
            rejected.body["message"]
                .as_str()
                .unwrap()
                .contains(key.as_str()),
            "{engine}: {}",
            rejected.body
        );
    }
}

#[tokio::test]
async fn ca_autoscale_and_do_settings() {
    let mock = Mock::start().await;
    let cluster = mock.create_cluster(pg("secured")).await;
    let id = cluster["id"].as_str().unwrap();

    let ca = mock
        .get(&format!("/v2/databases/{id}/ca"))
        .await
        .expect(200);
    assert_valid("ca", &ca.body);
    use base64::Engine as _;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(ca.body["ca"]["certificate"].as_str().unwrap())
        .expect("the certificate is base64");
    assert!(String::from_utf8(pem)
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));

    let path = format!("/v2/databases/{id}/autoscale");
    let initial = mock.get(&path).await.expect(200);
    assert_valid("autoscale", &initial.body);
    assert_eq!(initial.body["autoscale"]["storage"]["enabled"], false);
    let wanted =
        json!({"storage": {"enabled": true, "threshold_percent": 80, "increment_gib": 10}});
    mock.put(&path, wanted.clone()).await.expect(204);
    assert_eq!(mock.get(&path).await.body["autoscale"], wanted);
    let bad = mock
        .put(
            &path,
            json!({"storage": {"enabled": true, "threshold_percent": 99}}),
        )
        .await;
    assert_error(&bad, 422, "unprocessable_entity");

    let path = format!("/v2/databases/{id}/do_settings");
    mock.put(
        &path,
        json!({"do_settings": {"service_cnames": ["db.example.com"]}}),
    )
    .await
    .expect(204);
    let settings = mock.get(&path).await.expect(200);
    assert_valid("do_settings", &settings.body);
    assert_eq!(
        settings.body["do_settings"]["service_cnames"],
        json!(["db.example.com"])
    );
    let shown = mock.get(&format!("/v2/databases/{id}")).await;
    assert_valid("cluster", &shown.body);
    assert_eq!(
        shown.body["database"]["do_settings"]["service_cnames"],
        json!(["db.example.com"])
    );
    let invalid = mock
        .put(
            &path,
            json!({"do_settings": {"service_cnames": ["not a host"]}}),
        )
        .await;
    assert_error(&invalid, 422, "unprocessable_entity");
}

#[tokio::test]
async fn restore_from_backup_forks_then_comes_online() {
    let mock = Mock::start().await;
    let source = mock.online_cluster("source-db", "pg").await;
    mock.post(
        &format!("/v2/databases/{}/dbs", source["id"].as_str().unwrap()),
        json!({"name": "orders"}),
    )
    .await
    .expect(201);
    let restored = mock
        .create_cluster(json!({
            "name": "restored-db", "engine": "pg", "region": "nyc3", "size": "db-s-1vcpu-2gb", "num_nodes": 1,
            "backup_restore": {"database_name": "source-db", "backup_created_at": "2019-01-31T19:25:22Z"}
        }))
        .await;
    assert_eq!(restored["status"], "forking");
    assert!(restored["db_names"]
        .as_array()
        .unwrap()
        .contains(&json!("orders")));
    mock.wait_for_status(restored["id"].as_str().unwrap(), "online")
        .await;
    let missing = mock
        .post("/v2/databases", json!({"name": "orphan-db", "engine": "pg", "region": "nyc3", "size": "db-s-1vcpu-2gb", "num_nodes": 1, "backup_restore": {"database_name": "nope"}}))
        .await;
    assert_error(&missing, 422, "unprocessable_entity");
}

#[tokio::test]
async fn tags_api_tags_clusters_and_filters_the_list() {
    let mock = Mock::start().await;
    let tagged = mock.create_cluster(pg("tagged")).await;
    let plain = mock
        .create_cluster(json!({"name": "plain", "engine": "valkey", "region": "nyc3", "size": "db-s-1vcpu-1gb", "num_nodes": 1}))
        .await;
    assert_eq!(
        plain["tags"],
        Value::Null,
        "an untagged cluster has null tags"
    );
    let plain_id = plain["id"].as_str().unwrap();

    let filtered = mock
        .get("/v2/databases?tag_name=production")
        .await
        .expect(200);
    assert_valid("cluster_list", &filtered.body);
    let names: Vec<&str> = filtered.body["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["tagged"]);

    let created = mock
        .post("/v2/tags", json!({"name": "cache"}))
        .await
        .expect(201);
    assert_eq!(created.body["tag"]["name"], "cache");
    let resources = json!({"resources": [{"resource_id": plain_id, "resource_type": "database"}]});
    mock.post("/v2/tags/cache/resources", resources.clone())
        .await
        .expect(204);
    let plain_now = mock.get(&format!("/v2/databases/{plain_id}")).await.body;
    assert_eq!(plain_now["database"]["tags"], json!(["cache"]));
    let filtered = mock.get("/v2/databases?tag_name=cache").await.body;
    assert_eq!(filtered["databases"][0]["id"], plain_id);
    assert_eq!(
        mock.get("/v2/tags/cache").await.expect(200).body["tag"]["resources"]["count"],
        1
    );

    mock.call(
        Method::DELETE,
        "/v2/tags/cache/resources",
        Some(resources.clone()),
    )
    .await
    .expect(204);
    assert_eq!(
        mock.get("/v2/databases?tag_name=cache").await.body["databases"],
        json!([])
    );

    assert_error(
        &mock.post("/v2/tags/unknown/resources", resources).await,
        404,
        "not_found",
    );
    let wrong_type = mock
        .post(
            "/v2/tags/cache/resources",
            json!({"resources": [{"resource_id": "1", "resource_type": "droplet"}]}),
        )
        .await;
    assert_error(&wrong_type, 422, "unprocessable_entity");
    let missing_cluster = mock
        .post("/v2/tags/cache/resources", json!({"resources": [{"resource_id": "00000000-0000-4000-8000-000000000000", "resource_type": "database"}]}))
        .await;
    assert_error(&missing_cluster, 404, "not_found");

    mock.delete("/v2/tags/production").await.expect(204);
    let untagged = mock
        .get(&format!("/v2/databases/{}", tagged["id"].as_str().unwrap()))
        .await
        .body;
    assert_eq!(untagged["database"]["tags"], Value::Null);
}
