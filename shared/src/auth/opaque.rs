//! Opaque tokens: 256 random bits, given to their holder once and stored
//! only as their SHA-256, so a leaked table holds nothing that signs anyone
//! in, resets a password or verifies an address. Refresh tokens and the
//! single-use tokens mailed for verification and password reset are all one.

use secrecy::{ExposeSecret, SecretString};

/// 32 bytes in unpadded base64url.
const ENCODED_LEN: usize = 43;

/// A token as its holder has it. `Debug` redacts it.
#[derive(Debug, Clone)]
pub struct OpaqueToken(SecretString);

impl OpaqueToken {
    /// A fresh token from the system's CSPRNG.
    pub fn generate() -> Result<Self, crate::Error> {
        use base64::Engine;
        use ring::rand::{SecureRandom, SystemRandom};
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| crate::Error::internal("drawing a random token")("no randomness"))?;
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        Ok(Self(text.into()))
    }

    /// A token a client sent, if it has a token's shape; anything else can
    /// never match one, so it is refused the same way as an unknown one.
    pub fn parse(text: &str) -> Option<Self> {
        let shaped = text.len() == ENCODED_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        shaped.then(|| Self(text.to_owned().into()))
    }

    /// What the table stores and looks up: the SHA-256, in hex.
    pub fn digest(&self) -> String {
        sha256_hex(self.0.expose_secret().as_bytes())
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// SHA-256 in hex: how tokens, and names that must not be stored as they
/// are (an address in a rate limit's key), are kept.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_well_shaped_and_stored_as_digests() {
        let a = OpaqueToken::generate().unwrap();
        let b = OpaqueToken::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), ENCODED_LEN);
        let parsed = OpaqueToken::parse(a.expose()).unwrap();
        assert_eq!(parsed.digest(), a.digest());
        assert_eq!(a.digest().len(), 64);
        assert!(!format!("{a:?}").contains(a.expose()));
        for bad in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}=", &a.expose()[..42]),
        ] {
            assert!(OpaqueToken::parse(bad).is_none(), "{bad}");
        }
    }
}
