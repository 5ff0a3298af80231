//! `GET /products`, `GET /products/{id}`, `POST /products`,
//! `PATCH /products/{id}`, `DELETE /products/{id}`.

use super::auth::admin;
use super::list::{page_request, page_response, query};
use super::{HandlerResult, JsonBody, json, serve};
use crate::auth::TokenVerifier;
use crate::aws::{ProductsTable, sdk_config};
use crate::catalog;
use crate::config::{self, ConfigError};
use crate::cursor::{CursorKey, Scope};
use crate::domain::{
    Category, Currency, Description, NewProduct, PriceCents, Product, ProductId, ProductName,
    ProductPatch, Stock, StockChange, StockDelta, Version,
};
use crate::{Error, FieldError};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};

async fn products_table() -> Result<ProductsTable, ConfigError> {
    let sdk = sdk_config()?;
    let name = config::required(config::PRODUCTS_TABLE)?;
    Ok(ProductsTable::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        name,
    ))
}

/// The cursor key from `CURSOR_SECRET`.
pub fn cursor_key_from_env() -> Result<CursorKey, lambda_http::Error> {
    let secret = config::required(config::CURSOR_SECRET)?;
    CursorKey::new(secret.as_bytes()).map_err(|e| format!("{}: {e}", config::CURSOR_SECRET).into())
}

/// The `{id}` path parameter as a product id; anything else cannot exist.
pub fn product_id(req: &Request) -> Result<ProductId, Error> {
    req.path_parameters_ref()
        .and_then(|p| p.first("id"))
        .and_then(ProductId::parse)
        .ok_or(Error::ProductNotFound)
}

/// A product with its `ETag`.
fn product_response(status: StatusCode, product: &Product) -> Result<Response<Body>, Error> {
    let mut response = json(status, product)?;
    if let Ok(etag) = HeaderValue::from_str(&product.version.etag()) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// The `?category=` filter of `GET /products`.
pub fn category_filter(req: &Request) -> Result<Option<Category>, Error> {
    query(req, "category")
        .map(|c| Category::parse(&c).map_err(|m| Error::validation("category", m)))
        .transpose()
}

/// The body of `POST /products`.
pub fn create_body(req: &Request) -> Result<NewProduct, Error> {
    let mut body = JsonBody::from_request(req)?;
    let name = body.required("name", ProductName::parse);
    let description = body.optional("description", Description::parse);
    let price_cents = body.required_int("price_cents", PriceCents::parse);
    let currency = body.required("currency", Currency::parse);
    let stock = body.required_int("stock", Stock::parse);
    let category = body.required("category", Category::parse);
    body.finish_with(match (name, price_cents, currency, stock, category) {
        (Some(name), Some(price_cents), Some(currency), Some(stock), Some(category)) => {
            Some(NewProduct {
                name,
                description: description.unwrap_or_default(),
                price_cents,
                currency,
                stock,
                category,
            })
        }
        _ => None,
    })
}

/// The body of `PATCH /products/{id}`: any subset of the writable fields, at
/// least one, and `stock` or `stock_delta` but not both.
pub fn patch_body(req: &Request) -> Result<ProductPatch, Error> {
    let mut body = JsonBody::from_request(req)?;
    let mut patch = ProductPatch {
        name: body.optional("name", ProductName::parse),
        description: body.optional("description", Description::parse),
        price_cents: body.optional_int("price_cents", PriceCents::parse),
        currency: body.optional("currency", Currency::parse),
        category: body.optional("category", Category::parse),
        stock: None,
    };
    let sends_both = body.has("stock") && body.has("stock_delta");
    let stock = body.optional_int("stock", Stock::parse);
    let delta = body.optional_int("stock_delta", StockDelta::parse);
    if sends_both {
        body.reject("stock_delta", "send either stock or stock_delta, not both");
    }
    patch.stock = stock
        .map(StockChange::Set)
        .or(delta.map(StockChange::Adjust));
    let nothing = patch.is_empty() && body.is_empty();
    let patch = body.finish_with(Some(patch))?;
    if nothing {
        return Err(Error::Validation(vec![FieldError::new(
            "body",
            "must change at least one of name, description, price_cents, currency, category, stock, stock_delta",
        )]));
    }
    Ok(patch)
}

/// The `If-Match` header, if sent; one that names no version cannot match.
pub fn if_match(req: &Request) -> Result<Option<Version>, Error> {
    req.headers()
        .get(header::IF_MATCH)
        .map(|value| {
            value
                .to_str()
                .ok()
                .and_then(Version::from_if_match)
                .ok_or(Error::PreconditionFailed)
        })
        .transpose()
}

pub struct ListProducts {
    table: ProductsTable,
    cursors: CursorKey,
}

impl ListProducts {
    pub fn new(table: ProductsTable, cursors: CursorKey) -> Self {
        Self { table, cursors }
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        Ok(Self::new(products_table().await?, cursor_key_from_env()?))
    }

    pub async fn handle(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let category = category_filter(&req)?;
            let filters: Vec<(&str, &str)> =
                category.iter().map(|c| ("category", c.as_str())).collect();
            let scope = Scope {
                route: "GET /products",
                filters: &filters,
                caller: None,
            };
            let (limit, start) = page_request(&req, &self.cursors, &scope)?;
            let (products, next) =
                catalog::list(&self.table, category.as_ref(), limit, start).await?;
            page_response(&products, next, &self.cursors, &scope)
        })
        .await
    }
}

