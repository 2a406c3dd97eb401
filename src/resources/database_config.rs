//! Engine configuration resources, `dbaas_database_<engine>_config`: a cluster's advanced
//! settings (`GET/PATCH /v2/databases/{id}/config`), one resource type per engine, all nine
//! from one implementation driven by the settings tables (`database_config/settings.rs`,
//! generated from the contract's config schemas by `scripts/gen-engine-config-settings.py`).
//!
//! The shape is DigitalOcean's `digitalocean_database_<engine>_config`, so its modules run
//! after renaming the prefix: `cluster_id` (replaces on change) and one optional attribute per
//! setting, under DigitalOcean's names; nested settings are blocks (`pgbouncer { … }`).
//! Where DigitalOcean's provider is wrong, this one differs, and the descriptions say so.
//!
//! What is managed is what is written:
//! - every setting is optional and computed; only settings written in the configuration are
//!   sent (one `PATCH` of the changed ones) — `false` and `0` included, which DigitalOcean's
//!   provider silently drops;
//! - a setting left out is read into state but never sent, so it is never in a plan's diff and
//!   never reverted; a written one that changes through the API shows in the next plan;
//! - removing a setting from the configuration stops managing it (the API has no "unset");
//! - destroy forgets the settings and leaves the cluster's configuration as it is;
//! - import (by cluster ID) reads every setting, so the plan after it is empty for a
//!   configuration that writes the values the cluster has.
//!
//! Nested settings (`pgbouncer`, `timescaledb`, `mysql_incremental_backup`) are "group"
//! blocks: always present in state, each setting in them managed like a top-level one.
//!
//! The advanced editions (`advanced_pg`, `advanced_mysql`) get the typed settings of their
//! engines, as the contract serves them, plus DigitalOcean's `pg_parameters` /
//! `mysql_parameters` map of strings, converted to the typed settings and checked the same way.

mod model;
mod settings;
mod table;

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::time::Duration;

use async_trait::async_trait;
use regex::Regex;
use serde_json::{Map, Value as Json};

use crate::api::models::Cluster;
use crate::api::wait::conditions;
use crate::framework::attr as at;
use crate::framework::context::RequestContext;
use crate::framework::diag::DiagExt;
use crate::framework::host::Host;
use crate::framework::normalize::same_ignoring_case;
use crate::framework::plan::other_cluster;
use crate::framework::resource::{Adapter, ManagedResource};
use crate::framework::timeouts::{
    timeouts_block, validate_timeouts, TimeoutDefaults, TimeoutWording, Timeouts,
};
use crate::framework::validate::{self, path_name};
use crate::framework::values::{settled, text};
use crate::framework::{child, import};
use crate::map;
use crate::plugin::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, NestedBlock, Schema,
};
use crate::plugin::service::MoveRequest;
use crate::plugin::value::Value;
use crate::plugin::{AttributePath, Diagnostics};
use crate::provider::DbaasProvider;

use super::moved::{self, SourceState};
use super::schema_util::{computed, required};

pub use model::{ConfigModel, Node, Parameters};
pub use table::{EngineSpec, Kind, Setting, ENGINES};

const TIMEOUTS: TimeoutDefaults = TimeoutDefaults {
    create: Duration::from_secs(20 * 60),
    update: Duration::from_secs(20 * 60),
    delete: Duration::from_secs(60),
};

const TIMEOUT_WORDING: TimeoutWording = TimeoutWording {
    create: "How long to wait for the cluster to be online and accept the settings",
    update: "How long to keep retrying a change while the cluster is busy",
    delete: "How long a destroy may take (it sends nothing: the settings stay as they are)",
    block: "Time limits for applying the settings. A cluster that is busy or not ready yet is \
            retried until the limit.",
};

/// Adds the engine configuration resources to the provider.
pub fn register(host: Host<DbaasProvider>) -> Host<DbaasProvider> {
    host.resource(Adapter::boxed(
        EngineConfigResource::<PostgresqlConfig>::new(),
    ))
    .resource(Adapter::boxed(EngineConfigResource::<MysqlConfig>::new()))
    .resource(Adapter::boxed(EngineConfigResource::<RedisConfig>::new()))
    .resource(Adapter::boxed(EngineConfigResource::<ValkeyConfig>::new()))
    .resource(Adapter::boxed(EngineConfigResource::<KafkaConfig>::new()))
    .resource(Adapter::boxed(EngineConfigResource::<MongodbConfig>::new()))
    .resource(Adapter::boxed(
        EngineConfigResource::<OpensearchConfig>::new(),
    ))
    .resource(Adapter::boxed(EngineConfigResource::<
        AdvancedPostgresqlConfig,
    >::new()))
    .resource(Adapter::boxed(
        EngineConfigResource::<AdvancedMysqlConfig>::new(),
    ))
}

// ---------------------------------------------------------------------------------------------
// The nine resource types
// ---------------------------------------------------------------------------------------------

/// One engine's resource type: its name (a constant, as the framework wants it) and table.
pub trait EngineKind: Send + Sync + 'static {
    const TYPE_NAME: &'static str;
    fn spec() -> &'static EngineSpec;
}

macro_rules! engine_kinds {
    ($($kind:ident => $spec:ident, $name:literal;)*) => {$(
        #[doc = concat!("`", $name, "`.")]
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $kind;

        impl EngineKind for $kind {
            const TYPE_NAME: &'static str = $name;
            fn spec() -> &'static EngineSpec {
                &table::$spec
            }
        }
    )*};
}

