//! The ephemeral `dbaas_database_credentials` through the wire protocol against the built
//! binary and `dbaas-mock`: validation, open (the value Terraform gets), renew and close.

mod protocol_support;
mod support;

use dbaas::plugin::dynamic::Dynamic;
use protocol_support::{
    assert_no_errors, boolean, complete, decode, encode, errors, object, path_of, pb, show, string,
    Session,
};
use reqwest::Method;
use serde_json::json;
use support::Mock;

const CREDENTIALS: &str = "dbaas_database_credentials";

impl Session {
    fn config(&self, values: Dynamic) -> pb::DynamicValue {
        let config = complete(self.schemas.ephemeral(CREDENTIALS), values);
        encode(&config, &self.schemas.ephemeral_type(CREDENTIALS))
    }

    async fn validate(&mut self, values: Dynamic) -> Vec<pb::Diagnostic> {
        let config = self.config(values);
        self.client
            .validate_ephemeral_resource_config(pb::validate_ephemeral_resource_config::Request {
                type_name: CREDENTIALS.to_string(),
                config: Some(config),
            })
            .await
            .expect("ValidateEphemeralResourceConfig")
            .into_inner()
            .diagnostics
    }

    async fn open(&mut self, values: Dynamic) -> pb::open_ephemeral_resource::Response {
        let config = self.config(values);
        self.client
            .open_ephemeral_resource(pb::open_ephemeral_resource::Request {
                type_name: CREDENTIALS.to_string(),
                config: Some(config),
                client_capabilities: None,
            })
            .await
            .expect("OpenEphemeralResource")
            .into_inner()
    }
}

fn text<'a>(value: &'a Dynamic, name: &str) -> &'a str {
    match value.attribute(name) {
        Some(Dynamic::String(text)) => text,
        other => panic!("{name} is not a known string: {other:?}"),
    }
}

#[tokio::test]
async fn validation_names_the_attribute() {
    let mut session = Session::start(None).await;
    for (values, attribute) in [
        (object([("cluster_id", string("not-a-uuid"))]), "cluster_id"),
        (
            object([
                ("cluster_id", string("9cc10173-e9ea-4176-9dbc-a4cee4c4ff30")),
                ("user", string(" ")),
            ]),
            "user",
        ),
    ] {
        let diagnostics = session.validate(values).await;
        let found = errors(&diagnostics);
        assert_eq!(found.len(), 1, "{}", show(&diagnostics));
        assert_eq!(path_of(found[0]), attribute, "{}", show(&diagnostics));
    }
    let fine = session
        .validate(object([(
            "cluster_id",
            string("9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"),
        )]))
        .await;
    assert_no_errors(&fine, "a valid configuration");
}

#[test]
fn open_returns_the_connection_and_close_releases_nothing() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let (status, created) = mock.v2(
        Method::POST,
        "/v2/databases",
        Some(
            json!({"name": "ephemeral-protocol", "engine": "pg", "version": "16",
                    "size": "db-s-1vcpu-1gb", "region": "nyc1", "num_nodes": 1}),
        ),
    );
    assert_eq!(status.as_u16(), 201);
    let cluster_id = created["database"]["id"].as_str().unwrap().to_string();
    let public = created["database"]["connection"].clone();
    let private = created["database"]["private_connection"].clone();

    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut session = Session::start(Some((mock.url(), mock.token()))).await;
        let ty = session.schemas.ephemeral_type(CREDENTIALS);

        for (is_private, expected) in [(false, &public), (true, &private)] {
            let response = session
                .open(object([
                    ("cluster_id", string(&cluster_id)),
                    ("private", boolean(is_private)),
                ]))
                .await;
            assert_no_errors(&response.diagnostics, "OpenEphemeralResource");
            assert!(response.renew_at.is_none(), "nothing to renew");
            let result = decode(response.result.as_ref(), &ty);
            for field in ["host", "user", "password", "database"] {
                assert_eq!(
                    text(&result, field),
                    expected[field].as_str().unwrap(),
                    "{field} (private: {is_private})"
                );
            }
            assert_eq!(
                result.attribute("port"),
                Some(&protocol_support::number(
                    expected["port"].as_i64().unwrap()
                ))
            );
            assert_eq!(result.attribute("ssl"), Some(&boolean(true)));
            assert!(text(&result, "uri").contains(&format!(
                "{}:{}@",
                expected["user"].as_str().unwrap(),
                expected["password"].as_str().unwrap()
            )));

            let closed = session
                .client
                .close_ephemeral_resource(pb::close_ephemeral_resource::Request {
                    type_name: CREDENTIALS.to_string(),
                    private: response.private,
                })
                .await
                .expect("CloseEphemeralResource")
                .into_inner();
            assert_no_errors(&closed.diagnostics, "CloseEphemeralResource");
        }

        // A cluster that does not exist: an error on `cluster_id`, no value.
        let response = session
            .open(object([(
                "cluster_id",
                string("9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"),
            )]))
            .await;
        let found = errors(&response.diagnostics);
        assert_eq!(found.len(), 1, "{}", show(&response.diagnostics));
        assert_eq!(path_of(found[0]), "cluster_id");
        assert!(response.result.is_none());
    });
}
