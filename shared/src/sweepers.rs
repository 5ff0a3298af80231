//! Scheduled functions: EventBridge invokes them with a scheduled event,
//! whose content they do not need.

use crate::Error;
use crate::domain::Timestamp;
use crate::orders::{Orders, Sweep};
use lambda_http::lambda_runtime::LambdaEvent;
use serde_json::Value;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What is left until the invocation's deadline (milliseconds since the epoch).
fn time_left(deadline_ms: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_millis(deadline_ms).saturating_sub(now)
}

/// Time a sweep leaves itself before the function's deadline, to finish the
/// closes in flight and answer.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

pub struct ExpireOrders {
    orders: Orders,
}

impl ExpireOrders {
    pub fn new(orders: Orders) -> Self {
        Self { orders }
    }

    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Sweep, Error> {
        let until =
            Instant::now() + time_left(event.context.deadline).saturating_sub(DEADLINE_MARGIN);
        let sweep = self.orders.expire_due(Timestamp::now(), until).await?;
        tracing::info!(
            request_id = event.context.request_id,
            expired = sweep.expired,
            skipped = sweep.skipped,
            failed = sweep.failed,
            unfinished = sweep.unfinished,
            "expiry sweep"
        );
        Ok(sweep)
    }
}

/// Events a run re-sends at most; the next run takes the rest.
pub const RESEND_BATCH: i32 = 100;

/// How long an attempt stays untouched before the sweeper settles it: longer
/// than any Lambda function can run (15 minutes), so its function is gone.
pub const ATTEMPT_GRACE_SECONDS: i64 = 16 * 60;

/// Re-sends what was stored and not sent past the grace period: the
/// `payment.succeeded` events whose flag stayed set, and the events left in
/// the users' and the orders' outboxes; gives back the charges of payment
/// attempts abandoned before their commit; and settles the refunds whose
/// provider answer was not known.
pub struct ResendPaymentEvents {
    pub payments: crate::aws::PaymentsTable,
    pub users: crate::aws::UsersTable,
    pub orders: crate::aws::OrdersTable,
    pub queue: crate::aws::EventQueue,
    pub provider: crate::payments::provider::Simulator,
    /// Settles the refunds whose provider answer was not known.
    pub refunds: crate::refunds::Refunds<crate::payments::provider::Simulator>,
    pub grace_seconds: i64,
}

impl ResendPaymentEvents {
    pub async fn handle(
        &self,
        event: LambdaEvent<Value>,
    ) -> Result<crate::payments::Resent, Error> {
        let mut resent = crate::payments::resend_unsent(
            &self.payments,
            &self.queue,
            self.grace_seconds,
            RESEND_BATCH,
        )
        .await?;
        let outboxed = self.resend_outboxes().await?;
        resent.sent += outboxed.sent;
        resent.failed += outboxed.failed;
        let settled = crate::payments::settle_abandoned(
            &self.payments,
            &self.provider,
            Timestamp::now().plus_seconds(-ATTEMPT_GRACE_SECONDS),
        )
        .await?;
        resent.failed += settled.failed;
        let refunds = self
            .refunds
            .settle_pending(Timestamp::now().plus_seconds(-self.grace_seconds))
            .await?;
        resent.failed += refunds.pending;
        tracing::info!(
            request_id = event.context.request_id,
            sent = resent.sent,
            failed = resent.failed,
            refunded = settled.refunded,
            released = settled.released,
            refunds_succeeded = refunds.succeeded,
            refunds_failed = refunds.failed,
            refunds_pending = refunds.pending,
            "event resend sweep"
        );
        Ok(resent)
    }

    /// Sends the events older than the grace period still in the users' and
    /// the orders' outboxes, and clears each one SQS accepts. One sent twice
    /// (by the function that wrote it, and by this) is mailed once: the
    /// consumer claims its event id.
    pub async fn resend_outboxes(&self) -> Result<crate::payments::Resent, Error> {
        let before = Timestamp::now().plus_seconds(-self.grace_seconds);
        let mut resent = crate::payments::Resent::default();
        for outbox in [self.users.outbox(), self.orders.outbox()] {
            for event in outbox.unsent(before, RESEND_BATCH).await? {
                match outbox.send(&self.queue, &event).await {
                    Ok(()) => resent.sent += 1,
                    Err(error) => {
                        resent.failed += 1;
                        tracing::warn!(
                            event = event.id,
                            error = crate::error::chain(&error),
                            "an event stays in the outbox"
                        );
                    }
                }
            }
        }
        Ok(resent)
    }
}
