//! The idempotency records of a service, in its own table: claim a key with
//! a conditional put, record an outcome inside the use case's transaction or
//! a refusal on its own, give a key up after a `5xx`. See [`crate::idempotency`].

use crate::Error;
use crate::idempotency::{
    Begin, Claim, Fingerprinter, IdempotencyKey, RETENTION_SECONDS, Recorded, Scope, StoredResponse,
};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    pk: String,
    sk: String,
    state: State,
    fingerprint: String,
    claim: String,
    locked_until: i64,
    created_epoch: i64,
    purge_at: i64,
    /// A refusal the HTTP layer recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<StoredResponse>,
    /// The outcome the use case recorded with its writes, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum State {
    InProgress,
    Completed,
}

/// What an existing, unexpired record that refused our claim means for a new
/// request with `fingerprint`.
fn decide(existing: &Record, fingerprint: &str) -> Begin {
    if existing.fingerprint != fingerprint {
        return Begin::Mismatch;
    }
    match (&existing.state, &existing.outcome, &existing.response) {
        (State::Completed, Some(outcome), _) => Begin::Replay(Recorded::Outcome(outcome.clone())),
        (State::Completed, None, Some(response)) => {
            Begin::Replay(Recorded::Refusal(response.clone()))
        }
        // Still locked, or just taken over by another retry.
        _ => Begin::InProgress,
    }
}

const SK: &str = "IDEMPOTENCY";

#[derive(Clone)]
pub struct IdempotencyStore {
    client: Client,
    table: String,
    fingerprints: Fingerprinter,
    lock_seconds: i64,
}

impl IdempotencyStore {
    /// `lock_seconds` is how long a claim holds: the function's timeout.
    pub fn new(
        client: Client,
        table: impl Into<String>,
        fingerprints: Fingerprinter,
        lock_seconds: i64,
    ) -> Self {
        Self {
            client,
            table: table.into(),
            fingerprints,
            lock_seconds,
        }
    }

