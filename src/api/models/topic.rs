//! Kafka topics: `kafka_topic` (list items), `kafka_topic_verbose` (one topic), the create and
//! update bodies, and `kafka_topic_config`.

use serde::{Deserialize, Serialize};

use super::lenient;

/// A topic as listed by `GET …/topics`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TopicSummary {
    #[serde(default)]
    pub name: String,
    /// `active`, `configuring`, `deleting` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_factor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_count: Option<i64>,
}

/// One topic with its partitions and configuration (`GET/POST/PUT …/topics[/{name}]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Topic {
    #[serde(default)]
    pub name: String,
    /// `active`, `configuring`, `deleting` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_factor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<Vec<TopicPartition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<TopicConfig>,
}

impl Topic {
    /// The partition count, which the verbose topic only reports as the partition list.
    pub fn partition_count(&self) -> Option<i64> {
        self.partitions
            .as_ref()
            .map(|p| i64::try_from(p.len()).unwrap_or(i64::MAX))
    }
}

/// One partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TopicPartition {
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub in_sync_replicas: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub earliest_offset: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer_groups: Option<Vec<ConsumerGroup>>,
}

/// A consumer group's position on a partition.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConsumerGroup {
    /// The schema says `group_name`; the API's own example says `name`, so both are read.
    #[serde(default, alias = "name", skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub offset: Option<i64>,
}

/// Topic settings (`kafka_topic_config`). Every field is optional: unset fields are not sent,
/// so the server keeps its default (sending `false`/`0` for unset values was a bug of the Go
/// provider). Integers read leniently: Kafka's `Long.MAX_VALUE` defaults saturate to `i64::MAX`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TopicConfig {
    /// `delete`, `compact` or `compact_delete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub delete_retention_ms: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub file_delete_delay_ms: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub flush_messages: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub flush_ms: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub index_interval_bytes: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_compaction_lag_ms: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_message_bytes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_down_conversion_enable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_format_version: Option<String>,
    /// Returned by the API (see its example) though `kafka_topic_config` does not declare it.
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_timestamp_difference_max_ms: Option<i64>,
    /// `create_time` or `log_append_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_timestamp_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cleanable_dirty_ratio: Option<f64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub min_compaction_lag_ms: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub min_insync_replicas: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preallocate: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub retention_bytes: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub retention_ms: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub segment_bytes: Option<i64>,
    /// Returned by the API (see its example) though `kafka_topic_config` does not declare it.
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub segment_index_bytes: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub segment_jitter_ms: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::option_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub segment_ms: Option<i64>,
}

/// Body of `POST …/topics`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CreateTopicRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_factor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<TopicConfig>,
}

/// Body of `PUT …/topics/{name}`. `partition_count` can only grow.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UpdateTopicRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_factor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<TopicConfig>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The contract's 201 example (§3.3), verbatim apart from a shorter config.
    const CREATE_RESPONSE: &str = r#"{
      "topic": {
        "name": "customer-events",
        "partitions": [
          {"size": 4096, "id": 0, "in_sync_replicas": 3, "earliest_offset": 0,
           "consumer_groups": [{"name": "consumer-group-1", "offset": 0}, {"name": "consumer-group-2", "offset": 1}]},
          {"size": 4096, "id": 1, "in_sync_replicas": 3, "earliest_offset": 0, "consumer_groups": null}
        ],
        "replication_factor": 3,
        "state": "active",
        "config": {
          "cleanup_policy": "delete",
          "compression_type": "producer",
          "flush_messages": 9223372036854776000,
          "max_message_bytes": 1048588,
          "message_down_conversion_enable": true,
          "message_format_version": "3.0-IV1",
          "message_timestamp_difference_max_ms": 9223372036854776000,
          "min_cleanable_dirty_ratio": 0.5,
          "min_insync_replicas": 1,
          "preallocate": false,
          "retention_bytes": -1,
          "retention_ms": 604800000,
          "segment_index_bytes": 10485760
        }
      }
    }"#;

    fn created() -> Topic {
        let body: serde_json::Value = serde_json::from_str(CREATE_RESPONSE).unwrap();
        serde_json::from_value(body["topic"].clone()).unwrap()
    }

    #[test]
    fn reads_the_contract_example_despite_its_quirks() {
        let t = created();
        assert_eq!(t.name, "customer-events");
        assert_eq!(t.partition_count(), Some(2));
        let groups = t.partitions.as_ref().unwrap()[0]
            .consumer_groups
            .as_ref()
            .unwrap();
        assert_eq!(groups[1].group_name.as_deref(), Some("consumer-group-2"));
        assert_eq!(t.partitions.as_ref().unwrap()[1].consumer_groups, None);
        let c = t.config.as_ref().unwrap();
        assert_eq!(c.flush_messages, Some(i64::MAX));
        assert_eq!(c.retention_bytes, Some(-1));
        assert_eq!(c.min_cleanable_dirty_ratio, Some(0.5));
        assert_eq!(c.preallocate, Some(false));
        assert_eq!(c.segment_bytes, None);
    }

    #[test]
    fn round_trips() {
        let t = created();
        let again: Topic = serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
        assert_eq!(again, t);
    }

    #[test]
    fn list_items_read_the_contract_example() {
        let topics: Vec<TopicSummary> = serde_json::from_value(json!([
            {"name": "customer-events", "state": "active", "replication_factor": 2, "partition_count": 3},
            {"name": "engineering-events", "state": "configuring", "replication_factor": 2, "partition_count": 10}
        ]))
        .unwrap();
        assert_eq!(topics[1].state.as_deref(), Some("configuring"));
        assert_eq!(topics[1].partition_count, Some(10));
    }

    #[test]
    fn requests_use_schema_names_and_send_only_what_is_set() {
        let req = CreateTopicRequest {
            name: "customer-events".into(),
            partition_count: Some(3),
            replication_factor: Some(2),
            config: Some(TopicConfig {
                retention_bytes: Some(-1),
                retention_ms: Some(100000),
                ..Default::default()
            }),
        };
        assert_eq!(
            serde_json::to_value(req).unwrap(),
            json!({"name": "customer-events", "partition_count": 3, "replication_factor": 2,
                   "config": {"retention_bytes": -1, "retention_ms": 100000}})
        );
        let update = UpdateTopicRequest {
            partition_count: Some(6),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(update).unwrap(),
            json!({"partition_count": 6})
        );
    }
}
