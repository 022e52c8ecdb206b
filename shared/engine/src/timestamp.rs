//! Timestamps as ASL writes them: RFC 3339 with a `T` and an explicit offset.

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch, or `None` if `text` is not an RFC 3339 timestamp with an
/// uppercase `T` separator and an explicit `Z` or offset (what AWS accepts in `Timestamp`).
pub fn parse_millis(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes.get(10) != Some(&b'T') {
        return None;
    }
    let last = *bytes.last()?;
    let has_offset = last == b'Z' || {
        let n = bytes.len();
        n > 6 && matches!(bytes[n - 6], b'+' | b'-') && bytes[n - 3] == b':'
    };
    if !has_offset {
        return None;
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc).timestamp_millis())
}

/// Formats epoch milliseconds as AWS prints times in the context object: `2024-01-02T03:04:05.678Z`.
pub fn format_millis(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_aws_accepts() {
        assert_eq!(
            parse_millis("2016-03-14T01:59:00Z"),
            Some(1_457_920_740_000)
        );
        assert_eq!(
            parse_millis("2016-03-14T01:59:00.123456789Z"),
            Some(1_457_920_740_123)
        );
        assert_eq!(
            parse_millis("2016-03-14T02:59:00+01:00"),
            Some(1_457_920_740_000)
        );
        for bad in [
            "2016-12-05T21:29:29",
            "2016-12-05 21:29:29Z",
            "05-12-2016T21:29:29Z",
            "2016-12-05T25:29:29Z",
            "2016-13-05T21:29:29Z",
            "",
        ] {
            assert_eq!(parse_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_with_millis() {
        assert_eq!(format_millis(1_457_920_740_123), "2016-03-14T01:59:00.123Z");
    }
}
