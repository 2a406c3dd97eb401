//! What every log sink resource does the same way: the attributes that identify a sink, the
//! plan (which changes replace it), create, read, update, delete, import and the checks
//! against the parent cluster. A sink type ([`SinkKind`]) supplies its settings: schema,
//! validation, defaults, and the conversion to and from the API's `config`.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::api::models::logsink::{
    CreateLogSinkRequest, LogSink, LogSinkConfig, UpdateLogSinkRequest,
};
use crate::api::models::Cluster;
use crate::api::wait::{await_condition, conditions, Poll, WaitError};
use crate::api::{ErrorKind, Found};
use crate::framework::attr as at;
use crate::framework::context::{ApiContext, RequestContext};
use crate::framework::diag::DiagExt;
use crate::framework::normalize::same_ignoring_case;
use crate::framework::plan::{self, other_cluster};
use crate::framework::resource::ManagedResource;
use crate::framework::timeouts::{
    timeouts_block, validate_timeouts, TimeoutDefaults, TimeoutWording, Timeouts,
};
use crate::framework::validate;
use crate::framework::values::{settled, text};
use crate::map;
use crate::plugin::schema::{Attribute, AttributeType, Block, Description, NestedBlock, Schema};
use crate::plugin::service::MoveRequest;
use crate::plugin::value::Value;
use crate::plugin::{AttributePath, Diagnostics};

use crate::resources::moved::SourceState;
use crate::resources::schema_util::{computed, required};

const TIMEOUTS: TimeoutDefaults = TimeoutDefaults {
    create: Duration::from_secs(20 * 60),
    update: Duration::from_secs(10 * 60),
    delete: Duration::from_secs(5 * 60),
};

const TIMEOUT_WORDING: TimeoutWording = TimeoutWording {
    create: "How long to wait for the cluster to be online and accept the new log sink",
    update: "How long to keep retrying a configuration change while the cluster is busy",
    delete: "How long to wait for the log sink to be deleted",
    block: "Time limits for creating, changing and deleting the log sink. A cluster that is \
            busy or not ready yet is retried until the limit.",
};

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// The attributes every sink has, apart from its settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Common {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub name: Value<String>,
    pub logsink_id: Value<String>,
    pub timeouts: Value<Timeouts>,
}

/// A sink type's model: its settings beside the [`Common`] fields, which it has under the
/// same names (see [`impl_sink_model`]).
pub trait SinkModel:
    Serialize + DeserializeOwned + Clone + Default + PartialEq + Debug + Send + Sync + 'static
{
    fn common(&self) -> Common;
    fn set_common(&mut self, common: Common);
    fn timeouts(&self) -> &Value<Timeouts>;
}

/// Implements [`SinkModel`] for a struct with the fields `id`, `cluster_id`, `name`,
/// `logsink_id` and `timeouts`.
macro_rules! impl_sink_model {
    ($model:ty) => {
        impl $crate::resources::database_logsink::sink::SinkModel for $model {
            fn common(&self) -> $crate::resources::database_logsink::sink::Common {
                $crate::resources::database_logsink::sink::Common {
                    id: self.id.clone(),
                    cluster_id: self.cluster_id.clone(),
                    name: self.name.clone(),
                    logsink_id: self.logsink_id.clone(),
                    timeouts: self.timeouts.clone(),
                }
            }

            fn set_common(&mut self, common: $crate::resources::database_logsink::sink::Common) {
                self.id = common.id;
                self.cluster_id = common.cluster_id;
                self.name = common.name;
                self.logsink_id = common.logsink_id;
                self.timeouts = common.timeouts;
            }

            fn timeouts(
                &self,
            ) -> &$crate::plugin::value::Value<$crate::framework::timeouts::Timeouts> {
                &self.timeouts
            }
        }
    };
}
pub(crate) use impl_sink_model;

