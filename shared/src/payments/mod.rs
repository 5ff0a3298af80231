//! The payments service: charge an order through the provider, record the
//! payment and mark the order paid in one transaction, then publish
//! `payment.succeeded` with an outbox flag so the event is never lost.
//!
//! A charge never happens twice for one request: before the provider is
//! called, the request's attempt is written with its payment id, which is
//! the provider's idempotency key, and every retry of the request (after a
//! crash, a timeout or a `5xx`) charges under that key again, which the
//! provider answers without charging. The commit deletes the attempt; an
//! attempt the sweeper finds abandoned has its charge given back
//! ([`settle_abandoned`]). A commit whose outcome is unknown is never
//! refunded: it may have succeeded, and a retry or the sweeper finds out.
//!
//! Against card testing, each charge first reserves a use of two sliding
//! limits on declines (per user, per source IP); the use is given back
//! unless the charge was declined, so only declines count, and a burst of
//! parallel attempts gets no more declines through than a sequence would
//! (a sixth attempt while five are in flight waits a second: `429` with
//! `Retry-After: 1`).

pub mod provider;

use crate::aws::IdempotencyStore;
use crate::aws::payments_table::{Attempt, AttemptState};
use crate::aws::transact::{RetryPolicy, Transaction, TransactionError};
use crate::aws::{EventQueue, OrdersTable, PaymentsTable, RateLimits, UsersTable};
use crate::domain::payment::{
    DeclineCode, Envelope, Payment, PaymentId, PaymentMethod, PaymentStatus, PaymentSucceeded,
};
use crate::domain::throttle::{DECLINES_PER_USER, RateLimit};
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
    /// The request's attempt, deleted.
    Attempt,
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
    /// The decline limits, in the payments table.
    pub limits: RateLimits,
    pub declines_per_ip: RateLimit,
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
    /// Past the decline limits: `TooManyAttempts`, and nothing charged.
    pub async fn pay(
        &self,
        user: &UserId,
        order_id: &OrderId,
        method: &PaymentMethod,
        source_ip: &str,
        idempotency: (&IdempotencyStore, &Claim),
    ) -> Result<Charged, Error> {
        let now = Timestamp::now();
        // Both limits at once: each is its own item.
        let user_limit = format!("declines#user#{user}");
        let ip_limit = format!("declines#ip#{source_ip}");
        let (by_user, by_ip) = tokio::join!(
            self.limits.reserve(&user_limit, DECLINES_PER_USER, now),
            self.limits.reserve(&ip_limit, self.declines_per_ip, now),
        );
        let taken = match (by_user?, by_ip?) {
            (Ok(by_user), Ok(by_ip)) => [by_user, by_ip],
            (by_user, by_ip) => {
                let mut retry_after_secs = 1;
                for taken in [by_user, by_ip] {
                    match taken {
                        Ok(taken) => self.limits.give_back(&taken).await?,
                        Err(wait) => retry_after_secs = retry_after_secs.max(wait),
                    }
                }
                return Err(Error::TooManyAttempts { retry_after_secs });
            }
        };
        let charged = self.charge(user, order_id, method, idempotency).await;
        let (a, b) = if matches!(charged, Ok(Charged::Declined { .. })) {
            tokio::join!(
                self.limits.confirm(&taken[0]),
                self.limits.confirm(&taken[1])
            )
        } else {
            tokio::join!(
                self.limits.give_back(&taken[0]),
                self.limits.give_back(&taken[1])
            )
        };
        if let Err(error) = a.and(b) {
            tracing::warn!(
                error = crate::error::chain(&error),
                "a decline limit's use was not settled; it counts until it leaves the hour"
            );
        }
        charged
    }

    async fn charge(
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
        let attempt = self
            .payments
            .begin_attempt(claim, &PaymentId::generate(), &order.id, user, now)
            .await?
            .ok_or(Error::IdempotencyInProgress)?;
        let payment_id = attempt.payment_id.clone();
        let outcome = self
            .provider
            .charge(&ChargeRequest {
                method,
                amount_cents: order.total_cents,
                currency: order.currency.code(),
                idempotency_key: payment_id.as_str(),
                description: order.id.as_str(),
            })
            .await?;
        crate::fault::point("payments.after_charge", order.id.as_str())?;
        let payment = |status, failure_code, card| Payment {
            id: payment_id.clone(),
            order_id: order.id.clone(),
            amount_cents: order.total_cents,
            currency: order.currency,
            status,
            failure_code,
            card,
            created_at: now,
            refunded_cents: crate::domain::Cents::ZERO,
            refunds: Vec::new(),
        };
        match outcome {
            ChargeOutcome::UnknownMethod => {
                // Nothing was charged: the attempt has nothing to settle.
                self.payments.forget_attempt(&attempt).await?;
                Err(Error::Validation(vec![FieldError::new(
                    "payment_method",
                    "is not a payment method the provider knows",
                )]))
            }
            ChargeOutcome::Declined { card, code } => {
                // The failed payment and the recorded decline are written together.
                let failed = payment(PaymentStatus::Failed, Some(code), card);
                let declined = Charged::Declined {
                    code,
                    payment_id: payment_id.clone(),
                };
                let mut transaction = Transaction::default();
                transaction
                    .add(
                        Write::Payment,
                        self.payments.put_new(&failed, user, None, None)?,
                    )
                    .add(Write::Attempt, self.payments.settle_attempt(&attempt)?)
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
            ChargeOutcome::Succeeded {
                card, reference, ..
            } => {
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
                        self.payments.put_new(
                            &paid,
                            user,
                            Some(event.clone()),
                            Some(&reference),
                        )?,
                    )
                    .add(
                        Write::Order,
                        self.orders.pay(&order.id, user, payment_id.as_str(), now)?,
                    )
                    .add(Write::OpenSlot, self.orders.release_open_slot(user)?)
                    .add(Write::Attempt, self.payments.settle_attempt(&attempt)?)
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
                    // Another try of this request holds the key now: it charges
                    // under the same key and commits this very charge.
                    Err(TransactionError::Cancelled(c)) if c.condition_failed(&Write::Answer) => {
                        Err(Error::IdempotencyInProgress)
                    }
                    // Paid, cancelled or expired meanwhile: give the money back.
                    Err(TransactionError::Cancelled(c)) if c.condition_failed(&Write::Order) => {
                        self.give_back(&attempt, &reference, order.total_cents)
                            .await?;
                        Err(Error::OrderNotPayable)
                    }
                    // Not committed, or perhaps committed: a retry or the
                    // sweeper settles the attempt; refunding now could give
                    // back a payment that stands.
                    Err(e) => Err(Error::internal("recording a payment")(e)),
                }
            }
        }
    }

    /// Refunds a charge whose order could not be paid, then forgets its
    /// attempt. A refund that fails leaves the attempt for the sweeper.
    async fn give_back(
        &self,
        attempt: &Attempt,
        reference: &str,
        amount_cents: crate::domain::Cents,
    ) -> Result<(), Error> {
        if let Err(error) = refund_whole(&self.provider, attempt, reference, amount_cents).await {
            tracing::error!(
                payment = %attempt.payment_id,
                error = crate::error::chain(&error),
                "a charge whose order could not be paid was not refunded; the sweeper refunds it"
            );
            return Err(error);
        }
        self.payments.forget_attempt(attempt).await?;
        Ok(())
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

/// How many attempts a sweep settles at most; the next sweep takes the rest.
pub const SETTLE_BATCH: i32 = 100;

/// What a sweep did with the abandoned attempts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Settled {
    /// Charges given back.
    pub refunded: u32,
    /// Attempts whose provider took no money.
    pub released: u32,
    /// Attempts left for the next sweep.
    pub failed: u32,
}

