//! The orders service: create (one transaction with the stock it takes),
//! list, get, cancel, and the expiry sweep.

use crate::aws::IdempotencyStore;
use crate::aws::orders_table::PENDING_SHARDS;
use crate::aws::transact::{RetryPolicy, Transaction, TransactionError};
use crate::aws::{OrdersTable, ProductsTable};
use crate::cursor::Position;
use crate::domain::order::{Delivery, Destination, ShippingRequest};
use crate::domain::{Order, OrderId, OrderRequest, OrderStatus, ProductId, Timestamp, UserId};
use crate::idempotency::Claim;
use crate::{Error, FieldError};
use futures::StreamExt;

const CANCELLABLE: &str =
    "Only an order that is pending payment, or paid and not yet shipped, can be cancelled.";
use std::time::Instant;

pub const DEFAULT_EXPIRY_SECONDS: i64 = 30 * 60;
/// Due orders read per query of the expiry sweep.
const EXPIRY_PAGE: i32 = 100;
/// Orders the expiry sweep closes at once.
const EXPIRY_CONCURRENCY: usize = 16;

#[derive(Clone)]
pub struct Orders {
    pub orders: OrdersTable,
    pub products: ProductsTable,
    pub expiry_seconds: i64,
    pub retry: RetryPolicy,
}