/// The resource ID, which is also the import ID: `<cluster_id>,<logsink_id>`.
pub fn sink_id(cluster_id: &str, logsink_id: &str) -> String {
    format!("{cluster_id},{logsink_id}")
}

// ---------------------------------------------------------------------------------------------
// Sink types
// ---------------------------------------------------------------------------------------------

/// One sink type: what its resource adds to the shared attributes.
pub trait SinkKind: Send + Sync + Default + 'static {
    type Model: SinkModel;
    /// The resource type, e.g. `dbaas_database_logsink_rsyslog`.
    const TYPE_NAME: &'static str;
    /// The API's `sink_type`.
    const SINK_TYPE: &'static str;
    /// The resource in a sentence: "rsyslog log sink".
    const WHAT: &'static str;

    /// The resource's description (its docs page opens with it).
    fn description() -> String;

    /// The settings' schema attributes.
    fn attributes() -> BTreeMap<String, Attribute>;

    /// Checks the settings of a configuration; unknown values are skipped.
    fn validate(diags: &mut Diagnostics, config: &Self::Model);

    /// Fills in what the plan knows beyond the configuration (defaults of unset settings).
    fn plan(planned: &mut Self::Model, config: &Self::Model);

    /// The API's `config` for a planned sink; write-only values come from `config`.
    fn request(planned: &Self::Model, config: &Self::Model) -> LogSinkConfig;

    /// The settings as the API has them; `reference` is the prior state (a default model on
    /// import), whose spellings and write-only versions are kept. `importing` takes the
    /// secrets the state does not hold from the API (see [`super::secret::refreshed`]).
    fn settings(api: &LogSinkConfig, reference: &Self::Model, importing: bool) -> Self::Model;

    /// Why `cluster`'s engine cannot have this sink, if it cannot.
    fn unsupported_engine(_cluster: &Cluster) -> Option<String> {
        None
    }

    /// A state moved from DigitalOcean's counterpart; types without one refuse.
    fn moved(diags: &mut Diagnostics, request: &MoveRequest) -> Option<Self::Model> {
        diags.root_err(
            "Cannot move this resource here",
            format!(
                "{} has no counterpart in DigitalOcean's provider, so there is no state to \
                 move from {} ({}). Import the log sink with `<cluster_id>,<logsink_id>` instead.",
                Self::TYPE_NAME,
                request.source_type_name,
                request.source_provider_address
            ),
        );
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

pub fn sink_schema<K: SinkKind>() -> Schema {
    use AttributeType::String as Str;
    let mut attributes = map! {
        "id" => computed(Str,
            "The sink's ID, `<cluster_id>,<logsink_id>`: the same string `terraform import` \
             takes (and DigitalOcean's provider uses)."),
        "cluster_id" => required(Str,
            "The UUID of the cluster whose logs the sink receives. Changing it replaces the \
             sink."),
        "name" => required(Str,
            "The sink's name, unique within the cluster. Changing it replaces the sink."),
        "logsink_id" => computed(Str, "The sink's ID as the API knows it (`sink_id`)."),
    };
    attributes.extend(K::attributes());
    Schema {
        version: 0,
        block: Block {
            version: 0,
            attributes,
            blocks: map! {
                "timeouts" => NestedBlock::Optional(timeouts_block(TIMEOUTS, TIMEOUT_WORDING)),
            },
            description: Description::markdown(K::description()),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Validation and plan
// ---------------------------------------------------------------------------------------------

pub fn validate_config<K: SinkKind>(diags: &mut Diagnostics, config: &K::Model) {
    let common = config.common();
    validate::uuid(diags, at("cluster_id"), &common.cluster_id);
    validate::not_blank(diags, at("name"), &common.name);
    validate_timeouts(diags, &common.timeouts);
    K::validate(diags, config);
}

/// The plan for a new sink: the configuration with its defaults; the IDs come from the API.
pub fn plan_new<K: SinkKind>(proposed: K::Model, config: &K::Model) -> K::Model {
    let mut planned = proposed;
    K::plan(&mut planned, config);
    let mut common = planned.common();
    common.id = Value::Unknown;
    common.logsink_id = Value::Unknown;
    planned.set_common(common);
    planned
}

/// The plan for an existing sink and what replaces it: another cluster or another name (the
/// API cannot rename a sink); every setting changes in place.
pub fn plan_existing<K: SinkKind>(
    prior: &K::Model,
    proposed: K::Model,
    config: &K::Model,
) -> (K::Model, Vec<AttributePath>) {
    let mut planned = proposed;
    K::plan(&mut planned, config);
    let (before, after) = (prior.common(), planned.common());
    let mut replace = plan::Replacements::default();
    if other_cluster(&before.cluster_id, &after.cluster_id) {
        replace.add("cluster_id");
    }
    if plan::differs(&before.name, &after.name) {
        replace.add("name");
    }
    (planned, replace.into_paths())
}

// ---------------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------------

/// The resource of sink type `K`.
#[derive(Debug, Default)]
pub struct LogSinkResource<K: SinkKind>(PhantomData<K>);

fn describe<K: SinkKind>(state: &K::Model) -> String {
    let common = state.common();
    match (text(&common.name), text(&common.cluster_id)) {
        (Some(name), Some(cluster)) => format!("{} {name:?} of cluster {cluster}", K::WHAT),
        (Some(name), None) => format!("{} {name:?}", K::WHAT),
        _ => K::WHAT.to_string(),
    }
}

/// The state of `sink` of `cluster_id`; `reference` keeps its spelling of the cluster's ID,
/// its timeouts and what [`SinkKind::settings`] keeps.
fn state_of<K: SinkKind>(
    cluster_id: &str,
    sink: &LogSink,
    reference: &K::Model,
    importing: bool,
) -> K::Model {
    let before = reference.common();
    let cluster_id = match &before.cluster_id {
        Value::Value(wanted) if same_ignoring_case(wanted, cluster_id) => wanted.clone(),
        _ => cluster_id.to_string(),
    };
    let mut model = K::settings(&sink.config, reference, importing);
    model.set_common(Common {
        id: Value::Value(sink_id(&cluster_id, &sink.sink_id)),
        cluster_id: Value::Value(cluster_id),
        name: Value::Value(sink.sink_name.clone()),
        logsink_id: Value::Value(sink.sink_id.clone()),
        timeouts: settled(&before.timeouts),
    });
    model
}

/// The error for a sink of another type than the resource's.
fn wrong_type<K: SinkKind>(diags: &mut Diagnostics, sink: &LogSink) {
    diags.root_err(
        format!("Not a {} sink", K::SINK_TYPE),
        format!(
            "Log sink {} ({:?}) is a {} sink, and {} manages {} sinks only; use \
             dbaas_database_logsink_{} for it.",
            sink.sink_id,
            sink.sink_name,
            sink.sink_type,
            K::TYPE_NAME,
            K::SINK_TYPE,
            sink.sink_type
        ),
    );
}

/// Reports whether `cluster` can have this sink, as an error naming `cluster_id` when not.
fn check_engine<K: SinkKind>(diags: &mut Diagnostics, cluster: &Cluster) -> bool {
    match K::unsupported_engine(cluster) {
        None => true,
        Some(reason) => {
            diags.err(
                "This cluster cannot have this log sink",
                format!(
                    "`cluster_id` {:?} is the {} cluster {:?}: {reason}",
                    cluster.id, cluster.engine, cluster.name
                ),
                at("cluster_id"),
            );
            false
        }
    }
}

/// Plan-time check of a known `cluster_id`: it must exist and take this sink type.
async fn check_cluster<K: SinkKind>(
    ctx: &RequestContext,
    diags: &mut Diagnostics,
    cluster_id: &str,
) {
    let Some(api) = ctx.api_if_configured() else {
        return;
    };
    match api
        .client
        .get_parent_cluster(cluster_id, &api.poll, &ctx.cancel)
        .await
    {
        Ok(cluster) => {
            check_engine::<K>(diags, &cluster);
        }
        Err(error) if error.is_not_found() => diags.err(
            "Database cluster not found",
            format!("`cluster_id` {cluster_id:?} names no database cluster this token can see."),
            at("cluster_id"),
        ),
        Err(error) => {
            tracing::warn!(%error, cluster = cluster_id, "cluster not readable at plan time; the engine is checked at apply");
        }
    }
}

/// After a failed `POST`: how to adopt a sink of that name that already exists, or the
/// API's answer.
async fn report_create_failure<K: SinkKind>(
    diags: &mut Diagnostics,
    api: &ApiContext,
    planned: &K::Model,
    error: &WaitError,
) {
    let common = planned.common();
    let (Some(cluster_id), Some(name)) = (text(&common.cluster_id), text(&common.name)) else {
        return;
    };
    if let WaitError::Api(api_error) = error {
        if api_error.kind() == ErrorKind::Invalid {
            if let Ok(Some(sink)) = api.client.logsinks(cluster_id).find_by_name(name).await {
                diags.err(
                    "Log sink already exists",
                    format!(
                        "Cluster {cluster_id} already has a log sink named {name:?} (a {} sink; \
                         {api_error}). Terraform does not take over existing objects silently: \
                         import it with `terraform import <address> {}`, or choose another \
                         `name`.",
                        sink.sink_type,
                        sink_id(cluster_id, &sink.sink_id)
                    ),
                    at("name"),
                );
                return;
            }
        }
    }
    diags.wait_err(
        format!("Could not create the {}", describe::<K>(planned)),
        error,
    );
}

/// An import ID `<cluster_id>,<logsink_id>`.
pub fn parse_import_id(id: &str) -> Result<(String, String), String> {
    let expected = format!(
        "The import ID must be the cluster's UUID and the log sink's ID (`logsink_id`) joined \
         by a comma, `<cluster_id>,<logsink_id>`, such as \
         \"9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,77b28fc8-19ff-11eb-8c9c-c68e24557488\"; got {id:?}."
    );
    let Some((cluster, sink)) = id.split_once(',') else {
        return Err(expected);
    };
    let cluster = cluster.trim();
    let sink = sink.trim();
    if !validate::is_uuid(cluster) || sink.is_empty() || sink.contains(',') || sink.contains('/') {
        return Err(expected);
    }
    Ok((cluster.to_ascii_lowercase(), sink.to_string()))
}

#[async_trait]
impl<K: SinkKind> ManagedResource for LogSinkResource<K> {
    type Model = K::Model;
    const TYPE_NAME: &'static str = K::TYPE_NAME;
    const IDENTITY: &'static [&'static str] = &["cluster_id", "logsink_id"];
    const TIMEOUTS: TimeoutDefaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        sink_schema::<K>()
    }

    fn timeouts(model: &K::Model) -> &Value<Timeouts> {
        model.timeouts()
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &K::Model) {
        validate_config::<K>(diags, config);
    }

    async fn plan_create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        proposed: K::Model,
        config: &K::Model,
    ) -> Option<K::Model> {
        let planned = plan_new::<K>(proposed, config);
        if let Some(cluster_id) = text(&planned.common().cluster_id) {
            check_cluster::<K>(ctx, diags, cluster_id).await;
        }
        Some(planned)
    }

    async fn plan_update(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        prior: &K::Model,
        proposed: K::Model,
        config: &K::Model,
    ) -> Option<(K::Model, Vec<AttributePath>)> {
        Some(plan_existing::<K>(prior, proposed, config))
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned: K::Model,
        config: &K::Model,
    ) -> Option<K::Model> {
        let api = ctx.api(diags)?;
        let mut common = planned.common();
        let cluster_id = text(&common.cluster_id)?.to_string();
        let cluster = match api
            .client
            .clusters()
            .wait(
                &cluster_id,
                conditions::online(),
                &api.poll,
                ctx.deadline(),
                &ctx.cancel,
            )
            .await
        {
            Ok(cluster) => cluster,
            Err(error) => {
                diags.wait_err(
                    format!(
                        "Database cluster {cluster_id} is not online, so the {} cannot be created",
                        describe::<K>(&planned)
                    ),
                    &error,
                );
                return None;
            }
        };
        if !check_engine::<K>(diags, &cluster) {
            return None;
        }
        let request = CreateLogSinkRequest {
            sink_name: text(&common.name)?.to_string(),
            sink_type: K::SINK_TYPE.to_string(),
            config: K::request(&planned, config),
        };
        let sinks = api.client.logsinks(&cluster_id);
        let created = ctx
            .change_cluster(&api, &cluster_id, "create log sink", || {
                sinks.create(&request)
            })
            .await;
        let sink = match created {
            Ok(sink) => sink,
            Err(error) => {
                report_create_failure::<K>(diags, &api, &planned, &error).await;
                return None;
            }
        };
        tracing::info!(cluster = %cluster_id, sink = %sink.sink_id, sink_type = K::SINK_TYPE, "log sink created");
        // Everything else was known at plan time, and an apply must return exactly that.
        common.id = Value::Value(sink_id(&cluster_id, &sink.sink_id));
        common.logsink_id = Value::Value(sink.sink_id);
        common.timeouts = settled(&common.timeouts);
        let mut created = planned;
        created.set_common(common);
        Some(created)
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: K::Model,
    ) -> Option<Option<K::Model>> {
        let common = state.common();
        let (Some(cluster_id), Some(logsink_id)) =
            (text(&common.cluster_id), text(&common.logsink_id))
        else {
            return Some(Some(state));
        };
        let api = ctx.api(diags)?;
        match api
            .client
            .logsinks(cluster_id)
            .get(logsink_id)
            .await
            .found()
        {
            Ok(Some(sink)) if sink.sink_type == K::SINK_TYPE => {
                Some(Some(state_of::<K>(cluster_id, &sink, &state, false)))
            }
            Ok(Some(sink)) => {
                wrong_type::<K>(diags, &sink);
                None
            }
            Ok(None) => {
                tracing::info!(
                    cluster = cluster_id,
                    sink = logsink_id,
                    "log sink is gone; removing it from state"
                );
                Some(None)
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read the {}", describe::<K>(&state)),
                    &error,
                );
                None
            }
        }
    }

    async fn update(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        _prior: K::Model,
        planned: K::Model,
        config: &K::Model,
    ) -> Option<K::Model> {
        let api = ctx.api(diags)?;
        let common = planned.common();
        let cluster_id = text(&common.cluster_id)?.to_string();
        let logsink_id = text(&common.logsink_id)?.to_string();
        let request = UpdateLogSinkRequest {
            config: K::request(&planned, config),
        };
        let sinks = api.client.logsinks(&cluster_id);
        let updated = ctx
            .change_cluster(&api, &cluster_id, "update log sink", || {
                sinks.update(&logsink_id, &request)
            })
            .await;
        if let Err(error) = updated {
            diags.wait_err(
                format!("Could not update the {}", describe::<K>(&planned)),
                &error,
            );
            return None;
        }
        Some(planned)
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: K::Model,
    ) -> Option<()> {
        let api = ctx.api(diags)?;
        let common = prior.common();
        let cluster_id = text(&common.cluster_id)?.to_string();
        let logsink_id = text(&common.logsink_id)?.to_string();
        let sinks = api.client.logsinks(&cluster_id);
        let deleted = ctx
            .change_cluster(&api, &cluster_id, "delete log sink", || async {
                match sinks.delete(&logsink_id).await {
                    Err(error) if error.is_not_found() => Ok(()),
                    other => other,
                }
            })
            .await;
        if let Err(error) = deleted {
            diags.wait_err(
                format!("Could not delete the {}", describe::<K>(&prior)),
                &error,
            );
            return None;
        }
        let read = || async { sinks.get(&logsink_id).await.found() };
        let gone = await_condition(
            &api.poll,
            ctx.deadline(),
            &ctx.cancel,
            true,
            read,
            |object: Option<LogSink>| match object {
                None => Poll::Ready(()),
                Some(_) => Poll::Pending("the log sink can still be read".to_string()),
            },
        )
        .await;
        if let Err(error) = gone {
            diags.wait_err(
                format!(
                    "The {} is being deleted but is not gone yet",
                    describe::<K>(&prior)
                ),
                &error,
            );
            return None;
        }
        Some(())
    }

    async fn import(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        id: &str,
    ) -> Option<K::Model> {
        let (cluster_id, logsink_id) = match parse_import_id(id) {
            Ok(parts) => parts,
            Err(message) => {
                diags.root_err("Invalid import ID", message);
                return None;
            }
        };
        let api = ctx.api(diags)?;
        match api
            .client
            .logsinks(&cluster_id)
            .get(&logsink_id)
            .await
            .found()
        {
            // With `secrets_in_state = false`, an import leaves the secrets out of state too.
            Ok(Some(sink)) if sink.sink_type == K::SINK_TYPE => Some(state_of::<K>(
                &cluster_id,
                &sink,
                &K::Model::default(),
                ctx.data().secrets_in_state(),
            )),
            Ok(Some(sink)) => {
                wrong_type::<K>(diags, &sink);
                None
            }
            Ok(None) => {
                diags.root_err(
                    "Cannot import a log sink that does not exist",
                    format!(
                        "Cluster {cluster_id} has no log sink with ID {logsink_id:?} (or the \
                         cluster does not exist for this token)."
                    ),
                );
                None
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read log sink {logsink_id:?} of cluster {cluster_id}"),
                    &error,
                );
                None
            }
        }
    }

    async fn move_state(
        &self,
        _ctx: &RequestContext,
        diags: &mut Diagnostics,
        request: &MoveRequest,
    ) -> Option<K::Model> {
        K::moved(diags, request)
    }
}

