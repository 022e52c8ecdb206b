//! Task tokens that name their execution ([`super::Options::task_tokens_name_execution`]).
//!
//! `SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` carry nothing but the token, so
//! a service that keeps executions by ARN needs the ARN in the token. The token is URL-safe
//! base64 (no padding) of `<execution ARN>#<nonce>`; the nonce, 128 bits from the execution's
//! generator, tells the task attempts of one execution apart. Like AWS's, the token is opaque
//! to whoever holds it: only the engine's own service reads it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The token of a task attempt of execution `execution_arn`.
pub(super) fn encode(execution_arn: &str, nonce: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{execution_arn}#{nonce}"))
}

/// The execution ARN a token names, or `None` if the text is not such a token.
pub fn execution_of(token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (arn, nonce) = text.rsplit_once('#')?;
    let valid_nonce = nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit());
    (arn.starts_with("arn:") && valid_nonce).then(|| arn.to_owned())
}

#[cfg(test)]
mod tests {
    use super::{encode, execution_of};

    const ARN: &str = "arn:aws:states:us-east-1:123456789012:express:approve:run-1";
    const NONCE: &str = "00112233445566778899aabbccddeeff";

    #[test]
    fn a_token_names_its_execution() {
        let token = encode(ARN, NONCE);
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(execution_of(&token).as_deref(), Some(ARN));
    }

    #[test]
    fn other_text_names_no_execution() {
        for text in [
            "",
            "not base64!",
            "run-1-00112233445566778899aabbccddeeff", // a local token
            &encode("not-an-arn", NONCE),
            &encode(ARN, "short"),
            &encode(ARN, "zz112233445566778899aabbccddeeff"),
        ] {
            assert_eq!(execution_of(text), None, "{text}");
        }
    }
}
