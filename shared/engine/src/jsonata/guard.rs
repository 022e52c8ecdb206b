//! Built-ins that jsonata-core cannot be trusted with every argument, checked before they run.
//!
//! - `$pad(s, width)` builds a string of `|width|` characters in one go, without looking at the
//!   time limit: `$pad("", 2147483647)` asks for gigabytes and aborts the process (jsonata-js
//!   throws a RangeError there). A width past [`MAX_STRING_LENGTH`] is refused.
//! - `$parseInteger(text, picture)` panics with a picture in another digit family (`'０'`) on
//!   text holding anything but that family's digits and, if the picture groups digits with
//!   it, `,` (it subtracts the family's zero from every character it does not strip), and with an ordinal picture (`'0;o'`) on text that ends inside a
//!   multi-byte character. Such text is refused.
//! - `$fromMillis`, `$toMillis` and `$now` panic on a date/time picture whose component is
//!   not ASCII (`'[É]'`), has a width but no name (`'[,2]'`), presents fractional seconds
//!   as a name (`'[fn]'`) or asks for a year of 19 digits or more (`'[Y,*-19]'`: an `i64`
//!   overflow, and past 63 a division by zero), and allocate a width modifier's worth of
//!   digits at once (`'[Y,2000000000]'`). Such components, and widths past
//!   [`MAX_PICTURE_WIDTH`], are refused.
//!   `$fromMillis` also overflows on a time beyond JavaScript's dates (±8.64e15 ms) or a
//!   timezone beyond `±9999`: refused too. `$toMillis` panics on a timestamp holding digits
//!   outside ASCII (`'٢٠٢٤'`): refused. It also panics on a day of the year past about
//!   10^11 (`$toMillis('20240101123849', '[d]')`): text that could give one is refused.
//! - Letters read as a number (`$parseInteger(s, 'A')`, a `[YA]` component) overflow past 13
//!   letters: refused. `$formatInteger(n, 'I')` builds one `M` per thousand at once: a number
//!   past a billion is refused, as `$pad` past [`MAX_STRING_LENGTH`]. `$formatInteger` of a
//!   number that is not finite (`1/0`, `1 % 0`) recurses until the stack overflows (in words,
//!   `'w'`; the process aborts): refused for every picture.
//! - `$formatNumber(n, picture)` divides by the digits after the first grouping separator of
//!   the picture's integer part when it has several (`',E,E.#e0'`: none, so a division by
//!   zero panics). A picture whose integer part has two or more grouping separators and no
//!   digit after the first is refused (it groups nothing).
//! - The range operator (`[a..b]`) subtracts its bounds as `i64`s: bounds far beyond the
//!   10,000,000 items it allows overflow (`[0..1e20]`: a panic where overflow is checked, a
//!   wrapped size elsewhere). Each bound passes through [`RANGE_BOUND`], which refuses a
//!   number beyond ±2^53 with jsonata-js's own D2014 (no range that large can be built; the
//!   one answer this changes is a one-item range of such a number, `[1e20..1e20]`).
//! - `$substring(s, start, length)` adds its start and length to the string's length as
//!   `i64`s: `$substring('abc', 1e30)` overflows (a panic where overflow is checked, a wrapped
//!   position and the wrong text elsewhere). Its start and length pass through
//!   [`SUBSTRING_POSITION`], which brings a number beyond ±2^53 back to ±2^53: no string is that
//!   long, so jsonata-js's answer (computed in doubles) is unchanged.
//!
//! A host override would not see jsonata-js's implicit context argument
//! (`$string('1€').$parseInteger('0;o')` passes only the picture), so the built-ins are kept
//! and put behind a lambda instead: after parsing, every call of a guarded built-in, and every
//! use of it as a value (`$f := $pad`), becomes that lambda, which has the built-in's signature
//! (so the context fills a missing first argument as before) and calls the built-in with the
//! risky arguments passed through checking host functions ([`CHECKS`]). For a name the
//! expression binds itself, only its calls are rewritten, and still get the checks (a call
//! may come before the binding: `$toMillis := $toMillis(…)`). (`$now` is the engine's own
//! host function already and checks its picture and timezone itself.)

