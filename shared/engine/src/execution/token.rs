//! Task tokens that name their execution ([`super::Options::task_tokens_name_execution`]).
//!
//! `SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` carry nothing but the token, so
//! a service that keeps executions by ARN needs the ARN in the token. The token is URL-safe
//! base64 (no padding) of `<execution ARN>#<nonce>#<mac>`. The nonce, 128 bits from the
//! execution's generator, tells the task attempts of one execution apart; but that generator
//! also feeds `States.UUID`, `$uuid` and `$random`, so a workflow (or whoever sees its values)
//! could compute it. The mac makes the token unguessable all the same: 128 bits of
//! HMAC-SHA-256 of `<execution ARN>#<nonce>` under the process's token key ([`set_key`]), a
//! secret that is in no snapshot and no workflow value. The engine stays deterministic: the
//! same key, snapshot and event make the same token. Like AWS's, the token is opaque to
//! whoever holds it: only the engine's own service reads it.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The token key of this process, set once at start ([`set_key`]); none: an all-zero key
/// (local runs and tests, where nobody else holds tokens).
static KEY: OnceLock<[u8; 32]> = OnceLock::new();

/// Sets the process's token key (a deployment secret: every process that answers tokens must
/// have the same). Only the first call takes effect; returns whether it did.
pub fn set_key(secret: &[u8]) -> bool {
    use sha2::Digest as _;
    let key: [u8; 32] = Sha256::digest(secret).into();
    KEY.set(key).is_ok()
}

fn mac(text: &str) -> String {
    let key = KEY.get().copied().unwrap_or([0; 32]);
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&key) else {
        return String::new();
    };
    mac.update(text.as_bytes());
    let digest = mac.finalize().into_bytes();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The token of a task attempt of execution `execution_arn`.
pub(super) fn encode(execution_arn: &str, nonce: &str) -> String {
    let text = format!("{execution_arn}#{nonce}");
    let mac = mac(&text);
    URL_SAFE_NO_PAD.encode(format!("{text}#{mac}"))
}

/// The execution ARN a token names, or `None` if the text is not a token this process's key
/// made.
pub fn execution_of(token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (signed, tag) = text.rsplit_once('#')?;
    let (arn, nonce) = signed.rsplit_once('#')?;
    let valid_nonce = nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit());
    // Compared in full, not byte by byte to the first difference (no timing oracle).
    let expected = mac(signed);
    let same = expected.len() == tag.len()
        && expected
            .bytes()
            .zip(tag.bytes())
            .fold(0_u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    (arn.starts_with("arn:") && valid_nonce && same).then(|| arn.to_owned())
}

#[cfg(test)]
mod tests {
    use super::{encode, execution_of};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    const ARN: &str = "arn:aws:states:us-east-1:123456789012:express:approve:run-1";
    const NONCE: &str = "00112233445566778899aabbccddeeff";

    #[test]
    fn a_token_names_its_execution() {
        let token = encode(ARN, NONCE);
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(execution_of(&token).as_deref(), Some(ARN));
        assert_eq!(token, encode(ARN, NONCE), "deterministic under one key");
    }

    #[test]
    fn a_token_cannot_be_forged_from_its_nonce() {
        // Knowing the ARN and the nonce (the execution's generator is visible to workflows
        // through States.UUID) is not enough without the key.
        let forged = URL_SAFE_NO_PAD.encode(format!("{ARN}#{NONCE}#{}", "0".repeat(32)));
        assert_eq!(execution_of(&forged), None);
        let unsigned = URL_SAFE_NO_PAD.encode(format!("{ARN}#{NONCE}"));
        assert_eq!(execution_of(&unsigned), None);
        // Another execution's mac does not fit.
        let real = String::from_utf8(URL_SAFE_NO_PAD.decode(encode(ARN, NONCE)).unwrap()).unwrap();
        let mac = real.rsplit_once('#').unwrap().1;
        let moved = URL_SAFE_NO_PAD.encode(format!("{ARN}x#{NONCE}#{mac}"));
        assert_eq!(execution_of(&moved), None);
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
