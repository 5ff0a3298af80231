//! Adapters that talk to AWS. Clients are built once per function instance,
//! from the standard environment: `AWS_ENDPOINT_URL_DYNAMODB` and friends point
//! them at the local emulators.

pub mod mailer;
pub mod notifications_table;
pub mod orders_table;
pub mod payments_table;
pub mod products_table;
pub mod queue;
pub mod secrets;
pub mod transact;
pub mod users_table;

pub use mailer::Mailer;
pub use notifications_table::NotificationsTable;
pub use orders_table::OrdersTable;
pub use payments_table::PaymentsTable;
pub use products_table::ProductsTable;
pub use queue::EventQueue;
pub use secrets::SigningKeyStore;
pub use users_table::UsersTable;

/// The SDK configuration from the environment (region, credentials,
/// endpoints), with timeouts: a dependency that stops answering fails the
/// request within the function's timeout instead of hanging it (an attempt
/// gets 3 s, retries included 8 s).
pub async fn sdk_config() -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(std::time::Duration::from_secs(3))
        .operation_timeout(std::time::Duration::from_secs(8))
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .load()
        .await
}