    fn key(pk: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_owned(), AttributeValue::S(pk.to_owned())),
            ("sk".to_owned(), AttributeValue::S(SK.to_owned())),
        ])
    }

    /// Claims the key for this request, or says what to answer instead.
    pub async fn begin(
        &self,
        scope: &Scope<'_>,
        key: &IdempotencyKey,
        body: &[u8],
        now: i64,
    ) -> Result<Begin, Error> {
        let pk = format!(
            "IDEMPOTENCY#{}#{} {}#{}",
            scope.caller,
            scope.method,
            scope.route,
            key.as_str()
        );
        let fingerprint = self.fingerprints.fingerprint(body);
        let token = ulid::Ulid::new().to_string();
        let record = Record {
            pk: pk.clone(),
            sk: SK.into(),
            state: State::InProgress,
            fingerprint: fingerprint.clone(),
            claim: token.clone(),
            locked_until: now + self.lock_seconds,
            created_epoch: now,
            purge_at: now + RETENTION_SECONDS + 3600,
            response: None,
            outcome: None,
        };
        let item = serde_dynamo::to_item(&record)
            .map_err(Error::internal("encoding an idempotency record"))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR created_epoch <= :stale \
                 OR (#state = :in_progress AND locked_until <= :now AND fingerprint = :fp)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(
                ":stale",
                AttributeValue::N((now - RETENTION_SECONDS).to_string()),
            )
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":in_progress", AttributeValue::S("in_progress".into()))
            .expression_attribute_values(":fp", AttributeValue::S(fingerprint.clone()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Begin::Proceed(Claim { pk, token })),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let existing: Record = match failed.item() {
                        Some(item) => serde_dynamo::from_item(item.clone())
                            .map_err(Error::internal("decoding an idempotency record"))?,
                        None => return Ok(Begin::InProgress),
                    };
                    Ok(decide(&existing, &fingerprint))
                }
                _ => Err(Error::internal("claiming an idempotency key")(err)),
            },
        }
    }

    /// Completes the claim with `value` in `attribute` (`outcome` or `response`).
    fn completion(
        &self,
        claim: &Claim,
        attribute: &str,
        value: AttributeValue,
    ) -> Result<Update, Error> {
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(&claim.pk)))
            .update_expression("SET #state = :completed, #recorded = :recorded")
            .condition_expression("claim = :claim")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#recorded", attribute)
            .expression_attribute_values(":completed", AttributeValue::S("completed".into()))
            .expression_attribute_values(":recorded", value)
            .expression_attribute_values(":claim", AttributeValue::S(claim.token.clone()))
            .build()
            .map_err(Error::internal("building an idempotency update"))
    }

    /// Records the use case's outcome inside its own transaction; the
    /// transaction fails (at this item) if the claim was lost.
    pub fn complete_item<T: Serialize>(
        &self,
        claim: &Claim,
        outcome: &T,
    ) -> Result<TransactWriteItem, Error> {
        let json =
            serde_json::to_string(outcome).map_err(Error::internal("encoding an outcome"))?;
        Ok(TransactWriteItem::builder()
            .update(self.completion(claim, "outcome", AttributeValue::S(json))?)
            .build())
    }

    /// Records a refusal (such as `409`) as the problem it was answered with.
    pub async fn complete(&self, claim: &Claim, response: &StoredResponse) -> Result<(), Error> {
        let response = serde_dynamo::to_attribute_value(response)
            .map_err(Error::internal("encoding a stored response"))?;
        self.record(claim, "response", response).await
    }

    /// Records the use case's outcome on its own, for a use case whose
    /// writes are bound to the request some other way (a retry after a
    /// crash before this finds them and answers the same).
    pub async fn complete_outcome<T: Serialize>(
        &self,
        claim: &Claim,
        outcome: &T,
    ) -> Result<(), Error> {
        let json =
            serde_json::to_string(outcome).map_err(Error::internal("encoding an outcome"))?;
        self.record(claim, "outcome", AttributeValue::S(json)).await
    }

    async fn record(
        &self,
        claim: &Claim,
        attribute: &str,
        value: AttributeValue,
    ) -> Result<(), Error> {
        let update = self.completion(claim, attribute, value)?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(update.key))
            .update_expression(update.update_expression)
            .set_condition_expression(update.condition_expression)
            .set_expression_attribute_names(update.expression_attribute_names)
            .set_expression_attribute_values(update.expression_attribute_values)
            .send()
            .await;
        // Our claim was taken over; the other request records its own answer.
        super::unless_condition_failed(result, "recording an idempotent answer")
    }

    /// Gives the key up after a failure nobody should see replayed (a `5xx`),
    /// so a retry can run at once.
    pub async fn abandon(&self, claim: &Claim) -> Result<(), Error> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&claim.pk)))
            .condition_expression("claim = :claim AND #state = :in_progress")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":claim", AttributeValue::S(claim.token.clone()))
            .expression_attribute_values(":in_progress", AttributeValue::S("in_progress".into()))
            .send()
            .await;
        super::unless_condition_failed(result, "releasing an idempotency key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fp: &str, state: State, response: Option<StoredResponse>) -> Record {
        Record {
            pk: "p".into(),
            sk: SK.into(),
            state,
            fingerprint: fp.into(),
            claim: "c".into(),
            locked_until: 100,
            created_epoch: 0,
            purge_at: 0,
            response,
            outcome: None,
        }
    }

    #[test]
    fn decisions() {
        let done = StoredResponse {
            status: 201,
            body: "{}".into(),
            content_type: "application/json".into(),
            location: None,
        };
        assert!(matches!(
            decide(&record("x", State::Completed, Some(done.clone())), "y"),
            Begin::Mismatch
        ));
        assert!(matches!(
            decide(&record("x", State::InProgress, None), "y"),
            Begin::Mismatch
        ));
        match decide(&record("x", State::Completed, Some(done.clone())), "x") {
            Begin::Replay(r) => assert_eq!(r, Recorded::Refusal(done)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decide(&record("x", State::InProgress, None), "x"),
            Begin::InProgress
        ));
        let mut paid = record("x", State::Completed, None);
        paid.outcome = Some("{}".into());
        match decide(&paid, "x") {
            Begin::Replay(r) => assert_eq!(r, Recorded::Outcome("{}".into())),
            other => panic!("{other:?}"),
        }
    }
}
