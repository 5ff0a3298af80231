//! `Idempotency-Key`: the values of the flow (see `docs/api.md`); the
//! records live in each service's own table ([`crate::aws::IdempotencyStore`]).
//!
//! A key is scoped to caller + method + route. The flow runs one way: the
//! HTTP layer claims the key (`in_progress`, locked as long as the function
//! may run) and hands the use case a [`Claim`]; the use case records its
//! outcome (the created order, the payment or its decline) in the same
//! transaction as its writes, so an order is never made without its record;
//! the HTTP layer renders that outcome, the first time and on every replay,
//! with one function, and itself records only the refusals it rendered. A
//! retry with the same body gets the same answer; with another body, `422`;
//! while the first still runs, `409`. A claim whose lock ran out (its
//! function died) can be taken again. Records are kept 24 hours, judged from
//! their stored timestamp; DynamoDB TTL only cleans them up.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::hmac;
use serde::{Deserialize, Serialize};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
pub const RETENTION_SECONDS: i64 = 24 * 3600;
pub const KEY_MAX: usize = 255;

/// 1–255 visible ASCII characters, as a client's UUID or ULID would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);
newtype!(text IdempotencyKey);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.len() > KEY_MAX || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("must be 1 to {KEY_MAX} visible ASCII characters"));
        }
        Ok(Self(text.to_owned()))
    }
}

/// Keyed HMAC of a request body: bodies can hold secrets, so never a plain hash.
#[derive(Clone)]
pub struct Fingerprinter(hmac::Key);

impl Fingerprinter {
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err("the idempotency secret must be at least 32 bytes".into());
        }
        Ok(Self(hmac::Key::new(hmac::HMAC_SHA256, secret)))
    }

    pub fn fingerprint(&self, body: &[u8]) -> String {
        B64.encode(hmac::sign(&self.0, body).as_ref())
    }
}

/// What a key is scoped to.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub caller: &'a str,
    pub method: &'a str,
    pub route: &'a str,
}

/// An answer as it was sent, to send again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    pub content_type: String,
    pub location: Option<String>,
}

/// The right to run the request for a key.
#[derive(Debug, Clone)]
pub struct Claim {
    pub(crate) pk: String,
    pub(crate) token: String,
}

impl Claim {
    /// Identifies the claimed request across retries (36 characters at most).
    pub fn token(&self) -> &str {
        &self.token
    }
}

#[derive(Debug)]
pub enum Begin {
    Proceed(Claim),
    Replay(Recorded),
    InProgress,
    Mismatch,
}

/// What a completed request recorded, to answer again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The use case's outcome, as JSON: rendered again like the first time.
    Outcome(String),
    /// A refusal, as the problem document it was answered with.
    Refusal(StoredResponse),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(IdempotencyKey::parse("0f8fad5b-d9cb-469f-a165-70867728950e").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", "with space", "tab\t", "é", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fingerprints_are_keyed() {
        let a = Fingerprinter::new(&[1; 32]).unwrap();
        let b = Fingerprinter::new(&[2; 32]).unwrap();
        assert_eq!(a.fingerprint(b"{}"), a.fingerprint(b"{}"));
        assert_ne!(a.fingerprint(b"{}"), a.fingerprint(b"{ }"));
        assert_ne!(a.fingerprint(b"{}"), b.fingerprint(b"{}"));
        assert!(Fingerprinter::new(b"short").is_err());
    }
}
