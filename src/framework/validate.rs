//! Validators in the style of terraform-plugin-framework: each checks one attribute, skips
//! null and unknown values (they are checked again once known), and reports an error that
//! names the attribute and says what is allowed.

use crate::plugin::value::Value;
use crate::plugin::{AttributePath, Diagnostics};

use super::diag::DiagExt;

/// A human-readable name for the attribute at `path` (`maintenance_window.day`).
pub fn path_name(path: &AttributePath) -> String {
    use crate::plugin::AttributePathStep;
    let mut out = String::new();
    for step in &path.steps {
        match step {
            AttributePathStep::Attribute(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            AttributePathStep::Index(i) if *i == 0 => {}
            AttributePathStep::Index(i) => out.push_str(&format!("[{i}]")),
            AttributePathStep::Key(key) => out.push_str(&format!("[{key:?}]")),
        }
    }
    out
}

fn invalid(diags: &mut Diagnostics, path: &AttributePath, detail: String) {
    diags.err(format!("Invalid {}", path_name(path)), detail, path.clone());
}

/// The value must be one of `allowed`; with `ignore_case` the comparison ignores case.
pub fn one_of(
    diags: &mut Diagnostics,
    path: AttributePath,
    value: &Value<String>,
    allowed: &[&str],
    ignore_case: bool,
) {
    if let Value::Value(text) = value {
        let ok = allowed.iter().any(|candidate| {
            if ignore_case {
                candidate.eq_ignore_ascii_case(text)
            } else {
                candidate == text
            }
        });
        if !ok {
            let name = path_name(&path);
            invalid(
                diags,
                &path,
                format!(
                    "`{name}` must be one of: {}; got {text:?}.",
                    allowed.join(", ")
                ),
            );
        }
    }
}

/// The number must lie in `min..=max`.
pub fn int_between(
    diags: &mut Diagnostics,
    path: AttributePath,
    value: &Value<i64>,
    min: i64,
    max: i64,
) {
    if let Value::Value(number) = value {
        if *number < min || *number > max {
            let name = path_name(&path);
            invalid(
                diags,
                &path,
                format!("`{name}` must be between {min} and {max}; got {number}."),
            );
        }
    }
}

/// The number must be at least `min`.
pub fn int_at_least(diags: &mut Diagnostics, path: AttributePath, value: &Value<i64>, min: i64) {
    if let Value::Value(number) = value {
        if *number < min {
            let name = path_name(&path);
            invalid(
                diags,
                &path,
                format!("`{name}` must be at least {min}; got {number}."),
            );
        }
    }
}

/// The string must not be empty or blank.
pub fn not_blank(diags: &mut Diagnostics, path: AttributePath, value: &Value<String>) {
    if let Value::Value(text) = value {
        if text.trim().is_empty() {
            let name = path_name(&path);
            invalid(diags, &path, format!("`{name}` must not be empty."));
        }
    }
}

/// The string must have between `min` and `max` characters.
pub fn length_between(
    diags: &mut Diagnostics,
    path: AttributePath,
    value: &Value<String>,
    min: usize,
    max: usize,
) {
    if let Value::Value(text) = value {
        let len = text.chars().count();
        if len < min || len > max {
            let name = path_name(&path);
            invalid(
                diags,
                &path,
                format!("`{name}` must be {min} to {max} characters long; got {len} ({text:?})."),
            );
        }
    }
}

/// The string must pass `accept`; `what` describes the expected form for the message.
pub fn matches(
    diags: &mut Diagnostics,
    path: AttributePath,
    value: &Value<String>,
    accept: impl Fn(&str) -> bool,
    what: &str,
) {
    if let Value::Value(text) = value {
        if !accept(text) {
            let name = path_name(&path);
            invalid(
                diags,
                &path,
                format!("`{name}` must be {what}; got {text:?}."),
            );
        }
    }
}

// These checks are plain character tests rather than regular expressions: the patterns are
// simple, and a regex engine with its Unicode tables would be most of a megabyte of the
// provider binary.

/// A UUID in its 8-4-4-4-12 hexadecimal form, in either case (the API issues lower case).
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `text` has `min..=max` characters, all of them accepted by `allowed`.
pub fn is_made_of(text: &str, min: usize, max: usize, allowed: impl Fn(char) -> bool) -> bool {
    let len = text.chars().count();
    (min..=max).contains(&len) && text.chars().all(allowed)
}

/// A tag as the API accepts it: 1 to 255 letters, digits, `:`, `-` and `_`.
pub fn is_tag(text: &str) -> bool {
    is_made_of(text, 1, 255, |c| {
        c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_')
    })
}

/// The string must be a UUID.
pub fn uuid(diags: &mut Diagnostics, path: AttributePath, value: &Value<String>) {
    matches(
        diags,
        path,
        value,
        is_uuid,
        "a UUID such as \"9cc10173-e9ea-4176-9dbc-a4cee4c4ff30\"",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(name: &'static str) -> AttributePath {
        AttributePath::new(name)
    }

    #[test]
    fn unknown_and_null_are_never_errors() {
        let mut diags = Diagnostics::default();
        one_of(&mut diags, path("engine"), &Value::Unknown, &["pg"], false);
        one_of(&mut diags, path("engine"), &Value::Null, &["pg"], false);
        int_between(&mut diags, path("n"), &Value::Unknown, 1, 3);
        uuid(&mut diags, path("id"), &Value::Unknown);
        length_between(&mut diags, path("name"), &Value::Null, 3, 60);
        assert!(diags.errors.is_empty());
    }

    #[test]
    fn errors_name_the_attribute_and_the_allowed_values() {
        let mut diags = Diagnostics::default();
        one_of(
            &mut diags,
            path("engine"),
            &Value::Value("postgres".into()),
            &["pg", "mysql"],
            false,
        );
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(diags.errors[0].summary, "Invalid engine");
        assert!(diags.errors[0]
            .detail
            .contains("`engine` must be one of: pg, mysql"));
        assert!(diags.errors[0].detail.contains("\"postgres\""));
    }

    #[test]
    fn case_insensitive_enums_accept_any_case() {
        let mut diags = Diagnostics::default();
        one_of(
            &mut diags,
            path("day"),
            &Value::Value("Monday".into()),
            &["monday"],
            true,
        );
        assert!(diags.errors.is_empty());
        one_of(
            &mut diags,
            path("day"),
            &Value::Value("Monday".into()),
            &["monday"],
            false,
        );
        assert_eq!(diags.errors.len(), 1);
    }

    #[test]
    fn numeric_and_string_bounds() {
        let mut diags = Diagnostics::default();
        int_between(&mut diags, path("threshold"), &Value::Value(14), 15, 95);
        int_between(&mut diags, path("threshold"), &Value::Value(15), 15, 95);
        int_at_least(&mut diags, path("increment"), &Value::Value(9), 10);
        length_between(&mut diags, path("name"), &Value::Value("ab".into()), 3, 60);
        not_blank(&mut diags, path("name"), &Value::Value("  ".into()));
        uuid(&mut diags, path("vpc"), &Value::Value("not-a-uuid".into()));
        uuid(
            &mut diags,
            path("vpc"),
            &Value::Value("9cc10173-e9ea-4176-9dbc-a4cee4c4ff30".into()),
        );
        let summaries: Vec<_> = diags.errors.iter().map(|d| d.summary.to_string()).collect();
        assert_eq!(
            summaries,
            [
                "Invalid threshold",
                "Invalid increment",
                "Invalid name",
                "Invalid name",
                "Invalid vpc"
            ]
        );
    }

    #[test]
    fn nested_paths_read_naturally() {
        let nested = AttributePath::new("maintenance_window").attribute("day");
        assert_eq!(path_name(&nested), "maintenance_window.day");
        let block = AttributePath::new("storage_autoscale")
            .index(0)
            .attribute("increment_gib");
        assert_eq!(path_name(&block), "storage_autoscale.increment_gib");
    }
}
