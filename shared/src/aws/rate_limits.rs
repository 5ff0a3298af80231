//! Sliding rate limits ([`RateLimit`]) kept in a service's own table: one
//! item per limited thing (`LIMIT#<name>`), one attribute per slot holding
//! the Unix second of its last use. A use takes the oldest slot, once it has
//! left the window, with a write conditioned on the value it read, so
//! concurrent uses never share a slot. A use can also be reserved before
//! its outcome is known (a payment that may decline): it holds its slot,
//! marked in flight (`f<i>`), until it is confirmed or given back. A use
//! refused while another is in flight is told to retry in a second, not
//! when the window frees a slot: the one in flight ends within a moment.

use crate::Error;
use crate::domain::Timestamp;
use crate::domain::throttle::RateLimit;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// How long a reservation counts as in flight: longer than a function runs
/// (after that, one whose function died counts as a use).
const IN_FLIGHT_SECONDS: i64 = 60;

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

/// The in-flight mark of slot `s<i>`: `f<i>`.
fn flight(slot: &str) -> String {
    format!("f{}", slot.trim_start_matches('s'))
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
        self.take_or_reserve(name, limit, now, false).await
    }

    /// Reserves one use whose outcome is not known yet: [`Self::confirm`]
    /// it once it counts, or [`Self::give_back`] it.
    pub async fn reserve(
        &self,
        name: &str,
        limit: RateLimit,
        now: Timestamp,
    ) -> Result<Result<Taken, u64>, Error> {
        self.take_or_reserve(name, limit, now, true).await
    }

    async fn take_or_reserve(
        &self,
        name: &str,
        limit: RateLimit,
        now: Timestamp,
        in_flight: bool,
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
                Err(retry_after) => {
                    let flying = (0..limit.times).any(|i| {
                        item.get(&format!("f{i}"))
                            .and_then(|v| v.as_n().ok())
                            .and_then(|n| n.parse::<i64>().ok())
                            .is_some_and(|at| at > now_s - IN_FLIGHT_SECONDS)
                    });
                    return Ok(Err(if flying { 1 } else { retry_after }));
                }
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
                .update_expression(if in_flight {
                    "SET #slot = :now, #flight = :now, #ttl = :ttl"
                } else {
                    "SET #slot = :now, #ttl = :ttl REMOVE #flight"
                })
                .expression_attribute_names("#slot", &taken.slot)
                .expression_attribute_names("#flight", flight(&taken.slot))
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

    /// A reserved use counts: it is no longer in flight.
    pub async fn confirm(&self, taken: &Taken) -> Result<(), Error> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&taken.name)))
            .update_expression("REMOVE #flight")
            .expression_attribute_names("#slot", &taken.slot)
            .expression_attribute_names("#flight", flight(&taken.slot))
            .condition_expression("#slot = :taken")
            .expression_attribute_values(":taken", AttributeValue::N(taken.at.to_string()));
        super::unless_condition_failed(update.send().await, "confirming a rate limit's use")
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
            .expression_attribute_names("#flight", flight(&taken.slot))
            .condition_expression("#slot = :taken")
            .expression_attribute_values(":taken", AttributeValue::N(taken.at.to_string()));
        let update = match taken.previous {
            Some(previous) => update
                .update_expression("SET #slot = :previous REMOVE #flight")
                .expression_attribute_values(":previous", AttributeValue::N(previous.to_string())),
            None => update.update_expression("REMOVE #slot, #flight"),
        };
        super::unless_condition_failed(update.send().await, "giving back a rate limit's use")
    }
}
