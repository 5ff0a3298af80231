//! The shop's shipping options, in the orders table (the orders service
//! prices postage): one partition (`SHIPPING` / `<option id>`), so the whole
//! list is one query. Each carries a `version` for `ETag` and `If-Match`.

use crate::Error;
use crate::domain::Version;
use crate::domain::shipping::{MAX_OPTIONS, ShippingOption, ShippingOptionId};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const PARTITION: &str = "SHIPPING";

#[derive(Serialize, Deserialize)]
struct OptionItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    option: ShippingOption,
    version: u64,
}

fn key(id: &ShippingOptionId) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(PARTITION.to_owned())),
        ("sk".to_owned(), AttributeValue::S(id.as_str().to_owned())),
    ])
}

/// Why a put was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum PutRefused {
    /// `If-Match` named another version (or the option is not stored).
    Stale,
    /// The shop has [`MAX_OPTIONS`] already.
    Full,
}

#[derive(Clone)]
pub struct ShippingOptions {
    client: Client,
    table: String,
}

impl ShippingOptions {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Every option, by id.
    pub async fn list(&self) -> Result<Vec<(ShippingOption, Version)>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(PARTITION.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("listing shipping options"))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let stored: OptionItem = serde_dynamo::from_item(item)
                    .map_err(Error::internal("decoding a shipping option"))?;
                Ok((stored.option, Version(stored.version)))
            })
            .collect()
    }

    pub async fn get(&self, id: &ShippingOptionId) -> Result<Option<ShippingOption>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("reading a shipping option"))?;
        out.item
            .map(|item| {
                serde_dynamo::from_item::<_, OptionItem>(item)
                    .map(|stored| stored.option)
                    .map_err(Error::internal("decoding a shipping option"))
            })
            .transpose()
    }

    /// Creates or replaces `option`; with `if_match`, only over that version.
    /// The answer is the version written.
    pub async fn put(
        &self,
        option: &ShippingOption,
        if_match: Option<Version>,
    ) -> Result<Result<Version, PutRefused>, Error> {
        let stored = self.list().await?;
        let current = stored
            .iter()
            .find(|(o, _)| o.id == option.id)
            .map(|(_, v)| *v);
        if current.is_none() && stored.len() >= MAX_OPTIONS {
            return Ok(Err(PutRefused::Full));
        }
        let expected = match (if_match, current) {
            (Some(wanted), Some(now)) if wanted != now => return Ok(Err(PutRefused::Stale)),
            (Some(_), None) => return Ok(Err(PutRefused::Stale)),
            (_, now) => now,
        };
        let next = Version(expected.map_or(1, |v| v.0 + 1));
        let item = serde_dynamo::to_item(OptionItem {
            pk: PARTITION.to_owned(),
            sk: option.id.as_str().to_owned(),
            option: option.clone(),
            version: next.0,
        })
        .map_err(Error::internal("encoding a shipping option"))?;
        // Conditional on the version read, so two racing puts cannot both
        // replace the same version.
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        put = match expected {
            Some(v) => put
                .condition_expression("version = :seen")
                .expression_attribute_values(":seen", AttributeValue::N(v.0.to_string())),
            None => put.condition_expression("attribute_not_exists(pk)"),
        };
        match super::unless_refused(put.send().await, "writing a shipping option")? {
            Some(_) => Ok(Ok(next)),
            None => Ok(Err(PutRefused::Stale)),
        }
    }

    /// Deletes an option; `false` if there was none.
    pub async fn delete(&self, id: &ShippingOptionId) -> Result<bool, Error> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        Ok(super::unless_refused(result, "deleting a shipping option")?.is_some())
    }
}
