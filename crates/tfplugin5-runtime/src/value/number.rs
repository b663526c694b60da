//! Terraform numbers. cty numbers are arbitrary-precision decimals; we keep integers exact (`i64`/`u64`), other
//! values as `f64` when that is exact, and anything else as its decimal text, so nothing read is ever rounded.

use std::fmt;

/// A Terraform number, normalised on construction so that equal numbers compare equal whatever their wire form
/// (`5`, `5.0` and `"5"` are all the integer 5).
#[derive(Clone, Debug, PartialEq)]
pub struct Number(Repr);

#[derive(Clone, Debug, PartialEq)]
enum Repr {
    Int(i64),
    /// Only for values above `i64::MAX`.
    UInt(u64),
    /// Never an integral value that fits `i64` (that is `Int`); may be infinite, never NaN.
    Float(f64),
    /// A finite decimal that neither an integer nor an `f64` represents exactly, as canonical text.
    Decimal(String),
}

/// A decimal number text that is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a decimal number")]
pub struct NumberError(pub String);

impl Number {
    /// A float. Returns `None` for NaN, which Terraform numbers cannot hold.
    pub fn from_f64(value: f64) -> Option<Self> {
        if value.is_nan() {
            return None;
        }
        // 2^63 and 2^64 are exact as f64; the casts below are exact inside these ranges.
        const TWO_63: f64 = 9_223_372_036_854_775_808.0;
        const TWO_64: f64 = 18_446_744_073_709_551_616.0;
        if value.fract() == 0.0 && (-TWO_63..TWO_63).contains(&value) {
            return Some(Self(Repr::Int(value as i64)));
        }
        if value.fract() == 0.0 && (0.0..TWO_64).contains(&value) {
            return Some(Self(Repr::UInt(value as u64)));
        }
        Some(Self(Repr::Float(value)))
    }

    /// Parses decimal text as Terraform writes it (`"12"`, `"-0.5"`, `"1e400"`, `"123456789012345678901234"`).
    pub fn parse(text: &str) -> Result<Self, NumberError> {
        if !is_decimal(text) {
            return Err(NumberError(text.chars().take(80).collect()));
        }
        if let Ok(int) = text.parse::<i64>() {
            return Ok(Self(Repr::Int(int)));
        }
        if let Ok(uint) = text.parse::<u64>() {
            return Ok(Self::from(uint));
        }
        let canonical = canonical_decimal(text);
        if let Ok(float) = canonical.parse::<f64>()
            && float.is_finite()
            && exact_decimal(float).as_deref() == Some(canonical.as_str())
            && let Some(number) = Self::from_f64(float)
        {
            return Ok(number);
        }
        Ok(Self(Repr::Decimal(canonical)))
    }

    /// The value as an `i64`, when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Int(int) => Some(int),
            _ => None,
        }
    }

    /// The value as a `u64`, when it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            Repr::Int(int) => u64::try_from(int).ok(),
            Repr::UInt(uint) => Some(uint),
            _ => None,
        }
    }

    /// The value as an `f64`, possibly rounded.
    pub fn as_f64(&self) -> f64 {
        match &self.0 {
            Repr::Int(int) => *int as f64,
            Repr::UInt(uint) => *uint as f64,
            Repr::Float(float) => *float,
            Repr::Decimal(text) => text.parse().unwrap_or(f64::NAN),
        }
    }

    /// The most compact msgpack form: an integer, a float64, or the decimal text.
    pub(crate) fn to_msgpack(&self) -> rmpv::Value {
        match &self.0 {
            Repr::Int(int) => rmpv::Value::from(*int),
            Repr::UInt(uint) => rmpv::Value::from(*uint),
            Repr::Float(float) => rmpv::Value::F64(*float),
            Repr::Decimal(text) => rmpv::Value::from(text.as_str()),
        }
    }

    /// The JSON form; decimals beyond `f64` precision lose precision (JSON is only used for debugging output).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match &self.0 {
            Repr::Int(int) => (*int).into(),
            Repr::UInt(uint) => (*uint).into(),
            Repr::Float(_) | Repr::Decimal(_) => serde_json::Number::from_f64(self.as_f64())
                .map_or(serde_json::Value::Null, Into::into),
        }
    }
}

/// Decimal text without trailing fraction zeros (`"1.50"` → `"1.5"`, `"2.0"` → `"2"`), so equal decimals compare
/// equal. Text with an exponent is kept as written.
fn canonical_decimal(text: &str) -> String {
    if text.contains(['e', 'E']) || !text.contains('.') {
        return text.to_owned();
    }
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The exact decimal expansion of a float (every finite `f64` has one, at most 1074 fraction digits), canonical
/// as in [`canonical_decimal`]; `None` for values whose expansion is too long to be worth comparing.
fn exact_decimal(value: f64) -> Option<String> {
    if value.abs() >= 1e300 {
        return None;
    }
    Some(canonical_decimal(&format!("{value:.1074}")))
}

/// `-?digits(.digits)?([eE][+-]?digits)?`, the form Terraform writes numbers in.
fn is_decimal(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        Self(Repr::Int(value))
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Self {
        match i64::try_from(value) {
            Ok(int) => Self(Repr::Int(int)),
            Err(_) => Self(Repr::UInt(value)),
        }
    }
}

impl From<i32> for Number {
    fn from(value: i32) -> Self {
        Self(Repr::Int(value.into()))
    }
}

impl From<u32> for Number {
    fn from(value: u32) -> Self {
        Self(Repr::Int(value.into()))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(int) => write!(f, "{int}"),
            Repr::UInt(uint) => write!(f, "{uint}"),
            Repr::Float(float) => write!(f, "{float}"),
            Repr::Decimal(text) => f.write_str(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_numbers_compare_equal_whatever_the_form() {
        assert_eq!(Number::from_f64(5.0), Some(Number::from(5_i64)));
        assert_eq!(Number::parse("5").unwrap(), Number::from(5_i64));
        assert_eq!(
            Number::parse("18446744073709551615").unwrap(),
            Number::from(u64::MAX)
        );
        assert_eq!(
            Number::parse("-9223372036854775808").unwrap(),
            Number::from(i64::MIN)
        );
        assert_eq!(
            Number::parse("0.5").unwrap(),
            Number::from_f64(0.5).unwrap()
        );
        assert_eq!(Number::from_f64(f64::NAN), None);
    }

    #[test]
    fn big_and_inexact_decimals_are_kept_as_text() {
        let big = Number::parse("123456789012345678901234567890").unwrap();
        assert_eq!(big.to_string(), "123456789012345678901234567890");
        assert_eq!(big.as_i64(), None);
        let precise = Number::parse("0.1000000000000000000001").unwrap();
        assert_eq!(precise.to_string(), "0.1000000000000000000001");
    }

    #[test]
    fn non_numbers_are_rejected() {
        for bad in [
            "", "-", "1.", ".5", "1e", "0x10", "NaN", "inf", "1 ", "+1", "1e+",
        ] {
            assert!(Number::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Number::parse("1.5e-3").is_ok());
    }

    #[test]
    fn accessors() {
        assert_eq!(Number::from(-3_i64).as_u64(), None);
        assert_eq!(Number::from(7_u32).as_u64(), Some(7));
        assert_eq!(Number::from_f64(2.5).unwrap().as_f64(), 2.5);
        assert_eq!(Number::from_f64(1e300).unwrap().as_i64(), None);
    }
}
