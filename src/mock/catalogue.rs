//! The options catalogue (`GET /v2/databases/options`): regions, versions, layouts and version
//! availability per engine. `options.json` is the contract's own example response (all nine
//! engines), so what the emulator offers and validates against is what the contract shows.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

use super::engine::Engine;
use super::error::{ApiError, ApiResult};

const OPTIONS_JSON: &str = include_str!("options.json");

#[derive(Debug, Deserialize)]
struct RawCatalogue {
    options: BTreeMap<String, EngineOptions>,
    version_availability: BTreeMap<String, Vec<VersionAvailability>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EngineOptions {
    pub regions: Vec<String>,
    pub versions: Vec<String>,
    pub layouts: Vec<Layout>,
    pub default_version: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Layout {
    pub num_nodes: u32,
    pub sizes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VersionAvailability {
    pub version: String,
    pub end_of_life: Option<String>,
    pub end_of_availability: Option<String>,
}

pub struct Catalogue {
    response: Value,
    raw: RawCatalogue,
}

/// The catalogue, parsed once.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue {
        response: serde_json::from_str(OPTIONS_JSON).expect("options.json is valid JSON"),
        raw: serde_json::from_str(OPTIONS_JSON).expect("options.json matches the catalogue model"),
    })
}

impl Catalogue {
    /// The body of `GET /v2/databases/options`.
    pub fn response(&self) -> &Value {
        &self.response
    }

    pub fn engine(&self, engine: Engine) -> &EngineOptions {
        self.raw
            .options
            .get(engine.slug())
            .expect("every engine has an options entry")
    }

    pub fn availability(&self, engine: Engine, version: &str) -> Option<&VersionAvailability> {
        self.raw
            .version_availability
            .get(engine.slug())
            .and_then(|list| list.iter().find(|entry| entry.version == version))
    }

    /// The version to create, or a 422 naming the allowed versions.
    pub fn check_version(&self, engine: Engine, version: Option<&str>) -> ApiResult<String> {
        let options = self.engine(engine);
        let Some(version) = version.filter(|v| !v.is_empty()) else {
            return Ok(options.default_version.clone());
        };
        if options.versions.iter().any(|v| v == version) {
            Ok(version.to_string())
        } else {
            Err(ApiError::unprocessable(format!(
                "invalid cluster engine version: version {version:?} is not available for engine {}; allowed versions: {}",
                engine.slug(),
                options.versions.join(", ")
            )))
        }
    }

    pub fn check_region(&self, engine: Engine, region: &str) -> ApiResult<()> {
        let options = self.engine(engine);
        if options.regions.iter().any(|r| r == region) {
            Ok(())
        } else {
            Err(ApiError::unprocessable(format!(
                "invalid region: region {region:?} is not available for engine {}; allowed regions: {}",
                engine.slug(),
                options.regions.join(", ")
            )))
        }
    }

    /// Checks `num_nodes` and then `size` against the engine's layouts.
    pub fn check_layout(&self, engine: Engine, num_nodes: i64, size: &str) -> ApiResult<()> {
        let options = self.engine(engine);
        let allowed_nodes: Vec<String> = options
            .layouts
            .iter()
            .map(|l| l.num_nodes.to_string())
            .collect();
        let Some(layout) = options
            .layouts
            .iter()
            .find(|l| i64::from(l.num_nodes) == num_nodes)
        else {
            return Err(ApiError::unprocessable(format!(
                "invalid num_nodes: {num_nodes} nodes is not available for engine {}; allowed values: {}",
                engine.slug(),
                allowed_nodes.join(", ")
            )));
        };
        if layout.sizes.iter().any(|s| s == size) {
            Ok(())
        } else {
            Err(ApiError::unprocessable(format!(
                "invalid size: size {size:?} is not available for engine {} with {num_nodes} nodes; allowed sizes: {}",
                engine.slug(),
                layout.sizes.join(", ")
            )))
        }
    }
}

