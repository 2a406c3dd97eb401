//! What every request carries: the API context built by `configure`, the deadline from the
//! resource's `timeouts` block and the cancellation Terraform asks for with `StopProvider`.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::api::models::{Cluster, Options};
use crate::api::wait::{PollSchedule, WaitError};
use crate::api::{ApiError, Client};
use crate::plugin::service::ClientCapabilities;
use crate::plugin::Diagnostics;
use crate::uncloud::UncloudClient;

use super::diag::DiagExt;
use super::stop::stop_token;

/// Everything resources need to talk to the API.
#[derive(Debug)]
pub struct ApiContext {
    pub client: Client,
    pub poll: PollSchedule,
    /// The options catalogue, fetched at most once per provider run (plan-time validation).
    catalogue: tokio::sync::OnceCell<Arc<Options>>,
    /// The account's clusters as first listed in this run (plan-time name checks).
    clusters: tokio::sync::OnceCell<Arc<Vec<Cluster>>>,
}

impl ApiContext {
    pub fn new(client: Client, poll: PollSchedule) -> Self {
        Self {
            client,
            poll,
            catalogue: tokio::sync::OnceCell::new(),
            clusters: tokio::sync::OnceCell::new(),
        }
    }

    /// The account's clusters, listed on first use and shared for the rest of the run: one
    /// list for every new cluster's plan-time name check. It may be stale; a check that finds
    /// something in it confirms with [`Client`]'s live list.
    pub async fn clusters_listed_once(&self) -> Result<Arc<Vec<Cluster>>, ApiError> {
        self.clusters
            .get_or_try_init(|| async { self.client.clusters().list(None).await.map(Arc::new) })
            .await
            .cloned()
    }

    /// The options catalogue (engines, regions, versions, layouts), fetched on first use and
    /// shared by every resource for the rest of the run.
    pub async fn catalogue(&self) -> Result<Arc<Options>, ApiError> {
        self.catalogue
            .get_or_try_init(|| async { self.client.options().await.map(Arc::new) })
            .await
            .cloned()
    }
}

/// Which platform's API a resource needs; each has its own provider settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// DigitalOcean's `/v2/databases` (`token`, `api_endpoint`).
    DigitalOcean,
    /// The Uncloud platform's `/api/v1/databases` (`uncloud_endpoint`, `uncloud_token`).
    Uncloud,
}

/// Everything the Uncloud resources need to talk to the platform.
#[derive(Debug)]
pub struct UncloudContext {
    pub client: UncloudClient,
    pub poll: PollSchedule,
}

/// Why a platform's settings are unusable although the provider block is configured: an
/// error summary and detail, reported by the resources that need the platform only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingSetting {
    pub summary: String,
    pub detail: String,
}

/// Filled by `configure`, read by every request.
#[derive(Debug, Default)]
pub struct ProviderData {
    api: RwLock<Option<Arc<ApiContext>>>,
    /// Set by `configure` when the DigitalOcean settings are incomplete (no token).
    api_missing: RwLock<Option<MissingSetting>>,
    uncloud: RwLock<Option<Arc<UncloudContext>>>,
    /// Set by `configure` when the Uncloud settings are incomplete.
    uncloud_missing: RwLock<Option<MissingSetting>>,
    /// `secrets_in_state = false`: set by `configure`; until then secrets are kept, as they
    /// are by default.
    omit_secrets: AtomicBool,
    /// Objects this run has read from state (refresh), as `(type, import ID)`: they belong to
    /// the configuration being planned.
    in_state: Mutex<HashSet<(&'static str, String)>>,
}

impl ProviderData {
    /// The configured API context, or an error diagnostic explaining why there is none.
    pub fn api(&self, diags: &mut Diagnostics) -> Option<Arc<ApiContext>> {
        let api = self.api_if_configured();
        if api.is_none() {
            if let Some(missing) = read(&self.api_missing).clone() {
                diags.root_err(missing.summary, missing.detail);
                return None;
            }
            diags.root_err(
                "Provider not configured",
                "The dbaas provider has no usable configuration yet. This happens when the \
                 provider block depends on values that are only known after apply (for example a \
                 token produced by another resource); apply those first, or set the token through \
                 DBAAS_TOKEN.",
            );
        }
        api
    }

    /// The configured API context, if there is one yet (plan-time checks that are merely
    /// helpful use this and skip themselves when the provider is not configured).
    pub fn api_if_configured(&self) -> Option<Arc<ApiContext>> {
        read(&self.api).clone()
    }

    /// The configured Uncloud context, or an error diagnostic naming the missing setting.
    pub fn uncloud(&self, diags: &mut Diagnostics) -> Option<Arc<UncloudContext>> {
        let context = read(&self.uncloud).clone();
        if context.is_none() {
            match read(&self.uncloud_missing).clone() {
                Some(missing) => diags.root_err(missing.summary, missing.detail),
                None => diags.root_err(
                    "Provider not configured",
                    "The dbaas provider has no usable Uncloud configuration yet. This happens \
                     when `uncloud_endpoint` or `uncloud_token` depend on values that are only \
                     known after apply; apply those first, or set UNCLOUD_API_URL and \
                     UNCLOUD_TOKEN.",
                ),
            }
        }
        context
    }

