//! `POST /orders`, `GET /orders`, `GET /orders/{id}`, `POST /orders/{id}/cancel`.

use super::idempotent::{Keyed, idempotent};
use super::list::{PageQuery, page_response, query};
use super::{Admin, Caller, FromRequest, JsonBody, json, path_id, with_location};
use crate::cursor::Scope;
use crate::domain::address::AddressId;
use crate::domain::order::{Destination, ShippingRequest};
use crate::domain::shipping::ShippingOptionId;
use crate::domain::{
    Carrier, LineRequest, Order, OrderId, OrderRequest, OrderStatus, ProductId, Quantity,
    TrackingNumber, TrackingUrl,
};
use crate::fulfilment::Shipment;
use crate::idempotency::Claim;
use crate::users;
use crate::wiring::{CancelApi, FulfilmentApi, Idempotent, Listing, OrdersApi};
use crate::{Error, FieldError};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

/// The `{id}` path parameter as an order id; anything else cannot exist.
pub fn order_id(req: &Request) -> Result<OrderId, Error> {
    path_id(req, OrderId::parse, Error::OrderNotFound)
}

impl<S> FromRequest<S> for OrderId {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        order_id(req)
    }
}

/// The body of `POST /orders`: the lines, and where and how they ship.
#[derive(Debug)]
pub struct PlacedOrder {
    pub lines: OrderRequest,
    pub shipping: ShippingRequest,
}

impl<S> FromRequest<S> for PlacedOrder {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        order_request(req)
    }
}

/// `shipping_address` (an address without id) or `address_id` (a saved
/// one), and `shipping_option_id`, from `body`.
pub fn shipping_request(body: &mut JsonBody) -> Option<ShippingRequest> {
    let option = body.required("shipping_option_id", ShippingOptionId::parse);
    let destination = match (body.has("shipping_address"), body.has("address_id")) {
        (true, true) => {
            body.required_value("shipping_address");
            body.required_value("address_id");
            body.reject(
                "address_id",
                "send shipping_address or address_id, not both",
            );
            None
        }
        (false, false) => {
            body.reject(
                "shipping_address",
                "is required, or address_id naming a saved address",
            );
            None
        }
        (false, true) => body
            .required("address_id", |s| {
                AddressId::parse(s).ok_or_else(|| "is not one of your saved addresses".to_owned())
            })
            .map(Destination::Saved),
        (true, false) => match body.required_value("shipping_address") {
            Some(Value::Object(fields)) => {
                let mut address = JsonBody::object(fields);
                let parsed = super::addresses::address_fields(&mut address);
                body.absorb("shipping_address", address);
                parsed.map(Destination::New)
            }
            _ => {
                body.reject("shipping_address", "must be an address object");
                None
            }
        },
    };
    Some(ShippingRequest {
        destination: destination?,
        option: option?,
    })
}

/// Parses `{"items": [{"product_id", "quantity"}], "shipping_address" |
/// "address_id", "shipping_option_id"}`, reporting every offending field.
pub fn order_request(req: &Request) -> Result<PlacedOrder, Error> {
    let mut body = JsonBody::from_request(req)?;
    let shipping = shipping_request(&mut body);
    let mut lines = Vec::new();
    let mut unknown = Vec::new();
    match body.required_value("items") {
        None => {}
        Some(Value::Array(entries))
            if entries.is_empty() || entries.len() > crate::domain::order::MAX_LINES =>
        {
            body.reject(
                "items",
                format!("must have 1 to {} lines", crate::domain::order::MAX_LINES),
            );
        }
        Some(Value::Array(entries)) => {
            lines = product_lines(&mut body, "items", entries, &mut unknown);
        }
        Some(_) => body.reject("items", "must be an array"),
    }
    let shipping = body.finish_with(shipping)?;
    if !unknown.is_empty() {
        return Err(Error::UnknownProduct(unknown));
    }
    Ok(PlacedOrder {
        lines: OrderRequest::parse(lines).map_err(Error::Validation)?,
        shipping,
    })
}

