//! `maxResults` and `nextToken` as Step Functions' list operations take them: at most
//! `maxResults` items a page (0 or absent: the default), and an opaque token that names where
//! the next page starts.

use std::ops::Range;

use serde_json::Value;

use super::fault::Fault;

/// Step Functions' default and largest page.
pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 1000;
const TOKEN_PREFIX: &str = "qs1.";
/// The prefix of a token that carries a store's cursor (lists read from the store).
const CURSOR_PREFIX: &str = "qs2.";

#[derive(Debug, Clone, PartialEq)]
pub struct Paging {
    size: usize,
    start: usize,
}

/// Which items a page holds, and the token of the next one.
pub struct Page {
    pub range: Range<usize>,
    pub next_token: Option<String>,
}

/// A page of a list read from the store: its size, and the store's cursor it starts after.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub size: usize,
    pub after: Option<String>,
}

impl Cursor {
    /// Reads `maxResults` and `nextToken` from a request.
    pub fn of(request: &Value) -> Result<Self, Fault> {
        let size = page_size(request)?;
        let after = match request.get("nextToken") {
            None | Some(Value::Null) => None,
            Some(Value::String(token)) => Some(
                token
                    .strip_prefix(CURSOR_PREFIX)
                    .filter(|cursor| !cursor.is_empty())
                    .ok_or_else(|| invalid_token(token))?
                    .to_owned(),
            ),
            Some(other) => return Err(invalid_token(&other.to_string())),
        };
        Ok(Self { size, after })
    }

    /// The `nextToken` of the page that starts after the store's cursor `next`.
    pub fn token(next: Option<&str>) -> Option<String> {
        next.map(|cursor| format!("{CURSOR_PREFIX}{cursor}"))
    }
}

/// `maxResults`: 0 or absent is the default.
fn page_size(request: &Value) -> Result<usize, Fault> {
    let size = match request.get("maxResults") {
        None | Some(Value::Null) => DEFAULT_PAGE,
        Some(value) => match value.as_u64() {
            Some(0) => DEFAULT_PAGE,
            Some(n) if n <= MAX_PAGE as u64 => usize::try_from(n).unwrap_or(MAX_PAGE),
            _ => {
                return Err(Fault::validation(format!(
                    "1 validation error detected: Value '{value}' at 'maxResults' failed to \
                     satisfy constraint: Member must have value less than or equal to {MAX_PAGE}"
                )))
            }
        },
    };
    Ok(size)
}

impl Paging {
    /// Reads `maxResults` and `nextToken` from a request.
    pub fn of(request: &Value) -> Result<Self, Fault> {
        let size = page_size(request)?;
        let start = match request.get("nextToken") {
            None | Some(Value::Null) => 0,
            Some(Value::String(token)) => decode(token)?,
            Some(other) => return Err(invalid_token(&other.to_string())),
        };
        Ok(Self { size, start })
    }

    #[cfg(test)]
    pub fn first(size: usize) -> Self {
        Self { size, start: 0 }
    }

    #[cfg(test)]
    pub fn after(size: usize, token: &str) -> Self {
        Self {
            size,
            start: decode(token).unwrap_or(usize::MAX),
        }
    }

    /// The page of a list of `len` items.
    pub fn page(&self, len: usize) -> Result<Page, Fault> {
        if self.start > len {
            return Err(invalid_token("the token is past the end of the list"));
        }
        let end = self.start.saturating_add(self.size).min(len);
        Ok(Page {
            range: self.start..end,
            next_token: (end < len).then(|| format!("{TOKEN_PREFIX}{end}")),
        })
    }
}

fn decode(token: &str) -> Result<usize, Fault> {
    token
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| invalid_token(token))
}

pub fn invalid_token(token: &str) -> Fault {
    Fault::client("InvalidToken", format!("Invalid Token: '{token}'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_and_tokens() {
        let paging = Paging::of(&json!({"maxResults": 2})).unwrap();
        let page = paging.page(5).unwrap();
        assert_eq!(page.range, 0..2);
        let token = page.next_token.unwrap();
        let next = Paging::of(&json!({"maxResults": 2, "nextToken": token})).unwrap();
        assert_eq!(next.page(5).unwrap().range, 2..4);
        assert_eq!(Paging::of(&json!({})).unwrap().page(5).unwrap().range, 0..5);
        assert_eq!(
            Paging::of(&json!({"maxResults": 1001})).map_err(|f| f.name()),
            Err("ValidationException")
        );
        assert_eq!(
            Paging::of(&json!({"nextToken": "nope"})).map_err(|f| f.name()),
            Err("InvalidToken")
        );
    }

    #[test]
    fn cursor_tokens_carry_the_stores_cursor() {
        let token = Cursor::token(Some("order#2")).unwrap();
        let cursor = Cursor::of(&json!({"maxResults": 3, "nextToken": token})).unwrap();
        assert_eq!(
            cursor,
            Cursor {
                size: 3,
                after: Some("order#2".into())
            }
        );
        assert_eq!(
            Cursor::of(&json!({})).unwrap(),
            Cursor {
                size: DEFAULT_PAGE,
                after: None
            }
        );
        for bad in [json!("qs1.4"), json!("qs2."), json!(7)] {
            assert_eq!(
                Cursor::of(&json!({"nextToken": bad})).map_err(|f| f.name()),
                Err("InvalidToken")
            );
        }
        assert_eq!(Cursor::token(None), None);
    }
}
