//! Small conversions between API values and Terraform values, shared by every resource.

use crate::plugin::value::Value;

/// A known string's text; `None` for null and unknown.
pub fn text(value: &Value<String>) -> Option<&str> {
    value.as_ref_option().map(String::as_str)
}

/// What the API said: a value, or null when it said nothing.
pub fn known<T>(value: Option<T>) -> Value<T> {
    value.map_or(Value::Null, Value::Value)
}

/// The value, with unknown turned into null (a state returned after apply must be known).
pub fn settled<T: Clone>(value: &Value<T>) -> Value<T> {
    match value {
        Value::Unknown => Value::Null,
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_known_values_and_settle_unknown_ones() {
        assert_eq!(text(&Value::Value("a".to_string())), Some("a"));
        assert_eq!(text(&Value::Unknown), None);
        assert_eq!(known(Some(3)), Value::Value(3));
        assert_eq!(known::<i64>(None), Value::Null);
        assert_eq!(settled::<i64>(&Value::Unknown), Value::Null);
        assert_eq!(settled(&Value::Value(1)), Value::Value(1));
    }
}
