//! `Idempotency-Key`, as API.md's Conventions describe it, for any service
//! that keeps the records in its own table (orders, payments).
//!
//! A key is scoped to caller + method + route. The first request claims it
//! with a conditional put (`in_progress`, with a lock that lasts as long as
//! the function may run), does its work, and stores its answer: inside the
//! same transaction as its writes where it has one ([`IdempotencyStore::complete_item`]),
//! so an order is never made without its answer being recorded. A retry with
//! the same body gets that answer again; with another body, `422`; while the
//! first still runs, `409`. A claim whose lock ran out (its function died) can
//! be taken again. Records are kept 24 hours, judged from their stored
//! timestamp; DynamoDB TTL only cleans them up.

use crate::Error;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::hmac;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
pub const RETENTION_SECONDS: i64 = 24 * 3600;
pub const KEY_MAX: usize = 255;

/// 1–255 visible ASCII characters, as a client's UUID or ULID would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.len() > KEY_MAX || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("must be 1 to {KEY_MAX} visible ASCII characters"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Keyed HMAC of a request body: bodies can hold secrets, so never a plain hash.
#[derive(Clone)]
pub struct Fingerprinter(hmac::Key);

impl Fingerprinter {
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err("the idempotency secret must be at least 32 bytes".into());
        }
        Ok(Self(hmac::Key::new(hmac::HMAC_SHA256, secret)))
    }

    pub fn fingerprint(&self, body: &[u8]) -> String {
        B64.encode(hmac::sign(&self.0, body).as_ref())
    }
}

/// What a key is scoped to.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub caller: &'a str,
    pub method: &'a str,
    pub route: &'a str,
}

/// An answer as it was sent, to send again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    pub content_type: String,
    pub location: Option<String>,
}

/// The right to run the request for a key.
#[derive(Debug, Clone)]
pub struct Claim {
    pk: String,
    token: String,
}

impl Claim {
    /// Identifies the claimed request across retries (36 characters at most).
    pub fn token(&self) -> &str {
        &self.token
    }
}

#[derive(Debug)]
pub enum Begin {
    Proceed(Claim),
    Replay(StoredResponse),
    InProgress,
    Mismatch,
}

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<StoredResponse>,
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
    match (&existing.state, &existing.response) {
        (State::Completed, Some(response)) => Begin::Replay(response.clone()),
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

    fn completion(&self, claim: &Claim, response: &StoredResponse) -> Result<Update, Error> {
        let response = serde_dynamo::to_attribute_value(response)
            .map_err(Error::internal("encoding a stored response"))?;
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(&claim.pk)))
            .update_expression("SET #state = :completed, #response = :response")
            .condition_expression("claim = :claim")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":completed", AttributeValue::S("completed".into()))
            .expression_attribute_values(":response", response)
            .expression_attribute_values(":claim", AttributeValue::S(claim.token.clone()))
            .build()
            .map_err(Error::internal("building an idempotency update"))
    }

    /// Records the answer inside the caller's transaction; the transaction
    /// fails (at this item) if the claim was lost.
    pub fn complete_item(
        &self,
        claim: &Claim,
        response: &StoredResponse,
    ) -> Result<TransactWriteItem, Error> {
        Ok(TransactWriteItem::builder()
            .update(self.completion(claim, response)?)
            .build())
    }

    /// Records an answer that wrote nothing else (a refusal such as `409`).
    pub async fn complete(&self, claim: &Claim, response: &StoredResponse) -> Result<(), Error> {
        let update = self.completion(claim, response)?;
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
        match result {
            Ok(_) => Ok(()),
            // Our claim was taken over; the other request records its own answer.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(Error::internal("recording an idempotent answer")(err)),
        }
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
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(Error::internal("releasing an idempotency key")(err)),
        }
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
        }
    }

    #[test]
    fn keys() {
        assert!(IdempotencyKey::parse("0f8fad5b-d9cb-469f-a165-70867728950e").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", "with space", "tab\t", "é", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fingerprints_are_keyed() {
        let a = Fingerprinter::new(&[1; 32]).unwrap();
        let b = Fingerprinter::new(&[2; 32]).unwrap();
        assert_eq!(a.fingerprint(b"{}"), a.fingerprint(b"{}"));
        assert_ne!(a.fingerprint(b"{}"), a.fingerprint(b"{ }"));
        assert_ne!(a.fingerprint(b"{}"), b.fingerprint(b"{}"));
        assert!(Fingerprinter::new(b"short").is_err());
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
            Begin::Replay(r) => assert_eq!(r, done),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decide(&record("x", State::InProgress, None), "x"),
            Begin::InProgress
        ));
    }
}
