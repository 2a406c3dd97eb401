//! The emulator's shared state and the few operations every handler uses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::{Method, StatusCode};

use super::auth_ratelimit::RateLimiter;
use super::backing::Backing;
use super::config::{MockConfig, Settings};
use super::error::{ApiError, ApiResult};
use super::faults::Faults;
use super::persist::Persister;
use super::request_log::RequestLog;
use super::store::{now_ms, Store};
use super::uncloud::{write_atomically, UncloudStore};

pub struct App {
    pub config: MockConfig,
    store: Mutex<Store>,
    settings: Mutex<Settings>,
    pub faults: Mutex<Faults>,
    pub log: Mutex<RequestLog>,
    pub limiter: Mutex<RateLimiter>,
    pub mutations: Arc<Mutex<MutationTracker>>,
    persister: Option<Persister>,
    /// The Uncloud platform's databases (`/api/v1`), apart from the DigitalOcean account.
    uncloud: Mutex<UncloudStore>,
    /// Held while the Uncloud databases are written, so that writes land in change order.
    uncloud_saving: tokio::sync::Mutex<()>,
    /// `--real-engines`: the real servers behind pg, mysql, redis and valkey clusters.
    pub backing: Option<Arc<Backing>>,
}

/// Locks a mutex, ignoring poisoning: every critical section leaves its data consistent
/// before anything can panic, and one failed request must not wedge the emulator.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl App {
    /// The shared state; loads the state file when one is configured.
    pub fn new(config: MockConfig) -> anyhow::Result<App> {
        let (persister, data) = match &config.state_file {
            Some(path) => {
                let (persister, data) = Persister::open(path.clone())?;
                (Some(persister), data)
            }
            None => (None, None),
        };
        let mut store = match data {
            Some(data) => Store::from_data(data, config.seed),
            None => Store::new(config.seed),
        };
        if persister.is_some() {
            store.track_changes();
        }
        let uncloud = UncloudStore::open(config.state_file.as_deref(), config.seed)?;
        let backing = if config.real_engines {
            Some(Arc::new(Backing::open(config.state_file.as_deref())?))
        } else {
            None
        };
        Ok(App {
            backing,
            uncloud: Mutex::new(uncloud),
            uncloud_saving: tokio::sync::Mutex::new(()),
            settings: Mutex::new(Settings::from_config(&config)),
            store: Mutex::new(store),
            faults: Mutex::default(),
            log: Mutex::default(),
            limiter: Mutex::default(),
            mutations: Arc::default(),
            persister,
            config,
        })
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    pub fn update_settings(&self, patch: &serde_json::Value) -> Result<Settings, String> {
        let mut settings = lock(&self.settings);
        settings.merge_patch(patch)?;
        Ok(settings.clone())
    }

    fn settled_store(&self) -> MutexGuard<'_, Store> {
        let settings = self.settings();
        let mut store = lock(&self.store);
        store.settle(now_ms(), &settings);
        store
    }

    /// Runs `f` on the settled store.
    pub fn read<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        f(&self.settled_store())
    }

    /// Runs `f` on the settled store and counts a change when it succeeds. What `f` changed is
    /// saved by the next [`App::persist`].
    pub fn write<R>(&self, f: impl FnOnce(&mut Store) -> ApiResult<R>) -> ApiResult<R> {
        let mut store = self.settled_store();
        let result = f(&mut store);
        if result.is_ok() {
            store.touch();
        }
        result
    }

    /// Records that a cluster's real server is (or is not) ready; not a change of the store.
    pub fn set_server_ready(&self, id: &str, ready: bool) {
        lock(&self.store).set_server_ready(id, ready);
    }

    /// Brings the real servers (with `--real-engines`) to what the store holds.
    pub async fn reconcile_servers(self: &Arc<Self>) -> ApiResult<()> {
        match &self.backing {
            Some(backing) => backing.reconcile(self).await,
            None => Ok(()),
        }
    }

    /// Runs `f` on the Uncloud databases, settled, with the time and the settings. What `f`
    /// marks as changed is saved by the next [`App::persist`].
    pub fn uncloud<R>(&self, f: impl FnOnce(&mut UncloudStore, u64, &Settings) -> R) -> R {
        let settings = self.settings();
        let now = now_ms();
        let mut store = lock(&self.uncloud);
        store.settle(now, &settings);
        f(&mut store, now, &settings)
    }

    /// Saves to the state file what changed since the last save, if anything did; returns
    /// once it is in the file, so call it before answering a request that changed the store.
    /// The Uncloud databases are small and saved whole, beside the state file.
    pub async fn persist(&self) -> anyhow::Result<()> {
        if let Some(persister) = &self.persister {
            persister.save(&self.store).await?;
        }
        let _saving = self.uncloud_saving.lock().await;
        let save = lock(&self.uncloud).take_save()?;
        if let Some((path, bytes)) = save {
            tokio::task::spawn_blocking(move || write_atomically(&path, &bytes)).await??;
        }
        Ok(())
    }

    /// `POST /_mock/reset`: forget everything, back to the start-up settings.
    pub fn reset(&self) {
        lock(&self.store).clear(self.config.seed);
        lock(&self.uncloud).clear();
        *lock(&self.settings) = Settings::from_config(&self.config);
        lock(&self.faults).clear();
        lock(&self.log).reset();
        *lock(&self.limiter) = RateLimiter::default();
        lock(&self.mutations).reset();
    }
}

