//! The databases, their lifecycle (computed from timestamps on read), and their persistence
//! beside the state file.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::super::config::Settings;
use super::super::store::timestamp;

pub const DB_TYPES: [&str; 4] = ["postgresql", "mysql", "redis", "mongodb"];
pub const DEFAULT_PROJECT: &str = "proj_default";

/// The versions an engine offers, newest last.
pub fn versions(db_type: &str) -> &'static [&'static str] {
    match db_type {
        "postgresql" => &["14", "15", "16"],
        "mysql" => &["8.0", "8.4"],
        "redis" => &["7.0", "7.2"],
        "mongodb" => &["6.0", "7.0"],
        _ => &[],
    }
}

/// How provisioning ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Running,
    /// Never leaves `provisioning` (the `never_online` fault).
    Stuck,
    /// Ends in `error` with this message (the `provisioning_fails` fault).
    Fails(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Database {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub slug: String,
    pub db_type: String,
    pub version: String,
    pub plan_id: String,
    pub region: String,
    pub storage_gb: i64,
    pub replicas: i64,
    pub created_ms: u64,
    pub outcome: Outcome,
    /// When `DELETE` was answered; the database reads `destroyed` until the transition delay
    /// has passed.
    pub deleted_ms: Option<u64>,
    pub username: String,
    pub password: String,
    pub database: String,
}

impl Database {
    pub fn status(&self, now_ms: u64, settings: &Settings) -> &'static str {
        if self.deleted_ms.is_some() {
            return "destroyed";
        }
        if now_ms.saturating_sub(self.created_ms) < settings.provision_delay_ms {
            return "provisioning";
        }
        match self.outcome {
            Outcome::Running => "running",
            Outcome::Stuck => "provisioning",
            Outcome::Fails(_) => "error",
        }
    }

    fn gone(&self, now_ms: u64, settings: &Settings) -> bool {
        self.deleted_ms
            .is_some_and(|at| now_ms.saturating_sub(at) >= settings.transition_delay_ms)
    }

    /// The full object (`GET`).
    pub fn object(&self, now_ms: u64, settings: &Settings) -> Value {
        let status = self.status(now_ms, settings);
        let mut object = json!({
            "id": self.id,
            "project_id": self.project_id,
            "name": self.name,
            "slug": self.slug,
            "db_type": self.db_type,
            "version": self.version,
            "plan_id": self.plan_id,
            "status": status,
            "region": self.region,
            "storage_gb": self.storage_gb,
            "replicas": self.replicas,
            "created_at": timestamp(self.created_ms),
        });
        if let (Outcome::Fails(message), "error") = (&self.outcome, status) {
            object["error_message"] = json!(message);
        }
        object
    }

    /// The create's partial answer (201).
    pub fn created(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "db_type": self.db_type,
            "status": "provisioning",
            "created_at": timestamp(self.created_ms),
        })
    }

    pub fn host(&self) -> String {
        format!("{}-{}.db.uncloud.internal", self.slug, &self.id[3..11])
    }

    /// The engine-specific credentials.
    pub fn credentials(&self) -> Value {
        let host = self.host();
        let (port, scheme, query) = match self.db_type.as_str() {
            "mysql" => (3306, "mysql", "?ssl-mode=REQUIRED"),
            "mongodb" => (27017, "mongodb", "?tls=true"),
            "redis" => (6379, "redis", ""),
            _ => (5432, "postgresql", "?sslmode=require"),
        };
        if self.db_type == "redis" {
            return json!({
                "host": host,
                "port": port,
                "password": self.password,
                "connection_string": format!("redis://:{}@{host}:{port}", self.password),
            });
        }
        json!({
            "host": host,
            "port": port,
            "username": self.username,
            "password": self.password,
            "database": self.database,
            "ssl_mode": "require",
            "connection_string": format!(
                "{scheme}://{}:{}@{host}:{port}/{}{query}",
                self.username, self.password, self.database
            ),
        })
    }
}

/// What is kept (and saved beside the state file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UncloudData {
    pub databases: Vec<Database>,
    /// Databases ever created; reseeds the ID source after a restart.
    pub serial: u64,
}

pub struct UncloudStore {
    pub data: UncloudData,
    seed: Option<u64>,
    rng: StdRng,
    /// `<state file>.uncloud.json`, when the emulator has a state file.
    file: Option<PathBuf>,
    dirty: bool,
}

impl UncloudStore {
    /// An empty store, or the one saved beside `state_file`.
    pub fn open(state_file: Option<&Path>, seed: Option<u64>) -> anyhow::Result<UncloudStore> {
        let file = state_file.map(sidecar);
        let data = match &file {
            Some(path) if path.exists() => {
                let bytes =
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                serde_json::from_slice(&bytes)
                    .with_context(|| format!("{} is not an Uncloud state file", path.display()))?
            }
            _ => UncloudData::default(),
        };
        let rng = rng_for(seed, data.serial);
        Ok(UncloudStore {
            data,
            seed,
            rng,
            file,
            dirty: false,
        })
    }

    /// Forgets every database (`/_mock/reset`).
    pub fn clear(&mut self) {
        self.data = UncloudData::default();
        self.rng = rng_for(self.seed, 0);
        self.dirty = true;
    }

    /// Drops the databases whose deletion has run its course.
    pub fn settle(&mut self, now_ms: u64, settings: &Settings) {
        let before = self.data.databases.len();
        self.data.databases.retain(|db| !db.gone(now_ms, settings));
        if self.data.databases.len() != before {
            self.dirty = true;
        }
    }

