//! `dbaas_database_kafka_topic`: a topic of a Kafka cluster.
//!
//! Identity is the cluster and the name; changing either replaces the topic. Partitions (which
//! Kafka can only add), the replication factor and every topic setting change in place with one
//! `PUT`, after which the provider waits until the topic is `active` again.
//!
//! Topic settings follow "what you write is what is managed". The `config` block's attributes
//! are optional and *not* computed:
//! - a setting left out is never sent and stays null in state, whatever the API reports for
//!   it, so the server's defaults never show up as diffs;
//! - a setting written in the configuration is sent, read back, and shown as drift when it
//!   changes outside Terraform;
//! - removing a setting sends Kafka's default for it, so the topic really returns to the
//!   default instead of keeping a value nobody manages any more.
//!
//! Numbers in `config` keep the exact form Terraform sent them in ([`WireNumber`]), because
//! Terraform compares planned and configured values exactly and encodes some numbers (`0.1`,
//! anything beyond 64 bits) as decimal text.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokio_util::sync::CancellationToken;

use crate::api::models::{CreateTopicRequest, Topic, TopicConfig, UpdateTopicRequest};
use crate::api::wait::conditions;
use crate::api::{ApiError, Found};
use crate::framework::attr as at;
use crate::framework::child::{self, ChildKind};
use crate::framework::context::{ApiContext, RequestContext};
use crate::framework::diag::DiagExt;
use crate::framework::plan;
use crate::framework::resource::ManagedResource;
use crate::framework::timeouts::{
    timeouts_block, validate_timeouts, TimeoutDefaults, TimeoutWording, Timeouts,
};
use crate::framework::validate::{self, path_name};
use crate::framework::values::{settled, text};
use crate::map;
use crate::plugin::schema::{Attribute, AttributeType, Block, Description, NestedBlock, Schema};
use crate::plugin::service::MoveRequest;
use crate::plugin::value::{self, Value};
use crate::plugin::{AttributePath, Diagnostics};

use super::moved::{self, SourceState};
use super::schema_util::{computed, optional, optional_computed, required};

const TIMEOUTS: TimeoutDefaults = TimeoutDefaults {
    create: Duration::from_secs(20 * 60),
    update: Duration::from_secs(20 * 60),
    delete: Duration::from_secs(10 * 60),
};

/// Partitions a new topic gets when the configuration does not say.
pub const DEFAULT_PARTITION_COUNT: i64 = 3;
/// Replicas a new topic gets when the configuration does not say.
pub const DEFAULT_REPLICATION_FACTOR: i64 = 2;
const PARTITION_COUNT_RANGE: (i64, i64) = (3, 2048);
const MIN_REPLICATION_FACTOR: i64 = 2;
/// The state in which a topic accepts traffic and changes.
const ACTIVE: &str = "active";

const CLEANUP_POLICIES: &[&str] = &["delete", "compact", "compact_delete"];
/// The contract spells the LZ4 codec `Iz4` (a typo); Kafka and the API take `lz4`.
const COMPRESSION_TYPES: &[&str] = &["producer", "gzip", "snappy", "lz4", "zstd", "uncompressed"];
const TIMESTAMP_TYPES: &[&str] = &["create_time", "log_append_time"];
/// `kafka_topic_config.message_format_version` in the contract, in its order.
const MESSAGE_FORMAT_VERSIONS: &[&str] = &[
    "0.8.0",
    "0.8.1",
    "0.8.2",
    "0.9.0",
    "0.10.0-IV0",
    "0.10.0-IV1",
    "0.10.1-IV0",
    "0.10.1-IV1",
    "0.10.1-IV2",
    "0.10.2-IV0",
    "0.11.0-IV0",
    "0.11.0-IV1",
    "0.11.0-IV2",
    "1.0-IV0",
    "1.1-IV0",
    "2.0-IV0",
    "2.0-IV1",
    "2.1-IV0",
    "2.1-IV1",
    "2.1-IV2",
    "2.2-IV0",
    "2.2-IV1",
    "2.3-IV0",
    "2.3-IV1",
    "2.4-IV0",
    "2.4-IV1",
    "2.5-IV0",
    "2.6-IV0",
    "2.7-IV0",
    "2.7-IV1",
    "2.7-IV2",
    "2.8-IV0",
    "2.8-IV1",
    "3.0-IV0",
    "3.0-IV1",
    "3.1-IV0",
    "3.2-IV0",
    "3.3-IV0",
    "3.3-IV1",
    "3.3-IV2",
    "3.3-IV3",
];

/// A topic name as Kafka accepts it: 1 to 249 letters, digits, `.`, `_` and `-`.
fn is_topic_name(text: &str) -> bool {
    validate::is_made_of(text, 1, 249, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
    })
}

// ---------------------------------------------------------------------------------------------
// Numbers as Terraform sends them
// ---------------------------------------------------------------------------------------------

/// A Terraform number in the form Terraform sent it.
///
/// Terraform encodes a number as a MessagePack integer or double when that is exact, and as
/// decimal text otherwise: `0.1` is not exactly a double, and `9223372036854776000` (the way
/// the API documentation prints Kafka's `Long.MAX_VALUE`) is beyond 64 bits. Keeping the form
/// lets the provider return a configured value bit for bit, which Terraform requires, and lets
/// validation explain an unusable value instead of failing to decode it.
#[derive(Debug, Clone, PartialEq)]
pub enum WireNumber {
    Int(i64),
    Float(f64),
    Text(String),
}

impl WireNumber {
    /// The value as a 64-bit integer, when it is a whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            WireNumber::Int(n) => Some(*n),
            // `i64::MAX as f64` rounds up to 2^63, which is already out of range.
            WireNumber::Float(f)
                if f.fract() == 0.0 && *f >= -(2f64.powi(63)) && *f < 2f64.powi(63) =>
            {
                Some(*f as i64)
            }
            WireNumber::Float(_) => None,
            WireNumber::Text(text) => text.trim().parse().ok(),
        }
    }

    /// The value as a double, when it is a finite number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            WireNumber::Int(n) => Some(*n as f64),
            WireNumber::Float(f) => Some(*f).filter(|f| f.is_finite()),
            WireNumber::Text(text) => text.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        }
    }
}

impl fmt::Display for WireNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireNumber::Int(n) => write!(f, "{n}"),
            WireNumber::Float(x) => write!(f, "{x}"),
            WireNumber::Text(text) => f.write_str(text),
        }
    }
}

impl Serialize for WireNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            WireNumber::Int(n) => serializer.serialize_i64(*n),
            WireNumber::Float(x) => serializer.serialize_f64(*x),
            // Terraform reads a string where it expects a number as arbitrary-precision text.
            WireNumber::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for WireNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;

        impl Visitor<'_> for NumberVisitor {
            type Value = WireNumber;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }

            fn visit_i64<E: de::Error>(self, n: i64) -> Result<WireNumber, E> {
                Ok(WireNumber::Int(n))
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> Result<WireNumber, E> {
                Ok(i64::try_from(n)
                    .map_or_else(|_| WireNumber::Text(n.to_string()), WireNumber::Int))
            }

            fn visit_f64<E: de::Error>(self, x: f64) -> Result<WireNumber, E> {
                Ok(WireNumber::Float(x))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<WireNumber, E> {
                Ok(WireNumber::Text(text.to_string()))
            }
        }

        deserializer.deserialize_any(NumberVisitor)
    }
}

