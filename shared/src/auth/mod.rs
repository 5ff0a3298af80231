//! Password hashing (Argon2id) and access tokens (EdDSA JWTs with `kid`).

pub mod password;
pub mod token;

pub use password::PasswordHasher;
pub use token::{Claims, SigningKey, TokenSigner, TokenVerifier};
