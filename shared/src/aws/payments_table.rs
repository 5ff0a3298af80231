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
//!
//! A payment's refunds live in its partition (`PAYMENT#<id>` /
//! `REFUND#<refund id>`), so one query reads the payment with them. A refund
//! first reserves its amount on the payment (`reserved_cents`, conditional
//! on staying within the amount) in the transaction that puts it `pending`
//! with the sparse keys `gsi1pk = REFUND`; settling it moves the amount to
//! `refunded_cents` (or frees it) and leaves the index. `REFUNDKEY#<hash of
//! the idempotency record's key>` binds a request to its refund, so a retry
//! after a crash takes the same refund up again.

use crate::Error;
use crate::domain::payment::{Payment, PaymentId};
use crate::domain::refund::{Refund, RefundId, RefundNote, RefundStatus, Restock};
use crate::domain::{Cents, OrderId, Timestamp, UserId};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, ReturnValue, TransactWriteItem, Update};
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
    /// The provider's name for a succeeded charge, which refunds quote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    /// What succeeded and pending refunds hold of the amount.
    #[serde(default)]
    reserved_cents: i64,
}

/// A payment as the refunds see it.
#[derive(Debug, Clone)]
pub struct PaymentRecord {
    /// With its refunds and the status they make.
    pub payment: Payment,
    pub user_id: UserId,
    pub reference: Option<String>,
    pub reserved_cents: i64,
}

/// A refund as stored: what the client sees, and what settling it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRefund {
    #[serde(flatten)]
    pub refund: Refund,
    /// The buyer, whom the refund's mail goes to.
    pub user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<RefundNote>,
    #[serde(default)]
    pub restock: Vec<Restock>,
    /// The refund cancels its order (the buyer's or the admin's cancel).
    #[serde(default)]
    pub cancels_order: bool,
    /// The charge it refunds, as the provider names it.
    pub reference: String,
}

#[derive(Serialize, Deserialize)]
struct RefundItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    stored: StoredRefund,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
}

const REFUND_INDEX_KEY: &str = "REFUND";

fn refund_key(payment: &PaymentId, refund: &RefundId) -> Item {
    HashMap::from([
        (
            "pk".to_owned(),
            AttributeValue::S(format!("PAYMENT#{payment}")),
        ),
        (
            "sk".to_owned(),
            AttributeValue::S(format!("REFUND#{refund}")),
        ),
    ])
}

/// How long a request's binding to its refund is kept: past the 24 hours
/// its idempotency key lives.
const REFUND_KEY_SECONDS: i64 = 48 * 3600;

