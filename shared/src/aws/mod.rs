//! Adapters that talk to AWS. Clients are built once per function instance,
//! from the standard environment (`sdk.rs`): `AWS_ENDPOINT_URL_DYNAMODB` and
//! friends point them at the local emulators.

pub mod carts;
pub mod idempotency_records;
pub mod mailer;
pub mod notifications_table;
pub mod orders_table;
pub mod outbox;
pub mod payments_table;
pub mod products_table;
pub mod queue;
pub mod rate_limits;
pub mod sdk;
pub mod secrets;
pub mod shipping_options;
pub mod simulated_charges;
pub mod transact;
pub mod users_table;

pub use carts::Carts;
pub use idempotency_records::IdempotencyStore;
pub use mailer::Mailer;
pub use notifications_table::NotificationsTable;
pub use orders_table::OrdersTable;
pub use payments_table::PaymentsTable;
pub use products_table::ProductsTable;
pub use queue::EventQueue;
pub use rate_limits::RateLimits;
pub use sdk::sdk_config;
pub use secrets::SigningKeyStore;
pub use shipping_options::ShippingOptions;
pub use simulated_charges::SimulatedCharges;
pub use users_table::UsersTable;

/// One page of a sparse index, newest first: the items whose `gsi1pk` is
/// `partition`, and the position after them when there is more. Positions go
/// through `serde_dynamo`, so cursors never carry hand-built attribute maps.
pub(crate) async fn newest_first(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    index: &str,
    partition: String,
    limit: i32,
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
    let out = client
        .query()
        .table_name(table)
        .index_name(index)
        .key_condition_expression("gsi1pk = :p")
        .expression_attribute_values(":p", aws_sdk_dynamodb::types::AttributeValue::S(partition))
        .scan_index_forward(false)
        .limit(limit)
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

/// A transaction's put of a new item (encoded with `serde_dynamo`), which
/// fails its condition if an item with that key is already stored.
pub(crate) fn put_new<T: serde::Serialize>(
    table: &str,
    value: &T,
) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, crate::Error> {
    use crate::Error;
    let item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
        serde_dynamo::to_item(value).map_err(Error::internal("encoding an item"))?;
    let put = aws_sdk_dynamodb::types::Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(Error::internal("building a put"))?;
    Ok(aws_sdk_dynamodb::types::TransactWriteItem::builder()
        .put(put)
        .build())
}

/// The outcome of a conditional write whose failed condition is an answer,
/// not an error: another writer got there first (a claim or lease taken
/// over, a flag already cleared), and it records its own outcome.
pub(crate) fn unless_condition_failed<T, E, R>(
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
    what: &'static str,
) -> Result<(), crate::Error>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    unless_refused(result, what).map(|_| ())
}

/// A conditional write's output, or `None` when its condition failed.
pub(crate) fn unless_refused<T, E, R>(
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
    what: &'static str,
) -> Result<Option<T>, crate::Error>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(out) => Ok(Some(out)),
        Err(err)
            if err.as_service_error().and_then(|e| e.code())
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(None)
        }
        Err(err) => Err(crate::Error::internal(what)(err)),
    }
}
