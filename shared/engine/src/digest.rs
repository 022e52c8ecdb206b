//! The hash algorithms `States.Hash` and JSONata's `$hash` accept.

use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

/// The names accepted, as AWS spells them.
pub const ALGORITHMS: &str = "MD5, SHA-1, SHA-256, SHA-384, SHA-512";

/// The lowercase hex digest of `data`, or `None` for an algorithm AWS does not accept.
pub fn hex_digest(algorithm: &str, data: &[u8]) -> Option<String> {
    let digest = match algorithm {
        "MD5" => Md5::digest(data).to_vec(),
        "SHA-1" => Sha1::digest(data).to_vec(),
        "SHA-256" => Sha256::digest(data).to_vec(),
        "SHA-384" => Sha384::digest(data).to_vec(),
        "SHA-512" => Sha512::digest(data).to_vec(),
        _ => return None,
    };
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}