    pub fn changed(&mut self) {
        self.dirty = true;
    }

    pub fn new_id(&mut self) -> String {
        self.data.serial += 1;
        format!("db_{:016x}", self.rng.gen::<u64>())
    }

    pub fn password(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        (0..24)
            .map(|_| char::from(ALPHABET[self.rng.gen_range(0..ALPHABET.len())]))
            .collect()
    }

    /// What to write, if anything changed since the last save: the file and its new content.
    pub fn take_save(&mut self) -> anyhow::Result<Option<(PathBuf, Vec<u8>)>> {
        let Some(file) = &self.file else {
            return Ok(None);
        };
        if !std::mem::take(&mut self.dirty) {
            return Ok(None);
        }
        Ok(Some((file.clone(), serde_json::to_vec(&self.data)?)))
    }
}

fn rng_for(seed: Option<u64>, serial: u64) -> StdRng {
    match seed {
        Some(seed) => StdRng::seed_from_u64(seed ^ 0x756e_636c_6f75_6400 ^ serial),
        None => StdRng::from_entropy(),
    }
}

/// Where the Uncloud databases of a state file are kept: beside it, so that an emulator
/// without Uncloud support still reads the state file itself.
pub fn sidecar(state_file: &Path) -> PathBuf {
    let mut name = state_file.file_name().unwrap_or_default().to_os_string();
    name.push(".uncloud.json");
    state_file.with_file_name(name)
}

/// Writes `bytes` to `path` atomically and durably (temporary file, fsync, rename, fsync of
/// the directory), so that a kill at any moment leaves the old or the new content.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut temporary = path.as_os_str().to_os_string();
    temporary.push(format!(".tmp-{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let mut file = std::fs::File::create(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))?;
    if let Some(directory) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(directory) = std::fs::File::open(directory) {
            let _ = directory.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::MockConfig;

    fn sample(created_ms: u64, outcome: Outcome) -> Database {
        Database {
            id: "db_0123456789abcdef".into(),
            project_id: DEFAULT_PROJECT.into(),
            name: "orders".into(),
            slug: "orders".into(),
            db_type: "postgresql".into(),
            version: "16".into(),
            plan_id: "db-s-1vcpu-1gb".into(),
            region: "nyc1".into(),
            storage_gb: 10,
            replicas: 1,
            created_ms,
            outcome,
            deleted_ms: None,
            username: "orders".into(),
            password: "secret".into(),
            database: "orders".into(),
        }
    }

    #[test]
    fn the_lifecycle_follows_the_clock() {
        let settings = Settings::from_config(&MockConfig::default());
        let delay = settings.provision_delay_ms;
        let db = sample(1_000, Outcome::Running);
        assert_eq!(db.status(1_000 + delay - 1, &settings), "provisioning");
        assert_eq!(db.status(1_000 + delay, &settings), "running");
        let failing = sample(1_000, Outcome::Fails("no nodes".into()));
        assert_eq!(failing.status(1_000 + delay, &settings), "error");
        assert_eq!(
            failing.object(1_000 + delay, &settings)["error_message"],
            "no nodes"
        );
        assert!(failing
            .object(1_000, &settings)
            .get("error_message")
            .is_none());
        let stuck = sample(0, Outcome::Stuck);
        assert_eq!(stuck.status(u64::MAX / 2, &settings), "provisioning");
    }

    #[test]
    fn deleted_databases_read_destroyed_then_vanish() {
        let settings = Settings::from_config(&MockConfig::default());
        let mut store = UncloudStore::open(None, Some(1)).unwrap();
        let mut db = sample(0, Outcome::Running);
        db.deleted_ms = Some(10_000);
        store.data.databases.push(db);
        store.settle(10_000, &settings);
        assert_eq!(
            store.data.databases[0].status(10_000, &settings),
            "destroyed"
        );
        store.settle(10_000 + settings.transition_delay_ms, &settings);
        assert!(store.data.databases.is_empty());
    }

    #[test]
    fn redis_credentials_have_no_username_or_database() {
        let mut db = sample(0, Outcome::Running);
        db.db_type = "redis".into();
        let credentials = db.credentials();
        assert!(credentials.get("username").is_none());
        assert!(credentials.get("database").is_none());
        assert_eq!(credentials["port"], 6379);
        let pg = sample(0, Outcome::Running).credentials();
        assert_eq!(pg["port"], 5432);
        assert!(pg["connection_string"]
            .as_str()
            .unwrap()
            .starts_with("postgresql://orders:secret@"));
    }

    #[test]
    fn the_sidecar_sits_beside_the_state_file() {
        assert_eq!(
            sidecar(Path::new("/tmp/state.json")),
            PathBuf::from("/tmp/state.json.uncloud.json")
        );
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let mut store = UncloudStore::open(Some(&state), Some(3)).unwrap();
        store.data.databases.push(sample(0, Outcome::Running));
        store.changed();
        let (path, bytes) = store.take_save().unwrap().unwrap();
        write_atomically(&path, &bytes).unwrap();
        assert!(
            store.take_save().unwrap().is_none(),
            "nothing changed since"
        );
        let reopened = UncloudStore::open(Some(&state), Some(3)).unwrap();
        assert_eq!(reopened.data, store.data);
    }
}
