//! Write-only attributes (protocol 6.8): their configured value reaches create and update
//! through the configuration, and is null in every plan and state the provider returns.

use crate::plugin::diagnostics::AttributePath;
use crate::plugin::dynamic::Dynamic;
use crate::plugin::Diagnostics;

use super::diag::DiagExt;

/// Sets the attribute at `path` to null, through nested blocks and attributes (lists, sets
/// and maps of objects are walked element by element).
pub fn set_null(value: &mut Dynamic, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        *value = Dynamic::Null;
        return;
    };
    match value {
        Dynamic::Object(attributes) => {
            if let Some(inner) = attributes.get_mut(first) {
                set_null(inner, rest);
            }
        }
        Dynamic::List(items) | Dynamic::Set(items) | Dynamic::Tuple(items) => {
            for item in items {
                set_null(item, path);
            }
        }
        Dynamic::Map(entries) => {
            for entry in entries.values_mut() {
                set_null(entry, path);
            }
        }
        _ => {}
    }
}

/// The paths (with list indexes) of every write-only attribute that is set in `value`.
fn set_paths(value: &Dynamic, path: &[String], at: AttributePath, found: &mut Vec<AttributePath>) {
    let Some((first, rest)) = path.split_first() else {
        if !value.is_null() {
            found.push(at);
        }
        return;
    };
    match value {
        Dynamic::Object(attributes) => {
            if let Some(inner) = attributes.get(first) {
                set_paths(inner, rest, at.attribute(first.clone()), found);
            }
        }
        Dynamic::List(items) | Dynamic::Set(items) | Dynamic::Tuple(items) => {
            for (index, item) in items.iter().enumerate() {
                set_paths(item, path, at.clone().index(index as i64), found);
            }
        }
        Dynamic::Map(entries) => {
            for (key, entry) in entries {
                set_paths(entry, path, at.clone().key(key.clone()), found);
            }
        }
        _ => {}
    }
}

/// Errors for write-only attributes set in a configuration when Terraform cannot handle
/// them (it sent no `write_only_attributes_allowed`): Terraform older than 1.11 would store
/// the value in plan and state, which is what write-only attributes exist to prevent.
pub fn refuse_unsupported(diags: &mut Diagnostics, config: &Dynamic, write_only: &[Vec<String>]) {
    for path in write_only {
        let mut found = Vec::new();
        set_paths(config, path, AttributePath::root(), &mut found);
        for at in found {
            diags.err(
                "Write-only attribute not supported by this Terraform",
                format!(
                    "`{at}` is write-only: its value is sent to the API and never stored in plan \
                     or state. This version of Terraform does not support write-only attributes \
                     (Terraform 1.11 or newer does). Upgrade Terraform, or leave `{at}` out."
                ),
                at,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn object(pairs: &[(&str, Dynamic)]) -> Dynamic {
        Dynamic::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn path(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn write_only_values_are_nulled_inside_nested_blocks() {
        let secret = || Dynamic::String("s3cret".into());
        let mut value = object(&[
            ("password", secret()),
            ("name", Dynamic::String("a".into())),
            (
                "sink",
                Dynamic::List(vec![
                    object(&[("key", secret())]),
                    object(&[("key", secret())]),
                ]),
            ),
        ]);
        set_null(&mut value, &path(&["password"]));
        set_null(&mut value, &path(&["sink", "key"]));
        assert_eq!(
            value,
            object(&[
                ("password", Dynamic::Null),
                ("name", Dynamic::String("a".into())),
                (
                    "sink",
                    Dynamic::List(vec![
                        object(&[("key", Dynamic::Null)]),
                        object(&[("key", Dynamic::Null)])
                    ])
                ),
            ])
        );
    }

    #[test]
    fn a_set_write_only_value_is_refused_for_clients_without_support() {
        let config = object(&[
            ("password", Dynamic::Null),
            (
                "sink",
                Dynamic::List(vec![
                    object(&[("key", Dynamic::Null)]),
                    object(&[("key", Dynamic::Unknown)]),
                ]),
            ),
        ]);
        let mut diags = Diagnostics::default();
        refuse_unsupported(
            &mut diags,
            &config,
            &[path(&["password"]), path(&["sink", "key"])],
        );
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(diags.errors[0].attribute.to_string(), "sink[1].key");
    }
}
