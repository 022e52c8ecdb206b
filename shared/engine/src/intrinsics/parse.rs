//! Parser for intrinsic call text: `States.Name(arg, arg, ...)`.
//!
//! Arguments are string literals in single quotes (escapes `\'`, `\{`, `\}`, `\\`; any other
//! backslash is illegal, as AWS rejects e.g. `\"` with SCHEMA_VALIDATION_FAILED), numbers,
//! `true`/`false`/`null`, paths (`$...`, `$$...`, `$var...`) and nested calls.

use serde_json::{Number, Value};

use super::{Arg, Call, Func, IntrinsicParseError, TemplatePiece};
use crate::jsonpath::Path;

/// AWS allows at most 10 nested intrinsic calls in one field.
const MAX_DEPTH: usize = 10;

pub(super) fn parse_call_text(text: &str) -> Result<Call, IntrinsicParseError> {
    let mut parser = Parser {
        text,
        pos: 0,
        depth: 0,
    };
    parser.skip_ws();
    let call = parser.call()?;
    parser.skip_ws();
    if parser.pos < text.len() {
        return Err(parser.error("unexpected text after the end of the intrinsic call"));
    }
    Ok(call)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> IntrinsicParseError {
        IntrinsicParseError {
            message: format!(
                "invalid intrinsic function call '{}': {what} at offset {}",
                self.text, self.pos
            ),
        }
    }

    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn call(&mut self) -> Result<Call, IntrinsicParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("more than 10 nested intrinsic functions"));
        }
        let start = self.pos;
        let name_len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .unwrap_or(self.rest().len());
        let name = &self.text[start..start + name_len];
        let Some(func) = Func::from_name(name) else {
            return Err(self.error(&format!("unknown intrinsic function '{name}'")));
        };
        self.pos += name_len;
        self.skip_ws();
        if !self.eat('(') {
            return Err(self.error(&format!("expected '(' after '{name}'")));
        }
        let mut args = Vec::new();
        self.skip_ws();
        if !self.eat(')') {
            loop {
                self.skip_ws();
                args.push(self.arg()?);
                self.skip_ws();
                if self.eat(',') {
                    continue;
                }
                if self.eat(')') {
                    break;
                }
                return Err(self.error(&format!("expected ',' or ')' in the arguments of {name}")));
            }
        }
        let (min, max) = func.arity();
        if args.len() < min || max.is_some_and(|max| args.len() > max) {
            let expected = match max {
                Some(max) if max == min => format!("{min}"),
                Some(max) => format!("{min} to {max}"),
                None => format!("at least {min}"),
            };
            return Err(IntrinsicParseError {
                message: format!(
                    "invalid intrinsic function call '{}': {} takes {expected} argument(s), got {}",
                    self.text,
                    func.name(),
                    args.len()
                ),
            });
        }
        self.depth -= 1;
        Ok(Call { func, args })
    }

    fn arg(&mut self) -> Result<Arg, IntrinsicParseError> {
        match self.peek() {
            Some('\'') => self.string(),
            Some('$') => self.path(),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(_) => {
                let rest = self.rest();
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if rest.starts_with(word)
                        && !rest[word.len()..].starts_with(|c: char| {
                            c.is_ascii_alphanumeric() || c == '_' || c == '.'
                        })
                    {
                        self.pos += word.len();
                        return Ok(Arg::Literal(value));
                    }
                }
                if rest.starts_with("States.") {
                    return Ok(Arg::Call(Box::new(self.call()?)));
                }
                Err(self.error("expected a string, number, boolean, null, path or intrinsic call"))
            }
            None => Err(self.error("unexpected end of text, expected an argument")),
        }
    }

    fn string(&mut self) -> Result<Arg, IntrinsicParseError> {
        // Skip the opening quote.
        self.pos += 1;
        let mut value = String::new();
        let mut pieces = Vec::new();
        let mut literal = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated string literal"));
            };
            self.pos += c.len_utf8();
            match c {
                '\'' => break,
                '\\' => {
                    let Some(escaped) = self.peek() else {
                        return Err(self.error("unterminated string literal"));
                    };
                    if !matches!(escaped, '\'' | '{' | '}' | '\\') {
                        return Err(self.error(&format!(
                            "illegal escape sequence '\\{escaped}' in string literal"
                        )));
                    }
                    self.pos += escaped.len_utf8();
                    value.push(escaped);
                    literal.push(escaped);
                }
                '{' if self.peek() == Some('}') => {
                    self.pos += 1;
                    value.push_str("{}");
                    pieces.push(TemplatePiece::Text(std::mem::take(&mut literal)));
                    pieces.push(TemplatePiece::Placeholder);
                }
                c => {
                    value.push(c);
                    literal.push(c);
                }
            }
        }
        if !literal.is_empty() {
            pieces.push(TemplatePiece::Text(literal));
        }
        Ok(Arg::String { value, pieces })
    }

    fn number(&mut self) -> Result<Arg, IntrinsicParseError> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
            .unwrap_or(rest.len());
        let token = &rest[..len];
        let number = if token.contains(['.', 'e', 'E']) {
            token
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(Number::from_f64)
        } else {
            token.parse::<i64>().ok().map(Number::from)
        };
        // Reject spellings Rust accepts but JSON does not ("1.", ".5" cannot start here, "+1").
        let well_formed = token.len() > usize::from(token.starts_with('-'))
            && !token.ends_with('.')
            && !token.contains(".e")
            && !token.contains(".E");
        match number {
            Some(n) if well_formed => {
                self.pos += len;
                Ok(Arg::Literal(Value::Number(n)))
            }
            _ => Err(self.error(&format!("malformed number '{token}'"))),
        }
    }

    fn path(&mut self) -> Result<Arg, IntrinsicParseError> {
        let rest = self.rest();
        let mut depth = 0usize;
        // Quoted names count only inside brackets; at top level a quote ends the path.
        let mut quotes = crate::jsonpath::Quotes::default();
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            if depth > 0 && quotes.feed(c) {
                continue;
            }
            match c {
                '[' | '(' => depth += 1,
                ']' | ')' if depth > 0 => depth -= 1,
                ',' | ')' => {
                    end = i;
                    break;
                }
                c if c.is_whitespace() && depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let text = &rest[..end];
        match Path::parse(text) {
            Ok(path) => {
                self.pos += end;
                Ok(Arg::Path(path))
            }
            Err(e) => Err(self.error(&format!("invalid path argument: {e}"))),
        }
    }
}
