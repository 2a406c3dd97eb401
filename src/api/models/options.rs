//! `GET /v2/databases/options`: regions, versions and layouts per engine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What can be created, keyed by engine slug (`pg`, `mysql`, `kafka`, …).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Options {
    #[serde(default)]
    pub options: BTreeMap<String, EngineOptions>,
    #[serde(default)]
    pub version_availability: BTreeMap<String, Vec<VersionAvailability>>,
}

/// One engine's regions, versions and node layouts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EngineOptions {
    pub regions: Vec<String>,
    pub versions: Vec<String>,
    pub layouts: Vec<Layout>,
    /// Returned by the live API (and its examples) though the schema does not declare it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_version: Option<String>,
}

/// The sizes available for one node count.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Layout {
    pub num_nodes: i64,
    pub sizes: Vec<String>,
}

/// End-of-life and end-of-availability dates of one engine version.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VersionAvailability {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_life: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_availability: Option<String>,
    /// Whether this is the engine's default version; live-API field missing from the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn example() -> serde_json::Value {
        json!({
          "options": {
            "kafka": {
              "regions": ["ams3", "nyc3"],
              "versions": ["3.8"],
              "layouts": [{"num_nodes": 3, "sizes": ["gd-2vcpu-8gb", "db-s-2vcpu-4gb"]},
                          {"num_nodes": 6, "sizes": ["gd-2vcpu-8gb"]}],
              "default_version": "3.8"
            },
            "pg": {
              "regions": ["nyc3"],
              "versions": ["16", "17"],
              "layouts": [{"num_nodes": 1, "sizes": ["db-s-1vcpu-1gb"]}],
              "default_version": "17"
            }
          },
          "version_availability": {
            "kafka": [{"end_of_life": null, "end_of_availability": "2025-06-03T00:00:00Z", "version": "3.8", "default": true}],
            "pg": [{"end_of_life": "2028-11-09T00:00:00Z", "end_of_availability": "2028-05-09T00:00:00Z", "version": "16", "default": false}]
          }
        })
    }

    #[test]
    fn reads_the_contract_example() {
        let o: Options = serde_json::from_value(example()).unwrap();
        let kafka = &o.options["kafka"];
        assert_eq!(
            kafka.layouts[1],
            Layout {
                num_nodes: 6,
                sizes: vec!["gd-2vcpu-8gb".into()]
            }
        );
        assert_eq!(kafka.default_version.as_deref(), Some("3.8"));
        let kafka_38 = &o.version_availability["kafka"][0];
        assert_eq!(kafka_38.end_of_life, None);
        assert_eq!(kafka_38.default, Some(true));
        assert_eq!(
            o.version_availability["pg"][0].end_of_life.as_deref(),
            Some("2028-11-09T00:00:00Z")
        );
    }

    #[test]
    fn round_trips() {
        let o: Options = serde_json::from_value(example()).unwrap();
        let again: Options = serde_json::from_value(serde_json::to_value(&o).unwrap()).unwrap();
        assert_eq!(again, o);
    }

    #[test]
    fn missing_parts_default_to_empty() {
        let o: Options =
            serde_json::from_value(json!({"options": {"redis": {"regions": ["fra1"]}}})).unwrap();
        assert_eq!(o.options["redis"].versions, Vec::<String>::new());
        assert!(o.options["redis"].layouts.is_empty());
        assert!(o.version_availability.is_empty());
        assert_eq!(
            serde_json::from_value::<Options>(json!({})).unwrap(),
            Options::default()
        );
    }
}