use std::collections::BTreeSet;

use jsonata_core::ast::{AstNode, BinaryOp, Stage};
use jsonata_core::evaluator::EvaluatorError;
use jsonata_core::value::{with_stack, JValue};

use super::codes;
use super::JsonataError;

/// The longest string `$pad` may build, in characters: four times the largest state data AWS
/// accepts (256 KiB), as the sequence cap is a million items.
pub const MAX_STRING_LENGTH: usize = 1_000_000;

/// A built-in whose arguments are checked.
pub(super) struct Guarded {
    /// The built-in, without `$`.
    pub name: &'static str,
    /// The built-in as a lambda with its signature, calling it with checked arguments.
    lambda: &'static str,
}

/// The widest component a date/time picture may ask for (`[Y,999]`).
pub const MAX_PICTURE_WIDTH: usize = 999;

/// The latest (and, negated, earliest) time JavaScript's `Date` holds, in ms since the epoch.
const MAX_DATE_MILLIS: f64 = 8.64e15;

pub(super) static GUARDED: [Guarded; 7] = [
    Guarded {
        name: "pad",
        lambda: "function($s, $w, $c)<s-ns?:s>{ $pad($s, $__quickstep_pad_width($w), $c) }",
    },
    Guarded {
        name: "parseInteger",
        lambda: "function($v, $p)<s-s:n>{ $parseInteger($__quickstep_parse_integer($v, $p), \
                 $p) }",
    },
    Guarded {
        name: "formatInteger",
        lambda: "function($n, $p)<n-s:s>{ $formatInteger($__quickstep_format_integer($n, $p), \
                 $p) }",
    },
    Guarded {
        name: "formatNumber",
        lambda: "function($n, $p, $o)<n-so?:s>{ $formatNumber($n, \
                 $__quickstep_number_picture($p, $o), $o) }",
    },
    Guarded {
        name: "fromMillis",
        lambda: "function($m, $p, $t)<n-s?s?:s>{ $fromMillis($__quickstep_date_millis($m), \
                 $__quickstep_date_picture($p), $__quickstep_timezone($t)) }",
    },
    Guarded {
        name: "toMillis",
        lambda: "function($s, $p)<s-s?:n>{ $toMillis($__quickstep_date_text($s, $p), \
                 $__quickstep_date_picture($p)) }",
    },
    Guarded {
        name: "substring",
        lambda:
            "function($s, $b, $l)<s-nn?:s>{ $substring($s, $__quickstep_substring_position($b), \
                 $__quickstep_substring_position($l)) }",
    },
];

/// The checking host functions the lambdas call: each passes its first argument through,
/// unless the function (second) says why it is refused, given all the arguments.
pub(super) static CHECKS: [(&str, Check); 8] = [
    ("__quickstep_pad_width", |args| pad_width(arg(args, 0))),
    ("__quickstep_parse_integer", |args| {
        parse_integer_text(arg(args, 0), arg(args, 1))
    }),
    ("__quickstep_date_millis", |args| date_millis(arg(args, 0))),
    ("__quickstep_date_picture", |args| {
        date_picture(arg(args, 0))
    }),
    ("__quickstep_timezone", |args| timezone(arg(args, 0))),
    ("__quickstep_format_integer", |args| {
        format_integer_number(arg(args, 0), arg(args, 1))
    }),
    ("__quickstep_date_text", |args| {
        date_text(arg(args, 0), arg(args, 1))
    }),
    ("__quickstep_number_picture", |args| {
        number_picture(arg(args, 0), arg(args, 1))
    }),
];

/// The host function `$substring`'s start and length pass through.
pub(super) const SUBSTRING_POSITION: &str = "__quickstep_substring_position";

