//! Scheduled functions: EventBridge invokes them with a scheduled event,
//! whose content they do not need.

use crate::Error;
use crate::domain::Timestamp;
use crate::orders::{Orders, Sweep};
use lambda_http::lambda_runtime::LambdaEvent;
use serde_json::Value;

/// Orders a sweep expires at most per run and shard; the next run takes the rest.
pub const EXPIRY_BATCH: i32 = 100;

pub struct ExpireOrders {
    orders: Orders,
}

impl ExpireOrders {
    pub fn new(orders: Orders) -> Self {
        Self { orders }
    }

    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Sweep, Error> {
        let sweep = self
            .orders
            .expire_due(Timestamp::now(), EXPIRY_BATCH)
            .await?;
        tracing::info!(
            request_id = event.context.request_id,
            expired = sweep.expired,
            skipped = sweep.skipped,
            failed = sweep.failed,
            "expiry sweep"
        );
        Ok(sweep)
    }
}

/// Events a run re-sends at most; the next run takes the rest.
pub const RESEND_BATCH: i32 = 100;

/// Re-sends `payment.succeeded` events whose flag stayed set past the grace period.
pub struct ResendPaymentEvents {
    pub payments: crate::aws::PaymentsTable,
    pub queue: crate::aws::EventQueue,
    pub grace_seconds: i64,
}

impl ResendPaymentEvents {
    pub async fn handle(
        &self,
        event: LambdaEvent<Value>,
    ) -> Result<crate::payments::Resent, Error> {
        let resent = crate::payments::resend_unsent(
            &self.payments,
            &self.queue,
            self.grace_seconds,
            RESEND_BATCH,
        )
        .await?;
        tracing::info!(
            request_id = event.context.request_id,
            sent = resent.sent,
            failed = resent.failed,
            "event resend sweep"
        );
        Ok(resent)
    }
}