/// The end of the emulator is its clean shutdown: the state file's journal is folded into a
/// snapshot, which emulators without the journal can read too.
impl Drop for App {
    fn drop(&mut self) {
        let Some(persister) = &mut self.persister else {
            return;
        };
        let store = self.store.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = persister.close(store) {
            tracing::error!(error = %format!("{error:#}"), "dbaas-mock could not write its state file");
        }
    }
}

/// Tracks mutations in flight per cluster, to count (and optionally refuse) overlapping ones,
/// as the real API answers 412 to a second change of a busy cluster.
#[derive(Debug, Default)]
pub struct MutationTracker {
    in_flight: HashMap<String, usize>,
    overlaps: u64,
}

impl MutationTracker {
    pub fn overlaps(&self) -> u64 {
        self.overlaps
    }

    fn reset(&mut self) {
        self.overlaps = 0;
    }
}

/// Leaves the tracker when the request is done (or abandoned).
pub struct MutationGuard {
    tracker: Arc<Mutex<MutationTracker>>,
    cluster: String,
}

impl Drop for MutationGuard {
    fn drop(&mut self) {
        let mut tracker = lock(&self.tracker);
        if let Some(count) = tracker.in_flight.get_mut(&self.cluster) {
            *count -= 1;
            if *count == 0 {
                tracker.in_flight.remove(&self.cluster);
            }
        }
    }
}

/// Enters a mutation of the cluster the path names, if it is one. With `reject_overlaps`, a
/// second concurrent mutation of the same cluster is refused with 412.
pub fn enter_mutation(
    tracker: &Arc<Mutex<MutationTracker>>,
    method: &Method,
    path: &str,
    reject_overlaps: bool,
) -> ApiResult<Option<MutationGuard>> {
    if *method == Method::GET || *method == Method::HEAD {
        return Ok(None);
    }
    let mut segments = path.trim_matches('/').split('/');
    let cluster = match (segments.next(), segments.next(), segments.next()) {
        (Some("v2"), Some("databases"), Some(id)) if !matches!(id, "options" | "metrics") => id,
        _ => return Ok(None),
    };
    let mut state = lock(tracker);
    let busy = state.in_flight.get(cluster).copied().unwrap_or(0) > 0;
    if busy {
        state.overlaps += 1;
        if reject_overlaps {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "update cluster cannot be performed. Reason: another operation on the cluster is in progress",
            ));
        }
    }
    *state.in_flight.entry(cluster.to_string()).or_insert(0) += 1;
    Ok(Some(MutationGuard {
        tracker: Arc::clone(tracker),
        cluster: cluster.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_mutations_are_counted_and_optionally_refused() {
        let tracker = Arc::new(Mutex::new(MutationTracker::default()));
        let first = enter_mutation(&tracker, &Method::POST, "/v2/databases/c1/pools", false)
            .unwrap()
            .expect("a pool create is a mutation");
        assert!(
            enter_mutation(&tracker, &Method::GET, "/v2/databases/c1", false)
                .unwrap()
                .is_none()
        );
        let other =
            enter_mutation(&tracker, &Method::PUT, "/v2/databases/c2/firewall", false).unwrap();
        assert_eq!(lock(&tracker).overlaps(), 0);
        let err = enter_mutation(&tracker, &Method::DELETE, "/v2/databases/c1/pools/p", true)
            .err()
            .expect("second mutation of c1 is refused");
        assert_eq!(err.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(lock(&tracker).overlaps(), 1);
        drop(first);
        drop(other);
        assert!(
            enter_mutation(&tracker, &Method::DELETE, "/v2/databases/c1/pools/p", true).is_ok()
        );
    }
}