/// A position or length of `$substring`, brought within ±2^53 if it is a number beyond.
pub(super) fn substring_position(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let value = arg(args, 0);
    Ok(match value.as_f64() {
        Some(n) if n.abs() > MAX_EXACT_INTEGER => JValue::Number(MAX_EXACT_INTEGER.copysign(n)),
        _ => value.clone(),
    })
}

/// The host function every range operator's bound passes through.
pub(super) const RANGE_BOUND: &str = "__quickstep_range_bound";

/// The largest integer a double holds exactly: no range bound or string position beyond it is
/// reasonable.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// A range operator's bound, unless it is a number too far from zero (D2014).
pub(super) fn range_bound(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let bound = arg(args, 0);
    match bound.as_f64() {
        Some(n) if n.abs() > MAX_EXACT_INTEGER => Err(EvaluatorError::EvaluationError(format!(
            "D2014: The size of the sequence allocated by the range operator (..) must not \
             exceed 1e7 (a bound of {n})"
        ))),
        _ => Ok(bound.clone()),
    }
}

/// Refuses, before jsonata-core parses it, an expression with a lambda signature holding a
/// character outside ASCII (`function($x)<é:n>{...}`): its signature parser finds the `:` by
/// counting characters, then slices the text at that count as bytes, and panics. Signatures
/// are made of ASCII type letters and punctuation only, so nothing valid is refused.
pub(super) fn lambda_signatures(text: &str) -> Result<(), JsonataError> {
    // Most expressions define no function: no pattern to build or run for them.
    if !text.contains("function") && !text.contains('λ') {
        return Ok(());
    }
    static LAMBDA: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let Some(lambda) =
        LAMBDA.get_or_init(|| regex::Regex::new(r"(function|λ)\s*\([^)]*\)\s*<").ok())
    else {
        return Ok(());
    };
    for found in lambda.find_iter(text) {
        let mut depth = 1_usize;
        // A quoted name or string inside the signature is one token to the parser, `>` and
        // all, and goes into the signature whole.
        let mut quote: Option<char> = None;
        for c in text[found.end()..].chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (None, '`' | '"' | '\'') => quote = Some(c),
                (_, c) if !c.is_ascii() => {
                    return Err(JsonataError::new(
                        "S0402",
                        format!("the function signature holds '{c}', which no type is"),
                    ))
                }
                (Some(_), _) => {}
                (None, '<') => depth += 1,
                (None, '>') => depth -= 1,
                (None, _) => {}
            }
            if depth == 0 {
                break;
            }
        }
    }
    Ok(())
}

/// Why the arguments of a check are refused, if they are.
pub(super) type Check = fn(&[JValue]) -> Option<String>;

fn arg(args: &[JValue], index: usize) -> &JValue {
    args.get(index).unwrap_or(&JValue::Undefined)
}

/// The zero of each decimal digit family jsonata-core reads pictures in (its `DECIMAL_GROUPS`).
const DIGIT_FAMILY_ZEROS: [u32; 37] = [
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

/// A number `$pad` would take for a width longer than [`MAX_STRING_LENGTH`] (the built-in
/// truncates it to a 32-bit integer first).
fn pad_width(value: &JValue) -> Option<String> {
    let JValue::Number(n) = value else {
        return None;
    };
    #[allow(clippy::cast_possible_truncation)]
    let width = (*n as i32).unsigned_abs();
    usize::try_from(width)
        .map_or(true, |w| w > MAX_STRING_LENGTH)
        .then(|| {
            format!(
                "$pad: the width {n} would build a string longer than {MAX_STRING_LENGTH} \
                 characters"
            )
        })
}

/// A date/time picture jsonata-core would panic on or exhaust memory with (see the module
/// documentation), and why.
pub(super) fn date_picture(value: &JValue) -> Option<String> {
    let JValue::String(picture) = value else {
        return None;
    };
    markers(picture)
        .iter()
        .find_map(|marker| marker_problem(marker))
}

/// The markers of a date/time picture: the text between each `[` and its `]` (`[[` is a
/// literal bracket, not a marker).
fn markers(picture: &str) -> Vec<String> {
    markers_in_sequence(picture)
        .into_iter()
        .map(|(marker, _)| marker)
        .collect()
}

/// The markers of a date/time picture, each with whether another marker follows it at once
/// (`[d001][H01]`: jsonata-core then reads it with a fixed number of digits).
fn markers_in_sequence(picture: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let mut chars = picture.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '[' {
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            continue;
        }
        let marker = chars.by_ref().take_while(|c| *c != ']').collect();
        let mut after = chars.clone();
        let followed = after.next() == Some('[') && after.next() != Some('[');
        found.push((marker, followed));
    }
    found
}

