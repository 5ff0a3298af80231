//! The payments table: payments, their idempotency records, and the outbox
//! of `payment.succeeded` events. A payment whose event is not yet on the
//! queue carries `notification_pending` and the sparse `UnsentEvents` index
//! keys (`gsi1pk = UNSENT`, `gsi1sk = <created_at>#<id>`); both go once the
//! queue accepted the event.
//!
//! A charge in flight is an [`Attempt`] (`ATTEMPT#<hash of the idempotency
//! record's key>`): written before the provider is called, it binds one
//! request to one payment id, which is the provider's idempotency key, so
//! every retry of the request charges under the same key. The payment's
//! commit deletes it in the same transaction; one left behind (the function
//! died, or the commit's outcome was unknown) is found on the same sparse
//! index (`gsi1pk = ATTEMPT`) by the sweeper, which gives its charge back.

use crate::Error;
use crate::domain::payment::{Payment, PaymentId};
use crate::domain::{OrderId, Timestamp, UserId};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, ReturnValue, TransactWriteItem};
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

/// A charge in flight, from before the provider is called until its payment
/// is committed or its charge given back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// `ATTEMPT#<hash>`: one per idempotency record.
    pk: String,
    pub payment_id: PaymentId,
    pub order_id: OrderId,
    pub user_id: UserId,
    pub state: AttemptState,
    /// When a request last took the attempt up; the sweeper waits past it.
    pub attempted_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptState {
    /// The provider may have charged; a retry charges again under the same key.
    Charging,
    /// The sweeper is giving the charge back; a retry must wait.
    Refunding,
}

const ATTEMPT_SK: &str = "ATTEMPT";

fn attempt_key(pk: &str) -> Item {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(pk.to_owned())),
        ("sk".to_owned(), AttributeValue::S(ATTEMPT_SK.to_owned())),
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

    /// Takes up the attempt of the request claimed as `claim`: the one a
    /// crashed or failed try left (same payment id, touched now), or a new
    /// one with `fresh` as its payment id. `None` while the sweeper is
    /// giving that attempt's charge back.
    pub async fn begin_attempt(
        &self,
        claim: &crate::idempotency::Claim,
        fresh: &PaymentId,
        order: &OrderId,
        user: &UserId,
        now: Timestamp,
    ) -> Result<Option<Attempt>, Error> {
        let pk = format!(
            "ATTEMPT#{}",
            crate::auth::opaque::sha256_hex(claim.pk.as_bytes())
        );
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(attempt_key(&pk)))
            .update_expression(
                "SET payment_id = if_not_exists(payment_id, :pid), \
                 order_id = if_not_exists(order_id, :oid), \
                 user_id = if_not_exists(user_id, :uid), \
                 #state = if_not_exists(#state, :charging), \
                 attempted_at = :now, gsi1pk = :index, gsi1sk = :position",
            )
            .condition_expression("attribute_not_exists(pk) OR #state = :charging")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pid", AttributeValue::S(fresh.as_str().to_owned()))
            .expression_attribute_values(":oid", AttributeValue::S(order.as_str().to_owned()))
            .expression_attribute_values(":uid", AttributeValue::S(user.as_str().to_owned()))
            .expression_attribute_values(":charging", AttributeValue::S("charging".into()))
            .expression_attribute_values(":now", AttributeValue::S(now.to_string()))
            .expression_attribute_values(":index", AttributeValue::S(ATTEMPT_SK.into()))
            .expression_attribute_values(":position", AttributeValue::S(format!("{now}#{pk}")))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        super::unless_refused(result, "taking up a payment attempt")?
            .and_then(|out| out.attributes)
            .map(|item| {
                serde_dynamo::from_item(item).map_err(Error::internal("decoding a payment attempt"))
            })
            .transpose()
    }

    /// The delete of a charging attempt, in the transaction that records what
    /// its charge ended as.
    pub fn settle_attempt(&self, attempt: &Attempt) -> Result<TransactWriteItem, Error> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(attempt_key(&attempt.pk)))
            .condition_expression("payment_id = :pid AND #state = :charging")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(
                ":pid",
                AttributeValue::S(attempt.payment_id.as_str().to_owned()),
            )
            .expression_attribute_values(":charging", AttributeValue::S("charging".into()))
            .build()
            .map_err(Error::internal("building an attempt's delete"))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Deletes an attempt whose charge moved no money or was given back,
    /// unless a request took it up again since it was read.
    pub async fn forget_attempt(&self, attempt: &Attempt) -> Result<bool, Error> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(attempt_key(&attempt.pk)))
            .condition_expression("attempted_at = :seen")
            .expression_attribute_values(
                ":seen",
                AttributeValue::S(attempt.attempted_at.to_string()),
            )
            .send()
            .await;
        Ok(super::unless_refused(result, "deleting a payment attempt")?.is_some())
    }

    /// Marks an abandoned attempt as being refunded, unless a request took
    /// it up again since it was read.
    pub async fn start_refunding(&self, attempt: &Attempt) -> Result<bool, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(attempt_key(&attempt.pk)))
            .update_expression("SET #state = :refunding")
            .condition_expression("#state = :charging AND attempted_at = :seen")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":refunding", AttributeValue::S("refunding".into()))
            .expression_attribute_values(":charging", AttributeValue::S("charging".into()))
            .expression_attribute_values(
                ":seen",
                AttributeValue::S(attempt.attempted_at.to_string()),
            )
            .send()
            .await;
        Ok(super::unless_refused(result, "marking a payment attempt refunding")?.is_some())
    }

    /// Attempts last taken up at or before `before`, oldest first.
    pub async fn abandoned_attempts(
        &self,
        before: Timestamp,
        limit: i32,
    ) -> Result<Vec<Attempt>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(UNSENT_INDEX)
            .key_condition_expression("gsi1pk = :a AND gsi1sk <= :bound")
            .expression_attribute_values(":a", AttributeValue::S(ATTEMPT_SK.into()))
            .expression_attribute_values(":bound", AttributeValue::S(format!("{before}~")))
            .limit(limit)
            .send()
            .await
            .map_err(Error::internal("querying abandoned payment attempts"))?;
        out.items()
            .iter()
            .map(|item| {
                serde_dynamo::from_item(item.clone())
                    .map_err(Error::internal("decoding a payment attempt"))
            })
            .collect()
    }
}
