//! `POST /orders`, `GET /orders`, `GET /orders/{id}`, `POST /orders/{id}/cancel`.

use super::auth::bearer;
use super::idempotent::{idempotency_from_env, idempotency_key, idempotent};
use super::list::{page_request, page_response};
use super::{HandlerResult, JsonBody, json, serve};
use crate::auth::{Claims, TokenVerifier};
use crate::aws::transact::RetryPolicy;
use crate::aws::{OrdersTable, ProductsTable, sdk_config};
use crate::config::{self, ConfigError};
use crate::cursor::{CursorKey, Scope};
use crate::domain::{LineRequest, OrderId, OrderRequest, ProductId, Quantity, Role, UserId};
use crate::idempotency::IdempotencyStore;
use crate::orders::{DEFAULT_EXPIRY_SECONDS, Orders};
use crate::{Error, FieldError};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::Value;

/// The orders service as configured by the environment.
pub async fn orders_from_env() -> Result<Orders, ConfigError> {
    let sdk = sdk_config()?;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    Ok(Orders {
        orders: OrdersTable::new(client.clone(), config::required(config::ORDERS_TABLE)?),
        products: ProductsTable::new(client, config::required(config::PRODUCTS_TABLE)?),
        expiry_seconds: config::number_or(
            config::ORDER_EXPIRY_SECONDS,
            DEFAULT_EXPIRY_SECONDS as u64,
        )? as i64,
        retry: RetryPolicy::default(),
    })
}

fn caller(claims: &Claims) -> Result<UserId, Error> {
    claims
        .user_id()
        .ok_or(Error::Unauthorized("subject is not a user id"))
}

/// The `{id}` path parameter as an order id; anything else cannot exist.
pub fn order_id(req: &Request) -> Result<OrderId, Error> {
    req.path_parameters_ref()
        .and_then(|p| p.first("id"))
        .and_then(OrderId::parse)
        .ok_or(Error::OrderNotFound)
}

/// Parses `{"items": [{"product_id", "quantity"}]}`, reporting every offending field.
pub fn order_request(req: &Request) -> Result<OrderRequest, Error> {
    let mut body = JsonBody::from_request(req)?;
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
            for (i, entry) in entries.into_iter().enumerate() {
                let Value::Object(mut fields) = entry else {
                    body.reject(&format!("items[{i}]"), "must be an object");
                    continue;
                };
                let product_id = match fields.remove("product_id") {
                    None => {
                        body.reject(&format!("items[{i}].product_id"), "is required");
                        None
                    }
                    Some(Value::String(text)) => match ProductId::parse(&text) {
                        Some(id) => Some(id),
                        None => {
                            unknown.push(
                                FieldError::new(
                                    format!("items[{i}].product_id"),
                                    "is not a product that can be ordered",
                                )
                                .for_product(text),
                            );
                            None
                        }
                    },
                    Some(_) => {
                        body.reject(&format!("items[{i}].product_id"), "must be a string");
                        None
                    }
                };
                let quantity = match fields.remove("quantity") {
                    None => {
                        body.reject(&format!("items[{i}].quantity"), "is required");
                        None
                    }
                    Some(value) => match super::body::integer(&value) {
                        Ok(n) => match Quantity::parse(n) {
                            Ok(q) => Some(q),
                            Err(m) => {
                                body.reject(&format!("items[{i}].quantity"), m);
                                None
                            }
                        },
                        Err(_) => {
                            body.reject(
                                &format!("items[{i}].quantity"),
                                "must be an integer from 1 to 100",
                            );
                            None
                        }
                    },
                };
                for extra in fields.keys() {
                    body.reject(&format!("items[{i}].{extra}"), "is not a known field");
                }
                if let (Some(product_id), Some(quantity)) = (product_id, quantity) {
                    lines.push(LineRequest {
                        product_id,
                        quantity,
                    });
                }
            }
        }
        Some(_) => body.reject("items", "must be an array"),
    }
    body.finish()?;
    if !unknown.is_empty() {
        return Err(Error::UnknownProduct(unknown));
    }
    OrderRequest::parse(lines).map_err(Error::Validation)
}

fn created(order: &crate::domain::Order) -> Result<Response<Body>, Error> {
    let mut response = json(StatusCode::CREATED, order)?;
    if let Ok(location) = HeaderValue::from_str(&format!("/orders/{}", order.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

pub struct CreateOrder {
    orders: Orders,
    verifier: TokenVerifier,
    idempotency: IdempotencyStore,
}

impl CreateOrder {
    pub fn new(orders: Orders, verifier: TokenVerifier, idempotency: IdempotencyStore) -> Self {
        Self {
            orders,
            verifier,
            idempotency,
        }
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        let orders = orders_from_env().await?;
        let idempotency =
            idempotency_from_env(orders.orders.client().clone(), orders.orders.name())?;
        Ok(Self::new(
            orders,
            super::users::verifier_from_env()?,
            idempotency,
        ))
    }

    pub async fn handle(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let user = caller(&bearer(&req, &self.verifier)?)?;
            let key = idempotency_key(&req)?;
            let request = order_request(&req)?;
            let Some(key) = key else {
                return created(&self.orders.create(&user, &request, None).await?);
            };
            let (buyer, order) = (&user, &request);
            let work = move |claim| async move {
                self.orders
                    .create(buyer, order, Some((&self.idempotency, &claim)))
                    .await
            };
            idempotent(
                &self.idempotency,
                &req,
                &user,
                "/orders",
                &key,
                work,
                |order| created(&order),
            )
            .await
        })
        .await
    }
}

pub struct ListOrders {
    orders: Orders,
    verifier: TokenVerifier,
    cursors: CursorKey,
}

impl ListOrders {
    pub fn new(orders: Orders, verifier: TokenVerifier, cursors: CursorKey) -> Self {
        Self {
            orders,
            verifier,
            cursors,
        }
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        Ok(Self::new(
            orders_from_env().await?,
            super::users::verifier_from_env()?,
            super::products::cursor_key_from_env()?,
        ))
    }

    pub async fn handle(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let user = caller(&bearer(&req, &self.verifier)?)?;
            let scope = Scope {
                route: "GET /orders",
                filters: &[],
                caller: Some(user.as_str()),
            };
            let (limit, start) = page_request(&req, &self.cursors, &scope)?;
            let (orders, next) = self.orders.list(&user, limit, start).await?;
            page_response(&orders, next, &self.cursors, &scope)
        })
        .await
    }
}

/// `GET /orders/{id}` and `POST /orders/{id}/cancel`.
pub struct OrderById {
    orders: Orders,
    verifier: TokenVerifier,
}

impl OrderById {
    pub fn new(orders: Orders, verifier: TokenVerifier) -> Self {
        Self { orders, verifier }
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        Ok(Self::new(
            orders_from_env().await?,
            super::users::verifier_from_env()?,
        ))
    }

    pub async fn get(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let claims = bearer(&req, &self.verifier)?;
            let order = self
                .orders
                .get(
                    &caller(&claims)?,
                    claims.role == Role::Admin,
                    &order_id(&req)?,
                )
                .await?;
            json(StatusCode::OK, &order)
        })
        .await
    }

    pub async fn cancel(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let user = caller(&bearer(&req, &self.verifier)?)?;
            let order = self.orders.cancel(&user, &order_id(&req)?).await?;
            json(StatusCode::OK, &order)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<OrderRequest, Error> {
        let req = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/orders")
            .header("content-type", "application/json")
            .body(Body::Text(body.to_owned()))
            .unwrap();
        order_request(&req)
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