/// The most digits a year component may ask for: jsonata-core keeps the year modulo 10^n in
/// an `i64`, which 10^19 overflows (and 10^64 wraps to zero, a division by zero).
const MAX_YEAR_DIGITS: usize = 18;

/// Why one marker of a date/time picture (the text between `[` and `]`) is refused.
fn marker_problem(marker: &str) -> Option<String> {
    if let Some(c) = marker.chars().find(|c| !c.is_ascii()) {
        return Some(format!(
            "the date/time picture component '{c}' is not supported"
        ));
    }
    // jsonata-core reads the marker without its blanks, the width after its last comma.
    let compact: String = marker.chars().filter(|c| !c.is_whitespace()).collect();
    let (named, width) = match compact.rsplit_once(',') {
        Some((named, width)) => (named, Some(width)),
        None => (compact.as_str(), None),
    };
    let mut named_chars = named.chars();
    let Some(component) = named_chars.next() else {
        return width.map(|_| {
            "a date/time picture component must be named before its width ('[,2]')".to_owned()
        });
    };
    let presentation = named_chars.as_str();
    if component == 'f' && presentation.starts_with(['n', 'N']) {
        return Some("fractional seconds cannot be presented as a name ('[fn]')".to_owned());
    }
    let widths: Vec<usize> = width
        .unwrap_or_default()
        .split('-')
        .map(|part| {
            part.bytes()
                .filter(u8::is_ascii_digit)
                .fold(0_usize, |n, d| {
                    n.saturating_mul(10).saturating_add(usize::from(d - b'0'))
                })
        })
        .collect();
    if widths.iter().any(|w| *w > MAX_PICTURE_WIDTH) {
        return Some(format!(
            "a date/time picture width over {MAX_PICTURE_WIDTH} is not supported"
        ));
    }
    let digits = presentation
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '#')
        .count();
    if component == 'Y' && (digits > MAX_YEAR_DIGITS || widths.iter().any(|w| *w > MAX_YEAR_DIGITS))
    {
        return Some(format!(
            "a year of more than {MAX_YEAR_DIGITS} digits is not supported"
        ));
    }
    None
}

/// Text `$toMillis` without a picture would panic on: its ISO 8601 pattern reads `\d` as any
/// Unicode digit, then parses what it matched as ASCII (`'٢٠٢٤'`) or slices it by bytes
/// (`'.٠٠١'`). JavaScript's `\d` is ASCII only, so jsonata-js never matches such text; it is
/// refused. (With a picture, such text does not match and gives undefined, as in jsonata-js.)
fn date_text(value: &JValue, picture: &JValue) -> Option<String> {
    let JValue::String(text) = value else {
        return None;
    };
    if let JValue::String(picture) = picture {
        if let Some(why) = day_of_year(text, picture) {
            return Some(why);
        }
        // A component presented as letters (`[YA]`) is read back as a base-26 number that
        // overflows past 13 letters.
        return (has_letter_component(picture) && longest_letter_run(text) > MAX_LETTERS).then(
            || format!("$toMillis: a run of more than {MAX_LETTERS} letters is not a number"),
        );
    }
    let digit = text
        .chars()
        .find(|c| c.is_numeric() && !c.is_ascii_digit())?;
    Some(format!(
        "$toMillis: '{digit}' is not a digit a timestamp may hold (0-9)"
    ))
}

