//! The account's metrics endpoint credentials (`/v2/databases/metrics/credentials`).

use serde::Deserialize;

use super::models::metrics::MetricsCredentials;
use super::send::Request;
use super::{ApiError, Client};

/// The `credentials` field: the pair itself, as the contract's example and the API have it,
/// or nested once more, as the contract's schema has it.
#[derive(Deserialize)]
#[serde(untagged)]
enum Envelope {
    Nested { credentials: MetricsCredentials },
    Flat(MetricsCredentials),
}

impl Client {
    /// `GET /v2/databases/metrics/credentials`.
    pub async fn metrics_credentials(&self) -> Result<MetricsCredentials, ApiError> {
        let reply = self
            .execute(Request::get(
                "/v2/databases/metrics/credentials".to_string(),
            ))
            .await?;
        Ok(match reply.field::<Envelope>("credentials")? {
            Envelope::Nested { credentials } | Envelope::Flat(credentials) => credentials,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_the_answer_read() {
        for body in [
            r#"{"basic_auth_username":"u","basic_auth_password":"p"}"#,
            r#"{"credentials":{"basic_auth_username":"u","basic_auth_password":"p"}}"#,
        ] {
            let (Envelope::Nested { credentials } | Envelope::Flat(credentials)) =
                serde_json::from_str(body).unwrap();
            assert_eq!(credentials.basic_auth_username.as_deref(), Some("u"));
            assert_eq!(credentials.basic_auth_password.as_deref(), Some("p"));
        }
    }
}
