//! The payments service: charge an order through the provider, record the
//! payment and mark the order paid in one transaction, then publish
//! `payment.succeeded` with an outbox flag so the event is never lost.

pub mod provider;

use crate::aws::IdempotencyStore;
use crate::aws::transact::{RetryPolicy, Transaction, TransactionError};
use crate::aws::{EventQueue, OrdersTable, PaymentsTable, UsersTable};
use crate::domain::payment::{
    DeclineCode, Envelope, Payment, PaymentId, PaymentMethod, PaymentStatus, PaymentSucceeded,
};
use crate::domain::{OrderId, Timestamp, UserId};
use crate::idempotency::Claim;
use crate::{Error, FieldError};
use provider::{ChargeOutcome, ChargeRequest, PaymentProvider};
use serde::{Deserialize, Serialize};

pub const EVENT_TYPE: &str = "payment.succeeded";

/// The items of a payment's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Payment,
    Order,
    /// The buyer's count of open orders.
    OpenSlot,
    /// The idempotent answer.
    Answer,
}

#[derive(Clone)]
pub struct Payments<P> {
    pub payments: PaymentsTable,
    pub orders: OrdersTable,
    pub users: UsersTable,
    pub queue: EventQueue,
    pub provider: P,
    pub retry: RetryPolicy,
}

/// What a charge ended as: the key's recorded outcome, and what
/// `POST /payments` answers (`201` with the payment, or `402`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Charged {
    Paid(Payment),
    Declined {
        code: DeclineCode,
        payment_id: PaymentId,
    },
}

impl<P: PaymentProvider> Payments<P> {
    /// Pays the caller's order under the claimed key: the charge's outcome,
    /// a payment or a decline, is recorded with the payment it writes.
    pub async fn pay(
        &self,
        user: &UserId,
        order_id: &OrderId,
        method: &PaymentMethod,
        (store, claim): (&IdempotencyStore, &Claim),
    ) -> Result<Charged, Error> {
        let order = match self.orders.get(order_id).await? {
            Some(order) if order.user_id == *user => order,
            _ => return Err(Error::OrderNotFound),
        };
        let now = Timestamp::now();
        if !order.status.is_open() || order.expires_at <= now {
            return Err(Error::OrderNotPayable);
        }
        let email = self
            .users
            .get_user(user)
            .await?
            .map(|u| u.user.email.as_str().to_owned())
            .ok_or(Error::UserNotFound)?;
        let payment_id = PaymentId::generate();
        let outcome = self
            .provider
            .charge(&ChargeRequest {
                method,
                amount_cents: order.total_cents,
                currency: order.currency.code(),
                idempotency_key: payment_id.as_str(),
            })
            .await?;
        let payment = |status, failure_code, card| Payment {
            id: payment_id.clone(),
            order_id: order.id.clone(),
            amount_cents: order.total_cents,
            currency: order.currency,
            status,
            failure_code,
            card,
            created_at: now,
        };
        match outcome {
            ChargeOutcome::UnknownMethod => Err(Error::Validation(vec![FieldError::new(
                "payment_method",
                "is not a payment method the provider knows",
            )])),
            ChargeOutcome::Declined { card, code } => {
                // The failed payment and the recorded decline are written together.
                let failed = payment(PaymentStatus::Failed, Some(code), card);
                let declined = Charged::Declined {
                    code,
                    payment_id: payment_id.clone(),
                };
                let mut transaction = Transaction::default();
                transaction
                    .add(Write::Payment, self.payments.put_new(&failed, user, None)?)
                    .add(Write::Answer, store.complete_item(claim, &declined)?);
                match transaction
                    .run(self.payments.client(), Some(claim.token()), &self.retry)
                    .await
                {
                    Ok(()) => Ok(declined),
                    Err(TransactionError::Cancelled(c)) if c.condition_failed(&Write::Answer) => {
                        Err(Error::IdempotencyInProgress)
                    }
                    Err(e) => Err(Error::internal("recording a declined payment")(e)),
                }
            }
            ChargeOutcome::Succeeded { card, reference } => {
                let paid = payment(PaymentStatus::Succeeded, None, card);
                let event = Envelope {
                    kind: EVENT_TYPE.into(),
                    id: ulid::Ulid::new().to_string(),
                    time: now,
                    data: PaymentSucceeded {
                        payment_id: payment_id.clone(),
                        order_id: order.id.clone(),
                        user_id: user.clone(),
                        email,
                        lines: order.items.clone(),
                        total_cents: order.total_cents,
                        currency: order.currency,
                    },
                };
                let event =
                    serde_json::to_string(&event).map_err(Error::internal("encoding an event"))?;
                let mut transaction = Transaction::default();
                transaction
                    .add(
                        Write::Payment,
                        self.payments.put_new(&paid, user, Some(event.clone()))?,
                    )
                    .add(
                        Write::Order,
                        self.orders.pay(&order.id, user, payment_id.as_str(), now)?,
                    )
                    .add(Write::OpenSlot, self.orders.release_open_slot(user)?)
                    .add(
                        Write::Answer,
                        store.complete_item(claim, &Charged::Paid(paid.clone()))?,
                    );
                match transaction
                    .run(self.payments.client(), Some(claim.token()), &self.retry)
                    .await
                {
                    Ok(()) => {
                        self.publish(&payment_id, &event).await;
                        Ok(Charged::Paid(paid))
                    }
                    Err(TransactionError::Cancelled(cancelled)) => {
                        // Paid, cancelled or expired meanwhile: give the money back.
                        self.provider.refund(&reference).await?;
                        if cancelled.condition_failed(&Write::Answer) {
                            Err(Error::IdempotencyInProgress)
                        } else if cancelled.condition_failed(&Write::Order) {
                            Err(Error::OrderNotPayable)
                        } else {
                            Err(Error::internal("recording a payment")(cancelled))
                        }
                    }
                    Err(e) => {
                        self.provider.refund(&reference).await?;
                        Err(Error::internal("recording a payment")(e))
                    }
                }
            }
        }
    }

