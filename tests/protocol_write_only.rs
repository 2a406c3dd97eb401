//! Write-only attributes (protocol 6.8) end to end through the framework adapter: a test
//! resource with a write-only `secret` and a computed `seen` that records a fingerprint of
//! the secret its create received, served in-process with `Host`.
//!
//! The resource deliberately echoes the secret back in every model it returns, so the tests
//! prove that the *framework* keeps it out of plan and state, not the resource's manners.

mod protocol_support;

use std::sync::Arc;

use async_trait::async_trait;
use dbaas::framework::context::{ProviderData, RequestContext};
use dbaas::framework::host::Host;
use dbaas::framework::resource::{Adapter, ManagedResource};
use dbaas::framework::timeouts::{TimeoutDefaults, Timeouts};
use dbaas::map;
use dbaas::plugin::dynamic::{Dynamic, Type};
use dbaas::plugin::schema::{Attribute, AttributeConstraint, AttributeType, Block, Schema};
use dbaas::plugin::value::Value;
use dbaas::plugin::{AttributePath, Diagnostics};
use protocol_support::{
    assert_no_errors, complete, decode, encode, object, only_error, path_of, pb, propose, show,
    string, EmptyProviderBlock, InProcess, ProviderClient, Schemas,
};
use serde::{Deserialize, Serialize};

const TYPE: &str = "test_secret";
const SECRET: &str = "hunter2-correct-horse";

/// FNV-1a: a fingerprint of the secret that the test can recompute, so `seen` proves which
/// bytes reached create without putting the secret itself in state.
fn fingerprint(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}:{hash:016x}", text.len())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SecretModel {
    id: Value<String>,
    secret: Value<String>,
    seen: Value<String>,
    /// Not in the schema; the trait wants a timeouts block to read deadlines from.
    #[serde(skip)]
    timeouts: Value<Timeouts>,
}

struct SecretResource;

#[async_trait]
impl ManagedResource for SecretResource {
    type Model = SecretModel;
    const TYPE_NAME: &'static str = TYPE;
    const TIMEOUTS: TimeoutDefaults = TimeoutDefaults {
        create: std::time::Duration::from_secs(60),
        update: std::time::Duration::from_secs(60),
        delete: std::time::Duration::from_secs(60),
    };

    fn schema(&self) -> Schema {
        Schema {
            version: 1,
            block: Block {
                version: 1,
                attributes: map! {
                    "id" => Attribute {
                        attr_type: AttributeType::String,
                        constraint: AttributeConstraint::Computed,
                        ..Default::default()
                    },
                    "secret" => Attribute {
                        attr_type: AttributeType::String,
                        constraint: AttributeConstraint::Optional,
                        sensitive: true,
                        write_only: true,
                        ..Default::default()
                    },
                    "seen" => Attribute {
                        attr_type: AttributeType::String,
                        constraint: AttributeConstraint::Computed,
                        ..Default::default()
                    },
                },
                ..Default::default()
            },
        }
    }

    fn timeouts(model: &SecretModel) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn plan_update(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        _prior: &SecretModel,
        proposed: SecretModel,
        _config: &SecretModel,
    ) -> Option<(SecretModel, Vec<AttributePath>)> {
        Some((proposed, Vec::new()))
    }

    async fn create(
        &self,
        _ctx: &RequestContext,
        diags: &mut Diagnostics,
        mut planned: SecretModel,
        config: &SecretModel,
    ) -> Option<SecretModel> {
        // Only the configuration carries a write-only value.
        let Value::Value(secret) = &config.secret else {
            diags.root_error("No secret in the configuration", format!("{config:?}"));
            return None;
        };
        planned.id = Value::Value("secret-1".to_string());
        planned.seen = Value::Value(fingerprint(secret));
        planned.secret = Value::Value(secret.clone());
        Some(planned)
    }

    async fn read(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        state: SecretModel,
    ) -> Option<Option<SecretModel>> {
        Some(Some(state))
    }

    async fn update(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        _prior: SecretModel,
        planned: SecretModel,
        _config: &SecretModel,
    ) -> Option<SecretModel> {
        Some(planned)
    }

