//! Argon2id with the OWASP parameters of the contract (m=19456 KiB, t=2, p=1),
//! stored as a PHC string. Hashing is CPU work: it runs on the blocking pool.

use crate::Error;
use argon2::password_hash::{
    Output, ParamsString, PasswordHash, PasswordVerifier, Salt, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// A hash of a random password nobody knows, with the same parameters: verified
/// when a login names no account, so both paths do the same work.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$8CHdNTvWNxvPDMrwtb5JOw$9LMWBDYuzE7j9tgd7XadsMeFeyBzyP42Y4rmkTbGwhg";

#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    /// Argon2's 19 MiB of working memory, allocated on first use and reused.
    /// A fresh buffer per hash, freed on whichever blocking-pool thread ran
    /// it, left glibc holding one per thread: hundreds of MiB after a
    /// thousand logins.
    memory: Arc<Mutex<Vec<Block>>>,
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
            memory: Arc::new(Mutex::new(Vec::new())),
            verifications: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Argon2id of `password` with the raw `salt` into `out`, in the shared buffer.
    fn hash_into(&self, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
        // A poisoned lock only means another hash panicked; the buffer is
        // overwritten before it is read.
        let mut memory = self.memory.lock().unwrap_or_else(|e| e.into_inner());
        memory.resize(MEMORY_KIB as usize, Block::default());
        self.argon2
            .hash_password_into_with_memory(password, salt, out, memory.as_mut_slice())
    }

    /// Hashes on the current thread; prefer [`Self::hash`] in async code.
    pub fn hash_blocking(&self, password: &str) -> Result<String, Error> {
        let salt = SaltString::generate(&mut OsRng);
        let phc = (|| {
            let salt = salt.as_salt();
            let mut raw = [0u8; Salt::RECOMMENDED_LENGTH * 2];
            let raw = salt.decode_b64(&mut raw)?;
            let hash = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
                Ok(self.hash_into(password.as_bytes(), raw, out)?)
            })?;
            Ok::<_, argon2::password_hash::Error>(
                PasswordHash {
                    algorithm: Algorithm::Argon2id.ident(),
                    version: Some(Version::V0x13.into()),
                    params: ParamsString::try_from(self.argon2.params())?,
                    salt: Some(salt),
                    hash: Some(hash),
                }
                .to_string(),
            )
        })();
        phc.map_err(Error::internal("hashing a password"))
    }

    /// True when `password` matches the PHC string. A stored hash that does not
    /// parse counts as a mismatch (and is logged): it can never match.
    pub fn verify_blocking(&self, phc: &str, password: &str) -> bool {
        let parsed = match PasswordHash::new(phc) {
            Ok(parsed) => parsed,
            Err(error) => {
                tracing::error!(%error, "stored password hash does not parse");
                return false;
            }
        };
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let ours = parsed.algorithm == Algorithm::Argon2id.ident()
            && parsed.version == Some(Version::V0x13.into())
            && Params::try_from(&parsed).is_ok_and(|p| {
                let own = self.argon2.params();
                (p.m_cost(), p.t_cost(), p.p_cost()) == (own.m_cost(), own.t_cost(), own.p_cost())
                    && p.keyid().is_empty()
                    && p.data().is_empty()
            });
        match (ours, parsed.salt, parsed.hash) {
            (true, Some(salt), Some(expected)) => {
                let mut raw = [0u8; 64];
                let Ok(raw) = salt.decode_b64(&mut raw) else {
                    return false;
                };
                // `Output`'s equality is constant-time.
                Output::init_with(expected.len(), |out| {
                    Ok(self.hash_into(password.as_bytes(), raw, out)?)
                })
                .is_ok_and(|computed| computed == expected)
            }
            // Hashes made with other parameters verify the library's way.
            _ => self
                .argon2
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
        }
    }

    /// How many Argon2 verifications this hasher (and its clones) ran.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, Error> {
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || hasher.hash_blocking(password.expose_secret()))
            .await
            .map_err(Error::internal("joining the hashing task"))?
    }

    /// Verifies against `phc`, or against the dummy hash when there is no account.
    pub async fn verify(&self, phc: Option<String>, password: SecretString) -> Result<bool, Error> {
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || {
            let matched = hasher.verify_blocking(
                phc.as_deref().unwrap_or(DUMMY_HASH),
                password.expose_secret(),
            );
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
    fn verifies_in_one_reused_buffer_and_agrees_with_the_library() {
        use argon2::PasswordHasher as _;
        let hasher = PasswordHasher::new();
        // A hash the library made verifies through the shared buffer, and ours through the library.
        let salt = SaltString::generate(&mut OsRng);
        let theirs = hasher
            .argon2
            .hash_password(b"a long enough secret", &salt)
            .unwrap()
            .to_string();
        assert!(hasher.verify_blocking(&theirs, "a long enough secret"));
        assert!(!hasher.verify_blocking(&theirs, "a long enough secreT"));
        let ours = hasher.hash_blocking("a long enough secret").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            hasher
                .argon2
                .verify_password(b"a long enough secret", &parsed)
                .is_ok()
        );
        let buffer = hasher.memory.lock().unwrap();
        assert_eq!(buffer.len(), MEMORY_KIB as usize);
        assert_eq!(buffer.capacity(), MEMORY_KIB as usize, "allocated once");
    }

    #[test]
    fn hashes_with_other_parameters_still_verify() {
        use argon2::PasswordHasher as _;
        let weaker = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let phc = weaker
            .hash_password(b"old secret", &salt)
            .unwrap()
            .to_string();
        let hasher = PasswordHasher::new();
        assert!(hasher.verify_blocking(&phc, "old secret"));
        assert!(!hasher.verify_blocking(&phc, "old secreT"));
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