/// The `{"product_id", "quantity"}` entries of the array `field`: each
/// offending field is rejected on `body`, and an id that is no product id
/// goes to `unknown` (naming it), so the caller decides how to answer it.
pub fn product_lines(
    body: &mut JsonBody,
    field: &str,
    entries: Vec<Value>,
    unknown: &mut Vec<FieldError>,
) -> Vec<LineRequest> {
    let mut lines = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let Value::Object(mut fields) = entry else {
            body.reject(&format!("{field}[{i}]"), "must be an object");
            continue;
        };
        let product_id = match fields.remove("product_id") {
            None => {
                body.reject(&format!("{field}[{i}].product_id"), "is required");
                None
            }
            Some(Value::String(text)) => match ProductId::parse(&text) {
                Some(id) => Some(id),
                None => {
                    unknown.push(
                        FieldError::new(
                            format!("{field}[{i}].product_id"),
                            "is not a product that can be ordered",
                        )
                        .for_product(text),
                    );
                    None
                }
            },
            Some(_) => {
                body.reject(&format!("{field}[{i}].product_id"), "must be a string");
                None
            }
        };
        let quantity = match fields.remove("quantity") {
            None => {
                body.reject(&format!("{field}[{i}].quantity"), "is required");
                None
            }
            Some(value) => match super::body::integer(&value) {
                Ok(n) => match Quantity::parse(n) {
                    Ok(q) => Some(q),
                    Err(m) => {
                        body.reject(&format!("{field}[{i}].quantity"), m);
                        None
                    }
                },
                Err(_) => {
                    body.reject(
                        &format!("{field}[{i}].quantity"),
                        "must be an integer from 1 to 100",
                    );
                    None
                }
            },
        };
        for extra in fields.keys() {
            body.reject(&format!("{field}[{i}].{extra}"), "is not a known field");
        }
        if let (Some(product_id), Some(quantity)) = (product_id, quantity) {
            lines.push(LineRequest {
                product_id,
                quantity,
            });
        }
    }
    lines
}

fn created(order: &Order) -> Result<Response<Body>, Error> {
    let response = json(StatusCode::CREATED, order)?;
    Ok(with_location(response, &format!("/orders/{}", order.id)))
}

/// `POST /orders`: once per `Idempotency-Key`, when one is sent.
pub async fn create(
    api: &Idempotent<OrdersApi>,
    (caller, keyed, placed): (Caller, Option<Keyed>, PlacedOrder),
) -> Result<Response<Body>, Error> {
    let buyer = caller.id();
    users::ensure_current(&api.users, buyer, caller.issued_at_ms()).await?;
    let place = async |claim: Option<&Claim>| {
        let delivery =
            crate::orders::delivery(&api.users, &api.shipping, buyer, &placed.shipping).await?;
        api.orders
            .create(
                buyer,
                &placed.lines,
                &delivery,
                claim.map(|claim| (&api.store, claim)),
            )
            .await
    };
    let Some(keyed) = keyed else {
        return created(&place(None).await?);
    };
    // Under a key the shipping is read after the claim: a replay answers
    // the first order even if its option has changed since.
    let place = &place;
    let work = move |claim: Claim| async move { place(Some(&claim)).await };
    idempotent(&api.store, &keyed, buyer, "/orders", work, |order| {
        created(&order)
    })
    .await
}

/// The body of `POST /cart/checkout`: where and how the cart ships, and
/// the version of the cart being ordered.
#[derive(Debug)]
pub struct PlacedCheckout {
    pub shipping: ShippingRequest,
    pub cart_version: u64,
}

impl<S> FromRequest<S> for PlacedCheckout {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let mut body = JsonBody::from_request(req)?;
        let shipping = shipping_request(&mut body);
        let version = body.required_int("cart_version", |v| {
            u64::try_from(v).map_err(|_| "must be a cart's version, 0 or more".to_owned())
        });
        let (shipping, cart_version) = body.finish_with(shipping.zip(version))?;
        Ok(Self {
            shipping,
            cart_version,
        })
    }
}