/// A whole-number topic setting (milliseconds, bytes, counts). Kafka stores these as Java
/// longs, so every value from `-2^63` to `2^63 - 1` is representable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Long(pub WireNumber);

/// A fractional topic setting between 0 and 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ratio(pub WireNumber);

/// The API may store a ratio as a single-precision float (the Go provider sent one), so a
/// value read back within this distance is the configured value.
const RATIO_TOLERANCE: f64 = 1e-6;

// ---------------------------------------------------------------------------------------------
// Topic settings: one table drives the model, schema, validation, requests and reads
// ---------------------------------------------------------------------------------------------

/// What a setting accepts.
#[derive(Debug, Clone, Copy)]
enum Rule {
    OneOf(&'static [&'static str]),
    AtLeast(i64),
    Fraction,
    Flag,
}

impl Rule {
    fn describe(&self) -> String {
        match self {
            Rule::OneOf(allowed) => format!(
                "One of {}.",
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Rule::AtLeast(min) => format!("A whole number from `{min}` to `{}`.", i64::MAX),
            Rule::Fraction => "A number from `0` to `1`.".to_string(),
            Rule::Flag => String::new(),
        }
    }
}

/// How one kind of setting is typed in Terraform and in the API.
trait Setting: Clone + PartialEq {
    /// The API's representation (the field type of [`TopicConfig`]).
    type Api: Clone;

    fn attribute_type() -> AttributeType;
    /// The value to send; `None` when it cannot be sent (validation reports why).
    fn to_api(&self) -> Option<Self::Api>;
    fn from_api(api: &Self::Api) -> Self;
    /// Whether the API's value is this value, however either is spelled.
    fn matches(&self, api: &Self::Api) -> bool;
    fn show_api(api: &Self::Api) -> String;
    fn check(&self, rule: Rule, path: AttributePath, diags: &mut Diagnostics);
}

fn invalid_setting(diags: &mut Diagnostics, path: AttributePath, detail: String) {
    diags.err(format!("Invalid {}", path_name(&path)), detail, path);
}

impl Setting for String {
    type Api = String;

    fn attribute_type() -> AttributeType {
        AttributeType::String
    }
    fn to_api(&self) -> Option<String> {
        Some(self.clone())
    }
    fn from_api(api: &String) -> Self {
        api.clone()
    }
    fn matches(&self, api: &String) -> bool {
        self == api
    }
    fn show_api(api: &String) -> String {
        api.clone()
    }
    fn check(&self, rule: Rule, path: AttributePath, diags: &mut Diagnostics) {
        if let Rule::OneOf(allowed) = rule {
            validate::one_of(diags, path, &Value::Value(self.clone()), allowed, false);
        }
    }
}

impl Setting for bool {
    type Api = bool;

    fn attribute_type() -> AttributeType {
        AttributeType::Bool
    }
    fn to_api(&self) -> Option<bool> {
        Some(*self)
    }
    fn from_api(api: &bool) -> Self {
        *api
    }
    fn matches(&self, api: &bool) -> bool {
        self == api
    }
    fn show_api(api: &bool) -> String {
        api.to_string()
    }
    fn check(&self, _rule: Rule, _path: AttributePath, _diags: &mut Diagnostics) {}
}

impl Setting for Long {
    type Api = i64;

    fn attribute_type() -> AttributeType {
        AttributeType::Number
    }
    fn to_api(&self) -> Option<i64> {
        self.0.as_i64()
    }
    fn from_api(api: &i64) -> Self {
        Long(WireNumber::Int(*api))
    }
    fn matches(&self, api: &i64) -> bool {
        self.0.as_i64() == Some(*api)
    }
    fn show_api(api: &i64) -> String {
        api.to_string()
    }
    fn check(&self, rule: Rule, path: AttributePath, diags: &mut Diagnostics) {
        let min = match rule {
            Rule::AtLeast(min) => min,
            _ => i64::MIN,
        };
        let name = path_name(&path);
        match self.0.as_i64() {
            Some(n) if n >= min => {}
            Some(n) => invalid_setting(
                diags,
                path,
                format!("`{name}` must be at least {min}; got {n}."),
            ),
            None => {
                let whole = self.0.as_f64().is_some_and(|f| f.fract() == 0.0);
                let hint = if whole {
                    format!(
                        " Kafka stores it as a 64-bit long, so the largest value is {} \
                         (`Long.MAX_VALUE`, which the API documentation prints rounded as \
                         9223372036854776000).",
                        i64::MAX
                    )
                } else {
                    String::new()
                };
                invalid_setting(
                    diags,
                    path,
                    format!(
                        "`{name}` must be a whole number from {min} to {}; got {}.{hint}",
                        i64::MAX,
                        self.0
                    ),
                );
            }
        }
    }
}

impl Setting for Ratio {
    type Api = f64;

    fn attribute_type() -> AttributeType {
        AttributeType::Number
    }
    fn to_api(&self) -> Option<f64> {
        self.0.as_f64()
    }
    fn from_api(api: &f64) -> Self {
        Ratio(WireNumber::Float(*api))
    }
    fn matches(&self, api: &f64) -> bool {
        self.0
            .as_f64()
            .is_some_and(|x| (x - api).abs() <= RATIO_TOLERANCE)
    }
    fn show_api(api: &f64) -> String {
        api.to_string()
    }
    fn check(&self, _rule: Rule, path: AttributePath, diags: &mut Diagnostics) {
        if !self.0.as_f64().is_some_and(|x| (0.0..=1.0).contains(&x)) {
            let name = path_name(&path);
            invalid_setting(
                diags,
                path,
                format!("`{name}` must be a number from 0 to 1; got {}.", self.0),
            );
        }
    }
}

/// Kafka's default of a setting, written in the table in its natural Rust form.
trait ApiLiteral<T> {
    fn into_api(self) -> T;
}

impl ApiLiteral<String> for &'static str {
    fn into_api(self) -> String {
        self.to_string()
    }
}

impl ApiLiteral<i64> for i64 {
    fn into_api(self) -> i64 {
        self
    }
}

impl ApiLiteral<f64> for f64 {
    fn into_api(self) -> f64 {
        self
    }
}

impl ApiLiteral<bool> for bool {
    fn into_api(self) -> bool {
        self
    }
}

fn setting_path(name: &'static str) -> AttributePath {
    AttributePath::new("config").index(0).attribute(name)
}

/// The value a request carries for one setting, going from `prior` (`None` for a new topic) to
/// `planned`: the planned value when it is set and differs, Kafka's default when the setting
/// was managed and is no longer, nothing otherwise.
fn change<S: Setting>(
    planned: &Value<S>,
    prior: Option<&Value<S>>,
    default: S::Api,
) -> Option<S::Api> {
    match (planned, prior) {
        (Value::Value(wanted), Some(Value::Value(had))) if wanted == had => None,
        (Value::Value(wanted), _) => wanted.to_api(),
        (_, Some(Value::Value(_))) => Some(default),
        _ => None,
    }
}

