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

/// One page of a query: its items, and the position after them when there
/// is more. Positions go through `serde_dynamo`, so cursors never carry
/// hand-built attribute maps.
pub(crate) async fn query_page(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    start: Option<crate::cursor::Position>,
    what: &'static str,
) -> Result<
    (
        Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>,
        Option<crate::cursor::Position>,
    ),
    crate::Error,
> {
    use crate::Error;
    let start = start
        .map(|p| serde_dynamo::to_item(p).map_err(Error::internal("writing a list position")))
        .transpose()?;
    let out = query
        .set_exclusive_start_key(start)
        .send()
        .await
        .map_err(Error::internal(what))?;
    let next = out
        .last_evaluated_key()
        .map(|k| {
            serde_dynamo::from_item(k.clone()).map_err(Error::internal("reading a list position"))
        })
        .transpose()?;
    Ok((out.items.unwrap_or_default(), next))
}
