//! The orders service: create (one transaction with the stock it takes),
//! list, get, cancel, and the expiry sweep.

use crate::aws::transact::{RetryPolicy, TransactError, condition_failed, transact};
use crate::aws::{OrdersTable, ProductsTable};
use crate::cursor::Position;
use crate::domain::{Order, OrderId, OrderRequest, OrderStatus, ProductId, Timestamp, UserId};
use crate::idempotency::{Claim, IdempotencyStore, StoredResponse};
use crate::{Error, FieldError};

pub const DEFAULT_EXPIRY_SECONDS: i64 = 30 * 60;

#[derive(Clone)]
pub struct Orders {
    pub orders: OrdersTable,
    pub products: ProductsTable,
    pub expiry_seconds: i64,
    pub retry: RetryPolicy,
}

/// The answer a created order gets, as an idempotent replay sends it again.
pub fn created_response(order: &Order) -> Result<StoredResponse, Error> {
    Ok(StoredResponse {
        status: 201,
        body: serde_json::to_string(order).map_err(Error::internal("encoding an order"))?,
        content_type: "application/json".into(),
        location: Some(format!("/orders/{}", order.id)),
    })
}

fn unknown(i: usize, id: &ProductId) -> FieldError {
    FieldError::new(
        format!("items[{i}].product_id"),
        "is not a product that can be ordered",
    )
    .for_product(id.as_str())
}

impl Orders {
    /// Prices the request from the catalogue and writes the order, its stock
    /// decrements and (with a claim) its idempotent answer in one transaction:
    /// all of it or nothing.
    pub async fn create(
        &self,
        user: &UserId,
        request: &OrderRequest,
        idempotency: Option<(&IdempotencyStore, &Claim)>,
    ) -> Result<Order, Error> {
        let ids: Vec<ProductId> = request
            .lines()
            .iter()
            .map(|l| l.product_id.clone())
            .collect();
        let catalogue = self.products.get_many(&ids).await?;
        let order = Order::price(
            OrderId::generate(),
            user.clone(),
            request,
            |id| catalogue.get(id).cloned(),
            Timestamp::now(),
            self.expiry_seconds,
        )
        .map_err(|missing| {
            Error::UnknownProduct(missing.0.iter().map(|(i, id)| unknown(*i, id)).collect())
        })?;

        let mut items = vec![self.orders.put_new(&order)?];
        for line in &order.items {
            items.push(
                self.products
                    .take_stock(&line.product_id, line.quantity.get())?,
            );
        }
        if let Some((store, claim)) = idempotency {
            items.push(store.complete_item(claim, &created_response(&order)?)?);
        }
        let token = idempotency.map(|(_, claim)| claim.token().to_owned());
        match transact(self.orders.client(), items, token.as_deref(), &self.retry).await {
            Ok(()) => Ok(order),
            Err(TransactError::Cancelled(reasons)) => {
                let lines = order.items.len();
                if idempotency.is_some() && condition_failed(&reasons, lines + 1) {
                    // Our claim ran out and another retry holds the key now.
                    return Err(Error::IdempotencyInProgress);
                }
                // Which lines failed, and why, from the catalogue as it is now.
                let failed: Vec<usize> = (0..lines)
                    .filter(|i| condition_failed(&reasons, i + 1))
                    .collect();
                let ids: Vec<ProductId> = failed
                    .iter()
                    .map(|i| order.items[*i].product_id.clone())
                    .collect();
                let now = self.products.get_many(&ids).await?;
                let mut short = Vec::new();
                let mut gone = Vec::new();
                for i in failed {
                    let line = &order.items[i];
                    match now.get(&line.product_id) {
                        Some(product) => short.push(
                            FieldError::new(
                                format!("items[{i}].quantity"),
                                format!("only {} in stock", product.stock.get()),
                            )
                            .for_product(line.product_id.as_str()),
                        ),
                        None => gone.push(unknown(i, &line.product_id)),
                    }
                }
                if !gone.is_empty() {
                    Err(Error::UnknownProduct(gone))
                } else if !short.is_empty() {
                    Err(Error::InsufficientStock(short))
                } else {
                    Err(Error::internal("writing an order")(
                        TransactError::Cancelled(reasons),
                    ))
                }
            }
            Err(error) => Err(Error::internal("writing an order")(error)),
        }
    }