/// A managed setting as the API reports it; unmanaged settings stay null.
fn reconcile<S: Setting>(reference: &Value<S>, api: Option<&S::Api>) -> Value<S> {
    match (reference, api) {
        (Value::Null, _) => Value::Null,
        (Value::Value(ours), Some(theirs)) if ours.matches(theirs) => Value::Value(ours.clone()),
        (_, Some(theirs)) => Value::Value(S::from_api(theirs)),
        (Value::Value(ours), None) => Value::Value(ours.clone()),
        (Value::Unknown, None) => Value::Null,
    }
}

macro_rules! topic_settings {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident: $kind:ty, $rule:expr, default $default:expr;
    )+) => {
        /// The `config` block: Kafka topic settings, each managed only when set.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct ConfigBlock {
            $( $(#[doc = $doc])+ pub $name: Value<$kind>, )+
        }

        impl ConfigBlock {
            fn attributes() -> BTreeMap<String, Attribute> {
                let mut attributes = BTreeMap::new();
                $(
                    let default: <$kind as Setting>::Api = ApiLiteral::into_api($default);
                    attributes.insert(
                        stringify!($name).to_string(),
                        optional(
                            <$kind as Setting>::attribute_type(),
                            &setting_description(
                                concat!($($doc),+),
                                $rule,
                                &<$kind as Setting>::show_api(&default),
                            ),
                        ),
                    );
                )+
                attributes
            }

            fn validate(&self, diags: &mut Diagnostics) {
                $(
                    if let Value::Value(value) = &self.$name {
                        value.check($rule, setting_path(stringify!($name)), diags);
                    }
                )+
            }

            /// What a request must carry to go from `prior` (`None` for a new topic) to this
            /// block; see [`change`].
            fn changes_from(&self, prior: Option<&ConfigBlock>) -> TopicConfig {
                TopicConfig {
                    $(
                        $name: change(
                            &self.$name,
                            prior.map(|p| &p.$name),
                            ApiLiteral::into_api($default),
                        ),
                    )+
                    ..TopicConfig::default()
                }
            }

            /// This block as the API reports it; see [`reconcile`].
            fn reconciled(&self, api: &TopicConfig) -> ConfigBlock {
                ConfigBlock {
                    $( $name: reconcile(&self.$name, api.$name.as_ref()), )+
                }
            }

            /// The settings the API reports away from Kafka's defaults, as managed settings
            /// (what a `config` block moved from DigitalOcean's provider keeps).
            fn chosen(api: &TopicConfig) -> ConfigBlock {
                ConfigBlock {
                    $(
                        $name: match api.$name.as_ref() {
                            Some(value)
                                if !<$kind as Setting>::from_api(value)
                                    .matches(&ApiLiteral::into_api($default)) =>
                            {
                                Value::Value(<$kind as Setting>::from_api(value))
                            }
                            _ => Value::Null,
                        },
                    )+
                }
            }

            /// The settings whose values differ between the two blocks.
            fn differing(&self, other: &ConfigBlock) -> Vec<&'static str> {
                let mut names = Vec::new();
                $(
                    if self.$name != other.$name {
                        names.push(stringify!($name));
                    }
                )+
                names
            }
        }
    };
}

topic_settings! {
    /// How old log segments are retired: `delete` discards them once the retention limits are
    /// reached, `compact` keeps the latest value of each key, `compact_delete` does both.
    cleanup_policy: String, Rule::OneOf(CLEANUP_POLICIES), default "delete";
    /// The compression codec of the topic's data; `producer` keeps whatever the producer used.
    compression_type: String, Rule::OneOf(COMPRESSION_TYPES), default "producer";
    /// How long delete tombstones are kept on compacted topics, in milliseconds.
    delete_retention_ms: Long, Rule::AtLeast(0), default 86_400_000;
    /// How long to wait before deleting a file from the filesystem, in milliseconds.
    file_delete_delay_ms: Long, Rule::AtLeast(0), default 60_000;
    /// How many messages accumulate on a partition before they are flushed to disk.
    flush_messages: Long, Rule::AtLeast(1), default i64::MAX;
    /// The longest a message stays in memory before it is flushed to disk, in milliseconds.
    flush_ms: Long, Rule::AtLeast(0), default i64::MAX;
    /// How many bytes lie between two entries of the offset index.
    index_interval_bytes: Long, Rule::AtLeast(0), default 4096;
    /// The longest a message stays uncompacted on a compacted topic, in milliseconds.
    max_compaction_lag_ms: Long, Rule::AtLeast(1), default i64::MAX;
    /// The largest record batch the topic accepts, in bytes (after compression).
    max_message_bytes: Long, Rule::AtLeast(0), default 1_048_588;
    /// Whether the broker converts messages to older formats for consumers that need them.
    message_down_conversion_enable: bool, Rule::Flag, default true;
    /// The message format version the broker appends to the log with. Brokers on Kafka 3.0
    /// and later ignore it.
    message_format_version: String, Rule::OneOf(MESSAGE_FORMAT_VERSIONS), default "3.0-IV1";
    /// Which timestamp messages carry: the producer's `create_time` or the broker's
    /// `log_append_time`.
    message_timestamp_type: String, Rule::OneOf(TIMESTAMP_TYPES), default "create_time";
    /// How much of the log may be uncompacted (as a fraction) before compaction runs.
    min_cleanable_dirty_ratio: Ratio, Rule::Fraction, default 0.5;
    /// The shortest a message stays uncompacted on a compacted topic, in milliseconds.
    min_compaction_lag_ms: Long, Rule::AtLeast(0), default 0;
    /// How many replicas must acknowledge a write sent with `acks=all`.
    min_insync_replicas: Long, Rule::AtLeast(1), default 1;
    /// Whether a new log segment's file is preallocated on disk.
    preallocate: bool, Rule::Flag, default false;
    /// The largest a partition's log may grow before old messages are deleted, in bytes;
    /// `-1` means no limit.
    retention_bytes: Long, Rule::AtLeast(-1), default -1;
    /// How long messages are kept, in milliseconds; `-1` means forever.
    retention_ms: Long, Rule::AtLeast(-1), default 604_800_000;
    /// The largest size of one log segment file, in bytes.
    segment_bytes: Long, Rule::AtLeast(14), default 209_715_200;
    /// The largest random jitter subtracted from the segment roll time, in milliseconds.
    segment_jitter_ms: Long, Rule::AtLeast(0), default 0;
    /// How long before a segment is rolled even if it is not full, in milliseconds.
    segment_ms: Long, Rule::AtLeast(1), default 604_800_000;
}

fn setting_description(doc: &str, rule: Rule, default: &str) -> String {
    let mut text = doc.trim().to_string();
    let allowed = rule.describe();
    if !allowed.is_empty() {
        text.push(' ');
        text.push_str(&allowed);
    }
    text.push_str(&format!(
        " Kafka's default is `{default}`; leaving the setting out keeps whatever the topic has \
         without managing it, and removing it from the configuration sets it back to `{default}`."
    ));
    text
}

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// The resource's state, field for field as in the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TopicModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub name: Value<String>,
    pub partition_count: Value<i64>,
    pub replication_factor: Value<i64>,
    pub state: Value<String>,
    #[serde(with = "value::serde_as_vec")]
    pub config: Value<ConfigBlock>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// `<cluster_id>,<name>`, the same form `terraform import` takes; unknown until both are known.
