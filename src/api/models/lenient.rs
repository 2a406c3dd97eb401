//! Lenient integer decoding for Kafka settings.
//!
//! Kafka's "unbounded" defaults are `Long.MAX_VALUE`. The API's own examples render them as
//! `9223372036854776000` (the value after a trip through a double), which is above `i64::MAX`
//! and would make a strict `i64` field fail the whole response. These helpers accept any JSON
//! number and saturate to the `i64` range, so such a value reads back as `i64::MAX`.

use serde::{de, Deserialize, Deserializer};

/// `deserialize_with` for `Option<i64>` fields that may hold out-of-range or float numbers.
pub(crate) fn option_i64<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<serde_json::Number>::deserialize(deserializer)?;
    value
        .map(|n| saturate(&n).ok_or_else(|| de::Error::custom(format!("{n} is not an integer"))))
        .transpose()
}

fn saturate(n: &serde_json::Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.as_u64().is_some() {
        return Some(i64::MAX);
    }
    let f = n.as_f64()?;
    if f.fract() != 0.0 {
        return None;
    }
    // `as` saturates at the i64 bounds for out-of-range floats.
    Some(f as i64)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "super::option_i64")]
        v: Option<i64>,
    }

    fn read(json: &str) -> Result<Option<i64>, serde_json::Error> {
        serde_json::from_str::<Holder>(json).map(|h| h.v)
    }

    #[test]
    fn in_range_values_are_exact() {
        assert_eq!(read(r#"{"v": -1}"#).unwrap(), Some(-1));
        assert_eq!(read(r#"{"v": 604800000}"#).unwrap(), Some(604_800_000));
        assert_eq!(
            read(r#"{"v": 9223372036854775807}"#).unwrap(),
            Some(i64::MAX)
        );
    }

    #[test]
    fn long_max_after_float_rounding_saturates() {
        assert_eq!(
            read(r#"{"v": 9223372036854776000}"#).unwrap(),
            Some(i64::MAX)
        );
        assert_eq!(
            read(r#"{"v": 9.223372036854776e18}"#).unwrap(),
            Some(i64::MAX)
        );
    }

    #[test]
    fn null_and_missing_are_none() {
        assert_eq!(read(r#"{"v": null}"#).unwrap(), None);
        assert_eq!(read(r#"{}"#).unwrap(), None);
    }

    #[test]
    fn fractions_and_strings_are_rejected() {
        assert!(read(r#"{"v": 1.5}"#).is_err());
        assert!(read(r#"{"v": "12"}"#).is_err());
    }
}
