//! Go-style durations ("90s", "1h30m", "500ms", "2.5m"), as Terraform users write them in
//! `timeouts` blocks and every other HashiCorp provider accepts.

use std::time::Duration;

/// What the error messages say is allowed.
pub const DURATION_FORMAT_HINT: &str =
    "a duration such as \"30s\", \"10m\", \"1h30m\" or \"500ms\" (units: ms, s, m, h)";

/// Parses a non-negative Go-style duration. `"0"` is zero.
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err(format!("empty duration; expected {DURATION_FORMAT_HINT}"));
    }
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return Err(format!("{input:?} is not {DURATION_FORMAT_HINT}"));
        }
        let number: f64 = rest[..number_len]
            .parse()
            .map_err(|_| format!("{input:?} is not {DURATION_FORMAT_HINT}"))?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => {
                return Err(format!(
                    "{input:?} has a number without a unit; expected {DURATION_FORMAT_HINT}"
                ))
            }
            unit => {
                return Err(format!(
                    "{input:?} has the unknown unit {unit:?}; expected {DURATION_FORMAT_HINT}"
                ))
            }
        };
        rest = &rest[unit_len..];
        total += number * seconds_per_unit;
    }
    if !total.is_finite() || total > 366.0 * 24.0 * 3600.0 {
        return Err(format!("{input:?} is longer than a year"));
    }
    Ok(Duration::from_secs_f64(total))
}

/// Formats a duration the way users write them, for messages.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis % 1000 != 0 {
        return format!("{millis}ms");
    }
    let mut secs = duration.as_secs();
    let mut out = String::new();
    for (unit, size) in [("h", 3600), ("m", 60)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    if secs > 0 || out.is_empty() {
        out.push_str(&format!("{secs}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_users_write() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2.5m").unwrap(), Duration::from_secs(150));
        assert_eq!(parse_duration(" 1h ").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
    }

    #[test]
    fn rejects_malformed_input_with_a_hint() {
        for bad in ["", "10", "ten minutes", "5d", "m5", "1h-5m", "9999999h"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(!err.is_empty(), "{bad:?} should be rejected");
        }
        assert!(parse_duration("5d").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("10").unwrap_err().contains("without a unit"));
    }

    #[test]
    fn formats_round_trip() {
        for text in ["30s", "10m", "1h30m", "500ms", "2h", "1h0m5s"] {
            let parsed = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&format_duration(parsed)).unwrap(), parsed);
        }
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
    }
}
