//! The orders table: orders, and the idempotency records of `POST /orders`.
//! `ByUser` (`gsi1pk = USER#<id>`, `gsi1sk = <order id>`) lists a user's orders
//! newest first. `PendingByExpiry` (`gsi2pk = PENDING#<shard>`,
//! `gsi2sk = <expires_at>#<id>`) holds only pending orders: leaving
//! `pending_payment` removes the keys, so the sweeper reads nothing else.
//! `ByStatus` (`gsi3pk = STATUS#<status>`, `gsi3sk = <order id>`) is the
//! admin's queue: every write that changes an order's status moves its
//! `gsi3pk` in the same update.
//! `OPEN#<user>` counts the user's orders pending payment: every write that
//! opens or closes one moves it in the same transaction.
//! A refund counts the units it restocks on the order (`restocked#<product>`,
//! reserved when the refund is made, never past the quantity ordered), and
//! a cancel of a paid order marks it `cancelling` with its refund's id until
//! that refund settles, so the order cannot ship meanwhile.

use crate::Error;
use crate::cursor::Position;
use crate::domain::order::MAX_OPEN_ORDERS;
use crate::domain::refund::RefundId;
use crate::domain::{Cents, Fulfilment, Order, OrderId, OrderStatus, ProductId, Timestamp, UserId};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

pub const USER_INDEX: &str = "ByUser";
pub const PENDING_INDEX: &str = "PendingByExpiry";
pub const STATUS_INDEX: &str = "ByStatus";
/// Pending orders spread over this many index partitions, so a burst of
/// orders does not make one hot key.
pub const PENDING_SHARDS: u32 = 4;

#[derive(Clone)]
pub struct OrdersTable {
    client: Client,
    table: String,
}

#[derive(Serialize, Deserialize)]
struct OrderItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    order: Order,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi2sk: Option<String>,
    // Absent on orders stored before the index existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi3pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi3sk: Option<String>,
}

fn status_key(status: OrderStatus) -> String {
    format!("STATUS#{}", status.as_str())
}

const SK: &str = "ORDER";

fn key(id: &OrderId) -> Item {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("ORDER#{id}"))),
        ("sk".to_owned(), AttributeValue::S(SK.to_owned())),
    ])
}

fn open_key(user: &UserId) -> Item {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("OPEN#{user}"))),
        ("sk".to_owned(), AttributeValue::S(SK.to_owned())),
    ])
}

fn shard(id: &OrderId) -> u32 {
    id.as_str()
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % PENDING_SHARDS
}

fn decode(item: Item) -> Result<Order, Error> {
    let stored: OrderItem =
        serde_dynamo::from_item(item).map_err(Error::internal("decoding an order"))?;
    Ok(stored.order)
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

const RESTOCKED: &str = "restocked#";

/// An order with what its refunds have done to it so far.
#[derive(Debug, Clone)]
pub struct RefundState {
    pub order: Order,
    /// Units of each product its refunds restock (succeeded or pending).
    pub restocked: HashMap<ProductId, i64>,
    /// The refund of a cancel in progress.
    pub cancelling: Option<RefundId>,
}

fn refund_state(item: Item) -> Result<RefundState, Error> {
    let mut restocked = HashMap::new();
    for (name, value) in &item {
        let Some(id) = name.strip_prefix(RESTOCKED).and_then(ProductId::parse) else {
            continue;
        };
        let units = match value {
            AttributeValue::N(n) => n.parse::<i64>().ok(),
            _ => None,
        };
        restocked.insert(
            id,
            units.ok_or_else(|| Error::internal("decoding an order")("a restock count"))?,
        );
    }
    let cancelling = match item.get("cancelling") {
        Some(AttributeValue::S(id)) => Some(
            RefundId::parse(id)
                .ok_or_else(|| Error::internal("decoding an order")("a cancelling refund"))?,
        ),
        _ => None,
    };
    Ok(RefundState {
        order: decode(item)?,
        restocked,
        cancelling,
    })
}

/// A refund's writes to its order: the units it restocks, and whether it
/// cancels the order (and, for the buyer's own cancel, whose it must be).
pub struct RefundChange<'a> {
    pub refund: &'a RefundId,
    /// Each product with the units restocked and the most that may be
    /// restocked before this refund (ordered less this refund's units).
    pub restock: Vec<(&'a ProductId, i64, i64)>,
    pub cancels: bool,
    pub owner: Option<&'a UserId>,
}

impl RefundChange<'_> {
    fn names(
        &self,
        mut update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    ) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
        for (i, (product, quantity, _)) in self.restock.iter().enumerate() {
            update = update
                .expression_attribute_names(format!("#r{i}"), format!("{RESTOCKED}{product}"))
                .expression_attribute_values(format!(":q{i}"), n(*quantity));
        }
        update
    }
}

