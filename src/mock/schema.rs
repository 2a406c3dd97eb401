//! The subset of JSON Schema that the contract's request schemas use (type, enum, minimum,
//! maximum, minLength, maxLength, pattern, items, maxItems, properties), for validating
//! request bodies with 422s that name the offending field and constraint.

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

use super::error::{ApiError, ApiResult};

/// One schema node (a setting, or an object of settings).
#[derive(Debug, Clone)]
pub struct Property {
    types: Vec<String>,
    pub enumeration: Option<Vec<Value>>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<Regex>,
    items: Option<Box<Property>>,
    max_items: Option<usize>,
    pub properties: HashMap<String, Property>,
    pub default: Option<Value>,
}

impl Property {
    pub fn from_schema(schema: &Value) -> Property {
        let types = match schema.get("type") {
            Some(Value::String(t)) => vec![t.clone()],
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let number = |key: &str| schema.get(key).and_then(Value::as_f64);
        let size = |key: &str| schema.get(key).and_then(Value::as_u64).map(|n| n as usize);
        Property {
            types,
            enumeration: schema.get("enum").and_then(Value::as_array).cloned(),
            minimum: number("minimum"),
            maximum: number("maximum"),
            min_length: size("minLength"),
            max_length: size("maxLength"),
            pattern: schema
                .get("pattern")
                .and_then(Value::as_str)
                .map(|p| Regex::new(p).expect("contract patterns are valid regexes")),
            items: schema
                .get("items")
                .map(|items| Box::new(Property::from_schema(items))),
            max_items: size("maxItems"),
            properties: schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|props| {
                    props
                        .iter()
                        .map(|(k, v)| (k.clone(), Property::from_schema(v)))
                        .collect()
                })
                .unwrap_or_default(),
            default: schema.get("default").cloned(),
        }
    }

    pub fn check(&self, value: &Value, path: &str) -> ApiResult<()> {
        let invalid = |why: String| Err(ApiError::unprocessable(format!("{path} {why}")));
        if !self.types.is_empty() && !self.types.iter().any(|t| has_type(value, t)) {
            return invalid(format!("must be of type {}", self.types.join(" or ")));
        }
        if value.is_null() {
            return Ok(());
        }
        if let Some(allowed) = &self.enumeration {
            if !allowed.iter().any(|a| same_value(a, value)) {
                let names: Vec<String> = allowed.iter().map(Value::to_string).collect();
                return invalid(format!("must be one of {}", names.join(", ")));
            }
        }
        if let Some(n) = value.as_f64() {
            if self.minimum.is_some_and(|min| n < min) || self.maximum.is_some_and(|max| n > max) {
                return invalid(format!(
                    "must be between {} and {}",
                    self.minimum.map_or("-∞".into(), format_bound),
                    self.maximum.map_or("∞".into(), format_bound)
                ));
            }
        }
        if let Some(s) = value.as_str() {
            let length = s.chars().count();
            if self.min_length.is_some_and(|min| length < min) {
                return invalid(format!(
                    "must be at least {} characters",
                    self.min_length.unwrap_or(0)
                ));
            }
            if self.max_length.is_some_and(|max| length > max) {
                return invalid(format!(
                    "must be at most {} characters",
                    self.max_length.unwrap_or(0)
                ));
            }
            if let Some(pattern) = &self.pattern {
                if !pattern.is_match(s) {
                    return invalid(format!("must match {}", pattern.as_str()));
                }
            }
        }
        if let Some(items) = value.as_array() {
            if self.max_items.is_some_and(|max| items.len() > max) {
                return invalid(format!(
                    "allows at most {} items",
                    self.max_items.unwrap_or(0)
                ));
            }
            if let Some(item_schema) = &self.items {
                for (i, item) in items.iter().enumerate() {
                    item_schema.check(item, &format!("{path}[{i}]"))?;
                }
            }
        }
        if let Some(fields) = value.as_object() {
            for (key, field) in fields {
                let Some(property) = self.properties.get(key) else {
                    return invalid(format!("has no setting {key:?}"));
                };
                property.check(field, &format!("{path}.{key}"))?;
            }
        }
        Ok(())
    }
}

fn format_bound(bound: f64) -> String {
    if bound.fract() == 0.0 && bound.abs() < 1e18 {
        format!("{}", bound as i64)
    } else {
        format!("{bound}")
    }
}

fn has_type(value: &Value, kind: &str) -> bool {
    match kind {
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

/// Enum membership, comparing numbers by value (`1` equals `1.0`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}
