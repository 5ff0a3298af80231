//! `GET /cart`, `PUT` and `DELETE /cart/items/{product_id}`, `DELETE /cart`:
//! the caller's own cart, each answer with its `ETag`; `If-Match` is
//! honoured when sent.

use super::products::IfMatch;
use super::{Caller, FromRequest, JsonBody, json, no_content};
use crate::domain::cart::PricedCart;
use crate::domain::{ProductId, Quantity};
use crate::wiring::CartApi;
use crate::{Error, FieldError};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};

/// The `{product_id}` path parameter. One that is no id names no product
/// that can be ordered: `422 unknown_product`, as an archived one is.
pub struct CartProduct(pub ProductId);

impl<S> FromRequest<S> for CartProduct {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let text = req
            .path_parameters_ref()
            .and_then(|p| p.first("product_id"))
            .unwrap_or_default();
        ProductId::parse(text).map(Self).ok_or_else(|| {
            Error::UnknownProduct(vec![
                FieldError::new("product_id", "is not a product that can be ordered")
                    .for_product(text),
            ])
        })
    }
}

/// The body of `PUT /cart/items/{product_id}`: `{"quantity": 1..100}`.
pub struct LineQuantity(pub Quantity);

impl<S> FromRequest<S> for LineQuantity {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let mut body = JsonBody::from_request(req)?;
        let quantity = body.required_int("quantity", Quantity::parse);
        body.finish_with(quantity).map(Self)
    }
}

fn answer(cart: &PricedCart) -> Result<Response<Body>, Error> {
    let mut response = json(StatusCode::OK, cart)?;
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", cart.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// `GET /cart`
pub async fn get(api: &CartApi, (caller,): (Caller,)) -> Result<Response<Body>, Error> {
    answer(&api.cart.get(caller.id()).await?)
}

/// `PUT /cart/items/{product_id}`
pub async fn put_item(
    api: &CartApi,
    (caller, CartProduct(product), IfMatch(if_match), LineQuantity(quantity)): (
        Caller,
        CartProduct,
        IfMatch,
        LineQuantity,
    ),
) -> Result<Response<Body>, Error> {
    let cart = api
        .cart
        .set(caller.id(), &product, quantity, if_match.map(|v| v.0))
        .await?;
    answer(&cart)
}

/// `DELETE /cart/items/{product_id}`
pub async fn delete_item(
    api: &CartApi,
    (caller, CartProduct(product), IfMatch(if_match)): (Caller, CartProduct, IfMatch),
) -> Result<Response<Body>, Error> {
    let cart = api
        .cart
        .remove(caller.id(), &product, if_match.map(|v| v.0))
        .await?;
    answer(&cart)
}

/// `DELETE /cart`
pub async fn clear(
    api: &CartApi,
    (caller, IfMatch(if_match)): (Caller, IfMatch),
) -> Result<Response<Body>, Error> {
    api.cart.clear(caller.id(), if_match.map(|v| v.0)).await?;
    no_content()
}
