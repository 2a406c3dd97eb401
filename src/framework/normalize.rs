//! Equivalence rules for values the API spells differently from the configuration.
//!
//! The API lowercases regions and sizes, adds seconds to maintenance hours, reorders and
//! upper-cases SQL modes, and reports DigitalOcean's Redis clusters as Valkey. None of these is
//! a change, so reads keep the practitioner's spelling whenever the API's value is equivalent
//! to it; that is what keeps plans free of perpetual diffs.

use std::cmp::Ordering;
use std::collections::BTreeSet;

/// Days accepted for a maintenance window, in the API's spelling.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Case-insensitive equality (regions, sizes, days, tags).
pub fn same_ignoring_case(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Parses `HH:MM` or `HH:MM:SS` (24-hour clock) into seconds after midnight.
pub fn parse_hour(text: &str) -> Option<u32> {
    let parts: Vec<&str> = text.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let mut numbers = [0u32; 3];
    for (slot, part) in numbers.iter_mut().zip(&parts) {
        if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    let [hours, minutes, seconds] = numbers;
    (hours < 24 && minutes < 60 && seconds < 60).then_some(hours * 3600 + minutes * 60 + seconds)
}

/// `02:00` and `02:00:00` are the same hour.
pub fn same_hour(a: &str, b: &str) -> bool {
    matches!((parse_hour(a), parse_hour(b)), (Some(x), Some(y)) if x == y)
}

/// The canonical spelling of an hour: `HH:MM`, with seconds only when they are not zero.
pub fn canonical_hour(text: &str) -> String {
    match parse_hour(text) {
        Some(total) if total % 60 == 0 => format!("{:02}:{:02}", total / 3600, total / 60 % 60),
        Some(total) => format!(
            "{:02}:{:02}:{:02}",
            total / 3600,
            total / 60 % 60,
            total % 60
        ),
        None => text.to_string(),
    }
}

/// The set of modes in a comma-separated `sql_mode`, upper-cased.
pub fn sql_modes(text: &str) -> BTreeSet<String> {
    text.split(',')
        .map(|mode| mode.trim().to_ascii_uppercase())
        .filter(|mode| !mode.is_empty())
        .collect()
}

/// SQL modes compare as sets, ignoring case and order.
pub fn same_sql_mode(a: &str, b: &str) -> bool {
    sql_modes(a) == sql_modes(b)
}

/// DigitalOcean migrated its Redis offering to Valkey; a cluster created as `redis` may be
/// reported as `valkey`, and that is not a different engine.
pub fn same_engine(a: &str, b: &str) -> bool {
    let family = |engine: &str| match engine.to_ascii_lowercase().as_str() {
        "redis" | "valkey" => "valkey".to_string(),
        other => other.to_string(),
    };
    family(a) == family(b)
}

/// Compares dotted versions numerically (`8.0` > `6`, `16` > `9.6`); `None` when either is not
/// a dotted number.
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    let parse = |text: &str| -> Option<Vec<u64>> {
        text.trim()
            .split('.')
            .map(|part| part.parse::<u64>().ok())
            .collect()
    };
    let (mut x, mut y) = (parse(a)?, parse(b)?);
    let len = x.len().max(y.len());
    x.resize(len, 0);
    y.resize(len, 0);
    Some(x.cmp(&y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_with_and_without_seconds_are_equal() {
        assert!(same_hour("02:00", "02:00:00"));
        assert!(same_hour("23:59:59", "23:59:59"));
        assert!(!same_hour("02:00", "02:01"));
        assert!(!same_hour("02:00", "garbage"));
        assert_eq!(parse_hour("24:00"), None);
        assert_eq!(parse_hour("2:00"), None);
        assert_eq!(parse_hour("12:60"), None);
        assert_eq!(parse_hour("12:30:15"), Some(12 * 3600 + 30 * 60 + 15));
    }

    #[test]
    fn canonical_hour_drops_zero_seconds_only() {
        assert_eq!(canonical_hour("08:45:00"), "08:45");
        assert_eq!(canonical_hour("08:45:12"), "08:45:12");
        assert_eq!(canonical_hour("8 o'clock"), "8 o'clock");
    }

    #[test]
    fn sql_modes_ignore_order_case_and_spaces() {
        assert!(same_sql_mode(
            "ANSI,STRICT_ALL_TABLES",
            "strict_all_tables, ansi"
        ));
        assert!(!same_sql_mode("ANSI", "ANSI,TRADITIONAL"));
    }

    #[test]
    fn redis_and_valkey_are_one_family() {
        assert!(same_engine("redis", "valkey"));
        assert!(same_engine("PG", "pg"));
        assert!(!same_engine("pg", "mysql"));
    }

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(compare_versions("16", "9.6"), Some(Ordering::Greater));
        assert_eq!(compare_versions("8.0", "8"), Some(Ordering::Equal));
        assert_eq!(compare_versions("14", "15"), Some(Ordering::Less));
        assert_eq!(compare_versions("latest", "15"), None);
    }
}
