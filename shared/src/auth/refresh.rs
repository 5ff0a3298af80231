//! Refresh tokens: 256 random bits, given to the client once and stored only
//! as their SHA-256, so a leaked table holds nothing that signs anyone in.

use secrecy::{ExposeSecret, SecretString};

/// How long a refresh token lives (30 days); each rotation starts a new one.
pub const REFRESH_TOKEN_TTL_SECONDS: i64 = 30 * 24 * 3600;

/// 32 bytes in unpadded base64url.
const ENCODED_LEN: usize = 43;

/// A refresh token as the client holds it. `Debug` redacts it.
#[derive(Debug, Clone)]
pub struct RefreshToken(SecretString);

impl RefreshToken {
    /// A fresh token from the system's CSPRNG.
    pub fn generate() -> Result<Self, crate::Error> {
        use base64::Engine;
        use ring::rand::{SecureRandom, SystemRandom};
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| crate::Error::internal("drawing a refresh token")("no randomness"))?;
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
        let digest = ring::digest::digest(&ring::digest::SHA256, self.0.expose_secret().as_bytes());
        digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_well_shaped_and_stored_as_digests() {
        let a = RefreshToken::generate().unwrap();
        let b = RefreshToken::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), ENCODED_LEN);
        let parsed = RefreshToken::parse(a.expose()).unwrap();
        assert_eq!(parsed.digest(), a.digest());
        assert_eq!(a.digest().len(), 64);
        assert!(!format!("{a:?}").contains(a.expose()));
        for bad in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}=", &a.expose()[..42]),
        ] {
            assert!(RefreshToken::parse(bad).is_none(), "{bad}");
        }
    }
}
