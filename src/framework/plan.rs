//! Plan helpers: the plan modifiers terraform-plugin-framework ships and tf-provider lacks.

use crate::plugin::value::Value;
use crate::plugin::AttributePath;

use super::normalize::same_ignoring_case;

/// "UseStateForUnknown": a computed value the change cannot alter keeps its prior value
/// instead of showing `(known after apply)`.
pub fn keep_prior<T: Clone>(planned: &mut Value<T>, prior: &Value<T>) {
    if matches!(planned, Value::Unknown) && !matches!(prior, Value::Unknown) {
        *planned = prior.clone();
    }
}

/// Whether a planned value differs from the prior one. An unknown plan counts as a change,
/// exactly as Terraform core counts it for `requires_replace`.
pub fn differs<T: PartialEq>(prior: &Value<T>, planned: &Value<T>) -> bool {
    matches!(planned, Value::Unknown) || prior != planned
}

/// Collects the attributes whose change forces a replacement.
#[derive(Debug, Default)]
pub struct Replacements(Vec<AttributePath>);

impl Replacements {
    /// Records `name` when its value really changes. Unknown planned values force nothing
    /// here: a replacement is only planned for a change that is known to happen.
    pub fn if_changed<T: PartialEq>(
        &mut self,
        name: &'static str,
        prior: &Value<T>,
        planned: &Value<T>,
    ) {
        if !matches!(planned, Value::Unknown) && prior != planned {
            self.0.push(AttributePath::new(name));
        }
    }

    /// Records `name` unconditionally (the caller decided the change forces a new object).
    pub fn add(&mut self, name: &'static str) {
        self.0.push(AttributePath::new(name));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_paths(self) -> Vec<AttributePath> {
        self.0
    }
}

/// Whether `planned` names another cluster than `prior`. UUIDs compare without regard to
/// case; an unknown ID means the cluster itself is being replaced, and its children with it.
pub fn other_cluster(prior: &Value<String>, planned: &Value<String>) -> bool {
    match (prior, planned) {
        (Value::Value(a), Value::Value(b)) => !same_ignoring_case(a, b),
        _ => differs(prior, planned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_prior_only_replaces_unknown() {
        let mut planned: Value<String> = Value::Unknown;
        keep_prior(&mut planned, &Value::Value("host".into()));
        assert_eq!(planned, Value::Value("host".into()));

        let mut planned = Value::Value("new".to_string());
        keep_prior(&mut planned, &Value::Value("old".into()));
        assert_eq!(planned, Value::Value("new".into()));
    }

    #[test]
    fn unknown_counts_as_a_difference_but_forces_no_replacement() {
        assert!(differs::<String>(
            &Value::Value("a".into()),
            &Value::Unknown
        ));
        assert!(!differs(&Value::Value(1), &Value::Value(1)));
        let mut replacements = Replacements::default();
        replacements.if_changed::<String>("name", &Value::Value("a".into()), &Value::Unknown);
        replacements.if_changed(
            "engine",
            &Value::Value("pg".to_string()),
            &Value::Value("pg".into()),
        );
        assert!(replacements.is_empty());
        replacements.if_changed(
            "name",
            &Value::Value("a".to_string()),
            &Value::Value("b".into()),
        );
        assert_eq!(replacements.into_paths(), vec![AttributePath::new("name")]);
    }
}