    /// The Uncloud context when it is configured (for checks that are merely helpful).
    pub fn uncloud_if_configured(&self) -> Option<Arc<UncloudContext>> {
        read(&self.uncloud).clone()
    }

    /// Why `platform`'s settings are known to be unusable, if they are: a resource of that
    /// platform reports it when planned, so the plan fails rather than the apply.
    pub fn missing_setting(&self, platform: Platform) -> Option<MissingSetting> {
        match platform {
            Platform::DigitalOcean => read(&self.api_missing).clone(),
            Platform::Uncloud => read(&self.uncloud_missing).clone(),
        }
    }

    /// Records that the DigitalOcean settings are incomplete (configure).
    pub fn set_api_missing(&self, missing: MissingSetting) {
        *write(&self.api_missing) = Some(missing);
    }

    /// Installs the Uncloud context (configure, and tests).
    pub fn set_uncloud(&self, context: UncloudContext) {
        *write(&self.uncloud) = Some(Arc::new(context));
    }

    /// Records that the Uncloud settings are incomplete (configure).
    pub fn set_uncloud_missing(&self, missing: MissingSetting) {
        *write(&self.uncloud_missing) = Some(missing);
    }

    /// Notes that an object of `type_name` with this import ID was read from state.
    pub fn note_in_state(&self, type_name: &'static str, import_id: String) {
        self.in_state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert((type_name, import_id));
    }

    /// Whether this run read an object of `type_name` with this import ID from state (a
    /// tainted object being replaced, for example, is one).
    pub fn is_in_state(&self, type_name: &'static str, import_id: &str) -> bool {
        self.in_state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(&(type_name, import_id.to_string()))
    }

    /// Whether passwords and password-bearing URIs may be written to plan and state.
    pub fn secrets_in_state(&self) -> bool {
        !self.omit_secrets.load(Ordering::Relaxed)
    }

    /// Sets what `secrets_in_state` says (configure, and tests).
    pub fn set_secrets_in_state(&self, keep: bool) {
        self.omit_secrets.store(!keep, Ordering::Relaxed);
    }

    /// Installs an API context (configure, and tests and tools that bypass Terraform).
    pub fn set_api(&self, api: ApiContext) {
        *write(&self.api) = Some(Arc::new(api));
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One request's context.
#[derive(Debug, Clone)]
pub struct RequestContext {
    data: Arc<ProviderData>,
    /// When the operation must give up: from the `timeouts` block for create, update and
    /// delete; `None` for requests without a time limit of their own.
    pub deadline: Option<Instant>,
    /// Cancelled when Terraform asks the provider to stop.
    pub cancel: CancellationToken,
    pub client_capabilities: ClientCapabilities,
    /// When the plan of a new object is the create half of a replacement (a changed
    /// attribute that forces one, a tainted object, `-replace`): the import ID of the object
    /// it replaces, which still exists and may hold the same name.
    pub replacing: Option<String>,
}

impl RequestContext {
    pub fn new(data: Arc<ProviderData>) -> Self {
        Self {
            data,
            deadline: None,
            cancel: stop_token(),
            client_capabilities: ClientCapabilities::default(),
            replacing: None,
        }
    }

    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    pub fn with_replacing(mut self, replacing: Option<String>) -> Self {
        self.replacing = replacing;
        self
    }

    pub fn with_capabilities(mut self, capabilities: ClientCapabilities) -> Self {
        self.client_capabilities = capabilities;
        self
    }

    /// The API context, or an error diagnostic saying the provider is not configured.
    pub fn api(&self, diags: &mut Diagnostics) -> Option<Arc<ApiContext>> {
        self.data.api(diags)
    }

    /// The API context when the provider is configured (for checks that are merely helpful).
    pub fn api_if_configured(&self) -> Option<Arc<ApiContext>> {
        self.data.api_if_configured()
    }

    /// The Uncloud context, or an error diagnostic naming the missing setting.
    pub fn uncloud(&self, diags: &mut Diagnostics) -> Option<Arc<UncloudContext>> {
        self.data.uncloud(diags)
    }

    /// The deadline, or a far one for requests that have none (a read, a plan-time check).
    pub fn deadline(&self) -> Instant {
        self.deadline
            .unwrap_or_else(|| Instant::now() + std::time::Duration::from_secs(24 * 60 * 60))
    }

    pub fn data(&self) -> &Arc<ProviderData> {
        &self.data
    }

    /// Sends a change to cluster `cluster_id` in its turn (the client's per-cluster queue,
    /// retried while the cluster is busy), within this request's deadline and cancellation.
    pub async fn change_cluster<T, F, Fut>(
        &self,
        api: &ApiContext,
        cluster_id: &str,
        what: &str,
        send: F,
    ) -> Result<T, WaitError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        api.client
            .change_cluster(
                cluster_id,
                &api.poll,
                self.deadline(),
                &self.cancel,
                what,
                send,
            )
            .await
    }
}
