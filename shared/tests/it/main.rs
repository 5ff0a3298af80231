//! The crate's integration tests, one binary (each test binary links the
//! AWS SDK). Most run against the local stack that `make test` starts.

mod addresses;
mod common;
mod handlers;
mod notification_handlers;
mod order_handlers;
mod orders;
mod payments;
mod product_handlers;
mod products_table;
mod refunds;
mod storefront_handlers;
mod transact_retry;
mod users;
mod users_table;
mod verification;
