//! The payment simulator's memory, kept as a real provider keeps its own: one
//! item per idempotency key in the payments table (`SIMCHARGE#<key>`). A
//! charge sent again under its key answers what the first did and charges
//! nothing; a refund is given once. Tests count these items to prove a
//! crashed and retried payment charged once.

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
    pub refunded: bool,
    pub created_at: Timestamp,
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

    /// Marks a succeeded charge refunded; `false` if there is none to refund.
    pub async fn refund(&self, idempotency_key: &str) -> Result<bool, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(idempotency_key)))
            .update_expression("SET refunded = :yes")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(declined)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await;
        Ok(super::unless_refused(result, "refunding a charge")?.is_some())
    }
}