    async fn delete(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        _prior: SecretModel,
    ) -> Option<()> {
        Some(())
    }

    async fn import(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        id: &str,
    ) -> Option<SecretModel> {
        Some(SecretModel {
            id: Value::Value(id.to_string()),
            secret: Value::Value("imported-secret".to_string()),
            ..Default::default()
        })
    }
}

struct Fixture {
    server: InProcess,
    client: ProviderClient,
    block: pb::schema::Block,
    ty: Type,
}

async fn fixture() -> Fixture {
    let host = Host::new(EmptyProviderBlock, Arc::new(ProviderData::default()))
        .resource(Adapter::boxed(SecretResource));
    let server = InProcess::start(Arc::new(host)).await;
    let mut client = server.provider().await;
    let schemas = Schemas::fetch(&mut client).await;
    let block = schemas.resource(TYPE).clone();
    let ty = schemas.resource_type(TYPE);
    Fixture {
        server,
        client,
        block,
        ty,
    }
}

fn capabilities(write_only_allowed: bool) -> Option<pb::ClientCapabilities> {
    Some(pb::ClientCapabilities {
        deferral_allowed: false,
        write_only_attributes_allowed: write_only_allowed,
    })
}

impl Fixture {
    fn config(&self, secret: Dynamic) -> Dynamic {
        complete(&self.block, object([("secret", secret)]))
    }

    async fn validate(&mut self, config: &Dynamic, allowed: bool) -> Vec<pb::Diagnostic> {
        self.client
            .validate_resource_config(pb::validate_resource_config::Request {
                type_name: TYPE.to_string(),
                config: Some(encode(config, &self.ty)),
                client_capabilities: capabilities(allowed),
            })
            .await
            .expect("ValidateResourceConfig")
            .into_inner()
            .diagnostics
    }

