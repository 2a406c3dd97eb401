//! A secret the API takes as input, offered the project's way: DigitalOcean's attribute name
//! as a plain `sensitive` attribute (kept in state, so their modules and Terraform < 1.11
//! work), and `<name>_wo` (write-only: never in plan or state) with `<name>_wo_version`
//! (changing it sends the write-only value again). At most one of the two values may be set;
//! for a secret the sink needs, exactly one.

use std::collections::BTreeMap;

use crate::framework::diag::DiagExt;
use crate::plugin::schema::{Attribute, AttributeType};
use crate::plugin::value::Value;
use crate::plugin::{AttributePath, Diagnostics};

use crate::resources::schema_util::{optional, sensitive};

/// The three attribute names of one secret.
#[derive(Debug, Clone, Copy)]
pub struct Secret {
    pub plain: &'static str,
    pub wo: &'static str,
    pub version: &'static str,
}

/// One secret's three values, from a configuration.
#[derive(Debug, Clone, Copy)]
pub struct SecretValues<'a> {
    pub plain: &'a Value<String>,
    pub wo: &'a Value<String>,
    pub version: &'a Value<i64>,
}

impl Secret {
    /// The schema entries: `what` says what the secret is ("The client's private key (PEM)").
    pub fn attributes(&self, what: &str, required: bool) -> BTreeMap<String, Attribute> {
        let (plain, wo, version) = (self.plain, self.wo, self.version);
        let choice = if required {
            format!("Exactly one of `{plain}` and `{wo}` is required.")
        } else {
            format!("At most one of `{plain}` and `{wo}` may be set.")
        };
        let mut attributes = BTreeMap::new();
        attributes.insert(
            plain.to_string(),
            sensitive(optional(
                AttributeType::String,
                &format!(
                    "{what}. Sensitive, and stored in state like every attribute; with \
                     Terraform ≥ 1.11 prefer `{wo}`, which never is. A refresh compares it \
                     with the API's value (a change made elsewhere shows in the next plan); an \
                     import reads it, unless the provider's `secrets_in_state` is false. \
                     {choice}"
                ),
            )),
        );
        attributes.insert(
            wo.to_string(),
            Attribute {
                write_only: true,
                ..sensitive(optional(
                    AttributeType::String,
                    &format!(
                        "{what}, write-only (Terraform ≥ 1.11): sent to the API on create and \
                         with every update, never stored in plan or state. Terraform cannot \
                         see a change of a write-only value: change `{version}` to send a new \
                         one. {choice}"
                    ),
                ))
            },
        );
        attributes.insert(
            version.to_string(),
            optional(
                AttributeType::Number,
                &format!(
                    "Any number, for `{wo}` only: changing it sends the value of `{wo}` again \
                     (in place)."
                ),
            ),
        );
        attributes
    }

    /// The configuration's checks: not both values, one of them when `required`, a version
    /// only beside a write-only value. Unknown values are skipped.
    pub fn validate(&self, diags: &mut Diagnostics, values: SecretValues<'_>, required: bool) {
        let (plain, wo, version) = (self.plain, self.wo, self.version);
        if values.plain.is_value() && values.wo.is_value() {
            diags.err(
                format!("Conflicting {plain} and {wo}"),
                format!(
                    "`{plain}` and `{wo}` set the same secret; set only one of them (`{wo}` \
                     keeps it out of state, with Terraform ≥ 1.11)."
                ),
                AttributePath::new(wo),
            );
        }
        if required && values.plain.is_null() && values.wo.is_null() {
            diags.err(
                format!("Missing {plain}"),
                format!(
                    "One of `{plain}` and `{wo}` is required (`{wo}` needs Terraform ≥ 1.11 and \
                     keeps the value out of plan and state)."
                ),
                AttributePath::new(plain),
            );
        }
        if values.version.is_value() && values.wo.is_null() {
            diags.err(
                format!("Unused {version}"),
                format!(
                    "`{version}` only tells when to send `{wo}` again, and `{wo}` is not set; \
                     remove `{version}` or set `{wo}`."
                ),
                AttributePath::new(version),
            );
        }
    }
}

impl SecretValues<'_> {
    /// Whether the secret is known to be unset.
    pub fn is_unset(&self) -> bool {
        self.plain.is_null() && self.wo.is_null()
    }
}

/// The value to send: the write-only one from the configuration, else the planned plain one.
pub fn to_send(planned_plain: &Value<String>, config_wo: &Value<String>) -> Option<String> {
    match (config_wo, planned_plain) {
        (Value::Value(secret), _) => Some(secret.clone()),
        (_, Value::Value(secret)) => Some(secret.clone()),
        _ => None,
    }
}

