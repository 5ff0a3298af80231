//! The account events' outbox: each event (a link or a notice to mail) is
//! written in the same transaction as the change it reports, under one
//! partition (`OUTBOX` / `<event id>`, a ULID, so sorted by time), and
//! deleted once SQS has accepted it. What a crash or a refusing queue
//! leaves there, the resend sweeper sends later; the consumer's claim on
//! the event id keeps it to one mail however often it is sent.
//!
//! One partition is enough: account events are few (a registration, a
//! password change), and each item lives only until its send.

use super::{UsersTable, key};
use crate::Error;
use crate::domain::Timestamp;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};

const PARTITION: &str = "OUTBOX";

/// An event as it waits to be sent: its id and its queue message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outboxed {
    pub id: String,
    pub body: String,
}

#[derive(Serialize, Deserialize)]
struct OutboxItem {
    pk: String,
    sk: String,
    body: String,
}

impl UsersTable {
    /// The put of `event` into a change's transaction.
    pub(super) fn outbox_put(&self, event: &Outboxed) -> Result<TransactWriteItem, Error> {
        let item = OutboxItem {
            pk: PARTITION.to_owned(),
            sk: event.id.clone(),
            body: event.body.clone(),
        };
        crate::aws::put_new(&self.table, &item)
    }

    /// Removes a sent event. Idempotent.
    pub async fn event_sent(&self, id: &str) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key((PARTITION.to_owned(), id.to_owned()))))
            .send()
            .await
            .map_err(Error::internal("clearing a sent account event"))?;
        Ok(())
    }

    /// Up to `limit` events written before `before`, oldest first.
    pub async fn unsent_events(
        &self,
        before: Timestamp,
        limit: i32,
    ) -> Result<Vec<Outboxed>, Error> {
        let millis = u64::try_from(before.unix_millis()).unwrap_or(0);
        let bound = ulid::Ulid::from_parts(millis, 0).to_string();
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk < :bound")
            .expression_attribute_values(":pk", AttributeValue::S(PARTITION.to_owned()))
            .expression_attribute_values(":bound", AttributeValue::S(bound))
            .consistent_read(true)
            .limit(limit)
            .send()
            .await
            .map_err(Error::internal("listing unsent account events"))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let item: OutboxItem = serde_dynamo::from_item(item)
                    .map_err(Error::internal("decoding an account event"))?;
                Ok(Outboxed {
                    id: item.sk,
                    body: item.body,
                })
            })
            .collect()
    }
}
