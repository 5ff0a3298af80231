//! `TransactWriteItems` with named items and one retry layer.
//!
//! A [`Transaction`] names its items, so a cancellation is read by name
//! (`cancelled.condition_failed(&Item::Order)`), never by position, and an
//! item built with `ReturnValuesOnConditionCheckFailure: ALL_OLD` explains
//! its own failure: the cancellation carries the item as it was stored.
//!
//! One retry layer for each error: retried here is only what the SDK's
//! standard retry does not retry, a transaction cancelled because another
//! transaction touched the same items (`TransactionConflict`, or a throttled
//! item inside it) and `TransactionInProgress`; throttling, 5xx answers,
//! timeouts and broken connections are the SDK's (3 attempts). So a write
//! cancelled by conflicts goes out at most `max_attempts` times, and one
//! throttled at most 3, instead of the product of both. Not retried at all: a
//! failed condition (that is an answer), validation errors, missing tables. A
//! client request token makes a retry after an ambiguous failure (the first
//! attempt applied, its answer was lost) succeed without applying twice.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, TransactWriteItem};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(15),
            max_delay: Duration::from_millis(500),
        }
    }
}

impl RetryPolicy {
    /// Full-jitter exponential back-off before attempt `attempt + 1`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        let jitter = u128::from(ulid::Ulid::new().random() as u64) % (ceiling.as_micros().max(1));
        Duration::from_micros(jitter as u64)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TransactError {
    /// The transaction was cancelled for these reasons, one per item, in order.
    #[error("transaction cancelled: {0:?}")]
    Cancelled(Vec<CancellationReason>),
    #[error("{0}")]
    Failed(#[source] Box<SdkError<TransactWriteItemsError>>),
}

const RETRYABLE_REASONS: [&str; 3] = [
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
];

/// Whether a failed `TransactWriteItems` is worth trying again here (the
/// SDK has already retried what it retries).
pub fn is_retryable(error: &SdkError<TransactWriteItemsError>) -> bool {
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => {
            let reasons = cancel.cancellation_reasons();
            let code = |r: &CancellationReason| r.code().unwrap_or("None").to_owned();
            reasons
                .iter()
                .any(|r| RETRYABLE_REASONS.contains(&code(r).as_str()))
                && reasons
                    .iter()
                    .all(|r| code(r) == "None" || RETRYABLE_REASONS.contains(&code(r).as_str()))
        }
        Some(TransactWriteItemsError::TransactionInProgressException(_)) => true,
        _ => false,
    }
}

/// Runs the transaction, retrying per `policy`. `token` (at most 36
/// characters) identifies the logical write across attempts.
pub async fn transact(
    client: &Client,
    items: Vec<TransactWriteItem>,
    token: Option<&str>,
    policy: &RetryPolicy,
) -> Result<(), TransactError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = client
            .transact_write_items()
            .set_transact_items(Some(items.clone()))
            .set_client_request_token(token.map(str::to_owned))
            .send()
            .await;
        let error = match result {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        if attempt < policy.max_attempts && is_retryable(&error) {
            tracing::debug!(attempt, error = %aws_sdk_dynamodb::error::DisplayErrorContext(&error), "retrying a transaction");
            tokio::time::sleep(policy.delay(attempt)).await;
            continue;
        }
        return Err(match error.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => {
                TransactError::Cancelled(cancel.cancellation_reasons().to_vec())
            }
            _ => TransactError::Failed(Box::new(error)),
        });
    }
}

/// Whether the `index`-th item of a cancelled transaction failed its condition.
pub fn condition_failed(reasons: &[CancellationReason], index: usize) -> bool {
    reasons.get(index).and_then(|r| r.code()) == Some("ConditionalCheckFailed")
}

/// Items to write all together or not at all, each under a name of `K`.
pub struct Transaction<K> {
    names: Vec<K>,
    items: Vec<TransactWriteItem>,
}

impl<K> Default for Transaction<K> {
    fn default() -> Self {
        Self {
            names: Vec::new(),
            items: Vec::new(),
        }
    }
}

/// Why a [`Transaction`] did not apply.
#[derive(Debug, thiserror::Error)]
pub enum TransactionError<K: std::fmt::Debug> {
    #[error("{0}")]
    Cancelled(Cancelled<K>),
    #[error("{0}")]
    Failed(#[source] TransactError),
}

/// A cancelled transaction: each item's name with its reason.
#[derive(Debug, thiserror::Error)]
#[error("transaction cancelled: {0:?}")]
pub struct Cancelled<K: std::fmt::Debug>(Vec<(K, CancellationReason)>);

impl<K: PartialEq + std::fmt::Debug> Cancelled<K> {
    /// Whether the item named `name` failed its condition.
    pub fn condition_failed(&self, name: &K) -> bool {
        self.0
            .iter()
            .any(|(n, r)| n == name && r.code() == Some("ConditionalCheckFailed"))
    }

    /// The items that failed their condition, each with the item as it was
    /// stored (for an item asking for `ALL_OLD`; `None` if there was none).
    pub fn failed_conditions(&self) -> impl Iterator<Item = (&K, Option<&Item>)> {
        self.0
            .iter()
            .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
            .map(|(n, r)| (n, r.item()))
    }

    /// Takes out of `lines` those whose item failed its condition (`line`
    /// gives the position an item's name stands for) and returns them: a
    /// transaction of one item per line can then run again without them.
    pub fn take_failed<T>(&self, lines: &mut Vec<T>, line: impl Fn(&K) -> Option<usize>) -> Vec<T> {
        let mut failed: Vec<usize> = self
            .failed_conditions()
            .filter_map(|(name, _)| line(name))
            .filter(|&i| i < lines.len())
            .collect();
        failed.sort_unstable();
        failed.dedup();
        failed.into_iter().rev().map(|i| lines.remove(i)).collect()
    }
}

type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

impl<K: std::fmt::Debug> Transaction<K> {
    pub fn add(&mut self, name: K, item: TransactWriteItem) -> &mut Self {
        self.names.push(name);
        self.items.push(item);
        self
    }

    /// Runs it per [`transact`]; a cancellation comes back with the names.
    pub async fn run(
        self,
        client: &Client,
        token: Option<&str>,
        policy: &RetryPolicy,
    ) -> Result<(), TransactionError<K>> {
        match transact(client, self.items, token, policy).await {
            Ok(()) => Ok(()),
            Err(TransactError::Cancelled(reasons)) => Err(TransactionError::Cancelled(Cancelled(
                self.names.into_iter().zip(reasons).collect(),
            ))),
            Err(error) => Err(TransactionError::Failed(error)),
        }
    }
}
