//! The products service: the catalogue's use cases.

use crate::Error;
use crate::FieldError;
use crate::aws::ProductsTable;
use crate::aws::products_table::UpdateRefused;
use crate::cursor::Position;
use crate::domain::product::STOCK_MAX;
use crate::domain::{Category, NewProduct, Product, ProductId, ProductPatch, Timestamp, Version};

pub async fn create(table: &ProductsTable, new: NewProduct) -> Result<Product, Error> {
    let product = new.into_product(ProductId::generate(), Timestamp::now());
    if table.create(&product).await? {
        Ok(product)
    } else {
        Err(Error::internal("creating a product")(
            "a fresh ULID collided",
        ))
    }
}

pub async fn get(table: &ProductsTable, id: &ProductId) -> Result<Product, Error> {
    table.get(id).await?.ok_or(Error::ProductNotFound)
}

/// One page of active products, in one category (from the index) or all.
pub async fn list(
    table: &ProductsTable,
    category: Option<&Category>,
    limit: i32,
    start: Option<Position>,
) -> Result<(Vec<Product>, Option<Position>), Error> {
    match category {
        Some(category) => table.list_category(category, limit, start).await,
        None => table.list_all(limit, start).await,
    }
}

/// Applies a patch. An absolute stock needs the version it was decided on.
pub async fn update(
    table: &ProductsTable,
    id: &ProductId,
    patch: ProductPatch,
    if_match: Option<Version>,
) -> Result<Product, Error> {
    if patch.needs_if_match() && if_match.is_none() {
        return Err(Error::PreconditionRequired);
    }
    match table.update(id, &patch, if_match, Timestamp::now()).await? {
        Ok(product) => Ok(product),
        Err(UpdateRefused::NotFound) => Err(Error::ProductNotFound),
        Err(UpdateRefused::VersionMismatch) => Err(Error::PreconditionFailed),
        Err(UpdateRefused::InsufficientStock { available }) => Err(Error::InsufficientStock(vec![
            FieldError::new("stock_delta", format!("only {available} in stock"))
                .for_product(id.as_str()),
        ])),
        Err(UpdateRefused::StockOverflow) => Err(Error::validation(
            "stock_delta",
            format!("would take stock above {STOCK_MAX}"),
        )),
    }
}

pub async fn archive(table: &ProductsTable, id: &ProductId) -> Result<(), Error> {
    if table.archive(id, Timestamp::now()).await? {
        Ok(())
    } else {
        Err(Error::ProductNotFound)
    }
}
