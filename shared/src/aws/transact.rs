//! `TransactWriteItems` with a bounded retry of what is worth retrying.
//!
//! Retried: a transaction cancelled only because another transaction touched
//! the same items (`TransactionConflict`) or because of throttling, and the
//! throttling / transient service errors. Not retried: a failed condition
//! (that is an answer), validation errors, missing tables, anything else.
//! A client request token makes a retry after an ambiguous failure (the first
//! attempt applied, its answer was lost) succeed without applying twice.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
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

/// Whether a failed `TransactWriteItems` is worth trying again.
pub fn is_retryable(error: &SdkError<TransactWriteItemsError>) -> bool {
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ServiceError(_) => match error.as_service_error() {
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
            Some(TransactWriteItemsError::TransactionInProgressException(_))
            | Some(TransactWriteItemsError::ProvisionedThroughputExceededException(_))
            | Some(TransactWriteItemsError::RequestLimitExceeded(_))
            | Some(TransactWriteItemsError::InternalServerError(_)) => true,
            Some(other) => matches!(other.code(), Some("ThrottlingException")),
            None => false,
        },
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