/// `POST /cart/checkout`: the caller's cart at `cart_version` becomes an
/// order, as `POST /orders` makes one, and the cart is emptied with it.
pub async fn checkout(
    api: &Idempotent<OrdersApi>,
    (caller, keyed, placed): (Caller, Option<Keyed>, PlacedCheckout),
) -> Result<Response<Body>, Error> {
    let buyer = caller.id();
    users::ensure_current(&api.users, buyer, caller.issued_at_ms()).await?;
    let place = async |claim: Option<&Claim>| {
        let delivery =
            crate::orders::delivery(&api.users, &api.shipping, buyer, &placed.shipping).await?;
        api.orders
            .checkout(
                buyer,
                &api.carts,
                placed.cart_version,
                &delivery,
                claim.map(|claim| (&api.store, claim)),
            )
            .await
    };
    let Some(keyed) = keyed else {
        return created(&place(None).await?);
    };
    // As for `POST /orders`: the shipping is read under the claim.
    let place = &place;
    let work = move |claim: Claim| async move { place(Some(&claim)).await };
    idempotent(&api.store, &keyed, buyer, "/cart/checkout", work, |order| {
        created(&order)
    })
    .await
}

/// `GET /orders`: the caller's own, newest first.
pub async fn list(
    api: &Listing<OrdersApi>,
    (caller, page): (Caller, PageQuery),
) -> Result<Response<Body>, Error> {
    let scope = Scope {
        route: "GET /orders",
        filters: &[],
        caller: Some(caller.id().as_str()),
    };
    let start = page.start(&api.cursors, &scope)?;
    let (orders, next) = api.orders.list(caller.id(), page.limit, start).await?;
    page_response(&orders, next, &api.cursors, &scope)
}

/// The `?status=` filter of `GET /admin/orders`.
pub struct StatusFilter(pub Option<OrderStatus>);

impl<S> FromRequest<S> for StatusFilter {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        match query(req, "status") {
            None => Ok(Self(None)),
            Some(text) => OrderStatus::parse(&text)
                .map(|s| Self(Some(s)))
                .ok_or_else(|| {
                    let names: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
                    Error::validation("status", format!("must be one of {}", names.join(", ")))
                }),
        }
    }
}

/// `GET /admin/orders`: every order, or those in one status, newest first.
pub async fn admin_list(
    api: &Listing<OrdersApi>,
    (_, StatusFilter(status), page): (Admin, StatusFilter, PageQuery),
) -> Result<Response<Body>, Error> {
    let filters: Vec<(&str, &str)> = status.iter().map(|s| ("status", s.as_str())).collect();
    let scope = Scope {
        route: "GET /admin/orders",
        filters: &filters,
        caller: None,
    };
    let start = page.start(&api.cursors, &scope)?;
    let (orders, next) = api.orders.list_all(status, page.limit, start).await?;
    page_response(&orders, next, &api.cursors, &scope)
}

/// `GET /orders/{id}`: the caller's own, or any for an admin.
pub async fn get(
    api: &OrdersApi,
    (caller, id): (Caller, OrderId),
) -> Result<Response<Body>, Error> {
    let order = api.orders.get(caller.id(), caller.is_admin(), &id).await?;
    json(StatusCode::OK, &order)
}

/// `POST /orders/{id}/cancel`: the owner's or an admin's; a paid order is
/// refunded in full.
pub async fn cancel(
    api: &CancelApi,
    (caller, id): (Caller, OrderId),
) -> Result<Response<Body>, Error> {
    let order = crate::refunds::cancel(
        &api.orders,
        &api.refunds,
        caller.id(),
        caller.is_admin(),
        &id,
    )
    .await?;
    json(StatusCode::OK, &order)
}

impl<S> FromRequest<S> for Shipment {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let mut body = JsonBody::from_request(req)?;
        let carrier = body.required("carrier", Carrier::parse);
        let tracking_number = body.required("tracking_number", TrackingNumber::parse);
        let tracking_url = body.optional("tracking_url", TrackingUrl::parse);
        let (carrier, tracking_number) = body.finish_with(carrier.zip(tracking_number))?;
        Ok(Shipment {
            carrier,
            tracking_number,
            tracking_url,
        })
    }
}