/// A number `$formatInteger` cannot write: one that is not finite, or one it would write in
/// Roman numerals longer than [`MAX_STRING_LENGTH`] (one `M` per thousand, built at once).
fn format_integer_number(value: &JValue, picture: &JValue) -> Option<String> {
    let (JValue::Number(n), JValue::String(picture)) = (value, picture) else {
        return None;
    };
    if !n.is_finite() {
        return Some(format!("$formatInteger: {n} is not a finite number"));
    }
    let primary = primary_format(picture);
    #[allow(clippy::cast_precision_loss)]
    let limit = MAX_STRING_LENGTH as f64 * 1000.0;
    (matches!(primary, "I" | "i") && n.abs() > limit).then(|| {
        format!(
            "$formatInteger: {n} in Roman numerals is longer than {MAX_STRING_LENGTH} characters"
        )
    })
}

/// A `$formatNumber` picture whose integer part has two or more grouping separators and no
/// digit after the first, found as jsonata-core finds the parts: per sub-picture (`;`), the
/// active part runs from the first to the last separator or digit, its exponent marker is the
/// first `e` (else `E`) in it, and the integer part ends at the marker or the decimal separator.
fn number_picture(picture: &JValue, options: &JValue) -> Option<String> {
    let JValue::String(picture) = picture else {
        return None;
    };
    let option = |name: &str, default: char| match options {
        JValue::Object(map) => match map.get(name) {
            Some(JValue::String(text)) => text.chars().next().unwrap_or(default),
            _ => default,
        },
        _ => default,
    };
    let decimal = option("decimal-separator", '.');
    let grouping = option("grouping-separator", ',');
    let zero = u32::from(option("zero-digit", '0'));
    let digit =
        |c: char| c.is_ascii_digit() || (zero..zero + 10).contains(&u32::from(c)) || c == '#';
    let active_char = |c: &char| *c == decimal || *c == grouping || digit(*c);
    for sub in picture.split(';') {
        let chars: Vec<char> = sub.chars().collect();
        let (Some(start), Some(end)) = (
            chars.iter().position(active_char),
            chars.iter().rposition(active_char),
        ) else {
            continue;
        };
        let active = &chars[start..=end];
        let marker = active
            .iter()
            .position(|c| *c == 'e')
            .or_else(|| active.iter().position(|c| *c == 'E'))
            .unwrap_or(active.len());
        let mantissa = &active[..marker];
        let integer = mantissa
            .iter()
            .position(|c| *c == decimal)
            .map_or(mantissa, |d| &mantissa[..d]);
        let mut separators = integer.iter().enumerate().filter(|(_, c)| **c == grouping);
        if let (Some((first, _)), Some(_)) = (separators.next(), separators.next()) {
            if !integer[first + 1..].iter().any(|c| digit(*c)) {
                return Some(format!(
                    "$formatNumber: the picture '{sub}' has grouping separators with no digit \
                     between them"
                ));
            }
        }
    }
    None
}

/// A time `$fromMillis` cannot shift by a timezone without overflowing.
fn date_millis(value: &JValue) -> Option<String> {
    match value {
        JValue::Number(n) if n.abs() > MAX_DATE_MILLIS => Some(format!(
            "the time {n} is outside JavaScript's dates (±{MAX_DATE_MILLIS} ms)"
        )),
        _ => None,
    }
}

/// A timezone (`±HHMM`) whose leading number has more than four digits.
pub(super) fn timezone(value: &JValue) -> Option<String> {
    let JValue::String(text) = value else {
        return None;
    };
    let unsigned = text.trim().trim_start_matches(['+', '-']);
    let digits = unsigned.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 4).then(|| format!("the timezone '{text}' is not ±HHMM"))
}

