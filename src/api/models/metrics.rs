//! The account's metrics endpoint credentials (`/v2/databases/metrics/credentials`): one
//! basic-auth pair for the Prometheus endpoints of every cluster.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::redact::Redacted;

/// `{"basic_auth_username", "basic_auth_password"}`; `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MetricsCredentials {
    #[serde(default)]
    pub basic_auth_username: Option<String>,
    #[serde(default)]
    pub basic_auth_password: Option<String>,
}

impl fmt::Debug for MetricsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsCredentials")
            .field("basic_auth_username", &self.basic_auth_username)
            .field("basic_auth_password", &Redacted(&self.basic_auth_password))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_contract_example_and_hides_the_password() {
        let credentials: MetricsCredentials = serde_json::from_str(
            r#"{"basic_auth_username":"username","basic_auth_password":"password"}"#,
        )
        .unwrap();
        assert_eq!(credentials.basic_auth_username.as_deref(), Some("username"));
        let shown = format!("{credentials:?}");
        assert!(!shown.contains("\"password\""), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
