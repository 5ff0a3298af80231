//! The payments table: payments, their idempotency records, and the outbox
//! of `payment.succeeded` events. A payment whose event is not yet on the
//! queue carries `notification_pending` and the sparse `UnsentEvents` index
//! keys (`gsi1pk = UNSENT`, `gsi1sk = <created_at>#<id>`); both go once the
//! queue accepted the event.

use crate::Error;
use crate::domain::payment::{Payment, PaymentId};
use crate::domain::{Timestamp, UserId};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

pub const UNSENT_INDEX: &str = "UnsentEvents";
const SK: &str = "PAYMENT";

#[derive(Clone)]
pub struct PaymentsTable {
    client: Client,
    table: String,
}

#[derive(Serialize, Deserialize)]
struct PaymentItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    payment: Payment,
    user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notification_pending: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
}

fn key(id: &PaymentId) -> Item {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("PAYMENT#{id}"))),
        ("sk".to_owned(), AttributeValue::S(SK.to_owned())),
    ])
}

/// A payment whose event still has to reach the queue.
#[derive(Debug, Clone)]
pub struct UnsentEvent {
    pub payment_id: PaymentId,
    pub event: String,
}

impl PaymentsTable {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn name(&self) -> &str {
        &self.table
    }

    /// The put of a new payment; with `event`, it is written pending, in the
    /// same transaction as the order it pays.
    pub fn put_new(
        &self,
        payment: &Payment,
        user: &UserId,
        event: Option<String>,
    ) -> Result<TransactWriteItem, Error> {
        let pending = event.is_some();
        let stored = PaymentItem {
            pk: format!("PAYMENT#{}", payment.id),
            sk: SK.into(),
            payment: payment.clone(),
            user_id: user.clone(),
            event,
            notification_pending: pending.then_some(true),
            gsi1pk: pending.then(|| "UNSENT".to_owned()),
            gsi1sk: pending.then(|| format!("{}#{}", payment.created_at, payment.id)),
        };
        super::put_new(&self.table, &stored)
    }

    /// A payment and the user it belongs to.
    pub async fn get(&self, id: &PaymentId) -> Result<Option<(Payment, UserId)>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("reading a payment"))?;
        out.item
            .map(|item| {
                let stored: PaymentItem =
                    serde_dynamo::from_item(item).map_err(Error::internal("decoding a payment"))?;
                Ok((stored.payment, stored.user_id))
            })
            .transpose()
    }

    /// Payments created at or before `before` whose event is still unsent, oldest first.
    pub async fn unsent(&self, before: Timestamp, limit: i32) -> Result<Vec<UnsentEvent>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(UNSENT_INDEX)
            .key_condition_expression("gsi1pk = :u AND gsi1sk <= :bound")
            .expression_attribute_values(":u", AttributeValue::S("UNSENT".into()))
            .expression_attribute_values(":bound", AttributeValue::S(format!("{before}~")))
            .limit(limit)
            .send()
            .await
            .map_err(Error::internal("querying unsent payment events"))?;
        out.items()
            .iter()
            .map(|item| {
                let stored: PaymentItem = serde_dynamo::from_item(item.clone())
                    .map_err(Error::internal("decoding a payment"))?;
                Ok(UnsentEvent {
                    payment_id: stored.payment.id,
                    event: stored.event.unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The queue accepted the payment's event: clear the flag and leave the index.
    pub async fn mark_sent(&self, id: &PaymentId) -> Result<(), Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression("REMOVE notification_pending, gsi1pk, gsi1sk")
            .condition_expression("attribute_exists(notification_pending)")
            .send()
            .await;
        super::unless_condition_failed(result, "clearing a payment's pending event")
    }
}