pub fn topic_id(cluster_id: &Value<String>, name: &Value<String>) -> Value<String> {
    match (cluster_id, name) {
        (Value::Value(cluster), Value::Value(name)) => Value::Value(format!("{cluster},{name}")),
        _ => Value::Unknown,
    }
}

/// Builds the state from what the API says about the topic. `reference` is the plan (after
/// create/update), the prior state (read) or the import stub: it supplies the identity, says
/// which settings are managed, and keeps its spelling wherever the API's value is equivalent.
pub fn state_from_api(topic: &Topic, reference: &TopicModel) -> TopicModel {
    let name = match &reference.name {
        Value::Value(name) => Value::Value(name.clone()),
        _ => Value::Value(topic.name.clone()),
    };
    let cluster_id = settled(&reference.cluster_id);
    let config = match &reference.config {
        Value::Value(block) => {
            Value::Value(block.reconciled(&topic.config.clone().unwrap_or_default()))
        }
        _ => Value::Null,
    };
    TopicModel {
        id: match topic_id(&cluster_id, &name) {
            Value::Unknown => Value::Null,
            id => id,
        },
        cluster_id,
        name,
        partition_count: topic
            .partition_count()
            .map_or_else(|| settled(&reference.partition_count), Value::Value),
        replication_factor: topic
            .replication_factor
            .map_or_else(|| settled(&reference.replication_factor), Value::Value),
        state: topic
            .state
            .clone()
            .map_or_else(|| settled(&reference.state), Value::Value),
        config,
        timeouts: settled(&reference.timeouts),
    }
}

