//! The admin ships paid orders and marks them delivered. Each change is one
//! conditional write on the order's status (`paid` → `shipped` →
//! `delivered`), so two racing changes have one winner and the loser is told
//! the status it met. Shipping mails the buyer the tracking details: the
//! `order.shipped` event is put in the orders table's outbox by the same
//! transaction, sent to the events queue after it, and re-sent by the
//! resend sweeper if that send is lost.

use crate::Error;
use crate::aws::outbox::Outboxed;
use crate::aws::{EventQueue, OrdersTable};
use crate::domain::{
    Carrier, Fulfilment, Order, OrderId, OrderStatus, Timestamp, TrackingNumber, TrackingUrl,
    UserId,
};
use serde::{Deserialize, Serialize};

pub const ORDER_SHIPPED: &str = "order.shipped";
const SHIPPABLE: &str = "Only a paid order can be shipped.";
const DELIVERABLE: &str = "Only a shipped order can be delivered.";

/// The `order.shipped` event: what the buyer's mail says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderShipped {
    pub order_id: OrderId,
    pub user_id: UserId,
    pub carrier: Carrier,
    pub tracking_number: TrackingNumber,
    pub tracking_url: Option<TrackingUrl>,
}

/// The body of `POST /orders/{id}/ship`.
#[derive(Debug, Clone)]
pub struct Shipment {
    pub carrier: Carrier,
    pub tracking_number: TrackingNumber,
    pub tracking_url: Option<TrackingUrl>,
}

#[derive(Clone)]
pub struct Fulfilments {
    pub orders: OrdersTable,
    pub queue: EventQueue,
}

fn refused(status: Option<OrderStatus>, allowed: &'static str) -> Error {
    Error::InvalidOrderState { status, allowed }
}

impl Fulfilments {
    /// Ships a paid order; mails the buyer through the events queue.
    pub async fn ship(&self, id: &OrderId, shipment: Shipment) -> Result<Order, Error> {
        let order = self.orders.get(id).await?.ok_or(Error::OrderNotFound)?;
        if order.status != OrderStatus::Paid {
            return Err(refused(Some(order.status), SHIPPABLE));
        }
        let now = Timestamp::now();
        let fulfilment = Fulfilment {
            carrier: shipment.carrier,
            tracking_number: shipment.tracking_number,
            tracking_url: shipment.tracking_url,
            shipped_at: now,
            delivered_at: None,
        };
        let event = Outboxed::new(
            ORDER_SHIPPED,
            now,
            OrderShipped {
                order_id: order.id.clone(),
                user_id: order.user_id.clone(),
                carrier: fulfilment.carrier.clone(),
                tracking_number: fulfilment.tracking_number.clone(),
                tracking_url: fulfilment.tracking_url.clone(),
            },
        )?;
        match self.orders.ship(id, &fulfilment, &event, now).await? {
            Ok(()) => {
                self.orders.outbox().publish(&self.queue, &event).await;
                Ok(Order {
                    status: OrderStatus::Shipped,
                    fulfilment: Some(fulfilment),
                    updated_at: now,
                    ..order
                })
            }
            Err(Some(now)) if now.cancelling.is_some() => {
                Err(refused(None, "The order is being cancelled and refunded."))
            }
            Err(Some(now)) => Err(refused(Some(now.order.status), SHIPPABLE)),
            Err(None) => Err(Error::OrderNotFound),
        }
    }

    /// Marks a shipped order delivered.
    pub async fn deliver(&self, id: &OrderId) -> Result<Order, Error> {
        match self.orders.deliver(id, Timestamp::now()).await? {
            Ok(order) => Ok(order),
            Err(Some(order)) => Err(refused(Some(order.status), DELIVERABLE)),
            Err(None) => Err(Error::OrderNotFound),
        }
    }
}