/// jsonata-core adds a day of the year (`[d]`) to January 1st with chrono's
/// `TimeDelta::days`, which panics past `i64::MAX` milliseconds (about 1.07 × 10^11 days). A
/// day read from the text that could pass 10^11 is refused: more than 11 digits (unless a
/// marker right after it fixes its width at 11 or fewer), more than 7 letters (26^8 > 10^11),
/// words naming millions or more, three magnitudes (`hundred`, `thousand`) or a thousand
/// words, or Roman numerals longer than 10^8 characters.
fn day_of_year(text: &str, picture: &str) -> Option<String> {
    const MAX_DIGITS: usize = 11;
    const MAX_LETTERS: usize = 7;
    const MAX_MAGNITUDES: usize = 2;
    const MAX_WORDS: usize = 1000;
    const MAX_ROMAN: usize = 100_000_000;
    let refuse = || Some("$toMillis: a day of the year past 10^11 is not a date".to_owned());
    for (marker, followed) in markers_in_sequence(picture) {
        let compact: String = marker.chars().filter(|c| !c.is_whitespace()).collect();
        let (named, width) = match compact.rsplit_once(',') {
            Some((named, width)) => (named, Some(width)),
            None => (compact.as_str(), None),
        };
        let Some(presentation) = named.strip_prefix('d') else {
            continue;
        };
        match presentation.chars().next() {
            Some('a' | 'A') if longest_letter_run(text) > MAX_LETTERS => return refuse(),
            Some('w' | 'W') => {
                let lower = text.to_lowercase();
                let words: Vec<&str> = lower
                    .split(|c: char| !c.is_alphabetic())
                    .filter(|w| !w.is_empty())
                    .collect();
                let magnitudes = words
                    .iter()
                    .filter(|w| w.starts_with("hundred") || w.starts_with("thousand"))
                    .count();
                if words.len() > MAX_WORDS
                    || magnitudes > MAX_MAGNITUDES
                    || words.iter().any(|w| w.contains("illion"))
                {
                    return refuse();
                }
            }
            Some('i' | 'I') if text.len() > MAX_ROMAN => return refuse(),
            Some('a' | 'A' | 'i' | 'I') => {}
            _ => {
                let digits = presentation.chars().filter(char::is_ascii_digit).count();
                let fixed = followed && width.is_none() && digits.max(1) <= MAX_DIGITS;
                let longest_run = text
                    .split(|c: char| !c.is_ascii_digit())
                    .map(str::len)
                    .max()
                    .unwrap_or(0);
                if !fixed && longest_run > MAX_DIGITS {
                    return refuse();
                }
            }
        }
    }
    None
}

/// The most letters jsonata-core reads as a number (`'A'` pictures): 26^13 fits in an `i64`,
/// 26^14 overflows it.
const MAX_LETTERS: usize = 13;

/// Whether a date/time picture has a component presented as letters (`[YA]`, `[Ma]`).
fn has_letter_component(picture: &str) -> bool {
    markers(picture).iter().any(|marker| {
        let mut lead = marker.chars().filter(|c| !c.is_whitespace());
        lead.next().is_some() && matches!(lead.next(), Some('A' | 'a'))
    })
}

/// The primary format of an integer picture: what comes before its last `;` (the modifier).
fn primary_format(picture: &str) -> &str {
    picture
        .rsplit_once(';')
        .map_or(picture, |(primary, _)| primary)
}

