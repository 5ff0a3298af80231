//! Password hashing (Argon2id), access tokens (EdDSA JWTs with `kid`) and
//! refresh tokens (random, stored as digests).

pub mod password;
pub mod refresh;
pub mod token;

pub use password::PasswordHasher;
pub use refresh::RefreshToken;
pub use token::{Claims, SigningKey, TokenSigner, TokenVerifier};