engine_kinds! {
    PostgresqlConfig => POSTGRESQL, "dbaas_database_postgresql_config";
    MysqlConfig => MYSQL, "dbaas_database_mysql_config";
    RedisConfig => REDIS, "dbaas_database_redis_config";
    ValkeyConfig => VALKEY, "dbaas_database_valkey_config";
    KafkaConfig => KAFKA, "dbaas_database_kafka_config";
    MongodbConfig => MONGODB, "dbaas_database_mongodb_config";
    OpensearchConfig => OPENSEARCH, "dbaas_database_opensearch_config";
    AdvancedPostgresqlConfig => ADVANCED_POSTGRESQL, "dbaas_database_advanced_postgresql_config";
    AdvancedMysqlConfig => ADVANCED_MYSQL, "dbaas_database_advanced_mysql_config";
}

/// The resource of engine `E`.
#[derive(Debug, Default)]
pub struct EngineConfigResource<E: EngineKind>(PhantomData<E>);

impl<E: EngineKind> EngineConfigResource<E> {
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

fn quoted(items: impl IntoIterator<Item = String>) -> String {
    items
        .into_iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn bound_text(bound: f64) -> String {
    if bound.fract() == 0.0 && bound.abs() < 1e15 {
        format!("{}", bound as i64)
    } else {
        format!("{bound}")
    }
}

fn range_text(min: Option<f64>, max: Option<f64>) -> Option<String> {
    match (min, max) {
        (Some(min), Some(max)) => Some(format!("from {} to {}", bound_text(min), bound_text(max))),
        (Some(min), None) => Some(format!("at least {}", bound_text(min))),
        (None, Some(max)) => Some(format!("at most {}", bound_text(max))),
        (None, None) => None,
    }
}

/// What the contract allows for a setting, as a sentence.
fn constraints_text(kind: &Kind) -> String {
    match kind {
        Kind::Bool => String::new(),
        Kind::Integer { min, max, allowed } if !allowed.is_empty() => {
            let _ = (min, max);
            format!(" One of {}.", quoted(allowed.iter().map(|n| n.to_string())))
        }
        Kind::Integer { min, max, .. } => match range_text(*min, *max) {
            Some(range) => format!(" A whole number {range}."),
            None => " A whole number.".to_string(),
        },
        Kind::Number { min, max } => match range_text(*min, *max) {
            Some(range) => format!(" A number {range}."),
            None => String::new(),
        },
        Kind::String(text) => {
            let mut out = String::new();
            if !text.allowed.is_empty() {
                out.push_str(&format!(
                    " One of {}.",
                    quoted(text.allowed.iter().map(|s| s.to_string()))
                ));
            }
            match (text.min_length, text.max_length) {
                (Some(min), Some(max)) => out.push_str(&format!(" {min} to {max} characters.")),
                (None, Some(max)) => out.push_str(&format!(" At most {max} characters.")),
                (Some(min), None) => out.push_str(&format!(" At least {min} characters.")),
                (None, None) => {}
            }
            if let Some(pattern) = text.pattern {
                out.push_str(&format!(" Must match `{pattern}`."));
            }
            out
        }
        Kind::StringSet { allowed, max_items } => {
            let mut out = String::new();
            if !allowed.is_empty() {
                out.push_str(&format!(
                    " Each one of {}.",
                    quoted(allowed.iter().map(|s| s.to_string()))
                ));
            }
            if let Some(max) = max_items {
                out.push_str(&format!(" At most {max} items."));
            }
            out
        }
        Kind::Block(_) => String::new(),
    }
}

fn setting_description(setting: &Setting) -> String {
    let mut text = setting.description.to_string();
    text.push_str(&constraints_text(&setting.kind));
    if let Some(default) = setting.default {
        text.push_str(&format!(
            " The API's default: `{}`.",
            default.trim_matches('"')
        ));
    }
    if setting.api != setting.name {
        text.push_str(&format!(" The API calls it `{}`.", setting.api));
    }
    text.push_str(
        " Sent only when written here (`false` and `0` included); left out, it is read but \
         never changed.",
    );
    text
}

fn attribute_type(kind: &Kind) -> AttributeType {
    match kind {
        Kind::Bool => AttributeType::Bool,
        Kind::Integer { .. } | Kind::Number { .. } => AttributeType::Number,
        Kind::String(_) => AttributeType::String,
        Kind::StringSet { .. } => AttributeType::Set(Box::new(AttributeType::String)),
        Kind::Block(_) => AttributeType::String,
    }
}

fn setting_attribute(setting: &Setting) -> Attribute {
    Attribute {
        attr_type: attribute_type(&setting.kind),
        description: Description::markdown(setting_description(setting)),
        constraint: AttributeConstraint::OptionalComputed,
        ..Default::default()
    }
}

fn settings_block(settings: &'static [Setting], description: String) -> Block {
    let mut attributes = BTreeMap::new();
    let mut blocks = BTreeMap::new();
    for setting in settings {
        match &setting.kind {
            Kind::Block(inner) => {
                let description = format!(
                    "{} A block that is always present in state: each setting in it is managed \
                     only when written, like a top-level one.",
                    setting.description
                );
                blocks.insert(
                    setting.name.to_string(),
                    NestedBlock::Group(settings_block(inner, description)),
                );
            }
            _ => {
                attributes.insert(setting.name.to_string(), setting_attribute(setting));
            }
        }
    }
    Block {
        attributes,
        blocks,
        description: Description::markdown(description),
        ..Default::default()
    }
}

fn resource_description(spec: &EngineSpec) -> String {
    format!(
        "The advanced configuration of a {product} cluster (`engine = \"{engine}\"`), the \
         settings of `GET/PATCH /v2/databases/{{id}}/config`. The counterpart of DigitalOcean's \
         `{theirs}`: a module written for it runs after renaming the prefix, and a `moved` block \
         from it keeps the state.\n\n\
         Only the settings written in the configuration are managed. They are sent with one \
         `PATCH` of the changed ones — `false` and `0` included (DigitalOcean's provider drops \
         them) — and a change made through the API shows in the next plan. Every other setting \
         is read into state but never sent: it is never in a plan's diff and never reverted. \
         Numbers stay numbers (DigitalOcean's provider takes some 64-bit settings as strings), \
         and every value is checked at plan time against the API contract's types, ranges, \
         enums and patterns.\n\n\
         Removing a setting from the configuration stops managing it. **Destroying the resource \
         changes nothing on the cluster**: the API cannot unset a setting, so destroy forgets \
         the settings and leaves them as they are (set them back explicitly first if that is \
         what you want). A `cluster_id` of another engine is rejected at plan time when the \
         cluster is known then; changing `cluster_id` replaces the resource.\n\n\
         Import with the cluster's ID: every setting is read, so the plan after import is empty \
         for a configuration that writes the values the cluster has.{parameters}",
        parameters = match spec.parameters {
            Some(name) => format!(
                "\n\n`{name}` (DigitalOcean's map of settings as strings) is accepted too, \
                 checked and sent as the typed settings. It is not filled by an import (the \
                 import cannot know which keys you write), so after importing, the first plan \
                 adds the map; applying it sends only what differs."
            ),
            None => String::new(),
        },
        product = spec.product,
        engine = spec.engine,
        theirs = spec.digitalocean,
    )
}

fn config_schema(spec: &EngineSpec) -> Schema {
    let mut block = settings_block(spec.settings, resource_description(spec));
    block.attributes.extend(map! {
        "id" => computed(AttributeType::String,
            "The cluster's ID: one configuration per cluster, and the ID `terraform import` \
             takes."),
        "cluster_id" => required(AttributeType::String, &format!(
            "The UUID of the {} cluster (`engine = \"{}\"`) to configure. Changing it replaces \
             the resource; a cluster of another engine is rejected at plan time when the ID is \
             known then.",
            spec.product, spec.engine
        )),
    });
    if let Some(name) = spec.parameters {
        block.attributes.insert(
            name.to_string(),
            Attribute {
                attr_type: AttributeType::Map(Box::new(AttributeType::String)),
                description: Description::markdown(format!(
                    "DigitalOcean's way of writing these settings, kept so that its modules run                      unchanged: the API's setting names (`work_mem`, `pg_stat_statements.track`)                      to values as strings. Each value is converted to the setting's type and                      checked like the typed attribute; a setting may be written here or as its                      attribute, not both. Only the keys written are sent and managed. Prefer                      the typed attributes: they are checked by Terraform's type system too.                      (DigitalOcean's provider sends these to an `{name}` field the API contract                      does not have; the contract serves {} clusters the same typed settings as                      standard ones, so that is what this provider sends.)",
                    spec.engine
                )),
                constraint: AttributeConstraint::Optional,
                ..Default::default()
            },
        );
    }
    block.blocks.insert(
        "timeouts".to_string(),
        NestedBlock::Optional(timeouts_block(TIMEOUTS, TIMEOUT_WORDING)),
    );
    Schema { version: 0, block }
}

// ---------------------------------------------------------------------------------------------
// Validation (configuration only, unknown values skipped)
// ---------------------------------------------------------------------------------------------

fn invalid(diags: &mut Diagnostics, path: &AttributePath, why: String) {
    let name = path_name(path);
    diags.err(
        format!("Invalid {name}"),
        format!("`{name}` {why}"),
        path.clone(),
    );
}

/// The number a value stands for: Terraform sends decimals a float cannot hold exactly (and
/// integers beyond 64 bits) as decimal text.
fn numeric(node: &Node) -> Option<f64> {
    match node {
        Node::Number(n) => n.as_f64(),
        Node::Text(text) => text.parse().ok(),
        _ => None,
    }
}

fn check_range(
    diags: &mut Diagnostics,
    path: &AttributePath,
    value: f64,
    shown: &str,
    min: Option<f64>,
    max: Option<f64>,
) {
    if min.is_some_and(|min| value < min) || max.is_some_and(|max| value > max) {
        let range = range_text(min, max).unwrap_or_default();
        invalid(diags, path, format!("must be {range}; got {shown}."));
    }
}

fn check_setting(diags: &mut Diagnostics, path: AttributePath, kind: &Kind, value: &Node) {
    match kind {
        Kind::Integer { min, max, allowed } => {
            let Some(n) = numeric(value) else { return };
            let shown = shown(value);
            if n.fract() != 0.0 {
                invalid(
                    diags,
                    &path,
                    format!("must be a whole number; got {shown}."),
                );
            } else if !allowed.is_empty() {
                if !allowed.iter().any(|a| *a as f64 == n) {
                    invalid(
                        diags,
                        &path,
                        format!(
                            "must be one of {}; got {shown}.",
                            allowed
                                .iter()
                                .map(i64::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            } else {
                check_range(diags, &path, n, &shown, *min, *max);
            }
        }
        Kind::Number { min, max } => {
            if let Some(n) = numeric(value) {
                check_range(diags, &path, n, &shown(value), *min, *max);
            }
        }
        Kind::String(rules) => {
            let Node::Text(text) = value else { return };
            if !rules.allowed.is_empty() && !rules.allowed.contains(&text.as_str()) {
                invalid(
                    diags,
                    &path,
                    format!(
                        "must be one of: {}; got {text:?}.",
                        rules.allowed.join(", ")
                    ),
                );
                return;
            }
            let length = text.chars().count();
            if rules.min_length.is_some_and(|min| length < min)
                || rules.max_length.is_some_and(|max| length > max)
            {
                let what = match (rules.min_length, rules.max_length) {
                    (Some(min), Some(max)) => format!("{min} to {max} characters"),
                    (Some(min), None) => format!("at least {min} characters"),
                    (_, Some(max)) => format!("at most {max} characters"),
                    (None, None) => String::new(),
                };
                invalid(diags, &path, format!("must be {what}; got {length}."));
                return;
            }
            if let Some(pattern) = rules.pattern {
                let matched = Regex::new(pattern).map_or(true, |re| re.is_match(text));
                if !matched {
                    invalid(
                        diags,
                        &path,
                        format!("must match the pattern `{pattern}`; got {text:?}."),
                    );
                }
            }
        }
        Kind::StringSet { allowed, max_items } => {
            let Node::List(items) = value else { return };
            if max_items.is_some_and(|max| items.len() > max) {
                invalid(
                    diags,
                    &path,
                    format!(
                        "allows at most {} items; got {}.",
                        max_items.unwrap_or_default(),
                        items.len()
                    ),
                );
            }
            if allowed.is_empty() {
                return;
            }
            for item in items {
                if let Value::Value(Node::Text(text)) = item {
                    if !allowed.contains(&text.as_str()) {
                        invalid(
                            diags,
                            &path,
                            format!(
                                "items must each be one of: {}; got {text:?}.",
                                allowed.join(", ")
                            ),
                        );
                    }
                }
            }
        }
        Kind::Block(inner) => {
            let Node::Block(fields) = value else { return };
            check_settings(diags, Some(&path), inner, fields);
        }
        Kind::Bool => {}
    }
}

fn shown(value: &Node) -> String {
    match value {
        Node::Number(n) => n.to_string(),
        Node::Text(text) => text.clone(),
        other => format!("{other:?}"),
    }
}

fn check_settings(
    diags: &mut Diagnostics,
    parent: Option<&AttributePath>,
    settings: &'static [Setting],
    values: &BTreeMap<&'static str, Value<Node>>,
) {
    for setting in settings {
        if let Some(Value::Value(value)) = values.get(setting.name) {
            let path = match parent {
                Some(parent) => parent.clone().attribute(setting.name),
                None => at(setting.name),
            };
            check_setting(diags, path, &setting.kind, value);
        }
    }
}

pub fn validate_config(diags: &mut Diagnostics, spec: &EngineSpec, config: &ConfigModel) {
    validate::uuid(diags, at("cluster_id"), &config.cluster_id);
    check_settings(diags, None, spec.settings, &config.settings);
    check_parameters(diags, spec, config);
    validate_timeouts(diags, &config.timeouts);
}

/// The setting a key of DigitalOcean's parameter map names: the API's name, or the attribute's.
fn parameter_setting(spec: &EngineSpec, key: &str) -> Option<&'static Setting> {
    spec.settings
        .iter()
        .find(|s| s.api == key)
        .or_else(|| spec.setting(key))
}

/// A parameter's text as the setting's value, or why it cannot be one.
fn parameter_node(setting: &Setting, text: &str) -> Result<Node, String> {
    match &setting.kind {
        Kind::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "1" => Ok(Node::Bool(true)),
            "false" | "off" | "0" => Ok(Node::Bool(false)),
            _ => Err(format!("must be true or false; got {text:?}.")),
        },
        Kind::Integer { .. } | Kind::Number { .. } => text
            .trim()
            .parse::<serde_json::Number>()
            .map(|n| Node::Number(model::number(&n)))
            .map_err(|_| format!("must be a number; got {text:?}.")),
        Kind::String(_) => Ok(Node::Text(text.to_string())),
        Kind::StringSet { .. } | Kind::Block(_) => Err(format!(
            "cannot be written as a string; use the `{}` attribute or block instead.",
            setting.name
        )),
    }
}

/// A setting's value as DigitalOcean's parameter maps spell it.
fn parameter_text(node: &Node) -> String {
    match node {
        Node::Bool(b) => b.to_string(),
        Node::Number(n) => n.to_string(),
        Node::Text(text) => text.clone(),
        other => format!("{other:?}"),
    }
}

fn check_parameters(diags: &mut Diagnostics, spec: &EngineSpec, config: &ConfigModel) {
    let (Some(name), Value::Value(parameters)) = (spec.parameters, &config.parameters) else {
        return;
    };
    for (key, value) in parameters {
        let path = at(name).key(key.clone());
        let Some(setting) = parameter_setting(spec, key) else {
            invalid(
                diags,
                &path,
                format!(
                    "names no setting of {} clusters; the keys are the API's setting names, \
                     such as `work_mem` (see this resource's attributes).",
                    spec.engine
                ),
            );
            continue;
        };
        if config
            .settings
            .get(setting.name)
            .is_some_and(|v| !v.is_null())
        {
            invalid(
                diags,
                &path,
                format!(
                    "sets `{}`, which is also written as an attribute; write it once.",
                    setting.name
                ),
            );
            continue;
        }
        let Value::Value(text) = value else { continue };
        match parameter_node(setting, text) {
            Ok(node) => check_setting(diags, path, &setting.kind, &node),
            Err(why) => invalid(diags, &path, why),
        }
    }
}

/// The parameters to send: the written ones whose value changed from `prior`'s.
fn parameter_changes(
    spec: &EngineSpec,
    planned: &Value<Parameters>,
    prior: Option<&Value<Parameters>>,
) -> Map<String, Json> {
    let mut out = Map::new();
    let Value::Value(planned) = planned else {
        return out;
    };
    let before = match prior {
        Some(Value::Value(before)) => Some(before),
        _ => None,
    };
    for (key, value) in planned {
        let (Some(setting), Value::Value(text)) = (parameter_setting(spec, key), value) else {
            continue;
        };
        let Ok(node) = parameter_node(setting, text) else {
            continue;
        };
        let unchanged = before
            .and_then(|before| before.get(key))
            .and_then(|v| v.as_ref_option())
            .and_then(|old| parameter_node(setting, old).ok())
            .is_some_and(|old| same_node(&setting.kind, &old, &node));
        if !unchanged {
            out.insert(setting.api.to_string(), api_value(&setting.kind, &node));
        }
    }
    out
}

/// The written parameters as the API reports them: the written spelling where the value is
/// the same, the API's value as text where it changed, the written one where the API is silent.
fn parameters_from_api(
    spec: &EngineSpec,
    api: &Map<String, Json>,
    reference: &Value<Parameters>,
) -> Value<Parameters> {
    let Value::Value(reference) = reference else {
        return settled(reference);
    };
    Value::Value(
        reference
            .iter()
            .map(|(key, written)| {
                let remote = parameter_setting(spec, key).and_then(|setting| {
                    let node = Node::from_json(api.get(setting.api)?, &setting.kind)?;
                    Some((setting, node))
                });
                let value = match (remote, written) {
                    (Some((setting, node)), Value::Value(text)) => {
                        match parameter_node(setting, text) {
                            Ok(old) if same_node(&setting.kind, &old, &node) => written.clone(),
                            _ => Value::Value(parameter_text(&node)),
                        }
                    }
                    (Some((_, node)), _) => Value::Value(parameter_text(&node)),
                    (None, written) => settled(written),
                };
                (key.clone(), value)
            })
            .collect(),
    )
}

/// The error for a cluster of another engine; `None` when the engine is the right one.
fn check_engine(diags: &mut Diagnostics, spec: &EngineSpec, cluster: &Cluster) -> bool {
    if same_ignoring_case(&cluster.engine, spec.engine) {
        return true;
    }
    let hint = match ENGINES
        .iter()
        .find(|other| same_ignoring_case(other.engine, &cluster.engine))
    {
        Some(other) => format!("; configure it with `{}` instead", other.type_name),
        None => String::new(),
    };
    diags.err(
        "Wrong engine for this configuration",
        format!(
            "`cluster_id` {:?} is the {} cluster {:?}, but `{}` configures {} clusters \
             (`engine = \"{}\"`){hint}.",
            cluster.id, cluster.engine, cluster.name, spec.type_name, spec.product, spec.engine
        ),
        at("cluster_id"),
    );
    false
}

/// Plan-time check of a known `cluster_id`: it must exist and run the resource's engine. A
/// cluster that cannot be read for another reason is left to the apply, which checks again.
async fn check_cluster(
    ctx: &RequestContext,
    diags: &mut Diagnostics,
    spec: &EngineSpec,
    cluster_id: &str,
) {
    if let Some(cluster) = child::parent_cluster(ctx, diags, cluster_id).await {
        check_engine(diags, spec, &cluster);
    }
}

// ---------------------------------------------------------------------------------------------
// State from the API, and what to send
// ---------------------------------------------------------------------------------------------

/// Whether two values of a setting are the same setting: numbers by value, sets regardless
/// of order, blocks setting by setting.
fn same(kind: &Kind, a: &Value<Node>, b: &Value<Node>) -> bool {
    match (a, b) {
        (Value::Value(a), Value::Value(b)) => same_node(kind, a, b),
        (a, b) => a == b,
    }
}

fn same_node(kind: &Kind, a: &Node, b: &Node) -> bool {
    match (kind, a, b) {
        (Kind::Integer { .. } | Kind::Number { .. }, _, _) => match (numeric(a), numeric(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
        (Kind::StringSet { .. }, Node::List(x), Node::List(y)) => {
            let set = |items: &Vec<Value<Node>>| {
                items
                    .iter()
                    .filter_map(|item| match item {
                        Value::Value(Node::Text(text)) => Some(text.clone()),
                        _ => None,
                    })
                    .collect::<std::collections::BTreeSet<_>>()
            };
            x.len() == y.len() && set(x) == set(y)
        }
        (Kind::Block(inner), Node::Block(x), Node::Block(y)) => inner.iter().all(|setting| {
            let none = Value::Null;
            same(
                &setting.kind,
                x.get(setting.name).unwrap_or(&none),
                y.get(setting.name).unwrap_or(&none),
            )
        }),
        _ => a == b,
    }
}

/// The state of every setting from the API's `config`: the reference's value (plan or prior
/// state) where the API's is the same setting spelled differently (`10` for `10.0`, a set in
/// another order), the API's value otherwise, null where the API says nothing.
fn settings_from_api(
    settings: &'static [Setting],
    api: &Map<String, Json>,
    reference: &BTreeMap<&'static str, Value<Node>>,
) -> BTreeMap<&'static str, Value<Node>> {
    settings
        .iter()
        .map(|setting| {
            let remote = api.get(setting.api);
            let reference = reference.get(setting.name).unwrap_or(&Value::Null);
            let value = match (&setting.kind, remote) {
                (Kind::Block(inner), remote) => {
                    let fields = remote
                        .and_then(Json::as_object)
                        .cloned()
                        .unwrap_or_default();
                    let prior = match reference {
                        Value::Value(Node::Block(prior)) => prior.clone(),
                        _ => BTreeMap::new(),
                    };
                    Value::Value(Node::Block(settings_from_api(inner, &fields, &prior)))
                }
                (kind, Some(json)) => match Node::from_json(json, kind) {
                    Some(node) => {
                        let node = Value::Value(node);
                        if same(kind, &node, reference) {
                            reference.clone()
                        } else {
                            node
                        }
                    }
                    None => Value::Null,
                },
                (_, None) => Value::Null,
            };
            (setting.name, value)
        })
        .collect()
}

/// An apply returns exactly what the plan promised: every known planned value is kept (a
/// difference from the API's answer shows as drift at the next refresh).
fn conform(
    settings: &'static [Setting],
    state: &mut BTreeMap<&'static str, Value<Node>>,
    planned: &BTreeMap<&'static str, Value<Node>>,
) {
    for setting in settings {
        let Some(promised) = planned.get(setting.name) else {
            continue;
        };
        match (&setting.kind, promised, state.get_mut(setting.name)) {
            (
                Kind::Block(inner),
                Value::Value(Node::Block(promised)),
                Some(Value::Value(Node::Block(actual))),
            ) => conform(inner, actual, promised),
            (_, Value::Unknown, _) => {}
            (_, promised, Some(actual)) => *actual = promised.clone(),
            (_, promised, None) => {
                state.insert(setting.name, promised.clone());
            }
        }
    }
}

/// The API's value of a planned setting, for the `PATCH`.
fn api_value(kind: &Kind, node: &Node) -> Json {
    match (kind, node) {
        (Kind::Integer { .. } | Kind::Number { .. }, Node::Text(text)) => text
            .parse::<serde_json::Number>()
            .map(Json::Number)
            .unwrap_or_else(|_| Json::String(text.clone())),
        _ => node.to_json(kind),
    }
}

/// The settings to send: those written in the configuration whose planned value differs from
/// `prior` (all written ones when there is no prior state).
fn changes(
    settings: &'static [Setting],
    config: &BTreeMap<&'static str, Value<Node>>,
    planned: &BTreeMap<&'static str, Value<Node>>,
    prior: Option<&BTreeMap<&'static str, Value<Node>>>,
) -> Map<String, Json> {
    let mut out = Map::new();
    for setting in settings {
        let written = config.get(setting.name).unwrap_or(&Value::Null);
        let Some(Value::Value(value)) = planned.get(setting.name) else {
            continue;
        };
        let before = prior.and_then(|prior| prior.get(setting.name));
        match (&setting.kind, written, value) {
            (Kind::Block(inner), Value::Value(Node::Block(written)), Node::Block(value)) => {
                let before = match before {
                    Some(Value::Value(Node::Block(before))) => Some(before),
                    _ => None,
                };
                let nested = changes(inner, written, value, before.or(prior.map(|_| &EMPTY)));
                if !nested.is_empty() {
                    out.insert(setting.api.to_string(), Json::Object(nested));
                }
            }
            (Kind::Block(_), _, _) => {}
            (kind, Value::Value(_), value) => {
                let unchanged = before.is_some_and(|before| same_node_value(kind, before, value));
                if !unchanged {
                    out.insert(setting.api.to_string(), api_value(kind, value));
                }
            }
            _ => {}
        }
    }
    out
}

static EMPTY: BTreeMap<&'static str, Value<Node>> = BTreeMap::new();

fn same_node_value(kind: &Kind, before: &Value<Node>, value: &Node) -> bool {
    match before {
        Value::Value(before) => same_node(kind, before, value),
        _ => false,
    }
}

/// Every setting of the table present in `settings` (null where missing) and every block an
/// object, as Terraform requires of group blocks.
fn complete(settings: &'static [Setting], values: &mut BTreeMap<&'static str, Value<Node>>) {
    for setting in settings {
        let value = values.entry(setting.name).or_insert(Value::Null);
        if let Kind::Block(inner) = &setting.kind {
            match value {
                Value::Value(Node::Block(fields)) => complete(inner, fields),
                other => *other = Value::Value(model::empty_block(inner)),
            }
        }
    }
}

fn state_of(spec: &EngineSpec, api: &Map<String, Json>, reference: &ConfigModel) -> ConfigModel {
    ConfigModel {
        id: settled(&reference.cluster_id),
        cluster_id: settled(&reference.cluster_id),
        timeouts: settled(&reference.timeouts),
        settings: settings_from_api(spec.settings, api, &reference.settings),
        parameters_name: spec.parameters,
        parameters: parameters_from_api(spec, api, &reference.parameters),
    }
}

fn describe(spec: &EngineSpec, state: &ConfigModel) -> String {
    match text(&state.cluster_id) {
        Some(cluster) => format!("{} configuration of cluster {cluster}", spec.product),
        None => format!("{} configuration", spec.product),
    }
}

// ---------------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------------

#[async_trait]
impl<E: EngineKind> ManagedResource for EngineConfigResource<E> {
    type Model = ConfigModel;
    const TYPE_NAME: &'static str = E::TYPE_NAME;
    const IDENTITY: &'static [&'static str] = &["cluster_id"];
    const TIMEOUTS: TimeoutDefaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        config_schema(E::spec())
    }

    fn timeouts(model: &ConfigModel) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &ConfigModel) {
        validate_config(diags, E::spec(), config);
    }

    async fn plan_create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        mut proposed: ConfigModel,
        _config: &ConfigModel,
    ) -> Option<ConfigModel> {
        complete(E::spec().settings, &mut proposed.settings);
        null_to_unknown(&mut proposed.settings);
        proposed.id = proposed.cluster_id.clone();
        if let Some(cluster_id) = text(&proposed.cluster_id) {
            check_cluster(ctx, diags, E::spec(), cluster_id).await;
        }
        Some(proposed)
    }

    async fn plan_update(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        prior: &ConfigModel,
        mut proposed: ConfigModel,
        _config: &ConfigModel,
    ) -> Option<(ConfigModel, Vec<AttributePath>)> {
        complete(E::spec().settings, &mut proposed.settings);
        if other_cluster(&prior.cluster_id, &proposed.cluster_id) {
            proposed.id = Value::Unknown;
            return Some((proposed, vec![at("cluster_id")]));
        }
        proposed.id = prior.id.clone();
        let spec = E::spec();
        for (key, _) in parameter_changes(spec, &proposed.parameters, Some(&prior.parameters)) {
            if let Some(setting) = spec.settings.iter().find(|s| s.api == key) {
                proposed.settings.insert(setting.name, Value::Unknown);
            }
        }
        Some((proposed, Vec::new()))
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned: ConfigModel,
        config: &ConfigModel,
    ) -> Option<ConfigModel> {
        let spec = E::spec();
        let api = ctx.api(diags)?;
        let cluster_id = text(&planned.cluster_id)?.to_string();
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
                        "Database cluster {cluster_id} is not online, so its {} cannot be set",
                        describe(spec, &planned)
                    ),
                    &error,
                );
                return None;
            }
        };
        if !check_engine(diags, spec, &cluster) {
            return None;
        }
        let mut patch = changes(spec.settings, &config.settings, &planned.settings, None);
        patch.extend(parameter_changes(spec, &planned.parameters, None));
        let engine_config = api.client.engine_config(&cluster_id);
        if let Err(error) = ctx
            .change_cluster(&api, &cluster_id, "set engine configuration", || {
                engine_config.patch(&patch)
            })
            .await
        {
            diags.wait_err(
                format!("Could not set the {}", describe(spec, &planned)),
                &error,
            );
            return None;
        }
        tracing::info!(cluster = %cluster_id, settings = patch.len(), "engine configuration set");
        // The settings are in place: from here on the resource exists.
        let mut state = match engine_config.get().await {
            Ok(remote) => state_of(spec, &remote, &planned),
            Err(error) => {
                diags.api_err(
                    format!(
                        "The {} was set but could not be read back",
                        describe(spec, &planned)
                    ),
                    &error,
                );
                let mut state = planned.clone();
                unknown_to_null(&mut state.settings);
                state
            }
        };
        conform(spec.settings, &mut state.settings, &planned.settings);
        if planned.parameters.is_value() {
            state.parameters = planned.parameters.clone();
        }
        complete(spec.settings, &mut state.settings);
        Some(state)
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: ConfigModel,
    ) -> Option<Option<ConfigModel>> {
        let spec = E::spec();
        let Some(cluster_id) = text(&state.cluster_id) else {
            return Some(Some(state));
        };
        let api = ctx.api(diags)?;
        match api.client.engine_config(cluster_id).get().await {
            Ok(remote) => {
                let mut next = state_of(spec, &remote, &state);
                next.id = state.id.clone();
                complete(spec.settings, &mut next.settings);
                Some(Some(next))
            }
            Err(error) if error.is_not_found() => {
                tracing::info!(
                    cluster = cluster_id,
                    "cluster is gone; removing its configuration from state"
                );
                Some(None)
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read the {}", describe(spec, &state)),
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
        prior: ConfigModel,
        planned: ConfigModel,
        config: &ConfigModel,
    ) -> Option<ConfigModel> {
        let spec = E::spec();
        let mut patch = changes(
            spec.settings,
            &config.settings,
            &planned.settings,
            Some(&prior.settings),
        );
        patch.extend(parameter_changes(
            spec,
            &planned.parameters,
            Some(&prior.parameters),
        ));
        if patch.is_empty() {
            return Some(planned);
        }
        let api = ctx.api(diags)?;
        let cluster_id = text(&prior.cluster_id)?.to_string();
        let engine_config = api.client.engine_config(&cluster_id);
        let patched = ctx
            .change_cluster(&api, &cluster_id, "update engine configuration", || {
                engine_config.patch(&patch)
            })
            .await;
        if let Err(error) = &patched {
            diags.wait_err(
                format!("Could not update the {}", describe(spec, &prior)),
                error,
            );
        }
        // After a failure the state must say what is true now, so the reference is the prior
        // state; after success it is the plan.
        let reference = if patched.is_ok() { &planned } else { &prior };
        match engine_config.get().await {
            Ok(remote) => {
                let mut state = state_of(spec, &remote, reference);
                state.id = prior.id.clone();
                if patched.is_ok() {
                    conform(spec.settings, &mut state.settings, &planned.settings);
                    if planned.parameters.is_value() {
                        state.parameters = planned.parameters.clone();
                    }
                }
                complete(spec.settings, &mut state.settings);
                Some(state)
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read the {} back", describe(spec, &prior)),
                    &error,
                );
                Some(prior)
            }
        }
    }

    async fn delete(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        prior: ConfigModel,
    ) -> Option<()> {
        // The API cannot unset a setting; destroy forgets them (see the module docs).
        tracing::info!(
            cluster = text(&prior.cluster_id).unwrap_or_default(),
            "engine configuration removed from state; the cluster keeps its settings"
        );
        Some(())
    }

    async fn import(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        id: &str,
    ) -> Option<ConfigModel> {
        let spec = E::spec();
        let cluster_id = match import::parse_uuid(id, "cluster") {
            Ok(cluster_id) => cluster_id,
            Err(message) => {
                diags.root_err("Invalid import ID", message);
                return None;
            }
        };
        let api = ctx.api(diags)?;
        match api.client.clusters().get(&cluster_id).await {
            Ok(cluster) => {
                if !check_engine(diags, spec, &cluster) {
                    return None;
                }
            }
            Err(error) if error.is_not_found() => {
                diags.root_err(
                    "Cannot import the configuration of a cluster that does not exist",
                    format!("There is no database cluster {cluster_id} for this token."),
                );
                return None;
            }
            Err(error) => {
                diags.api_err(format!("Could not read cluster {cluster_id}"), &error);
                return None;
            }
        }
        match api.client.engine_config(&cluster_id).get().await {
            Ok(remote) => {
                let reference = ConfigModel {
                    cluster_id: Value::Value(cluster_id),
                    ..ConfigModel::default()
                };
                let mut state = state_of(spec, &remote, &reference);
                complete(spec.settings, &mut state.settings);
                Some(state)
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read the configuration of cluster {cluster_id}"),
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
    ) -> Option<ConfigModel> {
        let source = moved::source_state(diags, request, Self::TYPE_NAME)?;
        moved_from_digitalocean(diags, E::spec(), &source)
    }
}

/// A new resource's settings that are not written are known only once the API is read, after
/// the apply (Terraform proposes them null).
fn null_to_unknown(values: &mut BTreeMap<&'static str, Value<Node>>) {
    for value in values.values_mut() {
        match value {
            Value::Null => *value = Value::Unknown,
            Value::Value(Node::Block(fields)) => null_to_unknown(fields),
            _ => {}
        }
    }
}

fn unknown_to_null(values: &mut BTreeMap<&'static str, Value<Node>>) {
    for value in values.values_mut() {
        match value {
            Value::Unknown => *value = Value::Null,
            Value::Value(Node::Block(fields)) => unknown_to_null(fields),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// moved from DigitalOcean's provider
// ---------------------------------------------------------------------------------------------

/// A DigitalOcean setting as stored: numbers, bools and strings as such, the 64-bit Kafka
/// settings as decimal strings, `""` for a string never set, blocks as one-element lists.
fn setting_from_digitalocean(kind: &Kind, source: &SourceState, name: &str) -> Value<Node> {
    match kind {
        Kind::Bool => source.bool(name).map(Node::Bool),
        Kind::Integer { .. } | Kind::Number { .. } => match source.api_json().get(name) {
            Some(Json::Number(n)) => Value::Value(Node::Number(model::number(n))),
            Some(Json::String(text)) => text
                .trim()
                .parse::<serde_json::Number>()
                .map_or(Value::Null, |n| {
                    Value::Value(Node::Number(model::number(&n)))
                }),
            _ => Value::Null,
        },
        Kind::String(_) => source.string(name).map(Node::Text),
        Kind::StringSet { .. } => match source.strings(name) {
            Some(items) => Value::Value(Node::List(
                items
                    .into_iter()
                    .map(|i| Value::Value(Node::Text(i)))
                    .collect(),
            )),
            None => Value::Null,
        },
        Kind::Block(inner) => {
            let block = source.block(name).unwrap_or_default();
            Value::Value(Node::Block(
                inner
                    .iter()
                    .map(|setting| {
                        (
                            setting.name,
                            setting_from_digitalocean(&setting.kind, &block, setting.name),
                        )
                    })
                    .collect(),
            ))
        }
    }
}

/// A `digitalocean_database_<engine>_config` (schema version 0) as this resource's state: the
/// same attribute names; DigitalOcean's ID `<cluster_id>/<engine>-config` becomes the cluster
/// ID. Settings DigitalOcean's resource lacks are null until the refresh that follows reads
/// them.
pub fn moved_from_digitalocean(
    diags: &mut Diagnostics,
    spec: &EngineSpec,
    source: &SourceState,
) -> Option<ConfigModel> {
    let cluster_id = moved::required(diags, source, spec.digitalocean, "cluster_id")?;
    let mut settings: BTreeMap<&'static str, Value<Node>> = spec
        .settings
        .iter()
        .map(|setting| {
            (
                setting.name,
                setting_from_digitalocean(&setting.kind, source, setting.name),
            )
        })
        .collect();
    complete(spec.settings, &mut settings);
    let parameters = match spec
        .parameters
        .and_then(|name| source.api_json().get(name).cloned())
    {
        Some(Json::Object(map)) => Value::Value(
            map.into_iter()
                .map(|(key, value)| {
                    let text = match value {
                        Json::String(text) => text,
                        other => other.to_string(),
                    };
                    (key, Value::Value(text))
                })
                .collect(),
        ),
        _ => Value::Null,
    };
    Some(ConfigModel {
        id: Value::Value(cluster_id.clone()),
        cluster_id: Value::Value(cluster_id),
        timeouts: source.timeouts(),
        settings,
        parameters_name: spec.parameters,
        parameters,
    })
}

#[cfg(test)]
mod tests;
