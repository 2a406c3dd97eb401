//! `dbaas_database_ca` data source: the CA certificate that signs a cluster's server
//! certificates, for clients that verify TLS (`sslmode=verify-full`, Kafka truststores…).
//!
//! The certificate is public key material, handed to every client in the TLS handshake, so it
//! is not marked sensitive: a sensitive value would force `sensitive = true` on every output
//! and hide the certificate in plans for no protection.

use async_trait::async_trait;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::framework::context::RequestContext;
use crate::framework::data_source::DataSource;
use crate::framework::diag::DiagExt;
use crate::framework::validate;
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, Schema};
use crate::plugin::value::Value;
use crate::plugin::{AttributePath, Diagnostics};
use crate::resources::schema_util::{computed, required};

/// The data source's configuration and result, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub certificate: Value<String>,
    pub certificate_pem: Value<String>,
}

/// The PEM text of the certificate the API sends base64-encoded. A certificate that already
/// is PEM text is returned unchanged, so a server that skips the encoding still works.
pub fn decode_certificate(certificate: &str) -> Result<String, String> {
    let trimmed = certificate.trim();
    if trimmed.starts_with("-----BEGIN") {
        return Ok(trimmed.to_string());
    }
    let compact: String = trimmed
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| format!("the certificate is not valid base64 ({e})"))?;
    let pem = String::from_utf8(bytes)
        .map_err(|_| "the decoded certificate is not text, so it is not PEM".to_string())?;
    if !pem.trim_start().starts_with("-----BEGIN") {
        return Err("the decoded certificate is not PEM (no \"-----BEGIN\" line)".to_string());
    }
    Ok(pem)
}

pub fn ca_schema() -> Schema {
    use AttributeType::String as Str;
    Schema {
        version: 1,
        block: Block {
            version: 1,
            attributes: map! {
                "cluster_id" => required(Str, "The UUID of the database cluster."),
                "id" => computed(Str, "The cluster's UUID."),
                "certificate" => computed(Str,
                    "The CA certificate, base64-encoded exactly as the API sends it."),
                "certificate_pem" => computed(Str,
                    "The CA certificate as PEM text (`-----BEGIN CERTIFICATE-----`…), ready to \
                     write to a file for a client's CA bundle or truststore."),
            },
            description: Description::markdown(
                "The CA certificate of a database cluster, for clients that verify the server's \
                 TLS certificate. The certificate is public, so it is not marked sensitive.",
            ),
            ..Default::default()
        },
    }
}

/// The `dbaas_database_ca` data source.
#[derive(Debug, Clone, Default)]
pub struct DatabaseCaDataSource;

#[async_trait]
impl DataSource for DatabaseCaDataSource {
    type Model = CaModel;
    const TYPE_NAME: &'static str = "dbaas_database_ca";

    fn schema(&self) -> Schema {
        ca_schema()
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &CaModel) {
        validate::uuid(diags, AttributePath::new("cluster_id"), &config.cluster_id);
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        config: CaModel,
    ) -> Option<CaModel> {
        let cluster_id = config.cluster_id.as_ref_option()?.clone();
        let api = ctx.api(diags)?;
        let ca = match api.client.clusters().get_ca(&cluster_id).await {
            Ok(ca) => ca,
            Err(error) if error.is_not_found() => {
                diags.err(
                    "Cluster not found",
                    format!(
                        "`cluster_id` {cluster_id} names no database cluster this token can see."
                    ),
                    AttributePath::new("cluster_id"),
                );
                return None;
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read the CA certificate of cluster {cluster_id}"),
                    &error,
                );
                return None;
            }
        };
        match decode_certificate(&ca.certificate) {
            Ok(pem) => Some(CaModel {
                id: Value::Value(cluster_id.clone()),
                cluster_id: Value::Value(cluster_id),
                certificate: Value::Value(ca.certificate),
                certificate_pem: Value::Value(pem),
            }),
            Err(problem) => {
                diags.root_err(
                    "Unreadable CA certificate",
                    format!("The API answered for cluster {cluster_id}, but {problem}."),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str =
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ==\n-----END CERTIFICATE-----\n";

    fn encoded() -> String {
        base64::engine::general_purpose::STANDARD.encode(PEM)
    }

    #[test]
    fn base64_is_decoded_to_pem() {
        assert_eq!(decode_certificate(&encoded()).unwrap(), PEM);
        // Line-wrapped base64 (as some tools print it) is accepted too.
        let wrapped: String = encoded()
            .as_bytes()
            .chunks(16)
            .map(|chunk| format!("{}\n", std::str::from_utf8(chunk).unwrap()))
            .collect();
        assert_eq!(decode_certificate(&wrapped).unwrap(), PEM);
    }

    #[test]
    fn pem_text_passes_through() {
        assert_eq!(decode_certificate(PEM).unwrap(), PEM.trim());
    }

    #[test]
    fn garbage_is_an_explained_error() {
        assert!(decode_certificate("not base64!")
            .unwrap_err()
            .contains("base64"));
        let not_pem = base64::engine::general_purpose::STANDARD.encode("hello");
        assert!(decode_certificate(&not_pem)
            .unwrap_err()
            .contains("not PEM"));
        let binary = base64::engine::general_purpose::STANDARD.encode([0xff, 0xfe, 0x00]);
        assert!(decode_certificate(&binary)
            .unwrap_err()
            .contains("not text"));
    }

    #[test]
    fn the_model_matches_the_schema() {
        let schema = ca_schema();
        let (attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<CaModel>(&schema);
        assert_eq!(attributes, fields);
        assert!(schema.block.attributes.values().all(|a| !a.sensitive));
    }
}