/// The planned values the API reports differently after an apply, as attribute names.
fn unapplied(planned: &TopicModel, actual: &TopicModel) -> Vec<String> {
    let mut names = Vec::new();
    if planned.partition_count.is_value() && planned.partition_count != actual.partition_count {
        names.push("partition_count".to_string());
    }
    if planned.replication_factor.is_value()
        && planned.replication_factor != actual.replication_factor
    {
        names.push("replication_factor".to_string());
    }
    if let (Value::Value(wanted), Value::Value(got)) = (&planned.config, &actual.config) {
        names.extend(
            wanted
                .differing(got)
                .into_iter()
                .map(|n| format!("config.{n}")),
        );
    }
    names
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const TIMEOUT_WORDING: TimeoutWording = TimeoutWording {
    create: "How long to wait for the topic to be created and `active`",
    update: "How long to wait for a change to be applied and the topic `active` again",
    delete: "How long to wait for the topic to be gone",
    block: "Time limits for the topic's slow operations.",
};

pub fn topic_schema() -> Schema {
    use AttributeType::{Number, String as Str};
    let attributes = map! {
        "id" => computed(Str,
            "`<cluster_id>,<name>`, the same form `terraform import` takes."),
        "cluster_id" => required(Str,
            "The UUID of the Kafka cluster (`engine = \"kafka\"`) that holds the topic. \
             Changing it replaces the topic."),
        "name" => required(Str,
            "The topic's name: 1 to 249 letters, digits, `.`, `_` or `-`. Changing it replaces \
             the topic, and its messages are lost."),
        "partition_count" => optional_computed(Number,
            "How many partitions the topic has, from 3 to 2048. Defaults to `3` for a new topic. \
             It grows in place; Kafka cannot remove partitions, so a lower value is a plan-time \
             error. Read back from the API: partitions added outside Terraform show as drift."),
        "replication_factor" => optional_computed(Number,
            "How many nodes keep a copy of each partition: at least 2, and at most the cluster's \
             node count. Defaults to `2` for a new topic. Changes in place."),
        "state" => computed(Str,
            "The topic's state as the API reports it: `active` when ready (every apply waits for \
             it), `configuring` while a change is applied, `deleting` or `unknown`."),
    };
    let config = Block {
        attributes: ConfigBlock::attributes(),
        description: Description::markdown(
            "Kafka topic settings. Only the settings written here are sent and managed: a setting \
             left out keeps the topic's value, whatever it is, and never shows as a diff; a \
             setting written here is read back, so a change made outside Terraform shows as \
             drift; removing a setting sets it back to Kafka's default. Numbers are whole \
             numbers of Kafka's 64-bit range (up to `9223372036854775807`), except \
             `min_cleanable_dirty_ratio`. Changes apply in place.",
        ),
        ..Default::default()
    };
    Schema {
        version: 1,
        block: Block {
            version: 1,
            attributes,
            blocks: map! {
                "config" => NestedBlock::Optional(config),
                "timeouts" => NestedBlock::Optional(timeouts_block(TIMEOUTS, TIMEOUT_WORDING)),
            },
            description: Description::markdown(
                "A topic of a Kafka cluster. `terraform apply` waits until the topic is `active`; \
                 partitions, replication and settings change in place.",
            ),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Validation (configuration only, unknown values skipped)
// ---------------------------------------------------------------------------------------------

pub fn validate_config(diags: &mut Diagnostics, config: &TopicModel) {
    validate::uuid(diags, at("cluster_id"), &config.cluster_id);
    validate::matches(
        diags,
        at("name"),
        &config.name,
        is_topic_name,
        "1 to 249 letters, digits, '.', '_' or '-'",
    );
    if matches!(text(&config.name), Some("." | "..")) {
        diags.err(
            "Invalid name",
            "`name` cannot be \".\" or \"..\": Kafka reserves them.",
            at("name"),
        );
    }
    let (fewest, most) = PARTITION_COUNT_RANGE;
    validate::int_between(
        diags,
        at("partition_count"),
        &config.partition_count,
        fewest,
        most,
    );
    validate::int_at_least(
        diags,
        at("replication_factor"),
        &config.replication_factor,
        MIN_REPLICATION_FACTOR,
    );
    if let Value::Value(block) = &config.config {
        block.validate(diags);
    }
    validate_timeouts(diags, &config.timeouts);
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/// The plan for a new topic: the configuration, the defaults the provider sends, and the
/// values apply guarantees (the ID it derives, the `active` state it waits for).
pub fn plan_new(mut planned: TopicModel) -> TopicModel {
    if planned.partition_count.is_null() {
        planned.partition_count = Value::Value(DEFAULT_PARTITION_COUNT);
    }
    if planned.replication_factor.is_null() {
        planned.replication_factor = Value::Value(DEFAULT_REPLICATION_FACTOR);
    }
    planned.id = topic_id(&planned.cluster_id, &planned.name);
    planned.state = Value::Value(ACTIVE.to_string());
    planned
}

/// The managed settings: an absent block manages none, like a block with nothing set.
fn managed(config: &Value<ConfigBlock>) -> ConfigBlock {
    config.as_ref_option().cloned().unwrap_or_default()
}

/// Whether applying `planned` over `prior` calls the API.
fn changes_topic(prior: &TopicModel, planned: &TopicModel) -> bool {
    plan::differs(&prior.partition_count, &planned.partition_count)
        || plan::differs(&prior.replication_factor, &planned.replication_factor)
        || managed(&prior.config) != managed(&planned.config)
}

/// Checks and adjusts the plan for an existing topic; returns the attributes that force
/// replacement.
pub fn plan_existing(
    diags: &mut Diagnostics,
    prior: &TopicModel,
    planned: &mut TopicModel,
) -> Vec<AttributePath> {
    // A UUID spelled in another case is the same cluster; the prior spelling is a valid plan.
    if let (Value::Value(a), Value::Value(b)) = (&prior.cluster_id, &planned.cluster_id) {
        if a.eq_ignore_ascii_case(b) {
            planned.cluster_id = prior.cluster_id.clone();
        }
    }
    // The API cannot move or rename a topic, so even a value that is only unknown yet must
    // plan a replacement: an update could not make it true.
    let mut replace = plan::Replacements::default();
    if plan::differs(&prior.cluster_id, &planned.cluster_id) {
        replace.add("cluster_id");
    }
    if plan::differs(&prior.name, &planned.name) {
        replace.add("name");
    }
    if !replace.is_empty() {
        return replace.into_paths();
    }

    if let (Value::Value(from), Value::Value(to)) =
        (&prior.partition_count, &planned.partition_count)
    {
        if to < from {
            diags.err(
                "Partitions cannot be removed",
                format!(
                    "`partition_count` is {from} on the topic and the configuration asks for {to}. \
                     Kafka can add partitions but never remove them (the count may also have \
                     grown outside Terraform). Set `partition_count = {from}` or more, or give \
                     the topic a new `name` to replace it (its messages are lost)."
                ),
                at("partition_count"),
            );
        }
    }
    planned.id = prior.id.clone();
    planned.state = if changes_topic(prior, planned) {
        Value::Value(ACTIVE.to_string())
    } else {
        prior.state.clone()
    };
    Vec::new()
}

// ---------------------------------------------------------------------------------------------
// API orchestration
// ---------------------------------------------------------------------------------------------

fn describe(topic: &TopicModel) -> String {
    match (text(&topic.name), text(&topic.cluster_id)) {
        (Some(name), Some(cluster)) => format!("Kafka topic {name:?} of cluster {cluster}"),
        (Some(name), None) => format!("Kafka topic {name:?}"),
        _ => "Kafka topic".to_string(),
    }
}

/// How messages name a Kafka topic.
const KIND: ChildKind = ChildKind {
    noun: "Kafka topic",
    title: "Kafka topic",
    import_noun: "topic",
};

/// Reports (on `cluster_id`) why the cluster cannot hold topics; `Ok(true)` when it can.
async fn check_kafka_cluster(
    diags: &mut Diagnostics,
    api: &ApiContext,
    cancel: &CancellationToken,
    cluster_id: &str,
) -> Result<bool, ApiError> {
    match api
        .client
        .get_parent_cluster(cluster_id, &api.poll, cancel)
        .await
    {
        Ok(cluster) if cluster.engine.eq_ignore_ascii_case("kafka") => Ok(true),
        Ok(cluster) => {
            diags.err(
                "Not a Kafka cluster",
                format!(
                    "`cluster_id` {cluster_id} is the {} cluster {:?}. Topics exist only on \
                     Kafka clusters (`engine = \"kafka\"`).",
                    cluster.engine, cluster.name
                ),
                at("cluster_id"),
            );
            Ok(false)
        }
        Err(error) if error.is_not_found() => {
            diags.err(
                "Cluster not found",
                format!("`cluster_id` {cluster_id} names no database cluster this token can see."),
                at("cluster_id"),
            );
            Ok(false)
        }
        Err(error) => Err(error),
    }
}

/// Whether the topic has the partitions and replicas `planned` asks for, so that a read taken
/// before the API started applying a change is not mistaken for its end (settings are checked
/// after the wait, so that one the API does not echo cannot stall it until the deadline).
fn shows_layout(planned: &TopicModel, topic: &Topic) -> bool {
    let matches = |wanted: &Value<i64>, got: Option<i64>| match (wanted, got) {
        (Value::Value(wanted), Some(got)) => *wanted == got,
        _ => true,
    };
    matches(&planned.partition_count, topic.partition_count())
        && matches(&planned.replication_factor, topic.replication_factor)
}

/// Reports what a wait after create or update ended with, and whether the API applied the plan.
fn report_unapplied(
    diags: &mut Diagnostics,
    what: &str,
    planned: &TopicModel,
    actual: &TopicModel,
) {
    let names = unapplied(planned, actual);
    if !names.is_empty() {
        diags.root_err(
            format!("The API did not apply every setting of the {what}"),
            format!(
                "The topic is active, but the API reports other values than planned for: {}. \
                 The state records what the API reports; the next plan shows the difference.",
                names.join(", ")
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------------

/// The `dbaas_database_kafka_topic` resource.
#[derive(Debug, Clone, Default)]
pub struct DatabaseKafkaTopicResource;

#[async_trait]
impl ManagedResource for DatabaseKafkaTopicResource {
    type Model = TopicModel;
    const TYPE_NAME: &'static str = "dbaas_database_kafka_topic";
    const IDENTITY: &'static [&'static str] = &["cluster_id", "name"];
    const TIMEOUTS: TimeoutDefaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        topic_schema()
    }

    fn timeouts(model: &TopicModel) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &TopicModel) {
        validate_config(diags, config);
    }

    async fn plan_create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        proposed: TopicModel,
        _config: &TopicModel,
    ) -> Option<TopicModel> {
        let planned = plan_new(proposed);
        if let (Some(cluster_id), Some(api)) = (text(&planned.cluster_id), ctx.api_if_configured())
        {
            if let Err(error) = check_kafka_cluster(diags, &api, &ctx.cancel, cluster_id).await {
                // Only a helpful early check: apply checks again.
                tracing::warn!(%error, "could not check the topic's cluster at plan time");
            }
        }
        Some(planned)
    }

    async fn plan_update(
        &self,
        _ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: &TopicModel,
        mut proposed: TopicModel,
        _config: &TopicModel,
    ) -> Option<(TopicModel, Vec<AttributePath>)> {
        let replace = plan_existing(diags, prior, &mut proposed);
        Some((proposed, replace))
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned: TopicModel,
        _config: &TopicModel,
    ) -> Option<TopicModel> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&planned.cluster_id)?.to_string();
        let name = text(&planned.name)?.to_string();
        let deadline = ctx.deadline();

        match check_kafka_cluster(diags, &api, &ctx.cancel, &cluster_id).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(error) => {
                diags.api_err(format!("Could not read cluster {cluster_id}"), &error);
                return None;
            }
        }
        let config = planned
            .config
            .as_ref_option()
            .map(|block| block.changes_from(None))
            .filter(|config| *config != TopicConfig::default());
        let request = CreateTopicRequest {
            name: name.clone(),
            partition_count: planned.partition_count.as_ref_option().copied(),
            replication_factor: planned.replication_factor.as_ref_option().copied(),
            config,
        };
        let topics = api.client.topics(&cluster_id);
        let created = ctx
            .change_cluster(&api, &cluster_id, "create Kafka topic", || {
                topics.create(&request)
            })
            .await;
        if let Err(error) = created {
            diags.wait_err(
                format!("Could not create the {}", describe(&planned)),
                &error,
            );
            return None;
        }
        tracing::info!(cluster = %cluster_id, topic = %name, "Kafka topic created; waiting for it to be active");

        // From here on the topic exists: every path returns it, so Terraform keeps it in state
        // (tainted when there is an error) and nothing is orphaned.
        let mut fallback = planned.clone();
        fallback.state = Value::Null;
        let settled = conditions::active_and(|topic: &Topic| shows_layout(&planned, topic));
        match topics
            .wait(&name, settled, &api.poll, deadline, &ctx.cancel)
            .await
        {
            Ok(topic) => {
                let state = state_from_api(&topic, &planned);
                report_unapplied(diags, "new topic", &planned, &state);
                Some(state)
            }
            Err(error) => {
                diags.wait_err(
                    format!("The {} was created but is not active", describe(&planned)),
                    &error,
                );
                diags.root_err(
                    "The new topic is kept in state as tainted",
                    format!(
                        "Topic {name:?} exists on cluster {cluster_id}. Terraform records it as \
                         tainted, so the next apply replaces it; run `terraform untaint` on this \
                         resource to keep it instead."
                    ),
                );
                if let Ok(topic) = topics.get(&name).await {
                    fallback = state_from_api(&topic, &planned);
                }
                Some(fallback)
            }
        }
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: TopicModel,
    ) -> Option<Option<TopicModel>> {
        let (Some(cluster_id), Some(name)) = (text(&state.cluster_id), text(&state.name)) else {
            return Some(Some(state));
        };
        let api = ctx.api(diags)?;
        let read = api.client.topics(cluster_id).get(name).await.found();
        let topic = child::read_outcome(diags, KIND, (cluster_id, name), &describe(&state), read)?;
        Some(topic.map(|topic| state_from_api(&topic, &state)))
    }

    async fn update(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: TopicModel,
        planned: TopicModel,
        _config: &TopicModel,
    ) -> Option<TopicModel> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&prior.cluster_id)?.to_string();
        let name = text(&prior.name)?.to_string();
        let deadline = ctx.deadline();
        let topics = api.client.topics(&cluster_id);

        let config = managed(&planned.config).changes_from(prior.config.as_ref_option());
        let changed =
            |a: &Value<i64>, b: &Value<i64>| (a != b).then(|| b.as_ref_option().copied()).flatten();
        let request = UpdateTopicRequest {
            partition_count: changed(&prior.partition_count, &planned.partition_count),
            replication_factor: changed(&prior.replication_factor, &planned.replication_factor),
            config: (config != TopicConfig::default()).then_some(config),
        };
        if request == UpdateTopicRequest::default() {
            // Only Terraform-side values (the timeouts, an empty config block) changed.
            return Some(planned);
        }
        let updated = ctx
            .change_cluster(&api, &cluster_id, "update Kafka topic", || {
                topics.update(&name, &request)
            })
            .await;
        if let Err(error) = updated {
            diags.wait_err(format!("Could not update the {}", describe(&prior)), &error);
            // The state must say what is true now, so it is read again rather than planned.
            return Some(match topics.get(&name).await {
                Ok(topic) => state_from_api(&topic, &prior),
                Err(_) => prior,
            });
        }
        let settled = conditions::active_and(|topic: &Topic| shows_layout(&planned, topic));
        match topics
            .wait(&name, settled, &api.poll, deadline, &ctx.cancel)
            .await
        {
            Ok(topic) => {
                let state = state_from_api(&topic, &planned);
                report_unapplied(diags, "change", &planned, &state);
                Some(state)
            }
            Err(error) => {
                diags.wait_err(
                    format!(
                        "The {} did not become active after the change",
                        describe(&prior)
                    ),
                    &error,
                );
                Some(match topics.get(&name).await {
                    Ok(topic) => state_from_api(&topic, &planned),
                    Err(_) => prior,
                })
            }
        }
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: TopicModel,
    ) -> Option<()> {
        let api = ctx.api(diags)?;
        let cluster_id = text(&prior.cluster_id)?.to_string();
        let name = text(&prior.name)?.to_string();
        let topics = api.client.topics(&cluster_id);
        child::delete_until_gone(
            ctx,
            diags,
            &api,
            KIND,
            (&cluster_id, &describe(&prior)),
            || topics.delete(&name),
            || async { topics.get(&name).await.found() },
        )
        .await
    }

    async fn import(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        id: &str,
    ) -> Option<TopicModel> {
        let (cluster_id, name) = child::parse_import_id(diags, KIND, id)?;
        let api = ctx.api(diags)?;
        let stub = TopicModel {
            cluster_id: Value::Value(cluster_id.clone()),
            name: Value::Value(name.clone()),
            ..TopicModel::default()
        };
        let read = api.client.topics(&cluster_id).get(&name).await.found();
        let topic = child::import_outcome(diags, KIND, (&cluster_id, &name), read)?;
        Some(state_from_api(&topic, &stub))
    }

    async fn move_state(
        &self,
        _ctx: &RequestContext,
        diags: &mut Diagnostics,
        request: &MoveRequest,
    ) -> Option<TopicModel> {
        let source = moved::source_state(diags, request, Self::TYPE_NAME)?;
        moved_from_digitalocean(diags, &source)
    }
}

