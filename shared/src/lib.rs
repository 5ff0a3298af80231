//! Everything the ferrocart functions share, in layers that only point inwards:
//!
//! - [`domain`]: types and rules, no I/O and no AWS types; every value type
//!   is made by its `parse`, so an invalid one cannot exist;
//! - the use cases, one module per service: [`users`], [`addresses`], [`catalog`], [`cart`],
//!   [`orders`], [`fulfilment`], [`payments`], [`refunds`], [`shipping`], [`notifications`], and the scheduled
//!   [`sweepers`];
//! - [`auth`]: password hashing and access tokens; [`cursor`] and
//!   [`idempotency`]: list cursors and `Idempotency-Key` values;
//! - [`aws`]: the adapters for DynamoDB, SQS, SES and Secrets Manager;
//! - [`wiring`]: the one place that reads the environment and builds the
//!   clients, one struct per service, built once in each function's `main`;
//! - [`http`]: parses requests into a handler's input (a checked
//!   [`http::Caller`] among them), renders answers, and maps every [`Error`]
//!   to its problem document, each in one place;
//! - [`telemetry`]: JSON logs; [`fault`]: the tests' crash points.

pub mod addresses;
pub mod auth;
pub mod aws;
pub mod cart;
pub mod catalog;
pub mod cursor;
#[macro_use]
pub mod domain;
pub mod error;
pub mod fault;
pub mod fulfilment;
pub mod http;
pub mod idempotency;
pub mod notifications;
pub mod orders;
pub mod payments;
pub mod refunds;
pub mod shipping;
pub mod storefront;
pub mod sweepers;
pub mod telemetry;
pub mod users;
pub mod wiring;

pub use error::{Error, FieldError};