pub struct GetProduct {
    table: ProductsTable,
}

impl GetProduct {
    pub fn new(table: ProductsTable) -> Self {
        Self { table }
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        Ok(Self::new(products_table().await?))
    }

    pub async fn handle(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let product = catalog::get(&self.table, &product_id(&req)?).await?;
            product_response(StatusCode::OK, &product)
        })
        .await
    }
}

/// The verifier and table every admin route needs.
pub struct AdminProducts {
    table: ProductsTable,
    verifier: TokenVerifier,
}

impl AdminProducts {
    pub fn new(table: ProductsTable, verifier: TokenVerifier) -> Self {
        Self { table, verifier }
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        let verifier = super::users::verifier_from_env()?;
        Ok(Self::new(products_table().await?, verifier))
    }

    /// `POST /products`
    pub async fn create(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            admin(&req, &self.verifier)?;
            let new = create_body(&req)?;
            let product = catalog::create(&self.table, new).await?;
            let mut response = product_response(StatusCode::CREATED, &product)?;
            if let Ok(location) = HeaderValue::from_str(&format!("/products/{}", product.id)) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Ok(response)
        })
        .await
    }

    /// `PATCH /products/{id}`
    pub async fn update(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            admin(&req, &self.verifier)?;
            let id = product_id(&req)?;
            let patch = patch_body(&req)?;
            let if_match = if_match(&req)?;
            let product = catalog::update(&self.table, &id, patch, if_match).await?;
            product_response(StatusCode::OK, &product)
        })
        .await
    }

    /// `DELETE /products/{id}`: archives.
    pub async fn delete(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            admin(&req, &self.verifier)?;
            catalog::archive(&self.table, &product_id(&req)?).await?;
            Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::Empty)
                .map_err(Error::internal("building a response"))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_if_match(value: HeaderValue) -> Request {
        lambda_http::http::Request::builder()
            .header(header::IF_MATCH, value)
            .body(Body::Empty)
            .unwrap()
    }

    #[test]
    fn an_if_match_that_names_no_version_is_412() {
        for value in [
            HeaderValue::from_bytes(b"\"\xd7\"").unwrap(),
            HeaderValue::from_static("W/\"3\""),
            HeaderValue::from_static("\"x\""),
        ] {
            assert!(
                matches!(
                    if_match(&with_if_match(value.clone())),
                    Err(Error::PreconditionFailed)
                ),
                "{value:?}"
            );
        }
        assert!(
            if_match(&with_if_match(HeaderValue::from_static("\"3\"")))
                .unwrap()
                .is_some()
        );
    }
}