/// A `digitalocean_database_kafka_topic` (schema version 0) as this resource's state.
/// DigitalOcean's ID `<cluster_id>/topic/<name>` becomes `<cluster_id>,<name>`. DigitalOcean's
/// provider stores every setting of the `config` block, set or not; here a setting is managed
/// only when it is configured, so the settings at Kafka's defaults are left out, and the rest
/// (the ones somebody chose) stay managed. A configured setting at its default then shows as
/// added in the first plan, with nothing to change on the topic.
pub fn moved_from_digitalocean(
    diags: &mut Diagnostics,
    source: &SourceState,
) -> Option<TopicModel> {
    const SOURCE: &str = "digitalocean_database_kafka_topic";
    let cluster_id = moved::required(diags, source, SOURCE, "cluster_id")?;
    let name = moved::required(diags, source, SOURCE, "name")?;
    let config = match source.block("config") {
        None => Value::Null,
        Some(block) => match serde_json::from_value::<TopicConfig>(block.api_json()) {
            Ok(api) => {
                let chosen = ConfigBlock::chosen(&api);
                if chosen == ConfigBlock::default() {
                    Value::Null
                } else {
                    Value::Value(chosen)
                }
            }
            Err(error) => {
                diags.root_err(
                    "Unreadable source state",
                    format!(
                        "The `config` block of the stored {SOURCE} {name:?} could not be read \
                         ({error}). Remove it from state and import it as \
                         dbaas_database_kafka_topic instead."
                    ),
                );
                return None;
            }
        },
    };
    Some(TopicModel {
        id: Value::Value(format!("{cluster_id},{name}")),
        cluster_id: Value::Value(cluster_id),
        name: Value::Value(name),
        partition_count: source.int("partition_count"),
        replication_factor: source.int("replication_factor"),
        state: source.string("state"),
        config,
        timeouts: source.timeouts(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::TopicPartition;

    const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn long(n: i64) -> Value<Long> {
        Value::Value(Long(WireNumber::Int(n)))
    }

    fn configured() -> TopicModel {
        TopicModel {
            cluster_id: s(CLUSTER),
            name: s("events"),
            partition_count: Value::Value(6),
            replication_factor: Value::Null,
            config: Value::Value(ConfigBlock {
                cleanup_policy: s("compact"),
                retention_ms: long(100_000),
                min_cleanable_dirty_ratio: Value::Value(Ratio(WireNumber::Text("0.1".into()))),
                preallocate: Value::Value(false),
                ..ConfigBlock::default()
            }),
            ..TopicModel::default()
        }
    }

    /// A topic as the API describes it, with every setting at a value (as the API reports the
    /// whole effective configuration).
    fn api_topic(partitions: usize) -> Topic {
        Topic {
            name: "events".into(),
            state: Some("active".into()),
            replication_factor: Some(2),
            partitions: Some(
                (0..partitions)
                    .map(|id| TopicPartition {
                        id: Some(id as i64),
                        ..TopicPartition::default()
                    })
                    .collect(),
            ),
            config: Some(TopicConfig {
                cleanup_policy: Some("compact".into()),
                compression_type: Some("producer".into()),
                retention_ms: Some(100_000),
                retention_bytes: Some(-1),
                min_cleanable_dirty_ratio: Some(0.10000000149011612),
                preallocate: Some(false),
                flush_messages: Some(i64::MAX),
                message_down_conversion_enable: Some(true),
                ..TopicConfig::default()
            }),
        }
    }

    #[test]
    fn numbers_keep_the_form_terraform_sent() {
        let decode = |json: &str| serde_json::from_str::<Value<Long>>(json).unwrap();
        assert_eq!(decode("5"), Value::Value(Long(WireNumber::Int(5))));
        assert_eq!(
            decode("\"9223372036854776000\""),
            Value::Value(Long(WireNumber::Text("9223372036854776000".into())))
        );
        assert_eq!(
            decode("18446744073709551615"),
            Value::Value(Long(WireNumber::Text("18446744073709551615".into())))
        );
        assert_eq!(decode("null"), Value::Null);
        let ratio: Value<Ratio> = serde_json::from_str("0.5").unwrap();
        assert_eq!(ratio, Value::Value(Ratio(WireNumber::Float(0.5))));
        for value in [
            WireNumber::Int(-1),
            WireNumber::Float(0.5),
            WireNumber::Text("0.1".into()),
        ] {
            let again: WireNumber =
                serde_json::from_value(serde_json::to_value(&value).unwrap()).unwrap();
            assert_eq!(again, value);
        }
    }

    #[test]
    fn number_conversions_are_exact() {
        assert_eq!(
            WireNumber::Text("9223372036854775807".into()).as_i64(),
            Some(i64::MAX)
        );
        assert_eq!(
            WireNumber::Text("9223372036854776000".into()).as_i64(),
            None
        );
        assert_eq!(WireNumber::Float(2f64.powi(63)).as_i64(), None);
        assert_eq!(WireNumber::Float(-3.0).as_i64(), Some(-3));
        assert_eq!(WireNumber::Float(1.5).as_i64(), None);
        assert_eq!(WireNumber::Text("0.1".into()).as_f64(), Some(0.1));
        assert!(Ratio(WireNumber::Text("0.1".into())).matches(&0.10000000149011612));
        assert!(!Ratio(WireNumber::Text("0.1".into())).matches(&0.2));
    }

    fn errors_for(config: TopicModel) -> Vec<(String, String)> {
        let mut diags = Diagnostics::default();
        validate_config(&mut diags, &config);
        diags
            .errors
            .iter()
            .map(|d| (path_name(&d.attribute), d.detail.to_string()))
            .collect()
    }

    #[test]
    fn validation_names_the_attribute() {
        type Breaker = Box<dyn Fn(&mut TopicModel)>;
        let with_config = |f: fn(&mut ConfigBlock)| -> Breaker {
            Box::new(move |t: &mut TopicModel| {
                if let Value::Value(block) = &mut t.config {
                    f(block)
                }
            })
        };
        let cases: Vec<(&str, Breaker)> = vec![
            ("cluster_id", Box::new(|t| t.cluster_id = s("kafka-1"))),
            ("name", Box::new(|t| t.name = s("has space"))),
            ("name", Box::new(|t| t.name = s(".."))),
            (
                "partition_count",
                Box::new(|t| t.partition_count = Value::Value(2)),
            ),
            (
                "partition_count",
                Box::new(|t| t.partition_count = Value::Value(2049)),
            ),
            (
                "replication_factor",
                Box::new(|t| t.replication_factor = Value::Value(1)),
            ),
            (
                "config.cleanup_policy",
                with_config(|c| c.cleanup_policy = s("forever")),
            ),
            (
                "config.compression_type",
                with_config(|c| c.compression_type = s("Iz4")),
            ),
            (
                "config.message_timestamp_type",
                with_config(|c| c.message_timestamp_type = s("now")),
            ),
            (
                "config.message_format_version",
                with_config(|c| c.message_format_version = s("9.9")),
            ),
            (
                "config.retention_ms",
                with_config(|c| c.retention_ms = long(-2)),
            ),
            (
                "config.segment_bytes",
                with_config(|c| c.segment_bytes = long(13)),
            ),
            (
                "config.min_insync_replicas",
                with_config(|c| c.min_insync_replicas = long(0)),
            ),
            (
                "config.flush_ms",
                with_config(|c| {
                    c.flush_ms = Value::Value(Long(WireNumber::Text("9223372036854776000".into())))
                }),
            ),
            (
                "config.segment_ms",
                with_config(|c| c.segment_ms = Value::Value(Long(WireNumber::Float(1.5)))),
            ),
            (
                "config.min_cleanable_dirty_ratio",
                with_config(|c| {
                    c.min_cleanable_dirty_ratio = Value::Value(Ratio(WireNumber::Float(1.5)))
                }),
            ),
        ];
        for (attribute, break_it) in cases {
            let mut config = configured();
            break_it(&mut config);
            let errors = errors_for(config);
            assert_eq!(errors.len(), 1, "{attribute}: {errors:?}");
            assert_eq!(errors[0].0, attribute, "{errors:?}");
            assert!(
                errors[0].1.contains(&format!("`{attribute}`")),
                "{errors:?}"
            );
        }
        assert!(errors_for(configured()).is_empty());
    }

    #[test]
    fn the_documented_long_max_gets_an_explanation() {
        let mut config = configured();
        if let Value::Value(block) = &mut config.config {
            block.flush_ms = Value::Value(Long(WireNumber::Text("9223372036854776000".into())));
        }
        let errors = errors_for(config);
        assert!(errors[0].1.contains("9223372036854775807"), "{errors:?}");
        assert!(errors[0].1.contains("Long.MAX_VALUE"), "{errors:?}");
    }

    #[test]
    fn validation_skips_unknown_values() {
        let mut config = configured();
        config.cluster_id = Value::Unknown;
        config.partition_count = Value::Unknown;
        config.config = Value::Value(ConfigBlock {
            retention_ms: Value::Unknown,
            cleanup_policy: Value::Unknown,
            ..ConfigBlock::default()
        });
        assert!(errors_for(config).is_empty());
    }

    #[test]
    fn a_new_topic_plans_defaults_and_a_known_id() {
        let planned = plan_new(configured());
        assert_eq!(planned.partition_count, Value::Value(6));
        assert_eq!(
            planned.replication_factor,
            Value::Value(DEFAULT_REPLICATION_FACTOR)
        );
        assert_eq!(planned.id, s(&format!("{CLUSTER},events")));
        assert_eq!(planned.state, s("active"));
        assert_eq!(planned.config, configured().config);

        let mut unknown_cluster = configured();
        unknown_cluster.cluster_id = Value::Unknown;
        unknown_cluster.partition_count = Value::Null;
        let planned = plan_new(unknown_cluster);
        assert_eq!(planned.id, Value::Unknown);
        assert_eq!(
            planned.partition_count,
            Value::Value(DEFAULT_PARTITION_COUNT)
        );
    }

    fn prior() -> TopicModel {
        state_from_api(&api_topic(6), &plan_new(configured()))
    }

    #[test]
    fn only_managed_settings_are_read_and_server_defaults_cause_no_diff() {
        let state = prior();
        let block = state.config.as_ref_option().unwrap();
        assert_eq!(block.cleanup_policy, s("compact"));
        // The API's single-precision rendering of 0.1 keeps the configured spelling.
        assert_eq!(
            block.min_cleanable_dirty_ratio,
            Value::Value(Ratio(WireNumber::Text("0.1".into())))
        );
        assert_eq!(block.flush_messages, Value::Null);
        assert_eq!(block.compression_type, Value::Null);
        assert_eq!(state.partition_count, Value::Value(6));
        assert_eq!(state.replication_factor, Value::Value(2));
        assert_eq!(state.id, s(&format!("{CLUSTER},events")));
        let mut expected = plan_new(configured());
        expected.replication_factor = Value::Value(2);
        assert_eq!(state, expected);
    }

    #[test]
    fn drift_of_managed_values_shows() {
        let mut drifted = api_topic(8);
        let config = drifted.config.as_mut().unwrap();
        config.retention_ms = Some(5000);
        config.compression_type = Some("gzip".into());
        let state = state_from_api(&drifted, &prior());
        assert_eq!(state.partition_count, Value::Value(8));
        let block = state.config.as_ref_option().unwrap();
        assert_eq!(block.retention_ms, long(5000));
        // Unmanaged: stays null even though the API's value changed.
        assert_eq!(block.compression_type, Value::Null);
    }

    #[test]
    fn import_leaves_the_config_block_unmanaged() {
        let stub = TopicModel {
            cluster_id: s(CLUSTER),
            name: s("events"),
            ..TopicModel::default()
        };
        let state = state_from_api(&api_topic(3), &stub);
        assert_eq!(state.config, Value::Null);
        assert_eq!(state.partition_count, Value::Value(3));
        assert_eq!(state.state, s("active"));
        assert_eq!(state.id, s(&format!("{CLUSTER},events")));
    }

    #[test]
    fn requests_carry_only_what_is_set_and_resets_for_what_was_removed() {
        let block = configured().config.as_option().unwrap();
        let create = block.changes_from(None);
        assert_eq!(
            serde_json::to_value(&create).unwrap(),
            serde_json::json!({
                "cleanup_policy": "compact",
                "retention_ms": 100000,
                "min_cleanable_dirty_ratio": 0.1,
                "preallocate": false
            })
        );
        assert_eq!(
            ConfigBlock::default().changes_from(None),
            TopicConfig::default()
        );

        let mut next = block.clone();
        next.retention_ms = long(200_000);
        next.cleanup_policy = Value::Null;
        next.min_cleanable_dirty_ratio = Value::Null;
        assert_eq!(
            serde_json::to_value(next.changes_from(Some(&block))).unwrap(),
            serde_json::json!({
                "cleanup_policy": "delete",
                "retention_ms": 200000,
                "min_cleanable_dirty_ratio": 0.5
            })
        );
        assert_eq!(block.changes_from(Some(&block)), TopicConfig::default());
    }

    #[test]
    fn identity_changes_replace_even_when_unknown() {
        let prior = prior();
        let mut diags = Diagnostics::default();
        let mut planned = prior.clone();
        planned.name = s("renamed");
        assert_eq!(
            plan_existing(&mut diags, &prior, &mut planned),
            vec![at("name")]
        );

        let mut planned = prior.clone();
        planned.cluster_id = Value::Unknown;
        assert_eq!(
            plan_existing(&mut diags, &prior, &mut planned),
            vec![at("cluster_id")]
        );

        let mut planned = prior.clone();
        planned.cluster_id = s(&CLUSTER.to_ascii_uppercase());
        assert!(plan_existing(&mut diags, &prior, &mut planned).is_empty());
        assert_eq!(planned, prior);
        assert!(diags.errors.is_empty());
    }

    #[test]
    fn in_place_changes_plan_an_active_topic_with_the_same_id() {
        let mut prior = prior();
        prior.state = s("configuring");
        let mut planned = prior.clone();
        planned.partition_count = Value::Value(12);
        let mut diags = Diagnostics::default();
        assert!(plan_existing(&mut diags, &prior, &mut planned).is_empty());
        assert!(diags.errors.is_empty());
        assert_eq!(planned.state, s("active"));
        assert_eq!(planned.id, prior.id);

        // No change: the state stays as read.
        let mut planned = prior.clone();
        assert!(plan_existing(&mut diags, &prior, &mut planned).is_empty());
        assert_eq!(planned.state, s("configuring"));
    }

    #[test]
    fn removing_partitions_is_a_plan_error_naming_the_attribute() {
        let prior = prior();
        let mut planned = prior.clone();
        planned.partition_count = Value::Value(3);
        let mut diags = Diagnostics::default();
        plan_existing(&mut diags, &prior, &mut planned);
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(path_name(&diags.errors[0].attribute), "partition_count");
        assert!(diags.errors[0].detail.contains("is 6 on the topic"));
    }

    #[test]
    fn unapplied_values_are_named() {
        let planned = prior();
        let mut actual = planned.clone();
        actual.partition_count = Value::Value(3);
        if let Value::Value(block) = &mut actual.config {
            block.retention_ms = long(1);
        }
        assert_eq!(
            unapplied(&planned, &actual),
            vec![
                "partition_count".to_string(),
                "config.retention_ms".to_string()
            ]
        );
        assert!(unapplied(&planned, &planned).is_empty());
    }

    #[test]
    fn the_schema_documents_every_contract_setting() {
        // `kafka_topic_config` in the contract (§3.3).
        const CONTRACT: [&str; 21] = [
            "cleanup_policy",
            "compression_type",
            "delete_retention_ms",
            "file_delete_delay_ms",
            "flush_messages",
            "flush_ms",
            "index_interval_bytes",
            "max_compaction_lag_ms",
            "max_message_bytes",
            "message_down_conversion_enable",
            "message_format_version",
            "message_timestamp_type",
            "min_cleanable_dirty_ratio",
            "min_compaction_lag_ms",
            "min_insync_replicas",
            "preallocate",
            "retention_bytes",
            "retention_ms",
            "segment_bytes",
            "segment_jitter_ms",
            "segment_ms",
        ];
        let schema = topic_schema();
        let Some(NestedBlock::Optional(config)) = schema.block.blocks.get("config") else {
            panic!("config is not an optional block");
        };
        let mut names: Vec<&str> = config.attributes.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, CONTRACT);
        for (name, attribute) in &config.attributes {
            assert!(
                attribute
                    .description
                    .content
                    .contains("Kafka's default is `"),
                "{name} does not document its default"
            );
        }
        assert!(config.attributes["flush_messages"]
            .description
            .content
            .contains("9223372036854775807"));
        assert_eq!(
            config.attributes["preallocate"].attr_type,
            AttributeType::Bool
        );
        assert_eq!(
            config.attributes["min_cleanable_dirty_ratio"].attr_type,
            AttributeType::Number
        );
    }
}
