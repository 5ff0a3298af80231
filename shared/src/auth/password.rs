//! Argon2id with the OWASP parameters of the contract (m=19456 KiB, t=2, p=1),
//! stored as a PHC string. Hashing is CPU work: it runs on the blocking pool.

use crate::Error;
use argon2::password_hash::{PasswordHash, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// A hash of a random password nobody knows, with the same parameters: verified
/// when a login names no account, so both paths do the same work.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$8CHdNTvWNxvPDMrwtb5JOw$9LMWBDYuzE7j9tgd7XadsMeFeyBzyP42Y4rmkTbGwhg";

#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    /// Argon2 verifications run so far (clones share it): shows that a login
    /// naming no account still pays for one.
    verifications: Arc<AtomicU64>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordHasher {
    pub fn new() -> Self {
        let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
            .expect("constant Argon2 parameters are valid");
        Self {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            verifications: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Hashes on the current thread; prefer [`Self::hash`] in async code.
    pub fn hash_blocking(&self, password: &str) -> Result<String, Error> {
        use argon2::PasswordHasher as _;
        let salt = SaltString::generate(&mut OsRng);
        self.argon2
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(Error::internal("hashing a password"))
    }

    /// True when `password` matches the PHC string. A stored hash that does not
    /// parse counts as a mismatch (and is logged): it can never match.
    pub fn verify_blocking(&self, phc: &str, password: &str) -> bool {
        match PasswordHash::new(phc) {
            Ok(parsed) => {
                self.verifications.fetch_add(1, Ordering::Relaxed);
                self.argon2
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            }
            Err(error) => {
                tracing::error!(%error, "stored password hash does not parse");
                false
            }
        }
    }

    /// How many Argon2 verifications this hasher (and its clones) ran.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    pub async fn hash(&self, password: String) -> Result<String, Error> {
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || hasher.hash_blocking(&password))
            .await
            .map_err(Error::internal("joining the hashing task"))?
    }

    /// Verifies against `phc`, or against the dummy hash when there is no account.
    pub async fn verify(&self, phc: Option<String>, password: String) -> Result<bool, Error> {
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || {
            let matched = hasher.verify_blocking(phc.as_deref().unwrap_or(DUMMY_HASH), &password);
            matched && phc.is_some()
        })
        .await
        .map_err(Error::internal("joining the verification task"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_as_argon2id_phc_with_contract_parameters() {
        let hasher = PasswordHasher::new();
        let phc = hasher.hash_blocking("a long enough secret").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(hasher.verify_blocking(&phc, "a long enough secret"));
        assert!(!hasher.verify_blocking(&phc, "a long enough secreT"));
    }

    #[test]
    fn salts_differ() {
        let hasher = PasswordHasher::new();
        assert_ne!(
            hasher.hash_blocking("same password").unwrap(),
            hasher.hash_blocking("same password").unwrap()
        );
    }

    #[test]
    fn dummy_hash_has_the_same_parameters_and_parses() {
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[tokio::test]
    async fn no_account_never_verifies_but_still_runs_argon2() {
        let hasher = PasswordHasher::new();
        assert!(!hasher.verify(None, "anything".into()).await.unwrap());
        assert_eq!(hasher.verifications(), 1, "the dummy hash was verified");
    }

    #[test]
    fn garbage_hash_is_a_mismatch() {
        assert!(!PasswordHasher::new().verify_blocking("not a phc string", "x"));
    }
}
