//! The transaction retry policy, proven with injected faults (DynamoDB Local
//! never throttles nor conflicts on demand): which errors are retried, how
//! often, and that the others are not.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::types::CancellationReason;
use aws_sdk_dynamodb::types::error::{
    InternalServerError, ProvisionedThroughputExceededException, ResourceNotFoundException,
    ThrottlingException, TransactionCanceledException, TransactionInProgressException,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use shared::aws::transact::{RetryPolicy, TransactError, transact};
use std::time::Duration;

const FAST: RetryPolicy = RetryPolicy {
    max_attempts: 4,
    base_delay: Duration::from_millis(1),
    max_delay: Duration::from_millis(2),
};

fn cancelled(codes: &[&str]) -> TransactWriteItemsError {
    TransactWriteItemsError::TransactionCanceledException(
        TransactionCanceledException::builder()
            .set_cancellation_reasons(Some(
                codes
                    .iter()
                    .map(|c| CancellationReason::builder().code(*c).build())
                    .collect(),
            ))
            .build(),
    )
}

/// Runs one transaction against a client whose first `failures` calls fail
/// with `error` and whose next call succeeds; returns the outcome and the
/// number of calls made. The SDK's own retries are off, so every call counted
/// is ours.
async fn run(
    error: fn() -> TransactWriteItemsError,
    failures: usize,
) -> (Result<(), TransactError>, usize) {
    run_with(error, failures, RetryConfig::disabled()).await
}

/// [`run`] with the SDK's standard retry on (3 attempts, as in
/// `shared::aws::sdk`), its back-off shortened.
async fn run_with_sdk_retries(
    error: fn() -> TransactWriteItemsError,
    failures: usize,
) -> (Result<(), TransactError>, usize) {
    let retry = RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(2));
    run_with(error, failures, retry).await
}

async fn run_with(
    error: fn() -> TransactWriteItemsError,
    failures: usize,
    retry: RetryConfig,
) -> (Result<(), TransactError>, usize) {
    let rule = mock!(Client::transact_write_items)
        .sequence()
        .error(error)
        .times(failures)
        .output(|| TransactWriteItemsOutput::builder().build())
        .build();
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&rule], |c| c
        .retry_config(retry.clone()));
    let result = transact(&client, Vec::new(), Some("token"), &FAST).await;
    (result, rule.num_calls())
}

#[tokio::test]
async fn transaction_conflicts_are_retried_until_they_clear() {
    let (result, calls) = run(|| cancelled(&["None", "TransactionConflict"]), 3).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(calls, 4);
}

#[tokio::test]
async fn throttled_items_and_transactions_in_progress_are_retried() {
    let errors: [fn() -> TransactWriteItemsError; 3] = [
        || cancelled(&["ThrottlingError", "None"]),
        || cancelled(&["ProvisionedThroughputExceeded"]),
        || {
            TransactWriteItemsError::TransactionInProgressException(
                TransactionInProgressException::builder().build(),
            )
        },
    ];
    for error in errors {
        let (result, calls) = run(error, 2).await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(calls, 3);
    }
}

fn coded<B>(code: &str, build: impl FnOnce(ErrorMetadata) -> B) -> B {
    build(ErrorMetadata::builder().code(code).build())
}

/// Throttling and 5xx errors are the SDK's to retry: `transact` does not
/// retry them again, so one write cannot go out attempts × attempts times.
#[tokio::test]
async fn throttling_and_transient_errors_are_left_to_the_sdk() {
    let errors: [fn() -> TransactWriteItemsError; 2] = [
        || {
            TransactWriteItemsError::ProvisionedThroughputExceededException(coded(
                "ProvisionedThroughputExceededException",
                |m| {
                    ProvisionedThroughputExceededException::builder()
                        .meta(m)
                        .build()
                },
            ))
        },
        || {
            TransactWriteItemsError::ThrottlingException(coded("ThrottlingException", |m| {
                ThrottlingException::builder().meta(m).build()
            }))
        },
    ];
    for error in errors {
        // Without the SDK's retries: one call, the error is the answer.
        let (result, calls) = run(error, 2).await;
        assert!(result.is_err());
        assert_eq!(calls, 1, "{result:?}");
        // With them, as the functions are configured: the SDK retries.
        let (result, calls) = run_with_sdk_retries(error, 2).await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(calls, 3);
    }
    let (result, calls) = run(
        || TransactWriteItemsError::InternalServerError(InternalServerError::builder().build()),
        1,
    )
    .await;
    assert!(result.is_err());
    assert_eq!(calls, 1, "{result:?}");
}

#[tokio::test]
async fn retries_are_bounded() {
    let (result, calls) = run(|| cancelled(&["TransactionConflict"]), 10).await;
    assert!(
        matches!(result, Err(TransactError::Cancelled(_))),
        "{result:?}"
    );
    assert_eq!(calls, FAST.max_attempts as usize);
    // The SDK does not retry a cancellation: the bound holds with its retries on.
    let (_, calls) = run_with_sdk_retries(|| cancelled(&["TransactionConflict"]), 10).await;
    assert_eq!(calls, FAST.max_attempts as usize);
}

#[tokio::test]
async fn failed_conditions_and_other_errors_are_not_retried() {
    let errors: [fn() -> TransactWriteItemsError; 3] = [
        || cancelled(&["None", "ConditionalCheckFailed"]),
        // A conflict next to a failed condition: the condition is the answer.
        || cancelled(&["TransactionConflict", "ConditionalCheckFailed"]),
        || {
            TransactWriteItemsError::ResourceNotFoundException(
                ResourceNotFoundException::builder().build(),
            )
        },
    ];
    for error in errors {
        let (result, calls) = run(error, 1).await;
        assert!(result.is_err());
        assert_eq!(calls, 1, "{result:?}");
    }
    let (result, _) = run(|| cancelled(&["None", "ConditionalCheckFailed"]), 1).await;
    match result {
        Err(TransactError::Cancelled(reasons)) => {
            assert!(shared::aws::transact::condition_failed(&reasons, 1));
            assert!(!shared::aws::transact::condition_failed(&reasons, 0));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn backoff_is_jittered_and_capped() {
    let policy = RetryPolicy::default();
    for attempt in 1..20 {
        assert!(policy.delay(attempt) <= policy.max_delay);
    }
}
