//! The refunds service: an admin's refund of a payment, in full or in part,
//! and the cancel of a paid order, which refunds what is left of it and
//! puts every unit back in stock.
//!
//! A refund is made in two transactions around the provider's call. The
//! first reserves its amount on the payment (never past what is left, under
//! any concurrency), its restock on the order (never past what was
//! ordered), and puts it `pending`; the provider is then asked under the
//! refund's id as its idempotency key; the second settles it: `succeeded`
//! moves the money into `refunded_cents` of payment and order, puts the
//! stock back and puts `refund.succeeded` in the orders' outbox for the
//! buyer's mail; `failed` frees what it reserved. An answer that is not
//! sure (a timeout, a crash) leaves it `pending`, and the sweeper asks the
//! provider again under the same key ([`Refunds::settle_pending`]): one
//! refund at the provider, however often it is asked.

use crate::Error;
use crate::FieldError;
use crate::aws::orders_table::{RefundChange, RefundState};
use crate::aws::outbox::Outboxed;
use crate::aws::payments_table::{PaymentRecord, StoredRefund};
use crate::aws::transact::{RetryPolicy, Transaction, TransactionError};
use crate::aws::{EventQueue, OrdersTable, PaymentsTable, ProductsTable};
use crate::domain::payment::PaymentId;
use crate::domain::refund::{
    Refund, RefundId, RefundReason, RefundRequest, RefundStatus, RefundSucceeded, Restock,
};
use crate::domain::{Cents, Order, OrderId, OrderStatus, Quantity, Timestamp, UserId};
use crate::payments::provider::{PaymentProvider, RefundOutcome};

pub const REFUND_SUCCEEDED: &str = "refund.succeeded";
const CANCELLABLE: &str =
    "Only an order that is pending payment, or paid and not yet shipped, can be cancelled.";
/// Pending refunds a sweep settles at most; the next sweep takes the rest.
pub const SETTLE_BATCH: i32 = 100;

/// The items of a refund's transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Payment,
    Refund,
    /// The request's binding to its refund.
    Binding,
    Order,
    /// The stock of the restocked line at this index.
    Line(usize),
    Event,
}

#[derive(Clone)]
pub struct Refunds<P> {
    pub payments: PaymentsTable,
    pub orders: OrdersTable,
    pub products: ProductsTable,
    pub queue: EventQueue,
    pub provider: P,
    pub retry: RetryPolicy,
}

/// What a sweep did with the pending refunds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SettledRefunds {
    pub succeeded: u32,
    pub failed: u32,
    /// Still not sure: asked again by the next sweep.
    pub pending: u32,
}

fn restock_error(i: usize, field: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(format!("restock[{i}].{field}"), message)
}

