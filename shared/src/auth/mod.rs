//! Password hashing (Argon2id), access tokens (EdDSA JWTs with `kid`) and
//! opaque tokens (random, stored as digests: refresh, verification and
//! password-reset tokens).

pub mod opaque;
pub mod password;
pub mod refresh;
pub mod token;

pub use opaque::OpaqueToken;
pub use password::PasswordHasher;
pub use refresh::RefreshToken;
pub use token::{Claims, SigningKey, TokenSigner, TokenVerifier};
