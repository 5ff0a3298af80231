//! `GET /products`, `GET /products/{id}`, `POST /products`,
//! `PATCH /products/{id}`, `DELETE /products/{id}`.

use super::list::{PageQuery, page_response, query};
use super::{Admin, FromRequest, JsonBody, json, no_content, path_id, with_location};
use crate::catalog;
use crate::cursor::Scope;
use crate::domain::{
    Category, Currency, Description, NewProduct, PriceCents, Product, ProductId, ProductName,
    ProductPatch, Stock, StockChange, StockDelta, Version,
};
use crate::wiring::{CatalogApi, Listing};
use crate::{Error, FieldError};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

/// The `{id}` path parameter as a product id; anything else cannot exist.
pub fn product_id(req: &Request) -> Result<ProductId, Error> {
    path_id(req, ProductId::parse, Error::ProductNotFound)
}

impl<S> FromRequest<S> for ProductId {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        product_id(req)
    }
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
    let stock = body.required_int("stock", Stock::settable);
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
    let stock = body.optional_int("stock", Stock::settable);
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

/// The `?category=` filter of `GET /products`.
pub struct CategoryFilter(pub Option<Category>);

/// The `If-Match` header, if sent.
pub struct IfMatch(pub Option<Version>);

impl<S> FromRequest<S> for CategoryFilter {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        category_filter(req).map(Self)
    }
}

impl<S> FromRequest<S> for IfMatch {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        if_match(req).map(Self)
    }
}

impl<S> FromRequest<S> for NewProduct {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        create_body(req)
    }
}

impl<S> FromRequest<S> for ProductPatch {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        patch_body(req)
    }
}

/// `GET /products`: active products, in one category or all.
pub async fn list(
    api: &Listing<CatalogApi>,
    (CategoryFilter(category), page): (CategoryFilter, PageQuery),
) -> Result<Response<Body>, Error> {
    let filters: Vec<(&str, &str)> = category.iter().map(|c| ("category", c.as_str())).collect();
    let scope = Scope {
        route: "GET /products",
        filters: &filters,
        caller: None,
    };
    let start = page.start(&api.cursors, &scope)?;
    let (products, next) =
        catalog::list(&api.products, category.as_ref(), page.limit, start).await?;
    page_response(&products, next, &api.cursors, &scope)
}

/// `GET /products/{id}`
pub async fn get(api: &CatalogApi, id: ProductId) -> Result<Response<Body>, Error> {
    product_response(StatusCode::OK, &catalog::get(&api.products, &id).await?)
}

/// `POST /products`
pub async fn create(
    api: &CatalogApi,
    (_, new): (Admin, NewProduct),
) -> Result<Response<Body>, Error> {
    let product = catalog::create(&api.products, new).await?;
    let response = product_response(StatusCode::CREATED, &product)?;
    Ok(with_location(
        response,
        &format!("/products/{}", product.id),
    ))
}

/// `PATCH /products/{id}`
pub async fn update(
    api: &CatalogApi,
    (_, id, patch, IfMatch(if_match)): (Admin, ProductId, ProductPatch, IfMatch),
) -> Result<Response<Body>, Error> {
    let product = catalog::update(&api.products, &id, patch, if_match).await?;
    product_response(StatusCode::OK, &product)
}

/// `DELETE /products/{id}`: archives.
pub async fn delete(
    api: &CatalogApi,
    (_, id): (Admin, ProductId),
) -> Result<Response<Body>, Error> {
    catalog::archive(&api.products, &id).await?;
    no_content()
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