/// The items of an order's transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Order,
    /// The stock of the order's line at this index.
    Line(usize),
    /// The user's count of open orders.
    OpenSlot,
    /// The cart a checkout empties.
    Cart,
    /// The idempotent answer.
    Answer,
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
    /// decrements and (with a claim) the order as the key's outcome in one
    /// transaction: all of it or nothing.
    pub async fn create(
        &self,
        user: &UserId,
        request: &OrderRequest,
        delivery: &Delivery,
        idempotency: Option<(&IdempotencyStore, &Claim)>,
    ) -> Result<Order, Error> {
        self.place(user, request, delivery, None, idempotency).await
    }

    /// Orders the caller's cart as it is at `cart_version`, exactly as
    /// [`Self::create`] orders, and empties the cart in the same
    /// transaction, conditioned on that version: one cart version makes at
    /// most one order, however many checkouts race (`409 cart_changed`).
    pub async fn checkout(
        &self,
        user: &UserId,
        carts: &crate::aws::Carts,
        cart_version: u64,
        delivery: &Delivery,
        idempotency: Option<(&IdempotencyStore, &Claim)>,
    ) -> Result<Order, Error> {
        let now = Timestamp::now();
        let cart = carts.get(user, now).await?;
        if cart.version != cart_version {
            return Err(Error::CartChanged);
        }
        if cart.lines.is_empty() {
            return Err(Error::CartEmpty);
        }
        let lines = cart
            .lines
            .iter()
            .map(|l| crate::domain::LineRequest {
                product_id: l.product_id.clone(),
                quantity: l.quantity,
            })
            .collect();
        let request = OrderRequest::parse(lines).map_err(Error::Validation)?;
        let emptied = carts.empty(user, cart_version, now)?;
        self.place(user, &request, delivery, Some(emptied), idempotency)
            .await
    }

    async fn place(
        &self,
        user: &UserId,
        request: &OrderRequest,
        delivery: &Delivery,
        cart: Option<aws_sdk_dynamodb::types::TransactWriteItem>,
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
            delivery,
            Timestamp::now(),
            self.expiry_seconds,
        )
        .map_err(|missing| {
            Error::UnknownProduct(missing.0.iter().map(|(i, id)| unknown(*i, id)).collect())
        })?;

        let mut transaction = Transaction::default();
        transaction
            .add(Write::Order, self.orders.put_new(&order)?)
            .add(Write::OpenSlot, self.orders.hold_open_slot(user)?);
        for (i, line) in order.items.iter().enumerate() {
            transaction.add(
                Write::Line(i),
                self.products
                    .take_stock(&line.product_id, line.quantity.get())?,
            );
        }
        if let Some(cart) = cart {
            transaction.add(Write::Cart, cart);
        }
        if let Some((store, claim)) = idempotency {
            transaction.add(Write::Answer, store.complete_item(claim, &order)?);
        }
        let token = idempotency.map(|(_, claim)| claim.token().to_owned());
        let cancelled = match transaction
            .run(self.orders.client(), token.as_deref(), &self.retry)
            .await
        {
            Ok(()) => return Ok(order),
            Err(TransactionError::Cancelled(cancelled)) => cancelled,
            Err(error) => return Err(Error::internal("writing an order")(error)),
        };
        if cancelled.condition_failed(&Write::Answer) {
            // Our claim ran out and another retry holds the key now.
            return Err(Error::IdempotencyInProgress);
        }
        if cancelled.condition_failed(&Write::Cart) {
            return Err(Error::CartChanged);
        }
        if cancelled.condition_failed(&Write::OpenSlot) {
            return Err(Error::TooManyOpenOrders);
        }
        // Which lines failed, and why, from the products the cancellation returned.
        let mut short = Vec::new();
        let mut gone = Vec::new();
        for (name, old) in cancelled.failed_conditions() {
            let Write::Line(i) = *name else { continue };
            let line = &order.items[i];
            match ProductsTable::stock_left(old)? {
                Some(left) => short.push(
                    FieldError::new(
                        format!("items[{i}].quantity"),
                        format!("only {left} in stock"),
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
            Err(Error::internal("writing an order")(cancelled))
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

    /// The admin's queue: every order, or those in `status`, newest first.
    /// The position is the last order shown.
    pub async fn list_all(
        &self,
        status: Option<OrderStatus>,
        limit: i32,
        start: Option<Position>,
    ) -> Result<(Vec<Order>, Option<Position>), Error> {
        let statuses = match status {
            Some(status) => vec![status],
            None => OrderStatus::ALL.to_vec(),
        };
        let before = start
            .as_ref()
            .and_then(|p| p.get("before"))
            .map(|id| OrderId::parse(id).ok_or(Error::InvalidCursor))
            .transpose()?;
        let (orders, more) = self
            .orders
            .list_by_status(&statuses, limit.max(1) as usize, before.as_ref())
            .await?;
        let next = more
            .then(|| orders.last())
            .flatten()
            .map(|last| Position::from([("before".to_owned(), last.id.to_string())]));
        Ok((orders, next))
    }

    /// Cancels the caller's pending order and gives its stock back, in one
    /// transaction conditional on the status: a cancel racing a payment or the
    /// expiry cannot both win.
    pub async fn cancel(&self, caller: &UserId, id: &OrderId) -> Result<Order, Error> {
        self.cancel_as(caller, false, id).await
    }

    /// [`Self::cancel`] by the owner, or by an admin (any order).
    pub async fn cancel_as(
        &self,
        caller: &UserId,
        admin: bool,
        id: &OrderId,
    ) -> Result<Order, Error> {
        let order = match self.orders.get(id).await? {
            Some(order) if admin || order.user_id == *caller => order,
            _ => return Err(Error::OrderNotFound),
        };
        let owner = (!admin).then_some(caller);
        if !order.status.is_open() {
            return Err(Error::InvalidOrderState {
                status: Some(order.status),
                allowed: CANCELLABLE,
            });
        }
        match self
            .close(&order, OrderStatus::Cancelled, owner, None)
            .await?
        {
            Some(closed) => Ok(closed),
            None => Err(Error::InvalidOrderState {
                status: None,
                allowed: CANCELLABLE,
            }),
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
            let mut transaction = Transaction::default();
            transaction
                .add(
                    Write::Order,
                    self.orders.close(&order.id, to, owner, due_by, now)?,
                )
                .add(
                    Write::OpenSlot,
                    self.orders.release_open_slot(&order.user_id)?,
                );
            for (i, line) in lines.iter().enumerate() {
                transaction.add(
                    Write::Line(i),
                    self.products
                        .give_back_stock(&line.product_id, line.quantity.get())?,
                );
            }
            let cancelled = match transaction
                .run(self.orders.client(), None, &self.retry)
                .await
            {
                Ok(()) => {
                    let mut closed = order.clone();
                    closed.status = to;
                    closed.updated_at = now;
                    return Ok(Some(closed));
                }
                Err(TransactionError::Cancelled(cancelled)) => cancelled,
                Err(error) => return Err(Error::internal("closing an order")(error)),
            };
            if cancelled.condition_failed(&Write::Order) {
                return Ok(None);
            }
            let gone = cancelled.take_failed(&mut lines, |name| match name {
                Write::Line(i) => Some(*i),
                _ => None,
            });
            if gone.is_empty() {
                return Err(Error::internal("closing an order")(cancelled));
            }
            for line in gone {
                tracing::error!(order = %order.id, product = %line.product_id, "product is not stored; its stock cannot be given back");
            }
        }
    }

    /// Expires the pending orders due at `now`, each in its own transaction
    /// conditional on still being pending and due, `EXPIRY_CONCURRENCY` at a
    /// time, page after page of every shard until none is left or `until`
    /// comes (the next run goes on from there; each shard's first page is
    /// taken even when `until` has passed): a backlog drains in one run
    /// rather than one page a minute.
    pub async fn expire_due(&self, now: Timestamp, until: Instant) -> Result<Sweep, Error> {
        let mut sweep = Sweep::default();
        for shard in 0..PENDING_SHARDS {
            let mut start = None;
            // Each shard's first page is always taken, so a run with a short
            // deadline (or a late start) still moves every shard forward.
            loop {
                let (due, next) = self
                    .orders
                    .pending_due(now, shard, EXPIRY_PAGE, start)
                    .await?;
                let closes = due.into_iter().map(|order| async move {
                    let closed = self
                        .close(&order, OrderStatus::Expired, None, Some(now))
                        .await;
                    (order, closed)
                });
                let mut closes = futures::stream::iter(closes).buffer_unordered(EXPIRY_CONCURRENCY);
                while let Some((order, closed)) = closes.next().await {
                    match closed {
                        Ok(Some(_)) => sweep.expired += 1,
                        Ok(None) => sweep.skipped += 1,
                        Err(error) => {
                            tracing::error!(order = %order.id, %error, "expiring an order failed; the next sweep retries it");
                            sweep.failed += 1;
                        }
                    }
                }
                match next {
                    Some(key) if Instant::now() < until => start = Some(key),
                    Some(_) => {
                        sweep.unfinished = true;
                        break;
                    }
                    None => break,
                }
            }
        }
        Ok(sweep)
    }
}

/// Makes a shipping request good: the saved address it names (the
/// caller's own) or the new one, and the shipping option, which must be
/// offered (`422` at `shipping_option_id` otherwise) and serve the
/// address's country (`422 shipping_unavailable`).
pub async fn delivery(
    users: &crate::aws::UsersTable,
    options: &crate::aws::ShippingOptions,
    user: &UserId,
    request: &ShippingRequest,
) -> Result<Delivery, Error> {
    let address = match &request.destination {
        Destination::New(fields) => fields.clone(),
        Destination::Saved(id) => users
            .saved_addresses(user)
            .await?
            .into_iter()
            .find(|a| &a.id == id)
            .map(|a| a.fields)
            .ok_or_else(|| Error::validation("address_id", "is not one of your saved addresses"))?,
    };
    let option = options
        .get(&request.option)
        .await?
        .filter(|o| o.active)
        .ok_or_else(|| {
            Error::validation(
                "shipping_option_id",
                "is not a shipping option the shop offers",
            )
        })?;
    if !option.serves(&address.country) {
        return Err(Error::ShippingUnavailable);
    }
    Ok(Delivery { address, option })
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Sweep {
    pub expired: u32,
    pub skipped: u32,
    pub failed: u32,
    /// The run stopped at its time limit with due orders possibly left.
    pub unfinished: bool,
}
