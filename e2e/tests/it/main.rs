//! The end-to-end tests, one module per area, in one test binary: each
//! binary links the AWS SDK, and one link is cheaper than one per file.

mod addresses;
mod concurrency;
mod contract;
mod notifications;
mod orders;
mod payments;
mod products;
mod schemathesis;
mod security;
mod storefront;
mod users;
