//! The payment simulator's memory, kept as a real provider keeps its own: one
//! item per idempotency key in the payments table (`SIMCHARGE#<key>`). A
//! charge sent again under its key answers what the first did and charges
//! nothing. A refund is an item in the charge's partition
//! (`SIMCHARGE#<charge key>` / `REFUND#<refund key>`), put in one
//! transaction with the charge's `refunded_cents`, which may never pass
//! its amount; a refund sent again under its key refunds nothing more.
//! Tests count these items to prove a crashed and retried payment charged
//! once, and a retried refund refunded once.

use crate::Error;
use crate::domain::Timestamp;
use crate::domain::payment::{Card, DeclineCode};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const SK: &str = "CHARGE";
/// How long the simulator remembers a charge (as long as a refund may follow).
const RETENTION_SECONDS: i64 = 90 * 24 * 3600;

/// A charge as the simulator recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatedCharge {
    pub key: String,
    /// What the charge was for (the order), as a provider's description.
    pub description: String,
    pub amount_cents: i64,
    pub currency: String,
    pub card: Card,
    /// `None` for a charge that succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declined: Option<DeclineCode>,
    /// What its refunds gave back.
    #[serde(default)]
    pub refunded_cents: i64,
    pub created_at: Timestamp,
}

impl SimulatedCharge {
    /// All of it was given back.
    pub fn refunded(&self) -> bool {
        self.declined.is_none() && self.refunded_cents >= self.amount_cents
    }
}

/// A refund as the simulator recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatedRefund {
    pub key: String,
    pub amount_cents: i64,
    pub created_at: Timestamp,
}

#[derive(Serialize, Deserialize)]
struct RefundItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    refund: SimulatedRefund,
    purge_at: i64,
}

#[derive(Serialize, Deserialize)]
struct ChargeItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    charge: SimulatedCharge,
    purge_at: i64,
}

fn key(idempotency_key: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (
            "pk".to_owned(),
            AttributeValue::S(format!("SIMCHARGE#{idempotency_key}")),
        ),
        ("sk".to_owned(), AttributeValue::S(SK.to_owned())),
    ])
}

#[derive(Clone)]
pub struct SimulatedCharges {
    client: Client,
    table: String,
}

impl SimulatedCharges {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Records `charge` under its key, or answers the charge already
    /// recorded under it.
    pub async fn record(&self, charge: SimulatedCharge) -> Result<SimulatedCharge, Error> {
        let stored = ChargeItem {
            pk: format!("SIMCHARGE#{}", charge.key),
            sk: SK.into(),
            purge_at: charge.created_at.unix_seconds() + RETENTION_SECONDS,
            charge,
        };
        let item = serde_dynamo::to_item(&stored).map_err(Error::internal("encoding a charge"))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(stored.charge),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let earlier: ChargeItem = failed
                        .item()
                        .map(|item| serde_dynamo::from_item(item.clone()))
                        .transpose()
                        .map_err(Error::internal("decoding a charge"))?
                        .ok_or_else(|| {
                            Error::internal("recording a charge")(
                                "the earlier charge was not returned",
                            )
                        })?;
                    Ok(earlier.charge)
                }
                _ => Err(Error::internal("recording a charge")(err)),
            },
        }
    }

    /// The charge made under `idempotency_key`, if any.
    pub async fn get(&self, idempotency_key: &str) -> Result<Option<SimulatedCharge>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(idempotency_key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("reading a charge"))?;
        out.item
            .map(|item| {
                serde_dynamo::from_item::<_, ChargeItem>(item)
                    .map(|stored| stored.charge)
                    .map_err(Error::internal("decoding a charge"))
            })
            .transpose()
    }

    /// Refunds `amount_cents` of the succeeded charge made under
    /// `charge_key`, once per `refund_key`: `true` when refunded (now, or
    /// before under this key), `false` when there is no such charge or its
    /// refunds would pass its amount.
    pub async fn refund(
        &self,
        charge_key: &str,
        refund_key: &str,
        amount_cents: i64,
        now: Timestamp,
    ) -> Result<bool, Error> {
        use super::transact::{RetryPolicy, Transaction, TransactionError};
        let Some(charge) = self.get(charge_key).await? else {
            return Ok(false);
        };
        let limit = charge.amount_cents - amount_cents;
        if charge.declined.is_some() || limit < 0 {
            return Ok(false);
        }
        let refund = RefundItem {
            pk: format!("SIMCHARGE#{charge_key}"),
            sk: format!("REFUND#{refund_key}"),
            refund: SimulatedRefund {
                key: refund_key.to_owned(),
                amount_cents,
                created_at: now,
            },
            purge_at: now.unix_seconds() + RETENTION_SECONDS,
        };
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(charge_key)))
            .update_expression(
                "SET refunded_cents = if_not_exists(refunded_cents, :zero) + :amount",
            )
            .condition_expression(
                "attribute_not_exists(declined) AND \
                 (attribute_not_exists(refunded_cents) OR refunded_cents <= :limit)",
            )
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":amount", AttributeValue::N(amount_cents.to_string()))
            .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
            .build()
            .map_err(Error::internal("building a refund"))?;
        let mut transaction = Transaction::default();
        transaction
            .add("refund", super::put_new(&self.table, &refund)?)
            .add(
                "charge",
                aws_sdk_dynamodb::types::TransactWriteItem::builder()
                    .update(update)
                    .build(),
            );
        match transaction
            .run(&self.client, None, &RetryPolicy::default())
            .await
        {
            Ok(()) => Ok(true),
            // Refunded before under this key: nothing more.
            Err(TransactionError::Cancelled(c)) if c.condition_failed(&"refund") => Ok(true),
            Err(TransactionError::Cancelled(c)) if c.condition_failed(&"charge") => Ok(false),
            Err(e) => Err(Error::internal("refunding a charge")(e)),
        }
    }

    /// The refunds of the charge made under `charge_key`.
    pub async fn refunds(&self, charge_key: &str) -> Result<Vec<SimulatedRefund>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :refund)")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(format!("SIMCHARGE#{charge_key}")),
            )
            .expression_attribute_values(":refund", AttributeValue::S("REFUND#".into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("listing a charge's refunds"))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                serde_dynamo::from_item::<_, RefundItem>(item)
                    .map(|stored| stored.refund)
                    .map_err(Error::internal("decoding a refund"))
            })
            .collect()
    }
}