/// `POST /orders/{id}/ship` (admin): from `paid` only; mails the buyer.
pub async fn ship(
    api: &FulfilmentApi,
    (_, id, shipment): (Admin, OrderId, Shipment),
) -> Result<Response<Body>, Error> {
    json(StatusCode::OK, &api.fulfilments.ship(&id, shipment).await?)
}

/// `POST /orders/{id}/deliver` (admin): from `shipped` only.
pub async fn deliver(
    api: &FulfilmentApi,
    (_, id): (Admin, OrderId),
) -> Result<Response<Body>, Error> {
    json(StatusCode::OK, &api.fulfilments.deliver(&id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines of a body that also names a saved address and an option.
    fn parse(body: &str) -> Result<OrderRequest, Error> {
        let body = body.replacen(
            '{',
            r#"{"address_id": "01KDVDNA000000000001FET009", "shipping_option_id": "standard", "#,
            1,
        );
        let req = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/orders")
            .header("content-type", "application/json")
            .body(Body::Text(body))
            .unwrap();
        order_request(&req).map(|placed| placed.lines)
    }

    #[test]
    fn an_order_ships_to_a_new_or_a_saved_address_never_both() {
        let line = r#""items": [{"product_id": "01KDVDNA000000000001FET000", "quantity": 1}]"#;
        let with = |rest: &str| {
            let req = lambda_http::http::Request::builder()
                .method("POST")
                .uri("/orders")
                .header("content-type", "application/json")
                .body(Body::Text(format!("{{{line}{rest}}}")))
                .unwrap();
            order_request(&req)
        };
        let fields = |result: Result<PlacedOrder, Error>| match result {
            Err(Error::Validation(errors)) => {
                errors.into_iter().map(|e| e.field).collect::<Vec<_>>()
            }
            other => panic!("{:?}", other.map(|p| p.shipping)),
        };
        assert_eq!(fields(with("")), ["shipping_option_id", "shipping_address"]);
        assert_eq!(
            fields(with(
                r#", "shipping_option_id": "standard", "address_id": "01KDVDNA000000000001FET009", "shipping_address": {}"#
            )),
            ["address_id"]
        );
        assert_eq!(
            fields(with(
                r#", "shipping_option_id": "standard", "shipping_address": {"name": "Ada", "line1": "1 Road", "city": "Leeds", "postal_code": "LS1 1AA", "country": "gb", "floor": 3}"#
            )),
            ["shipping_address.country", "shipping_address.floor"]
        );
        let placed = with(r#", "shipping_option_id": "express", "shipping_address": {"name": "Ada", "line1": "1 Road", "city": "Leeds", "postal_code": "LS1 1AA", "country": "GB"}"#).unwrap();
        assert_eq!(placed.shipping.option.as_str(), "express");
        assert!(
            matches!(placed.shipping.destination, Destination::New(ref a) if a.city.as_str() == "Leeds")
        );
    }

    #[test]
    fn an_integral_float_is_a_quantity() {
        let order =
            parse(r#"{"items": [{"product_id": "01KDVDNA000000000001FET000", "quantity": 49.0}]}"#)
                .unwrap();
        assert_eq!(order.lines()[0].quantity.get(), 49);
    }

    #[test]
    fn a_fraction_is_not_a_quantity() {
        for quantity in ["2.5", "1e-9", "\"3\"", "101.0", "0"] {
            let body = format!(
                r#"{{"items": [{{"product_id": "01KDVDNA000000000001FET000", "quantity": {quantity}}}]}}"#
            );
            match parse(&body) {
                Err(Error::Validation(errors)) => {
                    assert_eq!(errors[0].field, "items[0].quantity", "{quantity}")
                }
                other => panic!("{quantity}: {other:?}"),
            }
        }
    }
}
