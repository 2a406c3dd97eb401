//! The conventional `timeouts { create = "60m" update = "60m" delete = "30m" }` block.

use std::time::Duration;

use crate::map;
use crate::plugin::schema::{Attribute, AttributeConstraint, AttributeType, Block, Description};
use crate::plugin::value::Value;
use crate::plugin::{AttributePath, Diagnostics};
use serde::{Deserialize, Serialize};

use super::diag::DiagExt;
use super::duration::{format_duration, parse_duration, DURATION_FORMAT_HINT};

/// The operations a `timeouts` block can bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// Defaults for one resource type.
#[derive(Debug, Clone, Copy)]
pub struct TimeoutDefaults {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
}

/// The block's value in configuration and state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeouts {
    pub create: Value<String>,
    pub update: Value<String>,
    pub delete: Value<String>,
}

/// What each limit of a resource's `timeouts` block covers, as the lead of a sentence
/// ("How long to wait for the topic to be `active`"), plus the block's own description.
#[derive(Debug, Clone, Copy)]
pub struct TimeoutWording {
    pub create: &'static str,
    pub update: &'static str,
    pub delete: &'static str,
    pub block: &'static str,
}

/// The schema of the block, describing what each limit covers and its default.
pub fn timeouts_block(defaults: TimeoutDefaults, wording: TimeoutWording) -> Block {
    let describe = |lead: &str, default: Duration| Attribute {
        attr_type: AttributeType::String,
        description: Description::markdown(format!(
            "{lead}, as {DURATION_FORMAT_HINT}. Default `{}`.",
            format_duration(default)
        )),
        constraint: AttributeConstraint::Optional,
        ..Default::default()
    };
    Block {
        version: 1,
        attributes: map! {
            "create" => describe(wording.create, defaults.create),
            "update" => describe(wording.update, defaults.update),
            "delete" => describe(wording.delete, defaults.delete),
        },
        description: Description::markdown(wording.block),
        ..Default::default()
    }
}

/// Checks every known value of the block; unknown values are checked later, when known.
pub fn validate_timeouts(diags: &mut Diagnostics, timeouts: &Value<Timeouts>) {
    let Value::Value(block) = timeouts else {
        return;
    };
    for (op, value) in [
        (Operation::Create, &block.create),
        (Operation::Update, &block.update),
        (Operation::Delete, &block.delete),
    ] {
        if let Value::Value(text) = value {
            if let Err(problem) = parse_duration(text) {
                diags.err(
                    format!("Invalid timeouts.{}", op.name()),
                    problem,
                    AttributePath::new("timeouts").index(0).attribute(op.name()),
                );
            }
        }
    }
}

/// The time limit for `op`: the configured value, else the default.
pub fn timeout_for(
    timeouts: &Value<Timeouts>,
    op: Operation,
    defaults: TimeoutDefaults,
) -> Duration {
    let configured = match timeouts {
        Value::Value(block) => match op {
            Operation::Create => block.create.as_ref_option(),
            Operation::Update => block.update.as_ref_option(),
            Operation::Delete => block.delete.as_ref_option(),
        },
        _ => None,
    };
    configured
        .and_then(|text| parse_duration(text).ok())
        .unwrap_or(match op {
            Operation::Create => defaults.create,
            Operation::Update => defaults.update,
            Operation::Delete => defaults.delete,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: TimeoutDefaults = TimeoutDefaults {
        create: Duration::from_secs(1800),
        update: Duration::from_secs(1800),
        delete: Duration::from_secs(600),
    };

    #[test]
    fn configured_values_win_over_defaults() {
        let block = Value::Value(Timeouts {
            create: Value::Value("5m".into()),
            update: Value::Null,
            delete: Value::Value("90s".into()),
        });
        assert_eq!(
            timeout_for(&block, Operation::Create, DEFAULTS),
            Duration::from_secs(300)
        );
        assert_eq!(
            timeout_for(&block, Operation::Update, DEFAULTS),
            DEFAULTS.update
        );
        assert_eq!(
            timeout_for(&block, Operation::Delete, DEFAULTS),
            Duration::from_secs(90)
        );
        assert_eq!(
            timeout_for(&Value::Null, Operation::Delete, DEFAULTS),
            DEFAULTS.delete
        );
    }

    #[test]
    fn invalid_values_name_the_attribute() {
        let mut diags = Diagnostics::default();
        let block = Value::Value(Timeouts {
            create: Value::Value("soon".into()),
            update: Value::Unknown,
            delete: Value::Value("10m".into()),
        });
        validate_timeouts(&mut diags, &block);
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(diags.errors[0].summary, "Invalid timeouts.create");
        assert!(diags.errors[0].detail.contains("\"soon\""));
    }
}
