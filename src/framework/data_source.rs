//! The data-source adapter: a data source states its model, schema, validation and read.

use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::plugin::dynamic::Dynamic;
use crate::plugin::schema::Schema;
use crate::plugin::service::ReadDataRequest;
use crate::plugin::value::{from_dynamic, to_dynamic};
use crate::plugin::Diagnostics;

use super::context::{ProviderData, RequestContext};
use super::diag::DiagExt;
use super::secrets;

/// A data source type.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    type Model: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// The full type name, e.g. `dbaas_database_options`.
    const TYPE_NAME: &'static str;

    /// Top-level attributes that hold a password or a password-bearing URI: null in what
    /// Terraform stores when the provider's `secrets_in_state` is false, and described so.
    const SECRETS: &'static [&'static str] = &[];

    fn schema(&self) -> Schema;

    /// Checks the configuration; unknown values must be skipped.
    async fn validate(&self, _diags: &mut Diagnostics, _config: &Self::Model) {}

    /// Reads what the configuration asks for.
    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        config: Self::Model,
    ) -> Option<Self::Model>;
}

/// A data source behind the protocol.
#[async_trait]
pub trait DynDataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    async fn validate(&self, config: Dynamic) -> Diagnostics;
    async fn read(
        &self,
        data: Arc<ProviderData>,
        request: ReadDataRequest,
    ) -> (Option<Dynamic>, Diagnostics);
}

pub struct DataSourceAdapter<D: DataSource>(pub D);

impl<D: DataSource> DataSourceAdapter<D> {
    pub fn boxed(data_source: D) -> Arc<dyn DynDataSource> {
        Arc::new(Self(data_source))
    }
}

/// Reads a configuration into its model, or reports why it could not (a provider bug).
pub(super) fn config_model<T: DeserializeOwned>(
    type_name: &str,
    value: Dynamic,
    diags: &mut Diagnostics,
) -> Option<T> {
    match from_dynamic(value) {
        Ok(model) => Some(model),
        Err(error) => {
            diags.root_err(
                "Unreadable configuration",
                format!(
                    "The provider could not read the configuration of this {type_name}: {error}. \
                     Please report this as a bug in terraform-provider-dbaas."
                ),
            );
            None
        }
    }
}

#[async_trait]
impl<D: DataSource> DynDataSource for DataSourceAdapter<D> {
    fn type_name(&self) -> &'static str {
        D::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let mut schema = self.0.schema();
        secrets::mark(&mut schema, D::SECRETS);
        schema
    }

    async fn validate(&self, config: Dynamic) -> Diagnostics {
        let mut diags = Diagnostics::default();
        if let Some(config) = config_model::<D::Model>(D::TYPE_NAME, config, &mut diags) {
            self.0.validate(&mut diags, &config).await;
        }
        diags
    }

    async fn read(
        &self,
        data: Arc<ProviderData>,
        request: ReadDataRequest,
    ) -> (Option<Dynamic>, Diagnostics) {
        let mut diags = Diagnostics::default();
        let Some(config) = config_model::<D::Model>(D::TYPE_NAME, request.config, &mut diags)
        else {
            return (None, diags);
        };
        let keep = data.secrets_in_state();
        let ctx = RequestContext::new(data).with_capabilities(request.client_capabilities);
        let Some(state) = self.0.read(&ctx, &mut diags, config).await else {
            return (None, diags);
        };
        match to_dynamic(&state) {
            Ok(mut value) => {
                if !keep {
                    secrets::scrub(&mut value, D::SECRETS);
                }
                (Some(value), diags)
            }
            Err(error) => {
                diags.root_err(
                    "Invalid data source state",
                    format!(
                        "The provider could not encode what it read for this {}: {error}. \
                         Please report this as a bug in terraform-provider-dbaas.",
                        D::TYPE_NAME
                    ),
                );
                (None, diags)
            }
        }
    }
}