/// The identifying attributes of a DigitalOcean log sink's state (`cluster_id`, `name`,
/// `logsink_id`, and `id` = `<cluster_id>,<logsink_id>` as this provider writes it too).
pub fn moved_common(diags: &mut Diagnostics, source: &SourceState, from: &str) -> Option<Common> {
    let cluster_id = crate::resources::moved::required(diags, source, from, "cluster_id")?;
    let name = crate::resources::moved::required(diags, source, from, "name")?;
    let logsink_id = match source.string("logsink_id") {
        Value::Value(id) => id,
        _ => {
            let from_id = text(&source.string("id"))
                .and_then(|id| id.split_once(','))
                .map(|(_, sink)| sink.to_string());
            match from_id {
                Some(id) if !id.is_empty() => id,
                _ => crate::resources::moved::required(diags, source, from, "logsink_id")?,
            }
        }
    };
    Some(Common {
        id: Value::Value(sink_id(&cluster_id, &logsink_id)),
        cluster_id: Value::Value(cluster_id),
        name: Value::Value(name),
        logsink_id: Value::Value(logsink_id),
        timeouts: source.timeouts(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_are_a_cluster_uuid_and_a_sink_id() {
        assert_eq!(
            parse_import_id(" 9CC10173-E9EA-4176-9DBC-A4CEE4C4FF30 , dfcc9f57d86bf58e ").unwrap(),
            (
                "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30".to_string(),
                "dfcc9f57d86bf58e".to_string()
            )
        );
        for bad in [
            "dfcc9f57d86bf58e",
            "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,",
            "x,y",
            "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,a,b",
        ] {
            let error = parse_import_id(bad).unwrap_err();
            assert!(error.contains("`<cluster_id>,<logsink_id>`"), "{error}");
        }
    }
}
