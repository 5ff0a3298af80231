//! Carts, in the orders table (`CART#<user>` / `CART`): one item per user,
//! written whole and conditioned on the version it was read at, and
//! expiring (`purge_at`) 60 days after its last change.

use crate::Error;
use crate::domain::cart::{Cart, CartLine, KEPT_SECONDS};
use crate::domain::{Timestamp, UserId};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Serialize, Deserialize)]
struct CartItem {
    pk: String,
    sk: String,
    lines: Vec<CartLine>,
    version: u64,
    updated_at: Timestamp,
    purge_at: i64,
}

fn key(user: &UserId) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("CART#{user}"))),
        ("sk".to_owned(), AttributeValue::S("CART".to_owned())),
    ])
}

#[derive(Clone)]
pub struct Carts {
    client: Client,
    table: String,
}

impl Carts {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The user's cart; an empty one at version 0 if none is stored (or it
    /// is past its 60 days, which TTL may not have removed yet).
    pub async fn get(&self, user: &UserId, now: Timestamp) -> Result<Cart, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(user)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("reading a cart"))?;
        let Some(item) = out.item else {
            return Ok(Cart::default());
        };
        let stored: CartItem =
            serde_dynamo::from_item(item).map_err(Error::internal("decoding a cart"))?;
        let lines = if stored.purge_at <= now.unix_seconds() {
            Vec::new()
        } else {
            stored.lines
        };
        Ok(Cart {
            lines,
            version: stored.version,
            updated_at: Some(stored.updated_at),
        })
    }

    /// The write that empties the cart at `version` (as `version + 1`, so
    /// versions never repeat), for a checkout's transaction; it fails its
    /// condition if the cart moved on.
    pub fn empty(
        &self,
        user: &UserId,
        version: u64,
        now: Timestamp,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, Error> {
        let item = serde_dynamo::to_item(CartItem {
            pk: format!("CART#{user}"),
            sk: "CART".into(),
            lines: Vec::new(),
            version: version + 1,
            updated_at: now,
            purge_at: now.unix_seconds() + KEPT_SECONDS,
        })
        .map_err(Error::internal("encoding a cart"))?;
        let put = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("version = :seen")
            .expression_attribute_values(":seen", AttributeValue::N(version.to_string()))
            .build()
            .map_err(Error::internal("building a cart's checkout"))?;
        Ok(aws_sdk_dynamodb::types::TransactWriteItem::builder()
            .put(put)
            .build())
    }

    /// Writes `cart` as version `cart.version + 1`, if the stored one is
    /// still `cart.version`; `false` when another write came first.
    pub async fn put(&self, user: &UserId, cart: &Cart, now: Timestamp) -> Result<bool, Error> {
        let item = serde_dynamo::to_item(CartItem {
            pk: format!("CART#{user}"),
            sk: "CART".into(),
            lines: cart.lines.clone(),
            version: cart.version + 1,
            updated_at: now,
            purge_at: now.unix_seconds() + KEPT_SECONDS,
        })
        .map_err(Error::internal("encoding a cart"))?;
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let put = if cart.version == 0 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("version = :seen")
                .expression_attribute_values(":seen", AttributeValue::N(cart.version.to_string()))
        };
        Ok(super::unless_refused(put.send().await, "writing a cart")?.is_some())
    }
}