/// Settles the attempts no request has taken up since `before`: their
/// function died or their commit failed, and no payment was recorded (a
/// committed payment deletes its attempt). Whatever the provider charged is
/// given back; a retry of the request later starts a new attempt.
pub async fn settle_abandoned<P: PaymentProvider>(
    payments: &PaymentsTable,
    provider: &P,
    before: Timestamp,
) -> Result<Settled, Error> {
    let mut settled = Settled::default();
    for attempt in payments.abandoned_attempts(before, SETTLE_BATCH).await? {
        match settle_one(payments, provider, &attempt).await {
            Ok(Some(true)) => settled.refunded += 1,
            Ok(Some(false)) => settled.released += 1,
            Ok(None) => {}
            Err(error) => {
                settled.failed += 1;
                tracing::error!(
                    payment = %attempt.payment_id,
                    error = crate::error::chain(&error),
                    "an abandoned payment attempt stays for the next sweep"
                );
            }
        }
    }
    Ok(settled)
}

/// `Some(true)` refunded, `Some(false)` nothing was charged, `None` a
/// request took the attempt up meanwhile.
async fn settle_one<P: PaymentProvider>(
    payments: &PaymentsTable,
    provider: &P,
    attempt: &Attempt,
) -> Result<Option<bool>, Error> {
    let charged = match provider.retrieve(attempt.payment_id.as_str()).await? {
        Some(ChargeOutcome::Succeeded {
            reference,
            amount_cents,
            ..
        }) => Some((reference, amount_cents)),
        _ => None,
    };
    let Some((reference, amount_cents)) = charged else {
        return Ok(payments.forget_attempt(attempt).await?.then_some(false));
    };
    // Claimed first, so a retry waits instead of committing a charge being refunded.
    if attempt.state == AttemptState::Charging && !payments.start_refunding(attempt).await? {
        return Ok(None);
    }
    refund_whole(provider, attempt, &reference, amount_cents).await?;
    tracing::warn!(payment = %attempt.payment_id, order = %attempt.order_id, "an abandoned charge was given back");
    payments.forget_attempt(attempt).await?;
    Ok(Some(true))
}

/// Gives a charge whose payment was never recorded back whole, under a key
/// of its own (its payment id): asked twice, the provider refunds once.
async fn refund_whole<P: PaymentProvider>(
    provider: &P,
    attempt: &Attempt,
    reference: &str,
    amount_cents: crate::domain::Cents,
) -> Result<(), Error> {
    let key = format!("giveback_{}", attempt.payment_id);
    let outcome = provider
        .refund(&provider::RefundRequest {
            reference,
            amount_cents,
            idempotency_key: &key,
        })
        .await?;
    match outcome {
        provider::RefundOutcome::Succeeded => Ok(()),
        provider::RefundOutcome::Failed => Err(Error::internal("giving a charge back")(
            "the provider refused the refund",
        )),
    }
}
