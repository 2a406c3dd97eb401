//! Terraform's numbers, and the one classification of decimal text both wire codecs share.
//!
//! Terraform's numbers are arbitrary-precision, while MessagePack and `serde_json` hand out
//! `i64`s, `f64`s and, for anything else, decimal text. Deciding which of [`Number`]'s forms a
//! decimal takes is subtle (when does an `f64` hold it without loss?), so it lives here once
//! rather than in each codec: MessagePack and JSON must read the same digits as the same
//! number.

use std::fmt;

use crate::plugin::codec_error::CodecError;

/// A Terraform number. Terraform's numbers are arbitrary-precision; the wire carries them as
/// integers, floats or (when neither fits) decimal strings, and so does this type.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
    /// A number that is neither exactly an `i64` nor an `f64` that prints back as the same
    /// decimal, kept as its decimal text: integers beyond `i64` that a float would round,
    /// decimals with more significant digits than a float holds, exponents beyond its range.
    Big(String),
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(n) => write!(f, "{n}"),
            Number::Float(n) => write!(f, "{n}"),
            Number::Big(n) => f.write_str(n),
        }
    }
}

impl Number {
    /// Classifies a decimal number given as text (`-12`, `0.1`, `1.5e300`, `.5`, `+3`: the
    /// syntax Terraform's number parser accepts, minus infinities), or `None` if it is not one.
    ///
    /// * `Int` when the value is an integer within `i64`;
    /// * `Float` when it is a fraction an `f64` holds exactly (`0.5`, `-2.25`);
    /// * `Big`, keeping the text as given, for everything else (`0.1`, integers beyond `i64`,
    ///   long decimals, huge exponents). Terraform compares a planned value with the
    ///   configuration at full precision (Terraform 1.0 rejects `0.1` planned back as the
    ///   float nearest to it), so a value a float would round must travel as its text.
    pub(in crate::plugin) fn parse(text: &str) -> Option<Number> {
        let decimal = Decimal::parse(text)?;
        if let Some(n) = decimal.to_i64() {
            return Some(Number::Int(n));
        }
        if let Ok(f) = text.parse::<f64>() {
            // A finite f64 has at most 767 significant decimal digits; with more precision
            // than that, Rust prints its exact value.
            if f.is_finite()
                && decimal.exponent < 0
                && Decimal::parse(&format!("{f:.800e}")).as_ref() == Some(&decimal)
            {
                return Some(Number::Float(f));
            }
        }
        Some(Number::Big(text.to_string()))
    }

    /// Like [`Number::parse`], for text that stands where a number is required: its error is
    /// the one every codec reports for such text.
    pub(in crate::plugin) fn parse_required(text: &str) -> Result<Number, CodecError> {
        Number::parse(text).ok_or_else(|| {
            CodecError::new(format!("a number is required, got the string {text:?}"))
        })
    }

    /// A float read off the wire; `None` for NaN, which is no Terraform number. Integral values
    /// become `Int`, so a number decodes the same whichever wire form Terraform chose for it.
    pub(in crate::plugin) fn from_f64(f: f64) -> Option<Number> {
        if f.is_nan() {
            return None;
        }
        Some(exact_i64(f).map_or(Number::Float(f), Number::Int))
    }
}

/// `f` as an `i64` when it is exactly one.
pub(in crate::plugin) fn exact_i64(f: f64) -> Option<i64> {
    // 2^63 is exactly representable, so the range check is exact; NaN and infinities fail
    // the fract test.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
}

/// `text` (a decimal number in any syntax [`Number::parse`] accepts) as a valid JSON number
/// literal of the same value, or `None` if it is not a decimal number.
pub(in crate::plugin) fn json_number_literal(text: &str) -> Option<String> {
    Decimal::parse(text).map(|decimal| decimal.to_json_literal())
}

