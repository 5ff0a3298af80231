//! The products table: one item per product, written and read through
//! `serde_dynamo`. Active products carry `gsi1pk = CATEGORY#<category>` and
//! `gsi1sk = <id>` for the `ByCategory` index; archiving removes them, so the
//! index never holds an archived product. Every write bumps `version`, the
//! product's `ETag`; stock only ever moves by conditional server-side updates.

use crate::Error;
use crate::cursor::Position;
use crate::domain::product::STOCK_MAX;
use crate::domain::{
    Category, Currency, Description, PriceCents, Product, ProductId, ProductName, ProductPatch,
    Stock, StockChange, Timestamp, Version,
};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

pub const CATEGORY_INDEX: &str = "ByCategory";
/// Scan pages read per listing call at most, when archived products thin them out.
const MAX_SCAN_ROUNDS: usize = 10;

#[derive(Clone)]
pub struct ProductsTable {
    client: Client,
    table: String,
}

#[derive(Serialize, Deserialize)]
struct ProductItem {
    pk: String,
    sk: String,
    id: ProductId,
    name: ProductName,
    description: Description,
    price_cents: PriceCents,
    currency: Currency,
    stock: Stock,
    category: Category,
    created_at: Timestamp,
    updated_at: Timestamp,
    version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    archived_at: Option<Timestamp>,
}

impl ProductItem {
    fn from_product(p: &Product) -> Self {
        Self {
            pk: pk(&p.id),
            sk: SK.into(),
            id: p.id.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            price_cents: p.price_cents,
            currency: p.currency,
            stock: p.stock,
            category: p.category.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version.0,
            gsi1pk: Some(category_key(&p.category)),
            gsi1sk: Some(p.id.to_string()),
            archived_at: None,
        }
    }

    fn into_product(self) -> Product {
        Product {
            id: self.id,
            name: self.name,
            description: self.description,
            price_cents: self.price_cents,
            currency: self.currency,
            stock: self.stock,
            category: self.category,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: Version(self.version),
        }
    }
}

const SK: &str = "PRODUCT";

pub fn pk(id: &ProductId) -> String {
    format!("PRODUCT#{id}")
}

fn category_key(category: &Category) -> String {
    format!("CATEGORY#{}", category.as_str())
}

pub fn key(id: &ProductId) -> Item {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(pk(id))),
        ("sk".to_owned(), AttributeValue::S(SK.to_owned())),
    ])
}

fn decode(item: Item) -> Result<ProductItem, Error> {
    serde_dynamo::from_item(item).map_err(Error::internal("decoding a product"))
}

/// Why a conditional product update did not apply.
#[derive(Debug, PartialEq, Eq)]
pub enum UpdateRefused {
    NotFound,
    VersionMismatch,
    /// The delta would take stock below zero.
    InsufficientStock {
        available: i64,
    },
    /// The delta would take stock above the maximum.
    StockOverflow,
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn position_of(key: Option<&Item>) -> Result<Option<Position>, Error> {
    key.map(|k| {
        serde_dynamo::from_item(k.clone()).map_err(Error::internal("reading a list position"))
    })
    .transpose()
}

fn start_key(position: Option<Position>) -> Result<Option<Item>, Error> {
    position
        .map(|p| serde_dynamo::to_item(p).map_err(Error::internal("writing a list position")))
        .transpose()
}

impl ProductsTable {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.table
    }

