//! Configuration comes from environment variables, each named once here; the
//! template, the local stack (`Cargo.toml` metadata and `dev`) and
//! `events/env.json` set the same names. A missing variable fails init with its name.

pub const USERS_TABLE: &str = "USERS_TABLE";
pub const PRODUCTS_TABLE: &str = "PRODUCTS_TABLE";
pub const CURSOR_SECRET: &str = "CURSOR_SECRET";
pub const ORDERS_TABLE: &str = "ORDERS_TABLE";
pub const ORDER_EXPIRY_SECONDS: &str = "ORDER_EXPIRY_SECONDS";
pub const PAYMENTS_TABLE: &str = "PAYMENTS_TABLE";
pub const PAYMENT_EVENTS_QUEUE_URL: &str = "PAYMENT_EVENTS_QUEUE_URL";
pub const PAYMENT_PROVIDER: &str = "PAYMENT_PROVIDER";
pub const PAYMENT_EVENT_GRACE_SECONDS: &str = "PAYMENT_EVENT_GRACE_SECONDS";
pub const NOTIFICATIONS_TABLE: &str = "NOTIFICATIONS_TABLE";
pub const SENDER_EMAIL: &str = "SENDER_EMAIL";
pub const IDEMPOTENCY_SECRET: &str = "IDEMPOTENCY_SECRET";
pub const IDEMPOTENCY_LOCK_SECONDS: &str = "IDEMPOTENCY_LOCK_SECONDS";
pub const JWT_PUBLIC_KEYS: &str = "JWT_PUBLIC_KEYS";
pub const JWT_SIGNING_KEY_SECRET: &str = "JWT_SIGNING_KEY_SECRET";
pub const JWT_ISSUER: &str = "JWT_ISSUER";
pub const JWT_AUDIENCE: &str = "JWT_AUDIENCE";
pub const LOGIN_BACKOFF_BASE_SECONDS: &str = "LOGIN_BACKOFF_BASE_SECONDS";
pub const LOGIN_BACKOFF_MAX_SECONDS: &str = "LOGIN_BACKOFF_MAX_SECONDS";
pub const LOGIN_MAX_FAILURES_PER_HOUR: &str = "LOGIN_MAX_FAILURES_PER_HOUR";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing environment variable {0}")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// An optional number with a default; a value that is set but not a number is an error.
pub fn number_or(name: &'static str, default: u64) -> Result<u64, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => {
            value.trim().parse().map_err(|_| ConfigError::Invalid {
                name,
                reason: format!("{value:?} is not a whole number"),
            })
        }
        _ => Ok(default),
    }
}
