//! The committed `terraform providers schema -json` output.

use std::collections::BTreeMap;

/// `terraform providers schema -json` output, pretty-printed with sorted keys so that the
/// committed file is stable and its diffs are readable.
pub fn normalize_schema_json(raw: &str) -> Result<String, serde_json::Error> {
    fn sort_keys(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let sorted: BTreeMap<String, serde_json::Value> =
                    map.into_iter().map(|(k, v)| (k, sort_keys(v))).collect();
                serde_json::Value::Object(sorted.into_iter().collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sort_keys).collect())
            }
            other => other,
        }
    }
    let value: serde_json::Value = serde_json::from_str(raw)?;
    let mut text = serde_json::to_string_pretty(&sort_keys(value))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_json_is_sorted_and_pretty() {
        let text = normalize_schema_json(r#"{"b":1,"a":{"d":[{"z":1,"y":2}],"c":true}}"#).unwrap();
        assert_eq!(
            text,
            "{\n  \"a\": {\n    \"c\": true,\n    \"d\": [\n      {\n        \"y\": 2,\n        \"z\": 1\n      }\n    ]\n  },\n  \"b\": 1\n}\n"
        );
    }
}
