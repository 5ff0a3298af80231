//! A service's outbox of domain events, in its own table: each event is put
//! in the same transaction as the change it reports, under one partition
//! (`OUTBOX` / `<event id>`, a ULID, so sorted by time), and deleted once
//! SQS has accepted it. What a crash or a refusing queue leaves there, the
//! resend sweeper sends later; the consumer's claim on the event id keeps it
//! to one mail however often it is sent.
//!
//! One partition is enough: these events are few (a registration, a
//! shipment), and each item lives only until its send.

use crate::Error;
use crate::domain::Timestamp;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const PARTITION: &str = "OUTBOX";

/// An event as it waits to be sent: its id and its queue message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outboxed {
    pub id: String,
    pub body: String,
}

impl Outboxed {
    /// `data` as the queue's envelope of kind `kind`, with a new id.
    pub fn new<T: Serialize>(kind: &str, time: Timestamp, data: T) -> Result<Self, Error> {
        let id = ulid::Ulid::new().to_string();
        let envelope = crate::domain::payment::Envelope {
            kind: kind.to_owned(),
            id: id.clone(),
            time,
            data,
        };
        let body =
            serde_json::to_string(&envelope).map_err(Error::internal("encoding an event"))?;
        Ok(Self { id, body })
    }
}

#[derive(Serialize, Deserialize)]
struct OutboxItem {
    pk: String,
    sk: String,
    body: String,
}

#[derive(Clone)]
pub struct Outbox {
    client: Client,
    table: String,
}

impl Outbox {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The put of `event` into a change's transaction.
    pub fn put(&self, event: &Outboxed) -> Result<TransactWriteItem, Error> {
        let item = OutboxItem {
            pk: PARTITION.to_owned(),
            sk: event.id.clone(),
            body: event.body.clone(),
        };
        super::put_new(&self.table, &item)
    }

    /// Sends `event` to `queue`, then clears it; `Err` leaves it stored for
    /// the resend sweeper.
    pub async fn send(&self, queue: &super::EventQueue, event: &Outboxed) -> Result<(), Error> {
        queue.send(&event.body).await?;
        self.sent(&event.id).await
    }

    /// [`Self::send`] after the change is stored: a failure is logged, not
    /// answered, since the resend sweeper sends what is left.
    pub async fn publish(&self, queue: &super::EventQueue, event: &Outboxed) {
        if let Err(error) = self.send(queue, event).await {
            tracing::warn!(
                event = event.id,
                error = crate::error::chain(&error),
                "an event stays in the outbox for the resend sweeper"
            );
        }
    }

    /// Removes a sent event. Idempotent.
    pub async fn sent(&self, id: &str) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(HashMap::from([
                ("pk".to_owned(), AttributeValue::S(PARTITION.to_owned())),
                ("sk".to_owned(), AttributeValue::S(id.to_owned())),
            ])))
            .send()
            .await
            .map_err(Error::internal("clearing a sent event"))?;
        Ok(())
    }

    /// Up to `limit` events written before `before`, oldest first.
    pub async fn unsent(&self, before: Timestamp, limit: i32) -> Result<Vec<Outboxed>, Error> {
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
            .map_err(Error::internal("listing unsent events"))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let item: OutboxItem =
                    serde_dynamo::from_item(item).map_err(Error::internal("decoding an event"))?;
                Ok(Outboxed {
                    id: item.sk,
                    body: item.body,
                })
            })
            .collect()
    }
}