#[derive(Serialize, Deserialize)]
struct RefundKeyItem {
    pk: String,
    sk: String,
    payment_id: PaymentId,
    refund_id: RefundId,
    purge_at: i64,
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn update_item(
    update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
) -> Result<TransactWriteItem, Error> {
    let update = update
        .build()
        .map_err(Error::internal("building a payment update"))?;
    Ok(TransactWriteItem::builder().update(update).build())
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
        reference: Option<&str>,
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
            reference: reference.map(str::to_owned),
            reserved_cents: 0,
        };
        super::put_new(&self.table, &stored)
    }

    /// A payment (with its refunds) and the user it belongs to.
    pub async fn get(&self, id: &PaymentId) -> Result<Option<(Payment, UserId)>, Error> {
        Ok(self.record(id).await?.map(|r| (r.payment, r.user_id)))
    }

    /// A payment with its refunds, read in one consistent query of its partition.
    pub async fn record(&self, id: &PaymentId) -> Result<Option<PaymentRecord>, Error> {
        let mut payment = None;
        let mut refunds = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(format!("PAYMENT#{id}")))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::internal("reading a payment"))?;
            for item in out.items.unwrap_or_default() {
                let is_payment = matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk == SK);
                if is_payment {
                    let stored: PaymentItem = serde_dynamo::from_item(item)
                        .map_err(Error::internal("decoding a payment"))?;
                    payment = Some(stored);
                } else {
                    let stored: RefundItem = serde_dynamo::from_item(item)
                        .map_err(Error::internal("decoding a refund"))?;
                    refunds.push(stored.stored.refund);
                }
            }
            match out.last_evaluated_key {
                Some(next) => start = Some(next),
                None => break,
            }
        }
        Ok(payment.map(|stored| PaymentRecord {
            payment: stored.payment.with_refunds(refunds),
            user_id: stored.user_id,
            reference: stored.reference,
            reserved_cents: stored.reserved_cents,
        }))
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

    /// Reserves `amount` of a succeeded payment for a refund: refused unless
    /// what is reserved already stays at or below `limit` (the amount less
    /// this refund), so refunds never pass the payment under concurrency.
    pub fn reserve_refund(
        &self,
        id: &PaymentId,
        amount: Cents,
        limit: i64,
    ) -> Result<TransactWriteItem, Error> {
        update_item(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(id)))
                .update_expression(
                    "SET reserved_cents = if_not_exists(reserved_cents, :zero) + :amount",
                )
                .condition_expression(
                    "#status = :succeeded AND \
                     (attribute_not_exists(reserved_cents) OR reserved_cents <= :limit)",
                )
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":succeeded", AttributeValue::S("succeeded".into()))
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":amount", n(amount.get()))
                .expression_attribute_values(":limit", n(limit)),
        )
    }

    /// Frees the amount a failed refund reserved.
    pub fn release_refund(
        &self,
        id: &PaymentId,
        amount: Cents,
    ) -> Result<TransactWriteItem, Error> {
        update_item(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(id)))
                .update_expression("SET reserved_cents = reserved_cents - :amount")
                .expression_attribute_values(":amount", n(amount.get())),
        )
    }

    /// Counts a succeeded refund's amount as given back.
    pub fn add_refunded(&self, id: &PaymentId, amount: Cents) -> Result<TransactWriteItem, Error> {
        update_item(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(id)))
                .update_expression(
                    "SET refunded_cents = if_not_exists(refunded_cents, :zero) + :amount",
                )
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":amount", n(amount.get())),
        )
    }

    /// The put of a new refund, `pending` and on the sweeper's index.
    pub fn put_refund(&self, refund: &StoredRefund) -> Result<TransactWriteItem, Error> {
        let item = RefundItem {
            pk: format!("PAYMENT#{}", refund.refund.payment_id),
            sk: format!("REFUND#{}", refund.refund.id),
            stored: refund.clone(),
            gsi1pk: Some(REFUND_INDEX_KEY.to_owned()),
            gsi1sk: Some(format!("{}#{}", refund.refund.created_at, refund.refund.id)),
        };
        super::put_new(&self.table, &item)
    }

    /// Moves a pending refund to `to` and off the sweeper's index; refused
    /// if it is no longer pending (another settle won).
    pub fn settle_refund(
        &self,
        refund: &Refund,
        to: RefundStatus,
    ) -> Result<TransactWriteItem, Error> {
        let to = serde_dynamo::to_attribute_value(to)
            .map_err(Error::internal("encoding a refund's status"))?;
        update_item(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(refund_key(&refund.payment_id, &refund.id)))
                .update_expression("SET #status = :to REMOVE gsi1pk, gsi1sk")
                .condition_expression("#status = :pending")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":to", to)
                .expression_attribute_values(":pending", AttributeValue::S("pending".into())),
        )
    }

    /// A refund as stored.
    pub async fn get_refund(
        &self,
        payment: &PaymentId,
        refund: &RefundId,
    ) -> Result<Option<StoredRefund>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(refund_key(payment, refund)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("reading a refund"))?;
        out.item
            .map(|item| {
                serde_dynamo::from_item::<_, RefundItem>(item)
                    .map(|stored| stored.stored)
                    .map_err(Error::internal("decoding a refund"))
            })
            .transpose()
    }

    fn bound_key(binding: &str) -> Item {
        HashMap::from([
            (
                "pk".to_owned(),
                AttributeValue::S(format!(
                    "REFUNDKEY#{}",
                    crate::auth::opaque::sha256_hex(binding.as_bytes())
                )),
            ),
            ("sk".to_owned(), AttributeValue::S("REFUNDKEY".to_owned())),
        ])
    }

    /// The put that binds a request (its idempotency record's key) to its
    /// refund; refused if the request has one already.
    pub fn bind_refund(&self, binding: &str, refund: &Refund) -> Result<TransactWriteItem, Error> {
        let key = Self::bound_key(binding);
        let text = |name: &str| match key.get(name) {
            Some(AttributeValue::S(s)) => s.clone(),
            _ => String::new(),
        };
        let item = RefundKeyItem {
            pk: text("pk"),
            sk: text("sk"),
            payment_id: refund.payment_id.clone(),
            refund_id: refund.id.clone(),
            purge_at: refund.created_at.unix_seconds() + REFUND_KEY_SECONDS,
        };
        super::put_new(&self.table, &item)
    }

    /// The refund a request made, if it made one.
    pub async fn bound_refund(&self, binding: &str) -> Result<Option<StoredRefund>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::bound_key(binding)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("reading a refund's request"))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let bound: RefundKeyItem = serde_dynamo::from_item(item)
            .map_err(Error::internal("decoding a refund's request"))?;
        self.get_refund(&bound.payment_id, &bound.refund_id).await
    }

    /// Refunds still pending that were made at or before `before`, oldest first.
    pub async fn pending_refunds(
        &self,
        before: Timestamp,
        limit: i32,
    ) -> Result<Vec<StoredRefund>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(UNSENT_INDEX)
            .key_condition_expression("gsi1pk = :r AND gsi1sk <= :bound")
            .expression_attribute_values(":r", AttributeValue::S(REFUND_INDEX_KEY.into()))
            .expression_attribute_values(":bound", AttributeValue::S(format!("{before}~")))
            .limit(limit)
            .send()
            .await
            .map_err(Error::internal("querying pending refunds"))?;
        out.items()
            .iter()
            .map(|item| {
                serde_dynamo::from_item::<_, RefundItem>(item.clone())
                    .map(|stored| stored.stored)
                    .map_err(Error::internal("decoding a refund"))
            })
            .collect()
    }
}
