//! The local token keys, generated once into `.local/keys/`: `current` signs
//! (its private half goes into the emulator's Secrets Manager), `next` is only
//! in the public key set, as a key being rotated in would be.

use crate::{Result, fail, local_dir};
use shared::auth::SigningKey;
use shared::auth::token::{generate_key_pair, jwk_set};
use std::path::PathBuf;

pub struct LocalKeys {
    pub current: SigningKey,
    pub next: SigningKey,
    /// `JWT_PUBLIC_KEYS` for every verifier: both public keys.
    pub jwks: String,
    /// `CURSOR_SECRET`: 32 random bytes, base64.
    pub cursor_secret: String,
    /// `IDEMPOTENCY_SECRET`: 32 random bytes, base64.
    pub idempotency_secret: String,
}

/// A random secret kept in `dir/name`, generated once.
fn secret(dir: &std::path::Path, name: &str) -> Result<String> {
    use base64::Engine;
    let path = dir.join(name);
    if let Ok(text) = std::fs::read_to_string(&path)
        && text.trim().len() >= 32
    {
        return Ok(text.trim().to_owned());
    }
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| fail(format!("no randomness for {name}")))?;
    let secret = base64::engine::general_purpose::STANDARD.encode(bytes);
    std::fs::write(&path, &secret).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    Ok(secret)
}

pub fn dir() -> PathBuf {
    local_dir().join("keys")
}

pub fn ensure() -> Result<LocalKeys> {
    let dir = dir();
    let jwks_path = dir.join("jwks.json");
    let current_path = dir.join("current.json");
    let next_path = dir.join("next.json");
    let read = |path: &PathBuf| -> Option<SigningKey> {
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    };
    std::fs::create_dir_all(&dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
    let cursor_secret = secret(&dir, "cursor-secret")?;
    let idempotency_secret = secret(&dir, "idempotency-secret")?;
    if let (Some(current), Some(next), Ok(jwks)) = (
        read(&current_path),
        read(&next_path),
        std::fs::read_to_string(&jwks_path),
    ) {
        return Ok(LocalKeys {
            current,
            next,
            jwks,
            cursor_secret,
            idempotency_secret,
        });
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let (current, current_jwk) = generate_key_pair(&format!("local-{stamp}-a"))
        .map_err(|e| fail(format!("generating a key: {e}")))?;
    let (next, next_jwk) = generate_key_pair(&format!("local-{stamp}-b"))
        .map_err(|e| fail(format!("generating a key: {e}")))?;
    let jwks = jwk_set(&[current_jwk, next_jwk]);
    for (path, text) in [
        (&current_path, serde_json::to_string_pretty(&current)),
        (&next_path, serde_json::to_string_pretty(&next)),
    ] {
        let text = text.map_err(|e| fail(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| fail(format!("{}: {e}", path.display())))?;
        // Private keys: readable by their owner only.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| fail(format!("{}: {e}", path.display())))?;
    }
    std::fs::write(&jwks_path, &jwks).map_err(|e| fail(format!("{}: {e}", jwks_path.display())))?;
    println!(
        "  generated Ed25519 keys {} (signing) and {} (rotated in) in {}",
        current.kid,
        next.kid,
        dir.display()
    );
    Ok(LocalKeys {
        current,
        next,
        jwks,
        cursor_secret,
        idempotency_secret,
    })
}
