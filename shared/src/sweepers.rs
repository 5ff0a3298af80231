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

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        Ok(Self::new(crate::http::orders::orders_from_env().await?))
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