/// The full version the engine reports for a major version (`14` runs `14.17`), as the real
/// API reports `semantic_version` next to the requested `version`.
pub fn semantic_version(engine: Engine, version: &str) -> String {
    let patch = match (engine, version) {
        (Engine::Pg | Engine::AdvancedPg, "13") => "13.20",
        (Engine::Pg | Engine::AdvancedPg, "14") => "14.17",
        (Engine::Pg | Engine::AdvancedPg, "15") => "15.12",
        (Engine::Pg | Engine::AdvancedPg, "16") => "16.8",
        (Engine::Pg | Engine::AdvancedPg, "17") => "17.4",
        (Engine::Pg | Engine::AdvancedPg, "18") => "18.1",
        (Engine::Mysql, "8") => "8.0.35",
        (Engine::Redis, "7") => "7.2.4",
        (Engine::Valkey, "8") => "8.0.2",
        (Engine::Mongodb, "6.0") => "6.0.19",
        (Engine::Mongodb, "7.0") => "7.0.16",
        (Engine::Kafka, "3.8") => "3.8.1",
        (Engine::Opensearch, "1") => "1.3.20",
        (Engine::Opensearch, "2") => "2.17.1",
        _ => return version.to_string(),
    };
    patch.to_string()
}

/// Compares dotted versions numerically (`"9" < "10"`, `"6.0" < "7.0"`).
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parts(a).cmp(&parts(b))
}

/// Memory of a size slug in GiB (`db-s-2vcpu-4gb` → 4, `gd-2vcpu-8gb-intel` → 8).
pub fn size_memory_gib(size: &str) -> u64 {
    size.split('-')
        .find_map(|part| part.strip_suffix("gb").and_then(|n| n.parse().ok()))
        .unwrap_or(8)
}

/// The storage a size comes with, in MiB; `storage_size_mib` may only add to it.
pub fn base_storage_mib(size: &str) -> u64 {
    let gib = match size_memory_gib(size) {
        0 | 1 => 10,
        memory => memory * 15,
    };
    gib * 1024
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn catalogue_covers_every_engine_with_a_valid_default() {
        for engine in Engine::ALL {
            let options = catalogue().engine(engine);
            assert!(!options.regions.is_empty(), "{engine:?}");
            assert!(
                options.versions.contains(&options.default_version),
                "{engine:?}"
            );
            assert!(catalogue()
                .availability(engine, &options.default_version)
                .is_some());
        }
    }

    #[test]
    fn validation_names_field_and_allowed_values() {
        let err = catalogue().check_region(Engine::Pg, "mars1").unwrap_err();
        assert!(err.message.contains("region") && err.message.contains("nyc3"));
        let err = catalogue()
            .check_layout(Engine::Pg, 7, "db-s-1vcpu-1gb")
            .unwrap_err();
        assert!(err.message.contains("num_nodes") && err.message.contains("1, 2, 3"));
        let err = catalogue()
            .check_layout(Engine::Pg, 2, "db-s-1vcpu-1gb")
            .unwrap_err();
        assert!(err.message.contains("size") && err.message.contains("db-s-1vcpu-2gb"));
        assert!(catalogue()
            .check_layout(Engine::Pg, 1, "db-s-1vcpu-1gb")
            .is_ok());
        let err = catalogue()
            .check_version(Engine::Pg, Some("14.5"))
            .unwrap_err();
        assert!(err.message.contains("version") && err.message.contains("17"));
        assert_eq!(catalogue().check_version(Engine::Pg, None).unwrap(), "17");
    }

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(compare_versions("9", "10"), Ordering::Less);
        assert_eq!(compare_versions("7.0", "6.0"), Ordering::Greater);
        assert_eq!(compare_versions("14", "14"), Ordering::Equal);
    }

    #[test]
    fn storage_grows_with_memory() {
        assert_eq!(base_storage_mib("db-s-1vcpu-1gb"), 10 * 1024);
        assert_eq!(base_storage_mib("db-s-2vcpu-4gb"), 61440);
        assert_eq!(size_memory_gib("gd-2vcpu-8gb-intel"), 8);
    }
}
