//! Everything the ferrocart functions share, in layers that only point inwards:
//!
//! - [`domain`]: types and rules, no I/O and no AWS types;
//! - [`users`], [`catalog`]: each service's use cases;
//! - [`auth`]: password hashing and access tokens;
//! - [`aws`]: adapters for DynamoDB and Secrets Manager;
//! - [`http`]: request parsing, bearer auth, handlers, and the one mapping from
//!   [`Error`] to a problem document.

pub mod auth;
pub mod aws;
pub mod catalog;
pub mod config;
pub mod cursor;
pub mod domain;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod notifications;
pub mod orders;
pub mod payments;
pub mod sweepers;
pub mod telemetry;
pub mod users;

pub use error::{Error, FieldError};