impl<P: PaymentProvider> Refunds<P> {
    /// Refunds `request.amount` of a payment, bound to the request by
    /// `binding` (its idempotency record's key): a retry of a request that
    /// died takes its refund up again rather than making a second.
    pub async fn refund(
        &self,
        payment_id: &PaymentId,
        request: &RefundRequest,
        binding: &str,
    ) -> Result<Refund, Error> {
        if let Some(made) = self.payments.bound_refund(binding).await? {
            return self.complete(made).await;
        }
        let record = self
            .payments
            .record(payment_id)
            .await?
            .ok_or(Error::PaymentNotFound)?;
        let state = self
            .orders
            .refund_state(&record.payment.order_id)
            .await?
            .ok_or_else(|| Error::internal("refunding")("the payment's order is not stored"))?;
        let mut errors = Vec::new();
        for (i, line) in request.restock.iter().enumerate() {
            let Some(ordered) = ordered(&state.order, line) else {
                errors.push(
                    restock_error(i, "product_id", "is not a product of this order")
                        .for_product(line.product_id.as_str()),
                );
                continue;
            };
            let left = ordered - state.restocked.get(&line.product_id).copied().unwrap_or(0);
            if line.quantity.get() > left {
                errors.push(
                    restock_error(
                        i,
                        "quantity",
                        format!("at most {left} more can be restocked"),
                    )
                    .for_product(line.product_id.as_str()),
                );
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let refund = self.new_refund(&record, request.amount.cents(), request.reason)?;
        let stored = StoredRefund {
            refund,
            user_id: record.user_id.clone(),
            note: request.note.clone(),
            restock: request.restock.clone(),
            cancels_order: false,
            reference: self.reference(&record).await?,
        };
        self.begin(&record, &state.order, stored, Some(binding), None)
            .await
    }

    /// Cancels a paid order that has not shipped: refunds what is left of
    /// its payment and restocks what its refunds have not. The owner's
    /// cancel is conditional on being the owner (`owner`); an admin's is not.
    /// A cancel already in progress is taken up again.
    pub async fn cancel_paid(
        &self,
        state: RefundState,
        owner: Option<&UserId>,
    ) -> Result<Order, Error> {
        if state.cancelling.is_none() && state.order.status != OrderStatus::Paid {
            return Err(Error::InvalidOrderState {
                status: Some(state.order.status),
                allowed: CANCELLABLE,
            });
        }
        let order_id = state.order.id.clone();
        let payment_id = state
            .order
            .payment_id
            .as_deref()
            .and_then(PaymentId::parse)
            .ok_or_else(|| Error::internal("cancelling an order")("a paid order has no payment"))?;
        if let Some(refund) = &state.cancelling {
            let made = self
                .payments
                .get_refund(&payment_id, refund)
                .await?
                .ok_or_else(|| {
                    Error::internal("cancelling an order")("its refund is not stored")
                })?;
            self.complete(made).await?;
            return self.order(&order_id).await;
        }
        // A partial refund that reserves its amount between the read and
        // the reservation makes the cancel's amount stale: read again.
        let mut state = state;
        for _ in 0..5 {
            match self.cancel_once(&state, &payment_id, owner).await {
                Err(Error::RefundExceedsPayment { .. }) => {
                    state = self
                        .orders
                        .refund_state(&order_id)
                        .await?
                        .ok_or(Error::OrderNotFound)?;
                    if state.order.status != OrderStatus::Paid || state.cancelling.is_some() {
                        return Err(Error::InvalidOrderState {
                            status: None,
                            allowed: CANCELLABLE,
                        });
                    }
                }
                other => {
                    other?;
                    return self.order(&order_id).await;
                }
            }
        }
        Err(Error::InvalidOrderState {
            status: None,
            allowed: CANCELLABLE,
        })
    }

    /// One try of a paid order's cancel: refund what is left of `payment_id`
    /// and restock what earlier refunds did not.
    async fn cancel_once(
        &self,
        state: &RefundState,
        payment_id: &PaymentId,
        owner: Option<&UserId>,
    ) -> Result<(), Error> {
        let record =
            self.payments.record(payment_id).await?.ok_or_else(|| {
                Error::internal("cancelling an order")("its payment is not stored")
            })?;
        let left = record.payment.amount_cents.get() - record.reserved_cents;
        if left <= 0 {
            return Err(Error::InvalidOrderState {
                status: Some(state.order.status),
                allowed: "Its payment is refunded in full already, so it keeps its status.",
            });
        }
        let amount = Cents::parse(left).map_err(Error::internal("cancelling an order"))?;
        let restock = state
            .order
            .items
            .iter()
            .filter_map(|line| {
                let done = state.restocked.get(&line.product_id).copied().unwrap_or(0);
                let quantity = Quantity::parse(line.quantity.get() - done).ok()?;
                (quantity.get() > 0).then(|| Restock {
                    product_id: line.product_id.clone(),
                    quantity,
                })
            })
            .collect();
        let stored = StoredRefund {
            refund: self.new_refund(&record, amount, RefundReason::RequestedByCustomer)?,
            user_id: record.user_id.clone(),
            note: None,
            restock,
            cancels_order: true,
            reference: self.reference(&record).await?,
        };
        self.begin(&record, &state.order, stored, None, Some(owner))
            .await?;
        Ok(())
    }

    /// Settles the refunds pending since `before`: the provider is asked
    /// again under each one's key, and answers what it did.
    pub async fn settle_pending(&self, before: Timestamp) -> Result<SettledRefunds, Error> {
        let mut settled = SettledRefunds::default();
        for refund in self.payments.pending_refunds(before, SETTLE_BATCH).await? {
            let id = refund.refund.id.clone();
            match self.complete(refund).await {
                Ok(refund) => match refund.status {
                    RefundStatus::Succeeded => settled.succeeded += 1,
                    RefundStatus::Failed => settled.failed += 1,
                    RefundStatus::Pending => settled.pending += 1,
                },
                Err(error) => {
                    settled.pending += 1;
                    tracing::error!(
                        refund = %id,
                        error = crate::error::chain(&error),
                        "a pending refund stays for the next sweep"
                    );
                }
            }
        }
        Ok(settled)
    }

    fn new_refund(
        &self,
        record: &PaymentRecord,
        amount_cents: Cents,
        reason: RefundReason,
    ) -> Result<Refund, Error> {
        let refundable = record.payment.amount_cents.get() - record.reserved_cents;
        let succeeded = record.payment.status != crate::domain::payment::PaymentStatus::Failed;
        if !succeeded || amount_cents.get() > refundable || amount_cents.get() <= 0 {
            return Err(Error::RefundExceedsPayment {
                refundable_cents: if succeeded { refundable.max(0) } else { 0 },
            });
        }
        Ok(Refund {
            id: RefundId::generate(),
            payment_id: record.payment.id.clone(),
            order_id: record.payment.order_id.clone(),
            amount_cents,
            reason,
            status: RefundStatus::Pending,
            created_at: Timestamp::now(),
        })
    }

    /// The provider's name for the charge: stored with the payment, or (for
    /// a payment stored before that) asked of the provider.
    async fn reference(&self, record: &PaymentRecord) -> Result<String, Error> {
        if let Some(reference) = &record.reference {
            return Ok(reference.clone());
        }
        match self.provider.retrieve(record.payment.id.as_str()).await? {
            Some(crate::payments::provider::ChargeOutcome::Succeeded { reference, .. }) => {
                Ok(reference)
            }
            _ => Err(Error::internal("refunding")(
                "the provider has no succeeded charge for this payment",
            )),
        }
    }

    async fn order(&self, id: &OrderId) -> Result<Order, Error> {
        self.orders.get(id).await?.ok_or(Error::OrderNotFound)
    }

    /// Reserves the refund and puts it pending, then completes it.
    /// `cancel` is `Some(owner)` for a cancel (`owner` `None` for an admin's).
    async fn begin(
        &self,
        record: &PaymentRecord,
        order: &Order,
        stored: StoredRefund,
        binding: Option<&str>,
        cancel: Option<Option<&UserId>>,
    ) -> Result<Refund, Error> {
        let refund = &stored.refund;
        let change = change(order, &stored, cancel.flatten());
        let limit = record.payment.amount_cents.get() - refund.amount_cents.get();
        let mut transaction = Transaction::default();
        transaction
            .add(
                Write::Payment,
                self.payments
                    .reserve_refund(&refund.payment_id, refund.amount_cents, limit)?,
            )
            .add(Write::Refund, self.payments.put_refund(&stored)?);
        if let Some(binding) = binding {
            transaction.add(Write::Binding, self.payments.bind_refund(binding, refund)?);
        }
        if let Some(item) = self.orders.reserve_refund(&order.id, &change)? {
            transaction.add(Write::Order, item);
        }
        let cancelled = match transaction
            .run(
                self.payments.client(),
                Some(refund.id.as_str()),
                &self.retry,
            )
            .await
        {
            Ok(()) => return self.complete(stored).await,
            Err(TransactionError::Cancelled(cancelled)) => cancelled,
            Err(error) => return Err(Error::internal("reserving a refund")(error)),
        };
        if let (true, Some(binding)) = (cancelled.condition_failed(&Write::Binding), binding) {
            // A retry of this request made its refund meanwhile.
            let made = self.payments.bound_refund(binding).await?.ok_or_else(|| {
                Error::internal("reserving a refund")("the request's refund is not stored")
            })?;
            return self.complete(made).await;
        }
        if cancelled.condition_failed(&Write::Order) {
            if cancel.is_some() {
                return Err(Error::InvalidOrderState {
                    status: None,
                    allowed: CANCELLABLE,
                });
            }
            return Err(Error::Validation(vec![FieldError::new(
                "restock",
                "another refund restocked these units meanwhile",
            )]));
        }
        if cancelled.condition_failed(&Write::Payment) {
            let now = self.payments.record(&refund.payment_id).await?;
            let left = now.map_or(0, |r| r.payment.amount_cents.get() - r.reserved_cents);
            return Err(Error::RefundExceedsPayment {
                refundable_cents: left.max(0),
            });
        }
        Err(Error::internal("reserving a refund")(cancelled))
    }

    /// Asks the provider for a pending refund (under its own key) and
    /// settles it by the answer; a settled refund is answered as it is.
    async fn complete(&self, stored: StoredRefund) -> Result<Refund, Error> {
        if stored.refund.status != RefundStatus::Pending {
            return Ok(stored.refund);
        }
        let refund = &stored.refund;
        let answer = self
            .provider
            .refund(&crate::payments::provider::RefundRequest {
                reference: &stored.reference,
                amount_cents: refund.amount_cents,
                idempotency_key: refund.id.as_str(),
            })
            .await;
        crate::fault::point("refunds.after_provider", refund.order_id.as_str())?;
        match answer {
            Ok(RefundOutcome::Succeeded) => self.settle(&stored, RefundStatus::Succeeded).await,
            Ok(RefundOutcome::Failed) => self.settle(&stored, RefundStatus::Failed).await,
            Err(error) => {
                tracing::warn!(
                    refund = %refund.id,
                    error = crate::error::chain(&error),
                    "the provider's answer to a refund is not known; it stays pending for the sweeper"
                );
                Ok(stored.refund)
            }
        }
    }

    /// Records what the provider did, in one transaction with everything it
    /// moves; the loser of two settles answers what the winner recorded.
    async fn settle(&self, stored: &StoredRefund, to: RefundStatus) -> Result<Refund, Error> {
        let refund = &stored.refund;
        let now = Timestamp::now();
        let order = self.order(&refund.order_id).await?;
        let change = change(&order, stored, None);
        let succeeded = to == RefundStatus::Succeeded;
        let event = if succeeded {
            Some(Outboxed::new(
                REFUND_SUCCEEDED,
                now,
                RefundSucceeded {
                    refund_id: refund.id.clone(),
                    order_id: refund.order_id.clone(),
                    user_id: stored.user_id.clone(),
                    amount_cents: refund.amount_cents,
                    currency: order.currency,
                    cancels_order: stored.cancels_order,
                },
            )?)
        } else {
            None
        };
        // Lines whose product is no longer stored are skipped (and logged):
        // stock is never given back by re-creating a product.
        let mut restock: Vec<&Restock> = if succeeded {
            stored.restock.iter().collect()
        } else {
            Vec::new()
        };
        loop {
            let mut transaction = Transaction::default();
            transaction.add(Write::Refund, self.payments.settle_refund(refund, to)?);
            transaction.add(
                Write::Payment,
                if succeeded {
                    self.payments
                        .add_refunded(&refund.payment_id, refund.amount_cents)?
                } else {
                    self.payments
                        .release_refund(&refund.payment_id, refund.amount_cents)?
                },
            );
            let amount = succeeded.then_some(refund.amount_cents);
            if let Some(item) = self.orders.settle_refund(&order.id, &change, amount, now)? {
                transaction.add(Write::Order, item);
            }
            for (i, line) in restock.iter().enumerate() {
                transaction.add(
                    Write::Line(i),
                    self.products
                        .give_back_stock(&line.product_id, line.quantity.get())?,
                );
            }
            if let Some(event) = &event {
                transaction.add(Write::Event, self.orders.outbox().put(event)?);
            }
            let cancelled = match transaction
                .run(self.payments.client(), None, &self.retry)
                .await
            {
                Ok(()) => {
                    if let Some(event) = &event {
                        self.orders.outbox().publish(&self.queue, event).await;
                    }
                    return Ok(Refund {
                        status: to,
                        ..refund.clone()
                    });
                }
                Err(TransactionError::Cancelled(cancelled)) => cancelled,
                Err(error) => return Err(Error::internal("settling a refund")(error)),
            };
            if cancelled.condition_failed(&Write::Refund) {
                // Settled meanwhile (the sweeper and a retry asked at once).
                let now = self
                    .payments
                    .get_refund(&refund.payment_id, &refund.id)
                    .await?
                    .ok_or_else(|| Error::internal("settling a refund")("it is not stored"))?;
                return Ok(now.refund);
            }
            let gone = cancelled.take_failed(&mut restock, |name| match name {
                Write::Line(i) => Some(*i),
                _ => None,
            });
            if gone.is_empty() {
                return Err(Error::internal("settling a refund")(cancelled));
            }
            for line in gone {
                tracing::error!(refund = %refund.id, product = %line.product_id, "product is not stored; its stock cannot be given back");
            }
        }
    }
}

/// Units of `line`'s product the order holds.
fn ordered(order: &Order, line: &Restock) -> Option<i64> {
    order
        .items
        .iter()
        .find(|l| l.product_id == line.product_id)
        .map(|l| l.quantity.get())
}

/// The refund's writes to its order.
fn change<'a>(
    order: &Order,
    stored: &'a StoredRefund,
    owner: Option<&'a UserId>,
) -> RefundChange<'a> {
    RefundChange {
        refund: &stored.refund.id,
        restock: stored
            .restock
            .iter()
            .map(|line| {
                let most = ordered(order, line).unwrap_or(0) - line.quantity.get();
                (&line.product_id, line.quantity.get(), most)
            })
            .collect(),
        cancels: stored.cancels_order,
        owner,
    }
}

/// `POST /orders/{id}/cancel`, by the owner or an admin: a pending order is
/// closed with its stock back; a paid one is refunded and restocked.
pub async fn cancel<P: PaymentProvider>(
    orders: &crate::orders::Orders,
    refunds: &Refunds<P>,
    caller: &UserId,
    admin: bool,
    id: &OrderId,
) -> Result<Order, Error> {
    let state = refunds
        .orders
        .refund_state(id)
        .await?
        .filter(|s| admin || s.order.user_id == *caller)
        .ok_or(Error::OrderNotFound)?;
    if state.order.status.is_open() {
        return orders.cancel_as(caller, admin, id).await;
    }
    refunds.cancel_paid(state, (!admin).then_some(caller)).await
}