    /// Stores a new product; `Ok(false)` when one with that id already exists.
    pub async fn create(&self, product: &Product) -> Result<bool, Error> {
        let item: Item = serde_dynamo::to_item(ProductItem::from_product(product))
            .map_err(Error::internal("encoding a product"))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(Error::internal("writing a product")(err)),
        }
    }

    /// An active product; archived ones are not found.
    pub async fn get(&self, id: &ProductId) -> Result<Option<Product>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("reading a product"))?;
        match out.item {
            Some(item) => {
                let stored = decode(item)?;
                Ok(stored.archived_at.is_none().then(|| stored.into_product()))
            }
            None => Ok(None),
        }
    }

    /// A page of active products in one category, newest first, from the index.
    pub async fn list_category(
        &self,
        category: &Category,
        limit: i32,
        start: Option<Position>,
    ) -> Result<(Vec<Product>, Option<Position>), Error> {
        let (items, next) = super::newest_first(
            &self.client,
            &self.table,
            CATEGORY_INDEX,
            category_key(category),
            limit,
            start,
            "querying products by category",
        )
        .await?;
        let products = items
            .into_iter()
            .map(|item| decode(item).map(ProductItem::into_product))
            .collect::<Result<_, _>>()?;
        Ok((products, next))
    }

    /// A page of all active products, in the table's order. A scan reads the
    /// archived products too and filters them out; it asks for no more than it
    /// still needs, so the position it returns never skips an item.
    pub async fn list_all(
        &self,
        limit: i32,
        start: Option<Position>,
    ) -> Result<(Vec<Product>, Option<Position>), Error> {
        let mut products = Vec::new();
        let mut position = start;
        for _ in 0..MAX_SCAN_ROUNDS {
            let wanted = limit - products.len() as i32;
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("attribute_not_exists(archived_at) AND sk = :sk")
                .expression_attribute_values(":sk", AttributeValue::S(SK.into()))
                .limit(wanted)
                .set_exclusive_start_key(start_key(position)?)
                .send()
                .await
                .map_err(Error::internal("scanning products"))?;
            for item in out.items() {
                products.push(decode(item.clone())?.into_product());
            }
            position = position_of(out.last_evaluated_key())?;
            if position.is_none() || products.len() as i32 >= limit {
                break;
            }
        }
        Ok((products, position))
    }

    /// Applies a patch in one conditional `UpdateItem`: the product must exist
    /// and be active, match `if_match` when given, and keep stock within
    /// 0..=1,000,000. Stock deltas are computed by DynamoDB, never read-modify-write.
    pub async fn update(
        &self,
        id: &ProductId,
        patch: &ProductPatch,
        if_match: Option<Version>,
        now: Timestamp,
    ) -> Result<Result<Product, UpdateRefused>, Error> {
        // Every attribute goes by a placeholder name: `name` and others are
        // DynamoDB reserved words.
        let mut names: HashMap<String, String> = ["version", "updated_at"]
            .into_iter()
            .map(|a| (format!("#{a}"), a.to_owned()))
            .collect();
        let mut sets = vec![
            "#version = #version + :one".to_owned(),
            "#updated_at = :now".to_owned(),
        ];
        let mut conditions = vec![
            "attribute_exists(pk)".to_owned(),
            "attribute_not_exists(archived_at)".to_owned(),
        ];
        let mut values: Item = HashMap::from([
            (":one".to_owned(), n(1)),
            (":now".to_owned(), AttributeValue::S(now.to_string())),
        ]);
        let mut set = |name: &str, value: AttributeValue| {
            sets.push(format!("#{name} = :{name}"));
            names.insert(format!("#{name}"), name.to_owned());
            values.insert(format!(":{name}"), value);
        };
        if let Some(v) = &patch.name {
            set("name", AttributeValue::S(v.as_str().to_owned()));
        }
        if let Some(v) = &patch.description {
            set("description", AttributeValue::S(v.as_str().to_owned()));
        }
        if let Some(v) = &patch.price_cents {
            set("price_cents", n(v.get()));
        }
        if let Some(v) = &patch.currency {
            set("currency", AttributeValue::S(v.code().to_owned()));
        }
        if let Some(v) = &patch.category {
            set("category", AttributeValue::S(v.as_str().to_owned()));
            set("gsi1pk", AttributeValue::S(category_key(v)));
        }
        match patch.stock {
            Some(StockChange::Set(stock)) => set("stock", n(stock.get())),
            Some(StockChange::Adjust(delta)) if delta.get() != 0 => {
                let d = delta.get();
                names.insert("#stock".into(), "stock".into());
                sets.push("#stock = #stock + :delta".into());
                values.insert(":delta".into(), n(d));
                if d < 0 {
                    conditions.push("#stock >= :need".into());
                    values.insert(":need".into(), n(-d));
                } else {
                    conditions.push("#stock <= :room".into());
                    values.insert(":room".into(), n(STOCK_MAX - d));
                }
            }
            _ => {}
        }
        if let Some(version) = if_match {
            conditions.push("#version = :expected".into());
            values.insert(":expected".into(), n(version.0));
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(conditions.join(" AND "))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out.attributes.ok_or_else(|| {
                    Error::internal("updating a product")("no attributes returned")
                })?;
                Ok(Ok(decode(item)?.into_product()))
            }
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    let Some(old) = failed.item().cloned() else {
                        return Ok(Err(UpdateRefused::NotFound));
                    };
                    let old = decode(old)?;
                    Ok(Err(if old.archived_at.is_some() {
                        UpdateRefused::NotFound
                    } else if if_match.is_some_and(|v| v.0 != old.version) {
                        UpdateRefused::VersionMismatch
                    } else {
                        match patch.stock {
                            Some(StockChange::Adjust(d)) if d.get() < 0 => {
                                UpdateRefused::InsufficientStock {
                                    available: old.stock.get(),
                                }
                            }
                            Some(StockChange::Adjust(_)) => UpdateRefused::StockOverflow,
                            // Nothing else can fail: report the race as a stale version.
                            _ => UpdateRefused::VersionMismatch,
                        }
                    }))
                }
                _ => Err(Error::internal("updating a product")(err)),
            },
        }
    }

    /// Archives a product: it leaves reads and listings but stays stored for
    /// the orders that reference it. `Ok(false)` when there is no active product.
    pub async fn archive(&self, id: &ProductId, now: Timestamp) -> Result<bool, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression("SET archived_at = :now, updated_at = :now, #version = #version + :one REMOVE gsi1pk, gsi1sk")
            .expression_attribute_names("#version", "version")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(archived_at)")
            .expression_attribute_values(":now", AttributeValue::S(now.to_string()))
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(Error::internal("archiving a product")(err)),
        }
    }
}