/// Whether jsonata-core reads `text` as letters counted from `a` (base 26) without
/// overflowing its `i64`s: at most [`MAX_LETTERS`] characters, and every product and partial
/// sum it forms in range (a character far from the letters is worth a lot).
fn letters_fit(text: &str, a: char) -> bool {
    if text.chars().count() > MAX_LETTERS {
        return false;
    }
    let mut sum: i64 = 0;
    for (i, c) in text.chars().rev().enumerate() {
        let Ok(i) = u32::try_from(i) else {
            return false;
        };
        let term = (i64::from(u32::from(c)) - i64::from(u32::from(a)) + 1)
            .checked_mul(26_i64.pow(i))
            .and_then(|term| sum.checked_add(term));
        match term {
            Some(next) => sum = next,
            None => return false,
        }
    }
    true
}

fn longest_letter_run(text: &str) -> usize {
    text.split(|c: char| !c.is_alphabetic())
        .map(|run| run.chars().count())
        .max()
        .unwrap_or(0)
}

/// Text `$parseInteger` would panic on with this picture (see the module documentation).
fn parse_integer_text(text: &JValue, picture: &JValue) -> Option<String> {
    let (JValue::String(text), JValue::String(picture)) = (text, picture) else {
        return None;
    };
    let primary = primary_format(picture);
    if matches!(primary, "A" | "a") && !letters_fit(text, if primary == "A" { 'A' } else { 'a' }) {
        return Some(format!(
            "$parseInteger: '{text}' read as letters is not a number jsonata can hold"
        ));
    }
    if picture.contains(';') && text.len() >= 2 && !text.is_char_boundary(text.len() - 2) {
        return Some(format!(
            "$parseInteger: the text '{text}' ends inside a character, which an ordinal picture \
             cannot read"
        ));
    }
    let zero = picture.chars().find_map(|c| {
        let c = u32::from(c);
        DIGIT_FAMILY_ZEROS
            .iter()
            .find(|zero| (**zero..=*zero + 9).contains(&c))
            .filter(|zero| **zero != 0x30)
    })?;
    // jsonata-core strips `,` from the text only when the picture groups digits; otherwise a
    // `,` too has the family's zero subtracted from it.
    let comma = primary.contains(',');
    let readable = |c: &char| (*zero..=*zero + 9).contains(&u32::from(*c)) || (comma && *c == ',');
    let foreign = text.chars().find(|c| !readable(c))?;
    Some(format!(
        "$parseInteger: '{foreign}' is not a digit of the picture's digit family"
    ))
}

/// Runs a check of [`CHECKS`]: its first argument, or [`codes::INVALID_ARGUMENT`].
pub(super) fn check(refuse: Check, args: &[JValue]) -> Result<JValue, EvaluatorError> {
    match refuse(args) {
        None => Ok(arg(args, 0).clone()),
        Some(why) => Err(EvaluatorError::EvaluationError(format!(
            "{}: {why}",
            codes::INVALID_ARGUMENT
        ))),
    }
}

