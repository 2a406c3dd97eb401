//! `dbaas_database_firewall`: the trusted sources of one database cluster.
//!
//! The API replaces a cluster's whole rule list with one `PUT`, so this resource is
//! authoritative: it owns every rule of its cluster, rules added elsewhere show up as drift,
//! and destroying it removes them all.
//!
//! Set correlation is the trap here. Terraform matches the elements of a set by their whole
//! value, so a set block whose elements carried the server-assigned `uuid` and `created_at`
//! could not be planned (the elements are unknown until apply) nor matched after apply. The
//! `rule` blocks therefore hold only what the practitioner writes, `type` and `value`; what the
//! server assigns lives in the separate computed map `rule_details`, keyed by `"type:value"`,
//! which stays known across plans and becomes unknown only when the rule set changes.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::api::models::FirewallRule;
use crate::api::wait::conditions;
use crate::api::Found;
use crate::framework::attr as at;
use crate::framework::context::RequestContext;
use crate::framework::diag::DiagExt;
use crate::framework::normalize::same_ignoring_case;
use crate::framework::plan::other_cluster;
use crate::framework::resource::ManagedResource;
use crate::framework::timeouts::{
    timeouts_block, validate_timeouts, Operation, TimeoutDefaults, TimeoutWording, Timeouts,
};
use crate::framework::validate;
use crate::framework::{child, import};
use crate::map;
use crate::plugin::schema::{AttributeType, Block, Description, NestedBlock, Schema};
use crate::plugin::service::MoveRequest;
use crate::plugin::value::{self, Value};
use crate::plugin::{AttributePath, Diagnostics};

use super::moved::{self, SourceState};
use super::schema_util::{computed, required};

/// Rule types, in the API's spelling.
pub const RULE_TYPES: [&str; 5] = ["ip_addr", "droplet", "k8s", "tag", "app"];

/// The API's limit on trusted sources per cluster.
pub const MAX_RULES: usize = 100;

const TIMEOUTS: TimeoutDefaults = TimeoutDefaults {
    create: Duration::from_secs(20 * 60),
    update: Duration::from_secs(20 * 60),
    delete: Duration::from_secs(10 * 60),
};

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// One `rule` block: only what the practitioner writes, so that set elements correlate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleBlock {
    #[serde(rename = "type")]
    pub rule_type: Value<String>,
    pub value: Value<String>,
}

/// One entry of `rule_details`: a rule with what the server assigned to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDetail {
    #[serde(rename = "type")]
    pub rule_type: Value<String>,
    pub value: Value<String>,
    pub uuid: Value<String>,
    pub created_at: Value<String>,
}

/// The resource's state, field for field as in the schema.
///
/// `rule` is a set block, kept in a `Vec`: two blocks whose values are not known yet would
/// compare equal and collapse in an ordered set, and the plan must keep every block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FirewallModel {
    pub id: Value<String>,
    pub cluster_id: Value<String>,
    pub rule: Value<Vec<Value<RuleBlock>>>,
    pub rule_details: Value<BTreeMap<String, Value<RuleDetail>>>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// A fully known rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rule {
    pub rule_type: String,
    pub value: String,
}

impl Rule {
    pub fn new(rule_type: &str, value: &str) -> Rule {
        Rule {
            rule_type: rule_type.to_string(),
            value: value.to_string(),
        }
    }

    /// The key of this rule in `rule_details`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.rule_type, self.value)
    }

    fn block(&self) -> Value<RuleBlock> {
        Value::Value(RuleBlock {
            rule_type: Value::Value(self.rule_type.clone()),
            value: Value::Value(self.value.clone()),
        })
    }

    /// Whether the API's spelling of a rule means the same trusted source as this one.
    pub fn same_source(&self, other: &Rule) -> bool {
        self.rule_type == other.rule_type && same_value(&self.rule_type, &self.value, &other.value)
    }
}

/// The rules of a state, when every one of them is known.
pub fn known_rules(rules: &Value<Vec<Value<RuleBlock>>>) -> Option<Vec<Rule>> {
    match rules {
        Value::Value(blocks) => blocks
            .iter()
            .map(|block| {
                let block = block.as_ref_option()?;
                Some(Rule {
                    rule_type: block.rule_type.as_ref_option()?.clone(),
                    value: block.value.as_ref_option()?.clone(),
                })
            })
            .collect(),
        Value::Null => Some(Vec::new()),
        Value::Unknown => None,
    }
}

fn rule_set(rules: &[Rule]) -> BTreeSet<&Rule> {
    rules.iter().collect()
}

// ---------------------------------------------------------------------------------------------
// Values: validation and equivalence
// ---------------------------------------------------------------------------------------------

