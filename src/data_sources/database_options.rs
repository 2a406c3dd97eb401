//! `dbaas_database_options`: what can be created — per engine, its regions, versions (with
//! their end-of-life and end-of-availability dates) and node layouts (node count → sizes),
//! from `GET /v2/databases/options`, optionally narrowed by filters.
//!
//! Configurations and tests that hard-code versions and size slugs break when DigitalOcean
//! retires them; reading them from this data source keeps them current.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::models::{EngineOptions, Options};
use crate::framework::context::RequestContext;
use crate::framework::data_source::DataSource;
use crate::framework::diag::DiagExt;
use crate::framework::validate;
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, Schema};
use crate::plugin::value::Value;
use crate::plugin::{AttributePath, Diagnostics};
use crate::resources::schema_util::{computed, optional};

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// The data source's configuration and result, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OptionsModel {
    pub id: Value<String>,
    pub engine: Value<String>,
    pub region: Value<String>,
    pub node_count: Value<i64>,
    pub version: Value<String>,
    pub engines: Value<Vec<Value<EngineModel>>>,
}

/// One element of `engines`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineModel {
    pub engine: Value<String>,
    pub default_version: Value<String>,
    pub regions: Value<Vec<Value<String>>>,
    pub versions: Value<Vec<Value<VersionModel>>>,
    pub layouts: Value<Vec<Value<LayoutModel>>>,
}

/// One element of `engines[*].versions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VersionModel {
    pub version: Value<String>,
    pub end_of_life: Value<String>,
    pub end_of_availability: Value<String>,
}

/// One element of `engines[*].layouts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LayoutModel {
    pub num_nodes: Value<i64>,
    pub sizes: Value<Vec<Value<String>>>,
}

/// The filters, once known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub engine: Option<String>,
    pub region: Option<String>,
    pub node_count: Option<i64>,
    pub version: Option<String>,
}

impl Filters {
    fn from_model(model: &OptionsModel) -> Filters {
        Filters {
            engine: model.engine.as_ref_option().cloned(),
            region: model.region.as_ref_option().cloned(),
            node_count: model.node_count.as_ref_option().copied(),
            version: model.version.as_ref_option().cloned(),
        }
    }

    /// A stable ID: the same filters always give the same ID, whatever the API answers.
    pub fn id(&self) -> String {
        let mut parts = Vec::new();
        if let Some(engine) = &self.engine {
            parts.push(format!("engine={}", engine.to_ascii_lowercase()));
        }
        if let Some(region) = &self.region {
            parts.push(format!("region={}", region.to_ascii_lowercase()));
        }
        if let Some(nodes) = self.node_count {
            parts.push(format!("node_count={nodes}"));
        }
        if let Some(version) = &self.version {
            parts.push(format!("version={version}"));
        }
        if parts.is_empty() {
            "database-options".to_string()
        } else {
            format!("database-options:{}", parts.join(","))
        }
    }
}

/// `wanted` selects `version` when it is the version itself or one of its dotted prefixes:
/// `"8"` selects `"8"` and `"8.4.8"`, but not `"18"`.
pub fn version_matches(wanted: &str, version: &str) -> bool {
    version == wanted
        || version
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.starts_with('.'))
}

fn strings(values: impl IntoIterator<Item = String>) -> Value<Vec<Value<String>>> {
    Value::Value(values.into_iter().map(Value::Value).collect())
}

