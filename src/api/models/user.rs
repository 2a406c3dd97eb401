//! Database users (`database_user`): the cluster's `users[]` and `…/users` endpoints.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::redact::Redacted;

/// A database user as the API returns it.
///
/// `Debug` redacts `password` and `access_key` (the Kafka client's private key).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DatabaseUser {
    pub name: String,
    /// `primary` or `normal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_cert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mysql_settings: Option<MysqlSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<UserSettings>,
}

impl fmt::Debug for DatabaseUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseUser")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("password", &Redacted(&self.password))
            .field("access_cert", &self.access_cert)
            .field("access_key", &Redacted(&self.access_key))
            .field("mysql_settings", &self.mysql_settings)
            .field("settings", &self.settings)
            .finish()
    }
}

/// MySQL authentication plugin (`mysql_native_password` or `caching_sha2_password`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MysqlSettings {
    pub auth_plugin: String,
}

/// Engine-specific user settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg_allow_replication: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opensearch_acl: Option<Vec<OpenSearchAcl>>,
    /// Kafka topic ACLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<KafkaAcl>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mongo_user_settings: Option<MongoUserSettings>,
}

/// An OpenSearch index ACL.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OpenSearchAcl {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
}

/// A Kafka topic ACL.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KafkaAcl {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub topic: String,
    pub permission: String,
}

/// MongoDB per-user database access.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MongoUserSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub databases: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// Body of `POST …/users`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CreateUserRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mysql_settings: Option<MysqlSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<UserSettings>,
    /// MongoDB only; deprecated by the API in favour of `settings.mongo_user_settings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly: Option<bool>,
}

/// Body of `PUT …/users/{username}`: the user's settings, replaced as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UpdateUserRequest {
    pub settings: UserSettings,
}

/// Body of `POST …/users/{username}/reset_auth`: a new password, and for MySQL the
/// authentication plugin to use from then on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResetUserAuthRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mysql_settings: Option<MysqlSettings>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_kafka_user_and_redacts_its_secrets() {
        let user: DatabaseUser = serde_json::from_value(json!({
            "name": "app-01",
            "role": "normal",
            "password": "jge5lfxtzhx42iff",
            "access_cert": "-----BEGIN CERTIFICATE-----",
            "access_key": "-----BEGIN PRIVATE KEY-----",
            "settings": {"acl": [{"id": "96d7d1f1", "topic": "events-*", "permission": "produceconsume"}]}
        }))
        .unwrap();
        let acl = &user.settings.as_ref().unwrap().acl.as_ref().unwrap()[0];
        assert_eq!(
            (acl.topic.as_str(), acl.permission.as_str()),
            ("events-*", "produceconsume")
        );
        let shown = format!("{user:?}");
        assert!(
            !shown.contains("jge5lfxtzhx42iff") && !shown.contains("PRIVATE KEY"),
            "{shown}"
        );
        assert!(shown.contains("app-01") && shown.contains("BEGIN CERTIFICATE"));
        assert_eq!(
            serde_json::from_value::<DatabaseUser>(serde_json::to_value(&user).unwrap()).unwrap(),
            user
        );
    }

    #[test]
    fn create_request_sends_only_what_is_set() {
        let req = CreateUserRequest {
            name: "app-01".into(),
            mysql_settings: Some(MysqlSettings {
                auth_plugin: "caching_sha2_password".into(),
            }),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(req).unwrap(),
            json!({"name": "app-01", "mysql_settings": {"auth_plugin": "caching_sha2_password"}})
        );
    }

    #[test]
    fn an_update_can_clear_a_list_of_acls() {
        let req = UpdateUserRequest {
            settings: UserSettings {
                acl: Some(Vec::new()),
                ..Default::default()
            },
        };
        assert_eq!(
            serde_json::to_value(req).unwrap(),
            json!({"settings": {"acl": []}})
        );
        let reset = ResetUserAuthRequest {
            mysql_settings: Some(MysqlSettings {
                auth_plugin: "mysql_native_password".into(),
            }),
        };
        assert_eq!(
            serde_json::to_value(reset).unwrap(),
            json!({"mysql_settings": {"auth_plugin": "mysql_native_password"}})
        );
    }
}
