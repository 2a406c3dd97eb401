//! Kafka schema registry subjects (`…/schema-registry`).

use serde::{Deserialize, Deserializer, Serialize};

/// A subject's schema as `GET …/schema-registry/{subject}` and the create answer report it
/// (not enveloped). `schema_type` is `AVRO`, `JSON` or `PROTOBUF`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KafkaSchema {
    pub subject_name: String,
    #[serde(default)]
    pub schema_type: Option<String>,
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub schema_id: Option<i64>,
    /// The version number; the contract spells it as a string, some answers as a number.
    #[serde(default, deserialize_with = "number_or_string")]
    pub version: Option<String>,
}

fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(text)) => Some(text),
        Some(serde_json::Value::Number(number)) => Some(number.to_string()),
        _ => None,
    })
}

/// The body of `POST …/schema-registry`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CreateSchemaRequest {
    pub subject_name: String,
    pub schema_type: String,
    pub schema: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_spelled_either_way() {
        let schema: KafkaSchema = serde_json::from_str(
            r#"{"schema_id":1,"subject_name":"customer","schema_type":"AVRO","schema":"{}","version":"2"}"#,
        )
        .unwrap();
        assert_eq!(schema.version.as_deref(), Some("2"));
        let schema: KafkaSchema =
            serde_json::from_str(r#"{"subject_name":"c","version":3}"#).unwrap();
        assert_eq!(schema.version.as_deref(), Some("3"));
        assert_eq!(schema.schema_type, None);
    }
}