/// One engine's offer narrowed by the filters; `None` when the filters leave nothing of it.
fn engine_model(
    engine: &str,
    offer: &EngineOptions,
    catalogue: &Options,
    filters: &Filters,
) -> Option<EngineModel> {
    let regions: Vec<String> = offer
        .regions
        .iter()
        .filter(|r| {
            filters
                .region
                .as_deref()
                .map_or(true, |wanted| r.eq_ignore_ascii_case(wanted))
        })
        .cloned()
        .collect();
    let availability = catalogue.version_availability.get(engine);
    let versions: Vec<Value<VersionModel>> = offer
        .versions
        .iter()
        .filter(|v| {
            filters
                .version
                .as_deref()
                .map_or(true, |wanted| version_matches(wanted, v))
        })
        .map(|version| {
            let dates = availability
                .into_iter()
                .flatten()
                .find(|entry| &entry.version == version);
            Value::Value(VersionModel {
                version: Value::Value(version.clone()),
                end_of_life: dates
                    .and_then(|d| d.end_of_life.clone())
                    .map_or(Value::Null, Value::Value),
                end_of_availability: dates
                    .and_then(|d| d.end_of_availability.clone())
                    .map_or(Value::Null, Value::Value),
            })
        })
        .collect();
    let layouts: Vec<Value<LayoutModel>> = offer
        .layouts
        .iter()
        .filter(|l| filters.node_count.map_or(true, |n| l.num_nodes == n))
        .map(|layout| {
            Value::Value(LayoutModel {
                num_nodes: Value::Value(layout.num_nodes),
                sizes: strings(layout.sizes.iter().cloned()),
            })
        })
        .collect();
    let emptied = (filters.region.is_some() && regions.is_empty())
        || (filters.version.is_some() && versions.is_empty())
        || (filters.node_count.is_some() && layouts.is_empty());
    if emptied {
        return None;
    }
    let default_version = offer
        .default_version
        .clone()
        .or_else(|| {
            availability?
                .iter()
                .find(|entry| entry.default == Some(true))
                .map(|entry| entry.version.clone())
        })
        .map_or(Value::Null, Value::Value);
    Some(EngineModel {
        engine: Value::Value(engine.to_string()),
        default_version,
        regions: strings(regions),
        versions: Value::Value(versions),
        layouts: Value::Value(layouts),
    })
}

/// Why the filters cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEngine {
    pub engine: String,
    pub offered: Vec<String>,
}