/// An IPv4 address or CIDR block as `(network, prefix length)`; a bare address is a `/32`.
fn parse_ipv4_source(text: &str) -> Result<(Ipv4Addr, u8), String> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => {
            let prefix: u8 = prefix
                .parse()
                .ok()
                .filter(|p| *p <= 32)
                .ok_or_else(|| format!("the prefix length of {text:?} must be 0 to 32"))?;
            (address, prefix)
        }
        None => (text, 32),
    };
    let address: Ipv4Addr = address.parse().map_err(|_| {
        if address.contains(':') {
            "IPv6 addresses cannot be trusted sources; use an IPv4 address or CIDR block"
                .to_string()
        } else {
            format!("{address:?} is not an IPv4 address")
        }
    })?;
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    };
    if u32::from(address) & !mask != 0 {
        let network = Ipv4Addr::from(u32::from(address) & mask);
        return Err(format!(
            "{text:?} has host bits set; the block is written \"{network}/{prefix}\""
        ));
    }
    Ok((address, prefix))
}

/// Why `value` is not valid for `rule_type`, if it is not.
pub fn value_problem(rule_type: &str, value: &str) -> Option<String> {
    let problem = match rule_type {
        "ip_addr" => parse_ipv4_source(value).err().map(|why| {
            format!("must be an IPv4 address or CIDR block such as \"192.168.1.1\" or \"10.0.0.0/24\": {why}")
        }),
        "droplet" => (!value.bytes().all(|b| b.is_ascii_digit())
            || value.is_empty()
            || value.starts_with('0')
            || value.parse::<i64>().is_err())
        .then(|| "must be a Droplet ID, a positive whole number such as \"163973392\"".to_string()),
        "k8s" | "app" => (!validate::is_uuid(value)).then(|| {
            let what = if rule_type == "k8s" {
                "Kubernetes cluster"
            } else {
                "App Platform app"
            };
            format!("must be the UUID of a {what}, such as \"ff2a6c52-5a44-4b63-b99c-0e98e7a63d61\"")
        }),
        "tag" => (!validate::is_tag(value))
            .then(|| "must be a tag name: 1 to 255 letters, digits, ':', '-' or '_'".to_string()),
        _ => None,
    }?;
    Some(format!(
        "`rule.value` {value:?} for type {rule_type:?} {problem}."
    ))
}