    /// Puts the event on the queue and clears the payment's flag. A failure
    /// is logged and left to the sweeper: the flag stays set.
    pub async fn publish(&self, payment: &PaymentId, event: &str) {
        match self.queue.send(event).await {
            Ok(()) => {
                if let Err(error) = self.payments.mark_sent(payment).await {
                    tracing::warn!(%payment, %error, "event sent but its flag stays; the sweeper sends it again");
                }
            }
            Err(error) => {
                tracing::warn!(%payment, %error, "event not sent; the sweeper sends it again")
            }
        }
    }

    /// The caller's own payment.
    pub async fn get(&self, user: &UserId, id: &PaymentId) -> Result<Payment, Error> {
        match self.payments.get(id).await? {
            Some((payment, owner)) if owner == *user => Ok(payment),
            _ => Err(Error::PaymentNotFound),
        }
    }
}

/// Re-sends the events of payments whose flag stayed set longer than the
/// grace period (the function died, or the queue refused).
pub async fn resend_unsent(
    payments: &PaymentsTable,
    queue: &EventQueue,
    grace_seconds: i64,
    batch: i32,
) -> Result<Resent, Error> {
    let mut resent = Resent::default();
    for unsent in payments
        .unsent(Timestamp::now().plus_seconds(-grace_seconds), batch)
        .await?
    {
        match queue.send(&unsent.event).await {
            Ok(()) => {
                payments.mark_sent(&unsent.payment_id).await?;
                resent.sent += 1;
            }
            Err(error) => {
                tracing::error!(payment = %unsent.payment_id, %error, "re-sending an event failed; the next sweep retries it");
                resent.failed += 1;
            }
        }
    }
    Ok(resent)
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Resent {
    pub sent: u32,
    pub failed: u32,
}
