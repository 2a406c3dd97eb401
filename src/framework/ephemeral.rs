//! The ephemeral-resource adapter (protocol 6.7): values that exist only while Terraform runs
//! and never reach a plan or a state file.

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::plugin::dynamic::Dynamic;
use crate::plugin::schema::Schema;
use crate::plugin::service::{
    EphemeralPrivateRequest, OpenEphemeralRequest, OpenEphemeralResponse, RenewEphemeralResponse,
};
use crate::plugin::value::to_dynamic;
use crate::plugin::Diagnostics;

use super::context::{ProviderData, RequestContext};
use super::data_source::config_model;
use super::diag::DiagExt;

/// What `open` returns.
pub struct Opened<M> {
    pub result: M,
    /// Data Terraform hands back to `renew` and `close` (never shown or stored).
    pub private: Option<Vec<u8>>,
    pub renew_at: Option<SystemTime>,
}

/// An ephemeral resource type.
#[async_trait]
pub trait EphemeralResource: Send + Sync + 'static {
    type Model: Serialize + DeserializeOwned + Send + Sync + 'static;

    const TYPE_NAME: &'static str;

    fn schema(&self) -> Schema;

    async fn validate(&self, _diags: &mut Diagnostics, _config: &Self::Model) {}

    async fn open(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        config: Self::Model,
    ) -> Option<Opened<Self::Model>>;

    /// Extends the value's life; the default has nothing to renew.
    async fn renew(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        private: Option<Vec<u8>>,
    ) -> (Option<Vec<u8>>, Option<SystemTime>) {
        (private, None)
    }

    /// Releases what `open` made; the default has nothing to release.
    async fn close(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        _private: Option<Vec<u8>>,
    ) {
    }
}

/// An ephemeral resource behind the protocol.
#[async_trait]
pub trait DynEphemeral: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    async fn validate(&self, config: Dynamic) -> Diagnostics;
    async fn open(
        &self,
        data: Arc<ProviderData>,
        request: OpenEphemeralRequest,
    ) -> OpenEphemeralResponse;
    async fn renew(
        &self,
        data: Arc<ProviderData>,
        request: EphemeralPrivateRequest,
    ) -> RenewEphemeralResponse;
    async fn close(&self, data: Arc<ProviderData>, request: EphemeralPrivateRequest)
        -> Diagnostics;
}

pub struct EphemeralAdapter<E: EphemeralResource>(pub E);

impl<E: EphemeralResource> EphemeralAdapter<E> {
    pub fn boxed(resource: E) -> Arc<dyn DynEphemeral> {
        Arc::new(Self(resource))
    }
}

#[async_trait]
impl<E: EphemeralResource> DynEphemeral for EphemeralAdapter<E> {
    fn type_name(&self) -> &'static str {
        E::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        self.0.schema()
    }

    async fn validate(&self, config: Dynamic) -> Diagnostics {
        let mut diags = Diagnostics::default();
        if let Some(config) = config_model::<E::Model>(E::TYPE_NAME, config, &mut diags) {
            self.0.validate(&mut diags, &config).await;
        }
        diags
    }

    async fn open(
        &self,
        data: Arc<ProviderData>,
        request: OpenEphemeralRequest,
    ) -> OpenEphemeralResponse {
        let mut diags = Diagnostics::default();
        let mut response = OpenEphemeralResponse::default();
        if let Some(config) = config_model::<E::Model>(E::TYPE_NAME, request.config, &mut diags) {
            let ctx = RequestContext::new(data).with_capabilities(request.client_capabilities);
            if let Some(opened) = self.0.open(&ctx, &mut diags, config).await {
                match to_dynamic(&opened.result) {
                    Ok(value) => {
                        response.result = value;
                        response.private = opened.private;
                        response.renew_at = opened.renew_at;
                    }
                    Err(error) => diags.root_err(
                        "Invalid ephemeral result",
                        format!(
                            "The provider could not encode the {} result: {error}.",
                            E::TYPE_NAME
                        ),
                    ),
                }
            }
        }
        response.diagnostics = diags;
        response
    }

    async fn renew(
        &self,
        data: Arc<ProviderData>,
        request: EphemeralPrivateRequest,
    ) -> RenewEphemeralResponse {
        let mut diags = Diagnostics::default();
        let ctx = RequestContext::new(data);
        let (private, renew_at) = self.0.renew(&ctx, &mut diags, request.private).await;
        RenewEphemeralResponse {
            private,
            renew_at,
            diagnostics: diags,
        }
    }

    async fn close(
        &self,
        data: Arc<ProviderData>,
        request: EphemeralPrivateRequest,
    ) -> Diagnostics {
        let mut diags = Diagnostics::default();
        let ctx = RequestContext::new(data);
        self.0.close(&ctx, &mut diags, request.private).await;
        diags
    }
}