    async fn plan_create(
        &mut self,
        config: &Dynamic,
    ) -> (pb::plan_resource_change::Response, Dynamic) {
        // Terraform ≥ 1.11 leaves the write-only value in the proposed state it sends; the
        // provider must take it out of what it plans.
        let proposed = propose(&self.block, &Dynamic::Null, config);
        assert_eq!(proposed.attribute("secret"), Some(&string(SECRET)));
        let response = self
            .client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: TYPE.to_string(),
                prior_state: Some(encode(&Dynamic::Null, &self.ty)),
                proposed_new_state: Some(encode(&proposed, &self.ty)),
                config: Some(encode(config, &self.ty)),
                client_capabilities: capabilities(true),
                ..Default::default()
            })
            .await
            .expect("PlanResourceChange")
            .into_inner();
        let planned = decode(response.planned_state.as_ref(), &self.ty);
        (response, planned)
    }

    async fn apply_create(
        &mut self,
        planned: &Dynamic,
        config: &Dynamic,
    ) -> (pb::apply_resource_change::Response, Dynamic) {
        let response = self
            .client
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: TYPE.to_string(),
                prior_state: Some(encode(&Dynamic::Null, &self.ty)),
                planned_state: Some(encode(planned, &self.ty)),
                config: Some(encode(config, &self.ty)),
                ..Default::default()
            })
            .await
            .expect("ApplyResourceChange")
            .into_inner();
        let state = decode(response.new_state.as_ref(), &self.ty);
        (response, state)
    }

    async fn read(&mut self, state: &Dynamic) -> (pb::read_resource::Response, Dynamic) {
        let response = self
            .client
            .read_resource(pb::read_resource::Request {
                type_name: TYPE.to_string(),
                current_state: Some(encode(state, &self.ty)),
                client_capabilities: capabilities(true),
                ..Default::default()
            })
            .await
            .expect("ReadResource")
            .into_inner();
        let new_state = decode(response.new_state.as_ref(), &self.ty);
        (response, new_state)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_schema_marks_the_secret_write_only() {
    let fixture = fixture().await;
    let attribute = |name: &str| {
        fixture
            .block
            .attributes
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("attribute {name}"))
            .clone()
    };
    let secret = attribute("secret");
    assert!(secret.write_only, "{secret:?}");
    assert!(secret.optional && !secret.computed && secret.sensitive);
    assert!(!attribute("seen").write_only);
    assert!(!attribute("id").write_only);
    fixture
        .server
        .stop()
        .await
        .expect("serve_with ends cleanly");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_without_write_only_support_is_refused_naming_the_attribute() {
    let mut fixture = fixture().await;
    let config = fixture.config(string(SECRET));

    let diagnostics = fixture.validate(&config, false).await;
    let error = only_error(&diagnostics, "a write-only value for an old Terraform");
    assert_eq!(path_of(error), "secret", "{}", show(&diagnostics));
    assert!(
        !error.detail.contains(SECRET) && !error.summary.contains(SECRET),
        "the diagnostic must not repeat the secret"
    );

    // Terraform ≥ 1.11 says it can handle them: accepted.
    let diagnostics = fixture.validate(&config, true).await;
    assert_no_errors(&diagnostics, "a write-only value with support");

    // Without a value there is nothing to refuse, even for an old Terraform.
    let unset = fixture.config(Dynamic::Null);
    let diagnostics = fixture.validate(&unset, false).await;
    assert_no_errors(&diagnostics, "no write-only value for an old Terraform");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_secret_reaches_create_and_never_a_plan_or_a_state() {
    let mut fixture = fixture().await;
    let config = fixture.config(string(SECRET));

    // Plan: the secret is configured (and in the proposed state), the plan has it null.
    let (response, planned) = fixture.plan_create(&config).await;
    assert_no_errors(&response.diagnostics, "planning");
    assert_eq!(
        planned.attribute("secret"),
        Some(&Dynamic::Null),
        "the planned state must not carry the write-only value: {planned:?}"
    );
    assert_eq!(planned.attribute("seen"), Some(&Dynamic::Unknown));
    assert_eq!(planned.attribute("id"), Some(&Dynamic::Unknown));

    // Apply: Terraform sends the plan (secret null) and the configuration (secret set).
    let (response, state) = fixture.apply_create(&planned, &config).await;
    assert_no_errors(&response.diagnostics, "applying");
    assert_eq!(
        state.attribute("seen"),
        Some(&string(&fingerprint(SECRET))),
        "create must have received the configured secret"
    );
    assert_eq!(state.attribute("id"), Some(&string("secret-1")));
    assert_eq!(
        state.attribute("secret"),
        Some(&Dynamic::Null),
        "the new state must not carry the write-only value: {state:?}"
    );
    let raw = &response.new_state.as_ref().expect("a new state").msgpack;
    assert!(
        !raw.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "the secret's bytes are in the encoded new state"
    );

    // Read: nothing brings it back, not even a state that somehow holds it.
    let (response, read) = fixture.read(&state).await;
    assert_no_errors(&response.diagnostics, "reading");
    assert_eq!(read, state, "a read of an unchanged object changes nothing");
    let mut tainted = state.clone();
    if let Dynamic::Object(values) = &mut tainted {
        values.insert("secret".to_string(), string("from-an-old-state"));
    }
    let (response, read) = fixture.read(&tainted).await;
    assert_no_errors(&response.diagnostics, "reading a state that holds a secret");
    assert_eq!(
        read.attribute("secret"),
        Some(&Dynamic::Null),
        "ReadResource must never return a write-only value: {read:?}"
    );
    assert_eq!(read.attribute("seen"), Some(&string(&fingerprint(SECRET))));
}

#[tokio::test(flavor = "multi_thread")]
async fn import_never_returns_the_secret() {
    let mut fixture = fixture().await;
    let response = fixture
        .client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: TYPE.to_string(),
            id: "imported-1".to_string(),
            client_capabilities: capabilities(true),
            identity: None,
        })
        .await
        .expect("ImportResourceState")
        .into_inner();
    assert_no_errors(&response.diagnostics, "importing");
    assert_eq!(response.imported_resources.len(), 1);
    let state = decode(response.imported_resources[0].state.as_ref(), &fixture.ty);
    assert_eq!(state.attribute("id"), Some(&string("imported-1")));
    assert_eq!(
        state.attribute("secret"),
        Some(&Dynamic::Null),
        "an imported state must not carry the write-only value: {state:?}"
    );
}