/// The catalogue narrowed by the filters, engines in alphabetical order. An engine filter
/// that names no engine of the catalogue is an error (most likely a typo); other filters
/// that match nothing give an empty list.
pub fn select(catalogue: &Options, filters: &Filters) -> Result<Vec<EngineModel>, UnknownEngine> {
    if let Some(wanted) = &filters.engine {
        if !catalogue
            .options
            .keys()
            .any(|engine| engine.eq_ignore_ascii_case(wanted))
        {
            return Err(UnknownEngine {
                engine: wanted.clone(),
                offered: catalogue.options.keys().cloned().collect(),
            });
        }
    }
    Ok(catalogue
        .options
        .iter()
        .filter(|(engine, _)| {
            filters
                .engine
                .as_deref()
                .map_or(true, |wanted| engine.eq_ignore_ascii_case(wanted))
        })
        .filter_map(|(engine, offer)| engine_model(engine, offer, catalogue, filters))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

fn engine_object_type() -> AttributeType {
    use AttributeType::{List, Number, Object, String as Str};
    Object(map! {
        "engine" => Str,
        "default_version" => Str,
        "regions" => List(Box::new(Str)),
        "versions" => List(Box::new(Object(map! {
            "version" => Str,
            "end_of_life" => Str,
            "end_of_availability" => Str,
        }))),
        "layouts" => List(Box::new(Object(map! {
            "num_nodes" => Number,
            "sizes" => List(Box::new(Str)),
        }))),
    })
}

pub fn options_schema() -> Schema {
    use AttributeType::{List, Number, String as Str};
    Schema {
        version: 1,
        block: Block {
            version: 1,
            attributes: map! {
                "id" => computed(Str,
                    "Derived from the filters, so the same filters always give the same ID."),
                "engine" => optional(Str,
                    "Only this engine (`pg`, `mysql`, `valkey`, `kafka`, …). An engine the API \
                     does not offer is an error that lists the ones it does."),
                "region" => optional(Str,
                    "Only engines offered in this region (case-insensitive), and only this region \
                     in their `regions`."),
                "node_count" => optional(Number,
                    "Only engines that offer clusters of this many nodes, and only that layout in \
                     their `layouts`."),
                "version" => optional(Str,
                    "Only this version, or the versions it is a dotted prefix of (`8` selects \
                     `8` and `8.4.8`, not `18`)."),
                "engines" => computed(List(Box::new(engine_object_type())),
                    "The engines that match the filters, in alphabetical order. Each has \
                     `engine` (the slug), `default_version` (the version a cluster gets when it \
                     names none; null when the API does not say), `regions` (slugs), `versions` \
                     (objects with `version`, `end_of_life` and `end_of_availability`, RFC 3339 \
                     timestamps or null when not announced) and `layouts` (objects with \
                     `num_nodes` and the `sizes` slugs available for that many nodes). Filters \
                     that match nothing give an empty list."),
            },
            description: Description::markdown(
                "What the API offers for new database clusters: per engine, the regions, the \
                 versions with their end-of-life and end-of-availability dates, and the node \
                 sizes available for each node count. Use it instead of hard-coding versions and \
                 size slugs, which DigitalOcean retires over time.",
            ),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Data source
// ---------------------------------------------------------------------------------------------

fn validate_config(diags: &mut Diagnostics, config: &OptionsModel) {
    validate::not_blank(diags, AttributePath::new("engine"), &config.engine);
    validate::not_blank(diags, AttributePath::new("region"), &config.region);
    validate::not_blank(diags, AttributePath::new("version"), &config.version);
    validate::int_at_least(
        diags,
        AttributePath::new("node_count"),
        &config.node_count,
        1,
    );
}

/// The `dbaas_database_options` data source.
#[derive(Debug, Clone, Default)]
pub struct DatabaseOptionsDataSource;

#[async_trait]
impl DataSource for DatabaseOptionsDataSource {
    type Model = OptionsModel;
    const TYPE_NAME: &'static str = "dbaas_database_options";

    fn schema(&self) -> Schema {
        options_schema()
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &OptionsModel) {
        validate_config(diags, config);
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        config: OptionsModel,
    ) -> Option<OptionsModel> {
        let api = ctx.api(diags)?;
        let catalogue = match api.catalogue().await {
            Ok(catalogue) => catalogue,
            Err(error) => {
                diags.api_err("Could not read the database options", &error);
                return None;
            }
        };
        let filters = Filters::from_model(&config);
        match select(&catalogue, &filters) {
            Ok(engines) => Some(OptionsModel {
                id: Value::Value(filters.id()),
                engines: Value::Value(engines.into_iter().map(Value::Value).collect()),
                ..config
            }),
            Err(UnknownEngine { engine, offered }) => {
                diags.err(
                    "Engine not offered",
                    format!(
                        "`engine` {engine:?} is not in the API's options. Engines offered: {}.",
                        offered.join(", ")
                    ),
                    AttributePath::new("engine"),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Options {
        serde_json::from_value(serde_json::json!({
            "options": {
                "pg": {
                    "regions": ["nyc1", "ams3"],
                    "versions": ["16", "17"],
                    "layouts": [
                        {"num_nodes": 1, "sizes": ["db-s-1vcpu-1gb", "db-s-1vcpu-2gb"]},
                        {"num_nodes": 3, "sizes": ["db-s-1vcpu-2gb"]}
                    ],
                    "default_version": "17"
                },
                "kafka": {
                    "regions": ["nyc1"],
                    "versions": ["3.8"],
                    "layouts": [{"num_nodes": 3, "sizes": ["gd-2vcpu-8gb"]}]
                },
                "advanced_mysql": {
                    "regions": ["ams3"],
                    "versions": ["8.4.8"],
                    "layouts": [{"num_nodes": 1, "sizes": ["gd-2vcpu-8gb"]}]
                }
            },
            "version_availability": {
                "pg": [
                    {"version": "16", "end_of_life": "2028-11-09T00:00:00Z", "end_of_availability": "2028-05-09T00:00:00Z"},
                    {"version": "17", "end_of_life": null, "end_of_availability": null, "default": true}
                ],
                "kafka": [{"version": "3.8", "end_of_life": null, "end_of_availability": "2025-06-03T00:00:00Z", "default": true}]
            }
        }))
        .unwrap()
    }

    fn names(engines: &[EngineModel]) -> Vec<String> {
        engines
            .iter()
            .map(|e| e.engine.as_ref_option().unwrap().clone())
            .collect()
    }

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    #[test]
    fn without_filters_every_engine_is_listed_with_dates() {
        let engines = select(&catalogue(), &Filters::default()).unwrap();
        assert_eq!(names(&engines), ["advanced_mysql", "kafka", "pg"]);
        let pg = &engines[2];
        assert_eq!(pg.default_version, s("17"));
        let versions = pg.versions.as_ref_option().unwrap();
        assert_eq!(
            versions[0],
            Value::Value(VersionModel {
                version: s("16"),
                end_of_life: s("2028-11-09T00:00:00Z"),
                end_of_availability: s("2028-05-09T00:00:00Z"),
            })
        );
        assert_eq!(
            versions[1].as_ref_option().unwrap().end_of_life,
            Value::Null
        );
        // Kafka's default comes from version_availability when the engine entry lacks it.
        assert_eq!(engines[1].default_version, s("3.8"));
        // No dates at all: the versions are still listed, with null dates.
        let mysql_versions = engines[0].versions.as_ref_option().unwrap();
        assert_eq!(
            mysql_versions[0]
                .as_ref_option()
                .unwrap()
                .end_of_availability,
            Value::Null
        );
        assert_eq!(engines[0].default_version, Value::Null);
    }

    #[test]
    fn filters_narrow_engines_and_their_lists() {
        let filters = Filters {
            region: Some("NYC1".into()),
            node_count: Some(3),
            ..Filters::default()
        };
        let engines = select(&catalogue(), &filters).unwrap();
        assert_eq!(names(&engines), ["kafka", "pg"]);
        let pg = &engines[1];
        assert_eq!(pg.regions, Value::Value(vec![s("nyc1")]));
        assert_eq!(
            pg.layouts,
            Value::Value(vec![Value::Value(LayoutModel {
                num_nodes: Value::Value(3),
                sizes: Value::Value(vec![s("db-s-1vcpu-2gb")]),
            })])
        );

        let by_version = Filters {
            version: Some("8".into()),
            ..Filters::default()
        };
        assert_eq!(
            names(&select(&catalogue(), &by_version).unwrap()),
            ["advanced_mysql"]
        );

        let nothing = Filters {
            engine: Some("kafka".into()),
            region: Some("ams3".into()),
            ..Filters::default()
        };
        assert!(select(&catalogue(), &nothing).unwrap().is_empty());
    }

    #[test]
    fn an_unknown_engine_lists_the_offered_ones() {
        let filters = Filters {
            engine: Some("postgres".into()),
            ..Filters::default()
        };
        let error = select(&catalogue(), &filters).unwrap_err();
        assert_eq!(error.engine, "postgres");
        assert_eq!(error.offered, ["advanced_mysql", "kafka", "pg"]);
    }

    #[test]
    fn dotted_prefixes_select_versions() {
        assert!(version_matches("8", "8"));
        assert!(version_matches("8", "8.4.8"));
        assert!(version_matches("8.4", "8.4.8"));
        assert!(!version_matches("8", "18"));
        assert!(!version_matches("8.4.8", "8.4"));
    }

    #[test]
    fn ids_are_stable_and_depend_only_on_the_filters() {
        let a = Filters {
            engine: Some("PG".into()),
            node_count: Some(3),
            ..Filters::default()
        };
        let b = Filters {
            engine: Some("pg".into()),
            node_count: Some(3),
            ..Filters::default()
        };
        assert_eq!(a.id(), b.id());
        assert_eq!(a.id(), "database-options:engine=pg,node_count=3");
        assert_eq!(Filters::default().id(), "database-options");
        assert_ne!(Filters::default().id(), a.id());
    }

    #[test]
    fn the_result_is_wholly_known() {
        let engines = select(&catalogue(), &Filters::default()).unwrap();
        let json = serde_json::to_string(&engines).unwrap();
        // An unknown value has no JSON form of its own (it is written as null), so it would
        // come back as null: only a wholly known result round-trips through JSON unchanged.
        let again: Vec<EngineModel> = serde_json::from_str(&json).unwrap();
        assert_eq!(again, engines);
        for engine in &engines {
            assert!(engine.engine.is_value() && engine.regions.is_value());
            assert!(engine.versions.is_value() && engine.layouts.is_value());
        }
    }

    #[test]
    fn models_match_the_schema() {
        let schema = options_schema();
        let (attributes, fields) =
            crate::resources::schema_util::attribute_and_field_names::<OptionsModel>(&schema);
        assert_eq!(attributes, fields);

        let AttributeType::Object(engine_fields) = engine_object_type() else {
            panic!("engines elements are objects");
        };
        let mut engine_attributes: Vec<&str> = engine_fields.keys().map(String::as_str).collect();
        engine_attributes.sort_unstable();
        let engine = serde_json::to_value(EngineModel::default()).unwrap();
        let mut engine_model: Vec<&str> = engine
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        engine_model.sort_unstable();
        assert_eq!(engine_attributes, engine_model);
    }
}