/// Rewrites the calls and references of the guarded built-ins in `ast` as the module
/// documentation says, and passes the bounds of range operators (if `ranges`) through
/// [`RANGE_BOUND`]. For a name the expression binds itself (`bound`: a variable, a parameter),
/// only calls are rewritten, and the lambda then calls whatever the name is where it is called:
/// a reference may be the expression's own value, but a call may still reach the built-in
/// (`$toMillis := $toMillis(…)` calls it before the binding), so its arguments are checked.
pub(super) fn rewrite(
    ast: &mut AstNode,
    mentioned: &BTreeSet<String>,
    bound: &BTreeSet<String>,
    ranges: bool,
) {
    let guarded: Vec<(&'static Guarded, Option<AstNode>)> = GUARDED
        .iter()
        .filter(|g| mentioned.contains(g.name))
        .map(|g| (g, jsonata_core::parser::parse(g.lambda).ok()))
        .collect();
    if !guarded.is_empty() || ranges {
        Rewrite {
            guarded,
            bound: bound.clone(),
        }
        .node(ast);
    }
}

struct Rewrite {
    /// Each guarded built-in the expression uses, with its lambda parsed.
    guarded: Vec<(&'static Guarded, Option<AstNode>)>,
    /// Names the expression binds itself: their references are left alone.
    bound: BTreeSet<String>,
}

/// `node` passed through the host function [`RANGE_BOUND`].
fn checked_bound(node: &mut AstNode) {
    let inner = std::mem::replace(node, AstNode::Null);
    *node = AstNode::Function {
        name: RANGE_BOUND.to_owned(),
        args: vec![inner],
        is_builtin: true,
    };
}

impl Rewrite {
    fn node(&mut self, node: &mut AstNode) {
        with_stack(|| self.node_inner(node));
    }

    fn nodes<'a>(&mut self, nodes: impl IntoIterator<Item = &'a mut AstNode>) {
        for n in nodes {
            self.node(n);
        }
    }

    fn node_inner(&mut self, node: &mut AstNode) {
        match node {
            AstNode::Variable(name) => {
                if self.bound.contains(name.as_str()) {
                    return;
                }
                if let Some((_, Some(lambda))) = self.guarded.iter().find(|(g, _)| g.name == name) {
                    *node = lambda.clone();
                }
            }
            AstNode::Function {
                name,
                args,
                is_builtin,
            } => {
                self.nodes(args.iter_mut());
                // A call without `$` (`pad(?, 2)`) is a path step, not the built-in.
                if !*is_builtin {
                    return;
                }
                if let Some((_, Some(lambda))) = self.guarded.iter().find(|(g, _)| g.name == name) {
                    // `?` arguments stay: a partial application of the lambda is one of the
                    // built-in.
                    *node = AstNode::Call {
                        procedure: Box::new(lambda.clone()),
                        args: std::mem::take(args),
                    };
                }
            }
            AstNode::Binary { op, lhs, rhs } => {
                self.node(lhs);
                self.node(rhs);
                if *op == BinaryOp::Range {
                    checked_bound(lhs);
                    checked_bound(rhs);
                }
            }
            AstNode::Lambda { body, .. } => self.node(body),
            AstNode::Path { steps } => {
                for step in steps {
                    self.node(&mut step.node);
                    for stage in &mut step.stages {
                        if let Stage::Filter(n) = stage {
                            self.node(n);
                        }
                    }
                }
            }
            AstNode::Unary { operand, .. } => self.node(operand),
            AstNode::Call { procedure, args } => {
                self.node(procedure);
                self.nodes(args.iter_mut());
            }
            AstNode::Array(items) | AstNode::Block(items) | AstNode::ArrayGroup(items) => {
                self.nodes(items.iter_mut());
            }
            AstNode::Object(pairs) => {
                for (k, v) in pairs {
                    self.node(k);
                    self.node(v);
                }
            }
            AstNode::ObjectTransform { input, pattern } => {
                self.node(input);
                for (k, v) in pattern {
                    self.node(k);
                    self.node(v);
                }
            }
            AstNode::Conditional {
                condition,
                then_branch,
                else_branch,
            } => {
                self.node(condition);
                self.node(then_branch);
                if let Some(e) = else_branch {
                    self.node(e);
                }
            }
            AstNode::FunctionApplication(inner) => self.node(inner),
            AstNode::Sort { input, terms } => {
                self.node(input);
                for (t, _) in terms {
                    self.node(t);
                }
            }
            AstNode::Transform {
                location,
                update,
                delete,
            } => {
                self.node(location);
                self.node(update);
                if let Some(d) = delete {
                    self.node(d);
                }
            }
            AstNode::String(_)
            | AstNode::Name(_)
            | AstNode::Number(_)
            | AstNode::Boolean(_)
            | AstNode::Null
            | AstNode::Undefined
            | AstNode::Placeholder
            | AstNode::Regex { .. }
            | AstNode::ParentVariable(_)
            | AstNode::Wildcard
            | AstNode::Descendant
            | AstNode::Parent(_) => {}
        }
    }
}
