//! `dbaas_database_metrics_credentials` data source: the basic-auth credentials of the
//! account's database metrics endpoints (one pair for every cluster's Prometheus endpoint).
//!
//! The attributes are DigitalOcean's (`digitalocean_database_metrics_credentials`): `username`
//! and the sensitive `password`, with the constant ID `metrics-credentials`. As the
//! `dbaas_database_user` data source does, the password is null in what Terraform stores when
//! the provider's `secrets_in_state` is false.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::framework::context::RequestContext;
use crate::framework::data_source::{DataSource, DataSourceAdapter};
use crate::framework::diag::DiagExt;
use crate::framework::host::Host;
use crate::framework::values::known;
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, Schema};
use crate::plugin::value::Value;
use crate::plugin::Diagnostics;
use crate::provider::DbaasProvider;
use crate::resources::schema_util::{computed, sensitive};

/// Adds this file's types to the provider.
pub fn register(host: Host<DbaasProvider>) -> Host<DbaasProvider> {
    host.data_source(DataSourceAdapter::boxed(
        DatabaseMetricsCredentialsDataSource,
    ))
}

/// The ID DigitalOcean's data source sets: there is one pair per account.
pub const METRICS_CREDENTIALS_ID: &str = "metrics-credentials";

/// The data source's result, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsCredentialsModel {
    pub id: Value<String>,
    pub username: Value<String>,
    pub password: Value<String>,
}

pub fn metrics_credentials_schema() -> Schema {
    use AttributeType::String as Str;
    Schema {
        version: 0,
        block: Block {
            version: 0,
            attributes: map! {
                "id" => computed(Str, "Always `metrics-credentials`: the account has one pair."),
                "username" => computed(Str, "The basic-auth user name of the metrics endpoints."),
                "password" => sensitive(computed(Str,
                    "The basic-auth password of the metrics endpoints.")),
            },
            blocks: map! {},
            description: Description::markdown(
                "The basic-auth credentials of the account's database metrics endpoints (the \
                 `metrics_endpoints` of every cluster): one user name and password (marked \
                 sensitive) for the whole account.",
            ),
            ..Default::default()
        },
    }
}

/// The `dbaas_database_metrics_credentials` data source.
#[derive(Debug, Clone, Default)]
pub struct DatabaseMetricsCredentialsDataSource;

#[async_trait]
impl DataSource for DatabaseMetricsCredentialsDataSource {
    type Model = MetricsCredentialsModel;
    const TYPE_NAME: &'static str = "dbaas_database_metrics_credentials";
    const SECRETS: &'static [&'static str] = &["password"];

    fn schema(&self) -> Schema {
        metrics_credentials_schema()
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        _config: MetricsCredentialsModel,
    ) -> Option<MetricsCredentialsModel> {
        let api = ctx.api(diags)?;
        match api.client.metrics_credentials().await {
            Ok(credentials) => Some(MetricsCredentialsModel {
                id: Value::Value(METRICS_CREDENTIALS_ID.to_string()),
                username: known(credentials.basic_auth_username),
                password: known(credentials.basic_auth_password),
            }),
            Err(error) => {
                diags.api_err("Could not read the database metrics credentials", &error);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::AttributeConstraint;

    #[test]
    fn the_schema_matches_the_model_and_hides_the_password() {
        let schema = metrics_credentials_schema();
        let (attributes, fields) = crate::resources::schema_util::attribute_and_field_names::<
            MetricsCredentialsModel,
        >(&schema);
        assert_eq!(attributes, fields);
        assert!(schema.block.attributes["password"].sensitive);
        assert!(!schema.block.attributes["username"].sensitive);
        for attribute in schema.block.attributes.values() {
            assert_eq!(attribute.constraint, AttributeConstraint::Computed);
        }
    }
}