impl OrdersTable {
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

    /// The put of a new order, for the transaction that also takes its stock.
    pub fn put_new(&self, order: &Order) -> Result<TransactWriteItem, Error> {
        let stored = OrderItem {
            pk: format!("ORDER#{}", order.id),
            sk: SK.into(),
            order: order.clone(),
            gsi1pk: format!("USER#{}", order.user_id),
            gsi1sk: order.id.to_string(),
            gsi2pk: Some(format!("PENDING#{}", shard(&order.id))),
            gsi2sk: Some(format!("{}#{}", order.expires_at, order.id)),
            gsi3pk: Some(status_key(order.status)),
            gsi3sk: Some(order.id.to_string()),
        };
        super::put_new(&self.table, &stored)
    }

    /// Counts one more open order of `user`, if the user holds fewer than
    /// the maximum; for the transaction that puts the order.
    pub fn hold_open_slot(&self, user: &UserId) -> Result<TransactWriteItem, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(open_key(user)))
            .update_expression("ADD open_orders :one")
            .condition_expression("attribute_not_exists(open_orders) OR open_orders < :max")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(MAX_OPEN_ORDERS.to_string()))
            .build()
            .map_err(Error::internal("building an open-order count"))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Counts one open order of `user` less; for the transaction that pays,
    /// cancels or expires it (whose own condition decides).
    pub fn release_open_slot(&self, user: &UserId) -> Result<TransactWriteItem, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(open_key(user)))
            .update_expression("ADD open_orders :minus_one")
            .expression_attribute_values(":minus_one", AttributeValue::N("-1".into()))
            .build()
            .map_err(Error::internal("building an open-order count"))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Moves a pending order to `to` (cancelled or expired), leaving the
    /// pending index. Conditional on the status, and on the owner when given
    /// (cancel) or on being due when `due_by` is given (expiry), so it cannot
    /// race a payment or another close.
    pub fn close(
        &self,
        id: &OrderId,
        to: OrderStatus,
        owner: Option<&UserId>,
        due_by: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<TransactWriteItem, Error> {
        let mut condition = "#status = :pending".to_owned();
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression(
                "SET #status = :to, updated_at = :now, gsi3pk = :queue, gsi3sk = :id \
                 REMOVE gsi2pk, gsi2sk",
            )
            .expression_attribute_values(":id", s(id.as_str()))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", s(OrderStatus::PendingPayment.as_str()))
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":queue", s(status_key(to)))
            .expression_attribute_values(":now", s(now.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(owner) = owner {
            condition.push_str(" AND user_id = :owner");
            update = update.expression_attribute_values(":owner", s(owner.as_str()));
        }
        if let Some(due) = due_by {
            condition.push_str(" AND expires_at <= :due");
            update = update.expression_attribute_values(":due", s(due.to_string()));
        }
        let update = update
            .condition_expression(condition)
            .build()
            .map_err(Error::internal("building an order update"))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Marks the owner's pending, unexpired order paid: conditional on all
    /// three, so no order is paid twice, late, or by someone else.
    pub fn pay(
        &self,
        id: &OrderId,
        owner: &UserId,
        payment_id: &str,
        now: Timestamp,
    ) -> Result<TransactWriteItem, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression(
                "SET #status = :paid, payment_id = :payment, updated_at = :now, \
                 gsi3pk = :queue, gsi3sk = :id REMOVE gsi2pk, gsi2sk",
            )
            .expression_attribute_values(":queue", s(status_key(OrderStatus::Paid)))
            .expression_attribute_values(":id", s(id.as_str()))
            .condition_expression("#status = :pending AND user_id = :owner AND expires_at > :now")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":paid", s(OrderStatus::Paid.as_str()))
            .expression_attribute_values(":pending", s(OrderStatus::PendingPayment.as_str()))
            .expression_attribute_values(":payment", s(payment_id))
            .expression_attribute_values(":owner", s(owner.as_str()))
            .expression_attribute_values(":now", s(now.to_string()))
            .build()
            .map_err(Error::internal("building an order update"))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    pub async fn get(&self, id: &OrderId) -> Result<Option<Order>, Error> {
        self.item(id).await?.map(decode).transpose()
    }

    /// The order's item as stored, read consistently.
    async fn item(&self, id: &OrderId) -> Result<Option<Item>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("reading an order"))?;
        Ok(out.item)
    }

    /// A page of a user's orders, newest first.
    pub async fn list_for_user(
        &self,
        user: &UserId,
        limit: i32,
        start: Option<Position>,
    ) -> Result<(Vec<Order>, Option<Position>), Error> {
        let (items, next) = super::newest_first(
            &self.client,
            &self.table,
            USER_INDEX,
            format!("USER#{user}"),
            limit,
            start,
            "listing orders",
        )
        .await?;
        let orders = items.into_iter().map(decode).collect::<Result<_, _>>()?;
        Ok((orders, next))
    }

    /// The outbox of the orders' events (`order.shipped`).
    pub fn outbox(&self) -> super::outbox::Outbox {
        super::outbox::Outbox::new(self.client.clone(), &self.table)
    }

    /// Ships a paid order with `fulfilment`, and puts `event` in the
    /// outbox, in one transaction conditional on the status: `Ok(None)`
    /// (with the order as it was, if stored) when it is not `paid`.
    pub async fn ship(
        &self,
        id: &OrderId,
        fulfilment: &Fulfilment,
        event: &super::outbox::Outboxed,
        now: Timestamp,
    ) -> Result<Result<(), Option<RefundState>>, Error> {
        let fulfilment = serde_dynamo::to_attribute_value(fulfilment)
            .map_err(Error::internal("encoding a fulfilment"))?;
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression(
                "SET #status = :shipped, fulfilment = :f, updated_at = :now, gsi3pk = :queue, gsi3sk = :id",
            )
            .condition_expression("#status = :paid AND attribute_not_exists(cancelling)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":shipped", s(OrderStatus::Shipped.as_str()))
            .expression_attribute_values(":paid", s(OrderStatus::Paid.as_str()))
            .expression_attribute_values(":f", fulfilment)
            .expression_attribute_values(":now", s(now.to_string()))
            .expression_attribute_values(":queue", s(status_key(OrderStatus::Shipped)))
            .expression_attribute_values(":id", s(id.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(Error::internal("building an order update"))?;
        let mut transaction = super::transact::Transaction::default();
        transaction
            .add("order", TransactWriteItem::builder().update(update).build())
            .add("event", self.outbox().put(event)?);
        match transaction
            .run(&self.client, None, &super::transact::RetryPolicy::default())
            .await
        {
            Ok(()) => Ok(Ok(())),
            Err(super::transact::TransactionError::Cancelled(c))
                if c.condition_failed(&"order") =>
            {
                let stored = c
                    .failed_conditions()
                    .find(|(name, _)| **name == "order")
                    .and_then(|(_, item)| item.cloned())
                    .map(refund_state)
                    .transpose()?;
                Ok(Err(stored))
            }
            Err(e) => Err(Error::internal("shipping an order")(e)),
        }
    }

    /// Marks a shipped order delivered at `now`: the order as it is then,
    /// or `Err` with the order as it was (if stored) when it is not shipped.
    pub async fn deliver(
        &self,
        id: &OrderId,
        now: Timestamp,
    ) -> Result<Result<Order, Option<Order>>, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression(
                "SET #status = :delivered, fulfilment.delivered_at = :now, updated_at = :now, \
                 gsi3pk = :queue, gsi3sk = :id",
            )
            .condition_expression("#status = :shipped")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":delivered", s(OrderStatus::Delivered.as_str()))
            .expression_attribute_values(":shipped", s(OrderStatus::Shipped.as_str()))
            .expression_attribute_values(":now", s(now.to_string()))
            .expression_attribute_values(":queue", s(status_key(OrderStatus::Delivered)))
            .expression_attribute_values(":id", s(id.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => out
                .attributes
                .map(decode)
                .ok_or_else(|| Error::internal("delivering an order")("no order returned"))?
                .map(Ok),
            Err(err) => match err.as_service_error() {
                Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    Ok(Err(failed.item().cloned().map(decode).transpose()?))
                }
                _ => Err(Error::internal("delivering an order")(err)),
            },
        }
    }

    /// An order with its refunds' restock counts and cancel in progress.
    pub async fn refund_state(&self, id: &OrderId) -> Result<Option<RefundState>, Error> {
        self.item(id).await?.map(refund_state).transpose()
    }

    /// A new refund's reservation on its order: the units it restocks,
    /// each within what was ordered, and the cancel mark (only on a paid
    /// order no other cancel holds). `None` when it changes neither.
    pub fn reserve_refund(
        &self,
        id: &OrderId,
        change: &RefundChange<'_>,
    ) -> Result<Option<TransactWriteItem>, Error> {
        if change.restock.is_empty() && !change.cancels {
            return Ok(None);
        }
        let mut sets = Vec::new();
        let mut conditions = vec!["attribute_exists(pk)".to_owned()];
        let mut update = change.names(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(id))),
        );
        for (i, (_, _, most)) in change.restock.iter().enumerate() {
            sets.push(format!("#r{i} = if_not_exists(#r{i}, :zero) + :q{i}"));
            conditions.push(format!("(attribute_not_exists(#r{i}) OR #r{i} <= :m{i})"));
            update = update.expression_attribute_values(format!(":m{i}"), n(*most));
        }
        if !change.restock.is_empty() {
            update = update.expression_attribute_values(":zero", n(0));
        }
        if change.cancels {
            sets.push("cancelling = :refund".to_owned());
            conditions.push("#status = :paid AND attribute_not_exists(cancelling)".to_owned());
            update = update
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":paid", s(OrderStatus::Paid.as_str()))
                .expression_attribute_values(":refund", s(change.refund.as_str()));
            if let Some(owner) = change.owner {
                conditions.push("user_id = :owner".to_owned());
                update = update.expression_attribute_values(":owner", s(owner.as_str()));
            }
        }
        let update = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(conditions.join(" AND "))
            .build()
            .map_err(Error::internal("building an order update"))?;
        Ok(Some(TransactWriteItem::builder().update(update).build()))
    }

    /// A settled refund's write to its order. Succeeded: the amount counts
    /// as refunded, and a cancel closes the order. Failed: its restock
    /// counts and its cancel mark are given up (`None` if it had neither).
    pub fn settle_refund(
        &self,
        id: &OrderId,
        change: &RefundChange<'_>,
        succeeded: Option<Cents>,
        now: Timestamp,
    ) -> Result<Option<TransactWriteItem>, Error> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .expression_attribute_values(":now", s(now.to_string()));
        let mut sets = vec!["updated_at = :now".to_owned()];
        let mut removes = Vec::new();
        match succeeded {
            Some(amount) => {
                sets.push("refunded_cents = if_not_exists(refunded_cents, :zero) + :amount".into());
                update = update
                    .expression_attribute_values(":zero", n(0))
                    .expression_attribute_values(":amount", n(amount.get()));
                if change.cancels {
                    sets.push("#status = :cancelled, gsi3pk = :queue, gsi3sk = :id".into());
                    update = update
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(
                            ":cancelled",
                            s(OrderStatus::Cancelled.as_str()),
                        )
                        .expression_attribute_values(
                            ":queue",
                            s(status_key(OrderStatus::Cancelled)),
                        )
                        .expression_attribute_values(":id", s(id.as_str()));
                }
            }
            None => {
                if change.restock.is_empty() && !change.cancels {
                    return Ok(None);
                }
                update = change.names(update);
                for i in 0..change.restock.len() {
                    sets.push(format!("#r{i} = #r{i} - :q{i}"));
                }
            }
        }
        if change.cancels {
            removes.push("cancelling");
            update = update
                .condition_expression("cancelling = :refund")
                .expression_attribute_values(":refund", s(change.refund.as_str()));
        }
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let update = update
            .update_expression(expression)
            .build()
            .map_err(Error::internal("building an order update"))?;
        Ok(Some(TransactWriteItem::builder().update(update).build()))
    }

    /// A page of the orders in `statuses` whose id comes before `before`
    /// (all when `None`), newest first, and whether more follow. Each
    /// status is one partition of `ByStatus`, sorted by id (time-ordered),
    /// so one bound pages through them all: each is read for one more than
    /// the page, the reads are merged, and more follow exactly when the
    /// merge holds more than the page.
    pub async fn list_by_status(
        &self,
        statuses: &[OrderStatus],
        limit: usize,
        before: Option<&OrderId>,
    ) -> Result<(Vec<Order>, bool), Error> {
        let reads = statuses.iter().map(|status| {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(STATUS_INDEX)
                .scan_index_forward(false)
                .limit(limit as i32 + 1)
                .expression_attribute_values(":queue", s(status_key(*status)));
            query = match before {
                Some(id) => query
                    .key_condition_expression("gsi3pk = :queue AND gsi3sk < :before")
                    .expression_attribute_values(":before", s(id.as_str())),
                None => query.key_condition_expression("gsi3pk = :queue"),
            };
            query.send()
        });
        let mut orders = Vec::new();
        for read in futures::future::join_all(reads).await {
            let out = read.map_err(Error::internal("listing orders by status"))?;
            for item in out.items.unwrap_or_default() {
                orders.push(decode(item)?);
            }
        }
        orders.sort_by(|a, b| b.id.as_str().cmp(a.id.as_str()));
        let more = orders.len() > limit;
        orders.truncate(limit);
        Ok((orders, more))
    }

    /// One page of the pending orders of `shard` whose `expires_at` is at or
    /// before `now`, oldest first, and where the next page starts (`None`
    /// when this was the last).
    pub async fn pending_due(
        &self,
        now: Timestamp,
        shard: u32,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Order>, Option<Item>), Error> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(PENDING_INDEX)
            .key_condition_expression("gsi2pk = :p AND gsi2sk <= :bound")
            .expression_attribute_values(":p", s(format!("PENDING#{shard}")))
            // `#` sorts before every character of an id, `~` after: the
            // bound includes orders due exactly now.
            .expression_attribute_values(":bound", s(format!("{now}~")))
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(Error::internal("querying pending orders"))?;
        let due = out
            .items()
            .iter()
            .map(|item| decode(item.clone()))
            .collect::<Result<_, _>>()?;
        Ok((due, out.last_evaluated_key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;

    #[test]
    fn orders_round_trip_through_items() {
        let now = Timestamp::now();
        let request = OrderRequest::parse(vec![LineRequest {
            product_id: ProductId::generate(),
            quantity: Quantity::parse(3).unwrap(),
        }])
        .unwrap();
        let order = Order::price(
            OrderId::generate(),
            UserId::generate(),
            &request,
            |id| {
                Some(Product {
                    id: id.clone(),
                    name: ProductName::parse("Mug").unwrap(),
                    description: Description::default(),
                    price_cents: PriceCents::parse(1999).unwrap(),
                    currency: Currency::Usd,
                    stock: Stock::parse(5).unwrap(),
                    category: Category::parse("k").unwrap(),
                    created_at: now,
                    updated_at: now,
                    version: Version(1),
                })
            },
            &crate::domain::order::tests::delivery(0, None),
            now,
            60,
        )
        .unwrap();
        let table = OrdersTable::new(
            Client::from_conf(
                aws_sdk_dynamodb::Config::builder()
                    .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                    .build(),
            ),
            "t",
        );
        let put = table.put_new(&order).unwrap();
        let item = put.put.unwrap().item;
        assert_eq!(
            item["gsi1pk"],
            AttributeValue::S(format!("USER#{}", order.user_id))
        );
        assert!(matches!(&item["total_cents"], AttributeValue::N(n) if n == "5997"));
        assert_eq!(decode(item).unwrap(), order);
    }
}
