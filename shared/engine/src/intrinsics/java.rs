//! Java behaviours AWS's intrinsic implementation shows through: `Double.toString`, the
//! `toString` of maps and lists (what `States.Format` prints for objects and arrays),
//! `Math.round`, and `java.util.Random`.

use serde_json::{Number, Value};

/// How `States.Format` prints an argument: strings as they are, objects and arrays as Java's
/// `LinkedHashMap`/`ArrayList` `toString` (`{a=1, b=[x, y]}`), as recorded on AWS.
pub(super) fn to_java_string(value: &Value) -> String {
    let mut out = String::new();
    write_java(value, &mut out);
    out
}

fn write_java(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_to_java(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_java(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                write_java(item, out);
            }
            out.push('}');
        }
    }
}

/// Integers print as integers, other numbers as Java's `Double.toString`.
pub(super) fn number_to_java(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    n.as_f64().map_or_else(|| n.to_string(), double_to_string)
}

/// Java's `Double.toString`: plain decimal with at least one fraction digit for magnitudes in
/// [1e-3, 1e7), otherwise computerized scientific notation (`1.0E20`, `1.5E-5`).
pub(super) fn double_to_string(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sign = if d < 0.0 { "-" } else { "" };
    let abs = d.abs();
    // Shortest round-trip digits: "d.ddde<exp>".
    let sci = format!("{abs:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (1e-3..1e7).contains(&abs) {
        let body = if exp >= 0 {
            let int_len = usize::try_from(exp).unwrap_or(0) + 1;
            let mut padded = digits.clone();
            while padded.len() < int_len {
                padded.push('0');
            }
            let (int_part, frac) = padded.split_at(int_len);
            let frac = if frac.is_empty() { "0" } else { frac };
            format!("{int_part}.{frac}")
        } else {
            let zeros = usize::try_from(-exp - 1).unwrap_or(0);
            format!("0.{}{digits}", "0".repeat(zeros))
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let rest = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{rest}E{exp}")
    }
}

/// Java's `Math.round(double)`: round half up (towards positive infinity), so -1.5 gives -1.
pub(super) fn math_round(d: f64) -> f64 {
    (d + 0.5).floor()
}

/// `java.util.Random`, the 48-bit linear congruential generator, so that a seeded
/// `States.MathRandom` gives the same sequence as a JVM would.
pub(super) struct JavaRandom {
    seed: u64,
}

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const MASK: u64 = (1 << 48) - 1;

impl JavaRandom {
    pub(super) fn new(seed: i64) -> Self {
        Self {
            seed: (seed as u64 ^ MULTIPLIER) & MASK,
        }
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.seed = (self.seed.wrapping_mul(MULTIPLIER).wrapping_add(0xB)) & MASK;
        // Truncation to 32 bits is what Java's `(int)` cast does.
        (self.seed >> (48 - bits)) as i32
    }

    /// `nextInt(bound)` for `bound > 0`.
    pub(super) fn next_int(&mut self, bound: i32) -> i32 {
        let mut r = self.next(31);
        let m = bound.wrapping_sub(1);
        if bound & m == 0 {
            return ((i64::from(bound) * i64::from(r)) >> 31) as i32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return r;
            }
            u = self.next(31);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        let cases = [
            (1.1, "1.1"),
            (1.0, "1.0"),
            (1000.0, "1000.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1.5e-5, "1.5E-5"),
            (1e7, "1.0E7"),
            (9_999_999.5, "9999999.5"),
            (1.25e20, "1.25E20"),
            (-2.5, "-2.5"),
            (0.0, "0.0"),
            (123.456, "123.456"),
            (1.797_693_134_862_315_7e308, "1.7976931348623157E308"),
            (12_345_678.9, "1.23456789E7"),
        ];
        for (d, expected) in cases {
            assert_eq!(double_to_string(d), expected, "{d}");
        }
    }

    #[test]
    fn java_random_matches_the_jvm() {
        // Checked on a JVM: new java.util.Random(42).nextInt(100) three times gives 30, 63, 48.
        let mut r = JavaRandom::new(42);
        assert_eq!(
            [r.next_int(100), r.next_int(100), r.next_int(100)],
            [30, 63, 48]
        );
        assert_eq!(JavaRandom::new(-7).next_int(1000), 662);
        // new Random(0).nextInt(16) (power-of-two path) gives 11 on a JVM.
        assert_eq!(JavaRandom::new(0).next_int(16), 11);
    }

    #[test]
    fn round_half_up() {
        for (d, r) in [
            (1.5, 2.0),
            (-1.5, -1.0),
            (-0.5, 0.0),
            (2.5, 3.0),
            (-1.51, -2.0),
        ] {
            assert_eq!(math_round(d), r, "{d}");
        }
    }
}