/// Whether two values of a rule of `rule_type` name the same source: addresses compare as
/// networks (`10.0.0.1` is `10.0.0.1/32`), tags and UUIDs without regard to case.
pub fn same_value(rule_type: &str, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match rule_type {
        "ip_addr" => matches!(
            (parse_ipv4_source(a), parse_ipv4_source(b)),
            (Ok(x), Ok(y)) if x == y
        ),
        "tag" | "k8s" | "app" => same_ignoring_case(a, b),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// State from the API
// ---------------------------------------------------------------------------------------------

/// The API's rules, each spelled as in `reference` when an equivalent rule is there, and the
/// details map keyed by those spellings.
pub fn rules_from_api(
    api: &[FirewallRule],
    reference: &[Rule],
) -> (Vec<Rule>, BTreeMap<String, Value<RuleDetail>>) {
    let mut rules = Vec::new();
    let mut details = BTreeMap::new();
    for remote in api {
        let as_sent = Rule::new(&remote.rule_type, &remote.value);
        let spelled = reference
            .iter()
            .find(|candidate| candidate.same_source(&as_sent))
            .cloned()
            .unwrap_or(as_sent);
        details.insert(spelled.key(), Value::Value(detail(&spelled, remote)));
        if !rules.contains(&spelled) {
            rules.push(spelled);
        }
    }
    rules.sort();
    (rules, details)
}

fn detail(rule: &Rule, remote: &FirewallRule) -> RuleDetail {
    let known = |text: &Option<String>| {
        text.as_deref()
            .filter(|t| !t.is_empty())
            .map_or(Value::Null, |t| Value::Value(t.to_string()))
    };
    RuleDetail {
        rule_type: Value::Value(rule.rule_type.clone()),
        value: Value::Value(rule.value.clone()),
        uuid: known(&remote.uuid),
        created_at: known(&remote.created_at),
    }
}

/// The state a read produces: exactly the API's rule set (so changes made elsewhere show as
/// drift), in the prior state's spellings where they are equivalent.
pub fn state_from_api(
    cluster_id: &str,
    api: &[FirewallRule],
    reference: &FirewallModel,
) -> FirewallModel {
    let reference_rules = known_rules(&reference.rule).unwrap_or_default();
    let (rules, details) = rules_from_api(api, &reference_rules);
    let cluster_id = match &reference.cluster_id {
        Value::Value(wanted) if same_ignoring_case(wanted, cluster_id) => wanted.clone(),
        _ => cluster_id.to_string(),
    };
    FirewallModel {
        id: Value::Value(cluster_id.clone()),
        cluster_id: Value::Value(cluster_id),
        rule: Value::Value(rules.iter().map(Rule::block).collect()),
        rule_details: Value::Value(details),
        timeouts: match &reference.timeouts {
            Value::Unknown => Value::Null,
            other => other.clone(),
        },
    }
}

/// The state an apply returns: the planned rules exactly (Terraform requires it), with the
/// details of the ones the API reports. A rule the API did not keep is left out of the
/// details, and the next refresh shows the difference as drift.
pub fn state_after_apply(
    planned: &FirewallModel,
    cluster_id: &str,
    api: &[FirewallRule],
) -> FirewallModel {
    let planned_rules = known_rules(&planned.rule).unwrap_or_default();
    let (_, api_details) = rules_from_api(api, &planned_rules);
    let details = match &planned.rule_details {
        Value::Value(promised) => promised.clone(),
        _ => planned_rules
            .iter()
            .filter_map(|rule| {
                let key = rule.key();
                api_details.get(&key).map(|detail| (key, detail.clone()))
            })
            .collect(),
    };
    FirewallModel {
        id: Value::Value(cluster_id.to_string()),
        cluster_id: planned.cluster_id.clone(),
        rule: Value::Value(planned_rules.iter().map(Rule::block).collect()),
        rule_details: Value::Value(details),
        timeouts: planned.timeouts.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const TIMEOUT_WORDING: TimeoutWording = TimeoutWording {
    create: "How long to wait for the cluster to be online and accept the rules",
    update: "How long to keep retrying a rule change while the cluster is busy",
    delete: "How long to keep retrying the removal of the rules while the cluster is busy",
    block: "Time limits for changing the rules. A cluster that is busy or not ready yet is \
            retried until the limit.",
};

pub fn firewall_schema() -> Schema {
    use AttributeType::{Map, Object, String as Str};
    let detail_type = Object(map! {
        "type" => Str,
        "value" => Str,
        "uuid" => Str,
        "created_at" => Str,
    });
    let attributes = map! {
        "id" => computed(Str, "The cluster's UUID (the firewall has no ID of its own)."),
        "cluster_id" => required(Str,
            "The UUID of the database cluster whose trusted sources this resource manages. \
             Changing it removes every rule from the old cluster (leaving it without trusted \
             sources) and sets the rules on the new one."),
        "rule_details" => computed(Map(Box::new(detail_type)),
            "What the API assigned to each rule, keyed by `\"<type>:<value>\"` (as written in \
             the `rule` block): `type`, `value`, the rule's `uuid` and its `created_at` \
             timestamp (RFC 3339). Known after apply when the rules change, otherwise stable."),
    };
    let rule = Block {
        attributes: map! {
            "type" => required(Str,
                "What kind of source `value` names: `ip_addr` (an IPv4 address or CIDR block), \
                 `droplet` (a Droplet ID), `k8s` (a Kubernetes cluster UUID), `tag` (every \
                 Droplet and Kubernetes node with that tag) or `app` (an App Platform app \
                 UUID)."),
            "value" => required(Str,
                "The source: `\"192.168.1.1\"` or `\"10.0.0.0/24\"` (IPv6 is not supported), \
                 `\"163973392\"`, a UUID, or a tag name."),
        },
        description: Description::markdown(
            "A trusted source: a client allowed to connect to the cluster. At least one, at \
             most 100; the order does not matter.",
        ),
        ..Default::default()
    };
    Schema {
        version: 1,
        block: Block {
            version: 1,
            attributes,
            blocks: map! {
                "rule" => NestedBlock::Set(rule),
                "timeouts" => NestedBlock::Optional(timeouts_block(TIMEOUTS, TIMEOUT_WORDING)),
            },
            description: Description::markdown(
                "The firewall (trusted sources) of a database cluster: only the listed sources \
                 may open connections to it.\n\n\
                 This resource is **authoritative**: it manages the cluster's whole rule list. \
                 Declare at most one per cluster; rules added outside Terraform show up as \
                 changes to undo at the next plan. Creating it on a cluster that already has \
                 rules not in the configuration fails; import the existing rules instead \
                 (`terraform import` with the cluster's UUID).\n\n\
                 **Destroying it removes every rule.** The API documentation does not say what \
                 a cluster without trusted sources allows; on DigitalOcean such a cluster \
                 accepts connections from any address, so it is then protected by its \
                 credentials (and TLS) alone. To keep a cluster closed while changing its \
                 rules, edit the `rule` blocks rather than replacing the resource.",
            ),
            ..Default::default()
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Validation (configuration only, unknown values skipped)
// ---------------------------------------------------------------------------------------------

pub fn validate_config(diags: &mut Diagnostics, config: &FirewallModel) {
    validate::uuid(diags, at("cluster_id"), &config.cluster_id);
    if let Value::Value(blocks) = &config.rule {
        if blocks.is_empty() {
            diags.err(
                "Missing rule",
                "At least one `rule` block is required. A cluster without trusted sources \
                 accepts connections from anywhere; to remove every rule, destroy this resource \
                 instead.",
                at("rule"),
            );
        }
        if blocks.len() > MAX_RULES {
            diags.err(
                "Too many rules",
                format!(
                    "A cluster takes at most {MAX_RULES} trusted sources; this configuration \
                     has {} `rule` blocks.",
                    blocks.len()
                ),
                at("rule"),
            );
        }
        for block in blocks.iter().filter_map(Value::as_ref_option) {
            if let Value::Value(rule_type) = &block.rule_type {
                if !RULE_TYPES.contains(&rule_type.as_str()) {
                    diags.err(
                        "Invalid rule.type",
                        format!(
                            "`rule.type` must be one of: {}; got {rule_type:?}.",
                            RULE_TYPES.join(", ")
                        ),
                        at("rule"),
                    );
                    continue;
                }
                if let Value::Value(value) = &block.value {
                    if let Some(problem) = value_problem(rule_type, value) {
                        diags.err("Invalid rule.value", problem, at("rule"));
                    }
                }
            }
        }
    }
    validate_timeouts(diags, &config.timeouts);
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/// The plan for a new firewall: the configuration, the ID (the cluster's), and unknown
/// details.
pub fn plan_new(mut planned: FirewallModel) -> FirewallModel {
    planned.id = planned.cluster_id.clone();
    if planned.id.is_null() {
        planned.id = Value::Unknown;
    }
    planned.rule_details = Value::Unknown;
    planned
}

/// Adjusts the plan for an existing firewall; returns the attributes that force replacement.
/// The details stay known unless the rule set changes (or is not known yet).
pub fn plan_existing(prior: &FirewallModel, planned: &mut FirewallModel) -> Vec<AttributePath> {
    if other_cluster(&prior.cluster_id, &planned.cluster_id) {
        return vec![at("cluster_id")];
    }
    let unchanged = match (known_rules(&prior.rule), known_rules(&planned.rule)) {
        (Some(before), Some(after)) => rule_set(&before) == rule_set(&after),
        _ => false,
    };
    if !unchanged {
        planned.rule_details = Value::Unknown;
    }
    Vec::new()
}

// ---------------------------------------------------------------------------------------------
// API orchestration
// ---------------------------------------------------------------------------------------------

/// The rules to send: the planned ones, each carrying the `uuid` and `description` of the
/// current rule for the same source, so that a kept rule keeps its identity.
fn rules_to_send(planned: &[Rule], current: &[FirewallRule]) -> Vec<FirewallRule> {
    planned
        .iter()
        .map(|rule| {
            let existing = current
                .iter()
                .find(|remote| rule.same_source(&Rule::new(&remote.rule_type, &remote.value)));
            FirewallRule {
                uuid: existing.and_then(|r| r.uuid.clone()),
                description: existing.and_then(|r| r.description.clone()),
                ..FirewallRule::new(&rule.rule_type, &rule.value)
            }
        })
        .collect()
}

fn describe(cluster_id: &str) -> String {
    format!("firewall of database cluster {cluster_id}")
}

fn list_rules(rules: &[Rule]) -> String {
    rules
        .iter()
        .map(|rule| format!("{} {}", rule.rule_type, rule.value))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------------

/// The `dbaas_database_firewall` resource.
#[derive(Debug, Clone, Default)]
pub struct DatabaseFirewallResource;

/// Plan-time check of a known `cluster_id`: a cluster that does not exist would otherwise be
/// waited for until the create timeout.
async fn check_cluster(ctx: &RequestContext, diags: &mut Diagnostics, cluster_id: &str) {
    child::parent_cluster(ctx, diags, cluster_id).await;
}

/// Sends the planned rules and reads them back. A create refuses to take over rules that are
/// not in the configuration. Returns the new state, or `None` when nothing was changed (the
/// error is in `diags`). The deadline is the request's, which the framework derives from the
/// `timeouts` limit of `operation`.
async fn apply_rules(
    ctx: &RequestContext,
    diags: &mut Diagnostics,
    planned: &FirewallModel,
    operation: Operation,
) -> Option<FirewallModel> {
    let api = ctx.api(diags)?;
    let cluster_id = planned.cluster_id.as_ref_option()?.clone();
    let wanted = known_rules(&planned.rule)?;
    let deadline = ctx.deadline();

    if operation == Operation::Create {
        if let Err(error) = api
            .client
            .clusters()
            .wait(
                &cluster_id,
                conditions::online(),
                &api.poll,
                deadline,
                &ctx.cancel,
            )
            .await
        {
            diags.wait_err(
                format!(
                    "Database cluster {cluster_id} is not online, so its firewall cannot be set"
                ),
                &error,
            );
            return None;
        }
    }
    let current = match api.client.firewall(&cluster_id).get().await.found() {
        Ok(Some(current)) => current,
        Ok(None) => {
            diags.err(
                "Database cluster not found",
                format!("Database cluster {cluster_id} does not exist (any more)."),
                at("cluster_id"),
            );
            return None;
        }
        Err(error) => {
            diags.api_err(
                format!("Could not read the {}", describe(&cluster_id)),
                &error,
            );
            return None;
        }
    };
    if operation == Operation::Create {
        let (existing, _) = rules_from_api(&current, &wanted);
        let foreign: Vec<Rule> = existing
            .into_iter()
            .filter(|rule| !wanted.contains(rule))
            .collect();
        if !foreign.is_empty() {
            diags.err(
                "The cluster already has firewall rules",
                format!(
                    "Database cluster {cluster_id} already trusts sources that this \
                     configuration does not list: {}. This resource manages the whole rule \
                     list and would remove them. To manage them with Terraform, import the \
                     firewall (`terraform import <address> {cluster_id}`) and add the rules \
                     you want to keep to the configuration.",
                    list_rules(&foreign)
                ),
                at("cluster_id"),
            );
            return None;
        }
    }

    let rules = rules_to_send(&wanted, &current);
    let firewall = api.client.firewall(&cluster_id);
    let sent = ctx
        .change_cluster(&api, &cluster_id, "set firewall rules", || {
            firewall.put(&rules)
        })
        .await;
    if let Err(error) = sent {
        diags.wait_err(
            format!("Could not set the rules of the {}", describe(&cluster_id)),
            &error,
        );
        return None;
    }
    tracing::info!(cluster = %cluster_id, rules = rules.len(), "firewall rules set");

    match api.client.firewall(&cluster_id).get().await.found() {
        Ok(Some(now)) => Some(state_after_apply(planned, &cluster_id, &now)),
        Ok(None) => {
            diags.err(
                "Database cluster not found",
                format!("Database cluster {cluster_id} disappeared while its firewall was set."),
                at("cluster_id"),
            );
            None
        }
        Err(error) => {
            // The rules are set; without the read-back only the server-assigned details are
            // missing, and the next refresh fills them in.
            diags.warn(
                "Firewall rules set but not read back",
                format!(
                    "The rules of the {} were set, but reading them back failed: {error}",
                    describe(&cluster_id)
                ),
                at("rule_details"),
            );
            Some(state_after_apply(planned, &cluster_id, &[]))
        }
    }
}

#[async_trait]
impl ManagedResource for DatabaseFirewallResource {
    type Model = FirewallModel;
    const TYPE_NAME: &'static str = "dbaas_database_firewall";
    const IDENTITY: &'static [&'static str] = &["cluster_id"];
    const TIMEOUTS: TimeoutDefaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        firewall_schema()
    }

    fn timeouts(model: &FirewallModel) -> &Value<Timeouts> {
        &model.timeouts
    }

    async fn validate(&self, diags: &mut Diagnostics, config: &FirewallModel) {
        validate_config(diags, config);
    }

    async fn plan_create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        proposed: FirewallModel,
        _config: &FirewallModel,
    ) -> Option<FirewallModel> {
        let planned = plan_new(proposed);
        if let Some(cluster_id) = planned.cluster_id.as_ref_option() {
            check_cluster(ctx, diags, cluster_id).await;
        }
        Some(planned)
    }

    async fn plan_update(
        &self,
        _ctx: &RequestContext,
        _diags: &mut Diagnostics,
        prior: &FirewallModel,
        mut proposed: FirewallModel,
        _config: &FirewallModel,
    ) -> Option<(FirewallModel, Vec<AttributePath>)> {
        let replace = plan_existing(prior, &mut proposed);
        Some((proposed, replace))
    }

    async fn create(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        planned: FirewallModel,
        _config: &FirewallModel,
    ) -> Option<FirewallModel> {
        apply_rules(ctx, diags, &planned, Operation::Create).await
    }

    async fn read(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        state: FirewallModel,
    ) -> Option<Option<FirewallModel>> {
        let Some(cluster_id) = state.cluster_id.as_ref_option().cloned() else {
            return Some(Some(state));
        };
        let api = ctx.api(diags)?;
        match api.client.firewall(&cluster_id).get().await.found() {
            Ok(Some(rules)) => Some(Some(state_from_api(&cluster_id, &rules, &state))),
            Ok(None) => {
                tracing::info!(cluster = %cluster_id, "database cluster is gone; removing its firewall from state");
                Some(None)
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read the {}", describe(&cluster_id)),
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
        prior: FirewallModel,
        planned: FirewallModel,
        _config: &FirewallModel,
    ) -> Option<FirewallModel> {
        let unchanged = matches!(
            (known_rules(&prior.rule), known_rules(&planned.rule)),
            (Some(before), Some(after)) if rule_set(&before) == rule_set(&after)
        );
        if unchanged && planned.rule_details.is_value() {
            return Some(planned);
        }
        match apply_rules(ctx, diags, &planned, Operation::Update).await {
            Some(state) => Some(state),
            // Nothing was changed: the prior state is still the truth.
            None => Some(prior),
        }
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        diags: &mut Diagnostics,
        prior: FirewallModel,
    ) -> Option<()> {
        let api = ctx.api(diags)?;
        let cluster_id = prior.cluster_id.as_ref_option()?.clone();
        let firewall = api.client.firewall(&cluster_id);
        let cleared = ctx
            .change_cluster(&api, &cluster_id, "remove firewall rules", || async {
                match firewall.put(&[]).await {
                    // The cluster is gone, and its rules with it.
                    Err(error) if error.is_not_found() => Ok(()),
                    other => other,
                }
            })
            .await;
        if let Err(error) = cleared {
            diags.wait_err(
                format!(
                    "Could not remove the rules of the {}",
                    describe(&cluster_id)
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
    ) -> Option<FirewallModel> {
        let cluster_id = match import::parse_uuid(id, "database cluster") {
            Ok(id) => id,
            Err(message) => {
                diags.root_err("Invalid import ID", message);
                return None;
            }
        };
        let api = ctx.api(diags)?;
        match api.client.firewall(&cluster_id).get().await.found() {
            Ok(Some(rules)) => Some(state_from_api(
                &cluster_id,
                &rules,
                &FirewallModel::default(),
            )),
            Ok(None) => {
                diags.root_err(
                    "Cannot import the firewall of a cluster that does not exist",
                    format!("No database cluster with ID {cluster_id} exists for this token."),
                );
                None
            }
            Err(error) => {
                diags.api_err(
                    format!("Could not read the {}", describe(&cluster_id)),
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
    ) -> Option<FirewallModel> {
        let source = moved::source_state(diags, request, Self::TYPE_NAME)?;
        moved_from_digitalocean(diags, &source)
    }
}

/// A `digitalocean_database_firewall` (schema version 0) as this resource's state. Its ID is
/// random there (`<cluster_id>-<timestamp>`) and the cluster ID here; its rules keep type and
/// value, and `rule_details` (uuid, created_at) is filled by the refresh that follows.
pub fn moved_from_digitalocean(
    diags: &mut Diagnostics,
    source: &SourceState,
) -> Option<FirewallModel> {
    let cluster_id = moved::required(
        diags,
        source,
        "digitalocean_database_firewall",
        "cluster_id",
    )?;
    let rules = source
        .blocks("rule")
        .into_iter()
        .map(|rule| {
            Value::Value(RuleBlock {
                rule_type: rule.string("type"),
                value: rule.string("value"),
            })
        })
        .collect();
    Some(FirewallModel {
        id: Value::Value(cluster_id.clone()),
        cluster_id: Value::Value(cluster_id),
        rule: Value::Value(rules),
        rule_details: Value::Null,
        timeouts: source.timeouts(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
    const K8S: &str = "ff2a6c52-5a44-4b63-b99c-0e98e7a63d61";

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn block(rule_type: Value<String>, value: Value<String>) -> Value<RuleBlock> {
        Value::Value(RuleBlock { rule_type, value })
    }

    fn configured(rules: &[(&str, &str)]) -> FirewallModel {
        FirewallModel {
            cluster_id: s(CLUSTER),
            rule: Value::Value(rules.iter().map(|(t, v)| block(s(t), s(v))).collect()),
            ..FirewallModel::default()
        }
    }

    fn remote(rule_type: &str, value: &str, uuid: &str) -> FirewallRule {
        FirewallRule {
            uuid: Some(uuid.into()),
            cluster_uuid: Some(CLUSTER.into()),
            created_at: Some("2019-11-14T20:30:28Z".into()),
            ..FirewallRule::new(rule_type, value)
        }
    }

    #[test]
    fn values_are_checked_per_type() {
        let valid = [
            ("ip_addr", "192.168.1.1"),
            ("ip_addr", "10.0.0.0/8"),
            ("ip_addr", "0.0.0.0/0"),
            ("ip_addr", "203.0.113.7/32"),
            ("droplet", "163973392"),
            ("k8s", K8S),
            ("app", K8S),
            ("tag", "backend"),
            ("tag", "env:prod_1-a"),
        ];
        for (rule_type, value) in valid {
            assert_eq!(value_problem(rule_type, value), None, "{rule_type} {value}");
        }
        let invalid = [
            ("ip_addr", "192.168.1.256", "not an IPv4 address"),
            ("ip_addr", "10.0.0.0/33", "prefix length"),
            ("ip_addr", "10.0.0.1/24", "\"10.0.0.0/24\""),
            ("ip_addr", "2001:db8::1", "IPv6"),
            ("ip_addr", "example.com", "not an IPv4 address"),
            ("droplet", "droplet-1", "Droplet ID"),
            ("droplet", "0123", "Droplet ID"),
            ("droplet", "", "Droplet ID"),
            ("k8s", "ff2a6c52", "Kubernetes cluster"),
            ("app", "my-app", "App Platform app"),
            ("tag", "has space", "tag name"),
            ("tag", "", "tag name"),
        ];
        for (rule_type, value, hint) in invalid {
            let problem = value_problem(rule_type, value)
                .unwrap_or_else(|| panic!("{rule_type} {value:?} should be rejected"));
            assert!(problem.contains("`rule.value`"), "{problem}");
            assert!(problem.contains(hint), "{rule_type} {value:?}: {problem}");
        }
    }

    #[test]
    fn equivalent_spellings_name_the_same_source() {
        assert!(same_value("ip_addr", "10.0.0.1", "10.0.0.1/32"));
        assert!(!same_value("ip_addr", "10.0.0.0/24", "10.0.0.0/25"));
        assert!(same_value("tag", "Backend", "backend"));
        assert!(same_value("k8s", &K8S.to_ascii_uppercase(), K8S));
        assert!(!same_value("droplet", "1", "2"));
        assert!(!Rule::new("tag", "a").same_source(&Rule::new("droplet", "a")));
    }

    fn summaries(config: &FirewallModel) -> Vec<String> {
        let mut diags = Diagnostics::default();
        validate_config(&mut diags, config);
        diags.errors.iter().map(|d| d.summary.to_string()).collect()
    }

    #[test]
    fn bad_inputs_fail_naming_the_attribute() {
        assert!(summaries(&configured(&[("ip_addr", "10.0.0.0/24"), ("tag", "web")])).is_empty());
        let cases: Vec<(&str, FirewallModel)> = vec![
            (
                "Invalid cluster_id",
                FirewallModel {
                    cluster_id: s("cluster-1"),
                    ..configured(&[("tag", "web")])
                },
            ),
            ("Missing rule", configured(&[])),
            ("Invalid rule.type", configured(&[("vpc", "x")])),
            (
                "Invalid rule.value",
                configured(&[("ip_addr", "10.0.0.300")]),
            ),
            ("Invalid rule.value", configured(&[("droplet", "web-1")])),
            ("Invalid rule.value", configured(&[("k8s", "cluster")])),
        ];
        for (summary, config) in cases {
            assert_eq!(summaries(&config), [summary]);
        }
        let many: Vec<(String, String)> = (1..=101)
            .map(|n| ("droplet".to_string(), n.to_string()))
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(t, v)| (t.as_str(), v.as_str())).collect();
        assert_eq!(summaries(&configured(&many)), ["Too many rules"]);
    }

    #[test]
    fn unknown_values_are_not_validated() {
        let config = FirewallModel {
            cluster_id: Value::Unknown,
            rule: Value::Value(vec![
                block(s("ip_addr"), Value::Unknown),
                block(Value::Unknown, s("whatever")),
            ]),
            ..FirewallModel::default()
        };
        assert!(summaries(&config).is_empty());
        let all_unknown = FirewallModel {
            rule: Value::Unknown,
            ..configured(&[])
        };
        assert!(summaries(&all_unknown).is_empty());
    }

    #[test]
    fn blocks_with_unknown_values_are_all_kept_in_the_plan() {
        let config = FirewallModel {
            rule: Value::Value(vec![
                block(s("ip_addr"), Value::Unknown),
                block(s("ip_addr"), Value::Unknown),
            ]),
            ..configured(&[])
        };
        let planned = plan_new(config);
        assert_eq!(planned.rule.as_ref_option().map(Vec::len), Some(2));
        assert_eq!(planned.id, s(CLUSTER));
        assert_eq!(planned.rule_details, Value::Unknown);
    }

    fn existing() -> FirewallModel {
        state_from_api(
            CLUSTER,
            &[
                remote(
                    "ip_addr",
                    "10.0.0.0/24",
                    "11111111-1111-4111-8111-111111111111",
                ),
                remote("tag", "web", "22222222-2222-4222-8222-222222222222"),
            ],
            &configured(&[("ip_addr", "10.0.0.0/24"), ("tag", "web")]),
        )
    }

    #[test]
    fn details_stay_known_while_the_rules_do_not_change() {
        let prior = existing();
        let mut planned = FirewallModel {
            rule: Value::Value(vec![
                block(s("tag"), s("web")),
                block(s("ip_addr"), s("10.0.0.0/24")),
            ]),
            ..prior.clone()
        };
        assert!(plan_existing(&prior, &mut planned).is_empty());
        assert_eq!(planned.rule_details, prior.rule_details);

        let mut added = configured(&[("ip_addr", "10.0.0.0/24"), ("tag", "web"), ("tag", "db")]);
        added.rule_details = prior.rule_details.clone();
        assert!(plan_existing(&prior, &mut added).is_empty());
        assert_eq!(added.rule_details, Value::Unknown);

        let mut pending = FirewallModel {
            rule: Value::Value(vec![block(s("tag"), Value::Unknown)]),
            ..prior.clone()
        };
        plan_existing(&prior, &mut pending);
        assert_eq!(pending.rule_details, Value::Unknown);
    }

    #[test]
    fn a_new_cluster_replaces_the_firewall() {
        let prior = existing();
        let mut moved = FirewallModel {
            cluster_id: Value::Unknown,
            ..prior.clone()
        };
        assert_eq!(plan_existing(&prior, &mut moved), vec![at("cluster_id")]);
    }

    #[test]
    fn reads_return_the_api_rules_in_the_configured_spelling() {
        let reference = configured(&[("ip_addr", "10.0.0.1/32"), ("tag", "Web")]);
        let api = [
            remote(
                "ip_addr",
                "10.0.0.1",
                "11111111-1111-4111-8111-111111111111",
            ),
            remote("tag", "web", "22222222-2222-4222-8222-222222222222"),
            remote(
                "droplet",
                "163973392",
                "33333333-3333-4333-8333-333333333333",
            ),
        ];
        let state = state_from_api(CLUSTER, &api, &reference);
        let rules = known_rules(&state.rule).unwrap();
        assert_eq!(
            rule_set(&rules),
            rule_set(&[
                Rule::new("ip_addr", "10.0.0.1/32"),
                Rule::new("tag", "Web"),
                Rule::new("droplet", "163973392"),
            ])
        );
        let details = state.rule_details.as_ref_option().unwrap();
        let web = details["tag:Web"].as_ref_option().unwrap();
        assert_eq!(web.uuid, s("22222222-2222-4222-8222-222222222222"));
        assert_eq!(web.created_at, s("2019-11-14T20:30:28Z"));
        assert!(details.contains_key("droplet:163973392"));
        assert_eq!(state.id, s(CLUSTER));
    }

    #[test]
    fn an_apply_returns_the_planned_rules_and_the_details_the_api_reports() {
        let mut planned = plan_new(configured(&[("ip_addr", "10.0.0.1/32"), ("tag", "db")]));
        planned.timeouts = Value::Value(Timeouts::default());
        let api = [remote(
            "ip_addr",
            "10.0.0.1",
            "11111111-1111-4111-8111-111111111111",
        )];
        let state = state_after_apply(&planned, CLUSTER, &api);
        assert_eq!(
            state.rule,
            configured(&[("ip_addr", "10.0.0.1/32"), ("tag", "db")]).rule
        );
        let details = state.rule_details.as_ref_option().unwrap();
        assert_eq!(details.keys().collect::<Vec<_>>(), ["ip_addr:10.0.0.1/32"]);
        assert_eq!(state.timeouts, planned.timeouts);
        assert_eq!(state.id, s(CLUSTER));
    }

    #[test]
    fn kept_rules_are_sent_with_their_identity() {
        let current = [FirewallRule {
            description: Some("office".into()),
            ..remote(
                "ip_addr",
                "10.0.0.1",
                "11111111-1111-4111-8111-111111111111",
            )
        }];
        let sent = rules_to_send(
            &[Rule::new("ip_addr", "10.0.0.1/32"), Rule::new("tag", "db")],
            &current,
        );
        assert_eq!(
            sent[0].uuid.as_deref(),
            Some("11111111-1111-4111-8111-111111111111")
        );
        assert_eq!(sent[0].description.as_deref(), Some("office"));
        assert_eq!(sent[0].value, "10.0.0.1/32");
        assert_eq!(sent[1], FirewallRule::new("tag", "db"));
    }

    #[test]
    fn the_rule_block_holds_no_computed_attribute() {
        let schema = firewall_schema();
        let NestedBlock::Set(rule) = &schema.block.blocks["rule"] else {
            panic!("rule must be a set block");
        };
        for (name, attribute) in &rule.attributes {
            assert_eq!(
                attribute.constraint,
                crate::plugin::schema::AttributeConstraint::Required,
                "rule.{name}"
            );
        }
        assert_eq!(
            schema.block.attributes["rule_details"].constraint,
            crate::plugin::schema::AttributeConstraint::Computed
        );
    }
}