/// The writes the orders service makes to this table, inside its own
/// transactions: it may only move `stock` (and bump `version`, so an admin's
/// `If-Match` sees the change). The template limits its role to these attributes.
impl ProductsTable {
    /// Takes `quantity` units, if the product is active and has them.
    pub fn take_stock(
        &self,
        id: &ProductId,
        quantity: i64,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, Error> {
        self.stock_update(
            id,
            quantity,
            "-",
            "attribute_exists(pk) AND attribute_not_exists(archived_at) AND #stock >= :q",
        )
    }

    /// Why a [`Self::take_stock`] item failed, from the item it returned:
    /// the units left, or `None` when the product is archived or not stored.
    pub fn stock_left(old: Option<&Item>) -> Result<Option<i64>, Error> {
        match old {
            Some(item) => {
                let stored = decode(item.clone())?;
                Ok(stored
                    .archived_at
                    .is_none()
                    .then(|| stored.into_product().stock.get()))
            }
            None => Ok(None),
        }
    }

    /// Gives `quantity` units back. Archived products take their stock back;
    /// a product that is not stored is never re-created.
    pub fn give_back_stock(
        &self,
        id: &ProductId,
        quantity: i64,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, Error> {
        self.stock_update(id, quantity, "+", "attribute_exists(pk)")
    }

    fn stock_update(
        &self,
        id: &ProductId,
        quantity: i64,
        sign: &str,
        condition: &str,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, Error> {
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression(format!(
                "SET #stock = #stock {sign} :q, #version = #version + :one"
            ))
            .condition_expression(condition)
            .expression_attribute_names("#stock", "stock")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":q", n(quantity))
            .expression_attribute_values(":one", n(1))
            // A refused update explains itself: the product as it was stored.
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(Error::internal("building a stock update"))?;
        Ok(aws_sdk_dynamodb::types::TransactWriteItem::builder()
            .update(update)
            .build())
    }

    /// Active products by id, read consistently (`BatchGetItem`, at most 100 ids).
    pub async fn get_many(&self, ids: &[ProductId]) -> Result<HashMap<ProductId, Product>, Error> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut found = HashMap::new();
        let mut pending: Vec<Item> = ids.iter().map(key).collect();
        let mut rounds = 0;
        while !pending.is_empty() {
            rounds += 1;
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(Error::internal("building a batch read"))?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(Error::internal("reading products"))?;
            for item in out
                .responses()
                .and_then(|r| r.get(&self.table))
                .into_iter()
                .flatten()
            {
                let stored = decode(item.clone())?;
                if stored.archived_at.is_none() {
                    let product = stored.into_product();
                    found.insert(product.id.clone(), product);
                }
            }
            if let Some(left) = out.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                if rounds >= 5 {
                    return Err(Error::internal("reading products")("keys left unprocessed"));
                }
                pending = left.keys().to_vec();
                tokio::time::sleep(std::time::Duration::from_millis(20 << rounds)).await;
            }
        }
        Ok(found)
    }
}
