//! Sliding rate limits ([`RateLimit`]) kept in a service's own table: one
//! item per limited thing (`LIMIT#<name>`), one attribute per slot holding
//! the Unix second of its last use. A use takes the oldest slot, once it has
//! left the window, with a write conditioned on the value it read, so
//! concurrent uses never share a slot. A use that turns out not to count
//! (a payment that did not decline) is given back.

use crate::Error;
use crate::domain::Timestamp;
use crate::domain::throttle::RateLimit;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// A slot a use took, to give back if the use does not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    name: String,
    slot: String,
    at: i64,
    previous: Option<i64>,
}

/// The limits of one table. `ttl_attribute` is the table's TTL attribute:
/// an item goes once its last use has left the window.
#[derive(Clone)]
pub struct RateLimits {
    client: Client,
    table: String,
    ttl_attribute: &'static str,
}

fn key(name: &str) -> Item {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("LIMIT#{name}"))),
        ("sk".to_owned(), AttributeValue::S("LIMIT".to_owned())),
    ])
}

impl RateLimits {
    pub fn new(client: Client, table: impl Into<String>, ttl_attribute: &'static str) -> Self {
        Self {
            client,
            table: table.into(),
            ttl_attribute,
        }
    }

    /// Takes one use of `limit` for `name`: the slot taken, or the seconds
    /// until a use is free.
    pub async fn take(
        &self,
        name: &str,
        limit: RateLimit,
        now: Timestamp,
    ) -> Result<Result<Taken, u64>, Error> {
        let now_s = now.unix_seconds();
        // Each loss to a concurrent use rereads; a use that keeps losing is
        // refused for a second rather than looping.
        for _ in 0..8 {
            let item: Item = self
                .client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(key(name)))
                .consistent_read(true)
                .send()
                .await
                .map_err(Error::internal("reading a rate limit"))?
                .item
                .unwrap_or_default();
            let used: Vec<Option<i64>> = (0..limit.times)
                .map(|i| {
                    item.get(&format!("s{i}"))
                        .and_then(|v| v.as_n().ok())
                        .and_then(|n| n.parse().ok())
                })
                .collect();
            let slot = match limit.slot(&used, now_s) {
                Ok(slot) => slot,
                Err(retry_after) => return Ok(Err(retry_after)),
            };
            let taken = Taken {
                name: name.to_owned(),
                slot: format!("s{slot}"),
                at: now_s,
                previous: used[slot],
            };
            let update = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(name)))
                .update_expression("SET #slot = :now, #ttl = :ttl")
                .expression_attribute_names("#slot", &taken.slot)
                .expression_attribute_names("#ttl", self.ttl_attribute)
                .expression_attribute_values(":now", AttributeValue::N(now_s.to_string()))
                .expression_attribute_values(
                    ":ttl",
                    AttributeValue::N((now_s + limit.window_seconds).to_string()),
                );
            let update = match taken.previous {
                Some(read) => update
                    .condition_expression("#slot = :read")
                    .expression_attribute_values(":read", AttributeValue::N(read.to_string())),
                None => update.condition_expression("attribute_not_exists(#slot)"),
            };
            if super::unless_refused(update.send().await, "taking a rate limit")?.is_some() {
                return Ok(Ok(taken));
            }
        }
        Ok(Err(1))
    }

    /// Gives a use back: its slot holds what it held before, unless another
    /// use took it meanwhile (it cannot while the use is in the window).
    pub async fn give_back(&self, taken: &Taken) -> Result<(), Error> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&taken.name)))
            .expression_attribute_names("#slot", &taken.slot)
            .condition_expression("#slot = :taken")
            .expression_attribute_values(":taken", AttributeValue::N(taken.at.to_string()));
        let update = match taken.previous {
            Some(previous) => update
                .update_expression("SET #slot = :previous")
                .expression_attribute_values(":previous", AttributeValue::N(previous.to_string())),
            None => update.update_expression("REMOVE #slot"),
        };
        super::unless_condition_failed(update.send().await, "giving back a rate limit's use")
    }
}