    /// The order, if the caller may see it (its owner, or an admin).
    pub async fn get(&self, caller: &UserId, admin: bool, id: &OrderId) -> Result<Order, Error> {
        match self.orders.get(id).await? {
            Some(order) if admin || order.user_id == *caller => Ok(order),
            _ => Err(Error::OrderNotFound),
        }
    }

    pub async fn list(
        &self,
        user: &UserId,
        limit: i32,
        start: Option<Position>,
    ) -> Result<(Vec<Order>, Option<Position>), Error> {
        self.orders.list_for_user(user, limit, start).await
    }

    /// Cancels the caller's pending order and gives its stock back, in one
    /// transaction conditional on the status: a cancel racing a payment or the
    /// expiry cannot both win.
    pub async fn cancel(&self, caller: &UserId, id: &OrderId) -> Result<Order, Error> {
        let order = match self.orders.get(id).await? {
            Some(order) if order.user_id == *caller => order,
            _ => return Err(Error::OrderNotFound),
        };
        if !order.status.is_open() {
            return Err(Error::InvalidOrderState);
        }
        match self
            .close(&order, OrderStatus::Cancelled, Some(caller), None)
            .await?
        {
            Some(closed) => Ok(closed),
            None => Err(Error::InvalidOrderState),
        }
    }

    /// Closes a pending order (cancelled or expired) and returns its stock.
    /// `None` when the order was no longer pending (someone else won).
    async fn close(
        &self,
        order: &Order,
        to: OrderStatus,
        owner: Option<&UserId>,
        due_by: Option<Timestamp>,
    ) -> Result<Option<Order>, Error> {
        let now = Timestamp::now();
        // Lines whose product is not stored at all are skipped (and logged):
        // stock is never given back by re-creating a product.
        let mut lines: Vec<_> = order.items.iter().collect();
        loop {
            let mut items = vec![self.orders.close(&order.id, to, owner, due_by, now)?];
            for line in &lines {
                items.push(
                    self.products
                        .give_back_stock(&line.product_id, line.quantity.get())?,
                );
            }
            match transact(self.orders.client(), items, None, &self.retry).await {
                Ok(()) => {
                    let mut closed = order.clone();
                    closed.status = to;
                    closed.updated_at = now;
                    return Ok(Some(closed));
                }
                Err(TransactError::Cancelled(reasons)) => {
                    if condition_failed(&reasons, 0) {
                        return Ok(None);
                    }
                    let missing: Vec<usize> = (0..lines.len())
                        .filter(|i| condition_failed(&reasons, i + 1))
                        .collect();
                    if missing.is_empty() {
                        return Err(Error::internal("closing an order")(
                            TransactError::Cancelled(reasons),
                        ));
                    }
                    for i in missing.iter().rev() {
                        tracing::error!(order = %order.id, product = %lines[*i].product_id, "product is not stored; its stock cannot be given back");
                        lines.remove(*i);
                    }
                }
                Err(error) => return Err(Error::internal("closing an order")(error)),
            }
        }
    }

    /// Expires pending orders that are due: each in its own transaction,
    /// conditional on still being pending and due.
    pub async fn expire_due(&self, now: Timestamp, batch: i32) -> Result<Sweep, Error> {
        let mut sweep = Sweep::default();
        for order in self.orders.pending_due(now, batch).await? {
            match self
                .close(&order, OrderStatus::Expired, None, Some(now))
                .await
            {
                Ok(Some(_)) => sweep.expired += 1,
                Ok(None) => sweep.skipped += 1,
                Err(error) => {
                    tracing::error!(order = %order.id, %error, "expiring an order failed; the next sweep retries it");
                    sweep.failed += 1;
                }
            }
        }
        Ok(sweep)
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Sweep {
    pub expired: u32,
    pub skipped: u32,
    pub failed: u32,
}