/// A decimal number in a canonical form (`digits × 10^exponent`, no leading or trailing zeros
/// in `digits`, zero as empty digits), so two spellings of the same value compare equal.
#[derive(Debug, PartialEq)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Decimal {
    /// Exponents are clamped far beyond anything an `f64` or `i64` reaches, which keeps the
    /// arithmetic from overflowing without changing any classification.
    const EXPONENT_LIMIT: i64 = 1 << 40;

    fn parse(text: &str) -> Option<Decimal> {
        let bytes = text.as_bytes();
        let mut pos = 0;
        let negative = sign(bytes, &mut pos);
        let integer_start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        let mut digits = bytes[integer_start..pos].to_vec();
        let mut fraction_len = 0;
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            let fraction_start = pos;
            while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            fraction_len = pos - fraction_start;
            digits.extend_from_slice(&bytes[fraction_start..pos]);
        }
        if digits.is_empty() {
            return None;
        }
        let mut exponent: i64 = 0;
        if matches!(bytes.get(pos), Some(b'e' | b'E')) {
            pos += 1;
            let exponent_negative = sign(bytes, &mut pos);
            let exponent_start = pos;
            while let Some(digit) = bytes.get(pos).filter(|b| b.is_ascii_digit()) {
                exponent = (exponent * 10 + (digit - b'0') as i64).min(Self::EXPONENT_LIMIT);
                pos += 1;
            }
            if pos == exponent_start {
                return None;
            }
            if exponent_negative {
                exponent = -exponent;
            }
        }
        if pos != bytes.len() {
            return None;
        }
        exponent -= fraction_len as i64;
        let leading = digits.iter().take_while(|d| **d == b'0').count();
        digits.drain(..leading);
        while digits.last() == Some(&b'0') {
            digits.pop();
            exponent += 1;
        }
        if digits.is_empty() {
            return Some(Decimal {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        Some(Decimal {
            negative,
            digits,
            exponent,
        })
    }

    /// The value as a JSON number literal: plain digits while that stays short, scientific
    /// notation otherwise (JSON has no `+`, `.5` or `5.` forms, which Terraform's parser allows
    /// in strings).
    fn to_json_literal(&self) -> String {
        const PLAIN_LIMIT: i64 = 40;
        if self.digits.is_empty() {
            return "0".to_string();
        }
        let sign = if self.negative { "-" } else { "" };
        let digits: String = self.digits.iter().map(|d| *d as char).collect();
        let len = digits.len() as i64;
        if self.exponent >= 0 && self.exponent <= PLAIN_LIMIT {
            return format!("{sign}{digits}{}", "0".repeat(self.exponent as usize));
        }
        if self.exponent < 0 && -self.exponent < len {
            let (whole, fraction) = digits.split_at((len + self.exponent) as usize);
            return format!("{sign}{whole}.{fraction}");
        }
        if self.exponent < 0 && -self.exponent - len <= PLAIN_LIMIT {
            let zeros = "0".repeat((-self.exponent - len) as usize);
            return format!("{sign}0.{zeros}{digits}");
        }
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        format!("{sign}{first}{point}{rest}e{}", self.exponent + len - 1)
    }

    fn to_i64(&self) -> Option<i64> {
        if self.digits.is_empty() {
            return Some(0);
        }
        // Trailing zeros are folded into the exponent, so a negative one means a fraction.
        if self.exponent < 0 || self.digits.len() as i64 + self.exponent > 19 {
            return None;
        }
        let mut text = String::with_capacity(21);
        if self.negative {
            text.push('-');
        }
        text.extend(self.digits.iter().map(|d| *d as char));
        text.push_str(&"0".repeat(self.exponent as usize));
        text.parse().ok()
    }
}

/// Reads an optional `+` or `-` at `pos`, moving past it; whether it was a minus. The mantissa
/// and the exponent both start this way.
fn sign(bytes: &[u8], pos: &mut usize) -> bool {
    match bytes.get(*pos) {
        Some(b'-') => {
            *pos += 1;
            true
        }
        Some(b'+') => {
            *pos += 1;
            false
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_classification() {
        let cases: [(&str, Option<Number>); 16] = [
            ("0", Some(Number::Int(0))),
            ("-0.0", Some(Number::Int(0))),
            ("1.0", Some(Number::Int(1))),
            ("1e3", Some(Number::Int(1000))),
            ("+7", Some(Number::Int(7))),
            ("-9223372036854775808", Some(Number::Int(i64::MIN))),
            (
                "9223372036854775808",
                Some(Number::Big("9223372036854775808".into())),
            ),
            ("-2.25", Some(Number::Float(-2.25))),
            ("1e30", Some(Number::Big("1e30".into()))),
            (".5", Some(Number::Float(0.5))),
            ("0.1", Some(Number::Big("0.1".into()))),
            ("0.125", Some(Number::Float(0.125))),
            ("1e400", Some(Number::Big("1e400".into()))),
            (
                "0.10000000000000000001",
                Some(Number::Big("0.10000000000000000001".into())),
            ),
            ("1e", None),
            ("inf", None),
        ];
        for (text, expected) in cases {
            assert_eq!(Number::parse(text), expected, "{text}");
        }
        for bad in ["", "-", ".", "1.2.3", "0x10", "1 ", "nan", "1e+"] {
            assert_eq!(Number::parse(bad), None, "{bad:?}");
        }
    }
}