/// The plain attribute after a read of the API's value `api`. State holds a plain secret only
/// when the configuration sets it that way, so only then is it compared (and a change made
/// outside Terraform shows in the next plan); a null one stays null, since the secret is then
/// either unset or write-only, which must never reach state. An import cannot know which, and
/// takes the API's value, as DigitalOcean's provider does (unless the provider's
/// `secrets_in_state` is false: then `importing` is false and the secret stays out). After
/// importing a sink whose secret the configuration sets write-only, the first plan updates
/// it in place once: it sends the secret and drops the imported copy from state. Spellings that differ only in
/// surrounding whitespace (a PEM block's final newline) keep the prior one.
pub fn refreshed(prior: &Value<String>, api: Option<&str>, importing: bool) -> Value<String> {
    let api = api.filter(|text| !text.is_empty());
    match (prior, api) {
        (Value::Value(kept), Some(api)) if kept.trim() == api.trim() => prior.clone(),
        (Value::Value(_), Some(api)) => Value::Value(api.to_string()),
        (Value::Value(_), None) => Value::Null,
        (_, Some(api)) if importing => Value::Value(api.to_string()),
        _ => Value::Null,
    }
}

/// A non-secret optional text after a read: the API's value, keeping the prior spelling when
/// they differ only in surrounding whitespace; `""` reads as unset.
pub fn refreshed_text(prior: &Value<String>, api: Option<&str>) -> Value<String> {
    match (prior, api.filter(|text| !text.is_empty())) {
        (Value::Value(kept), Some(api)) if kept.trim() == api.trim() => prior.clone(),
        (_, Some(api)) => Value::Value(api.to_string()),
        (_, None) => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: Secret = Secret {
        plain: "client_key",
        wo: "client_key_wo",
        version: "client_key_wo_version",
    };

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn errors(
        plain: Value<String>,
        wo: Value<String>,
        version: Value<i64>,
        required: bool,
    ) -> Vec<String> {
        let mut diags = Diagnostics::default();
        KEY.validate(
            &mut diags,
            SecretValues {
                plain: &plain,
                wo: &wo,
                version: &version,
            },
            required,
        );
        diags
            .errors
            .iter()
            .map(|e| e.attribute.to_string())
            .collect()
    }

    #[test]
    fn exactly_one_of_the_two_values() {
        assert!(errors(s("a"), Value::Null, Value::Null, true).is_empty());
        assert!(errors(Value::Null, s("a"), Value::Value(1), true).is_empty());
        assert!(errors(Value::Null, Value::Null, Value::Null, false).is_empty());
        assert_eq!(
            errors(s("a"), s("b"), Value::Null, false),
            ["client_key_wo"]
        );
        assert_eq!(
            errors(Value::Null, Value::Null, Value::Null, true),
            ["client_key"]
        );
        assert_eq!(
            errors(s("a"), Value::Null, Value::Value(2), false),
            ["client_key_wo_version"]
        );
        // Unknown values (a variable not known yet) are never errors.
        assert!(errors(Value::Unknown, Value::Null, Value::Null, true).is_empty());
        assert!(errors(Value::Null, Value::Unknown, Value::Value(1), true).is_empty());
        assert!(errors(s("a"), Value::Unknown, Value::Null, true).is_empty());
    }

    #[test]
    fn the_write_only_value_wins_and_null_state_stays_null() {
        assert_eq!(to_send(&Value::Null, &s("wo")), Some("wo".into()));
        assert_eq!(to_send(&s("plain"), &Value::Null), Some("plain".into()));
        assert_eq!(to_send(&Value::Null, &Value::Null), None);

        assert_eq!(refreshed(&s("k\n"), Some("k"), false), s("k\n"));
        assert_eq!(refreshed(&s("k"), Some("other"), false), s("other"));
        assert_eq!(refreshed(&s("k"), None, false), Value::Null);
        assert_eq!(refreshed(&Value::Null, Some("k"), false), Value::Null);
        assert_eq!(refreshed(&Value::Null, Some("k"), true), s("k"));
        assert_eq!(refreshed(&Value::Null, Some(""), true), Value::Null);

        assert_eq!(refreshed_text(&s("x\n"), Some("x")), s("x\n"));
        assert_eq!(refreshed_text(&Value::Null, Some("x")), s("x"));
        assert_eq!(refreshed_text(&s("x"), Some("")), Value::Null);
    }

    #[test]
    fn the_schema_marks_only_the_wo_attribute_write_only() {
        let attributes = KEY.attributes("The key", true);
        assert!(attributes["client_key"].sensitive && !attributes["client_key"].write_only);
        assert!(attributes["client_key_wo"].sensitive && attributes["client_key_wo"].write_only);
        assert!(!attributes["client_key_wo_version"].write_only);
        assert!(attributes["client_key"]
            .description
            .content
            .contains("Exactly one of `client_key` and `client_key_wo`"));
    }
}
