//! The HTTP layer: parse and check requests, authenticate callers, call a use
//! case, and turn its result into a response. It builds no client and reads
//! no variable: a handler gets its service's state from [`crate::wiring`].
//!
//! A handler is `async fn(&State, Input) -> Result<Response<Body>, Error>`,
//! where `Input` is anything [`FromRequest`] (a [`Caller`], an [`Admin`], an
//! id, a body, or a tuple of them); `main` runs it with [`serve`]. Every error
//! becomes its problem document in [`problem`], and every response carries
//! `x-request-id`.

pub mod addresses;
pub mod auth;
pub mod body;
pub mod cart;
pub mod health;
pub mod idempotent;
pub mod list;
pub mod not_found;
pub mod notifications;
pub mod openapi;
pub mod orders;
pub mod payments;
pub mod problem;
pub mod products;
pub mod refunds;
pub mod shipping;
pub mod storefront;
pub mod users;

use crate::Error;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use std::future::Future;
use std::time::Instant;

pub use auth::{Admin, Authenticates, Caller};
pub use body::{JsonBody, MAX_BODY_BYTES};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// What lambda_http wants back from a handler. Errors never escape as Lambda
/// errors: they are answered as problem documents.
pub type HandlerResult = Result<Response<Body>, lambda_http::Error>;

/// An input a handler receives: parsed (and, for a caller, checked) from the
/// request before the handler runs, so a handler never sees raw input.
/// Tuples take their parts in order: the first refusal is the answer.
pub trait FromRequest<S>: Sized {
    fn from_request(req: &Request, state: &S) -> Result<Self, Error>;
}

impl<S> FromRequest<S> for () {
    fn from_request(_: &Request, _: &S) -> Result<Self, Error> {
        Ok(())
    }
}

macro_rules! tuple_from_request {
    ($($part:ident),+) => {
        impl<S, $($part: FromRequest<S>),+> FromRequest<S> for ($($part,)+) {
            fn from_request(req: &Request, state: &S) -> Result<Self, Error> {
                Ok(($($part::from_request(req, state)?,)+))
            }
        }
    };
}
tuple_from_request!(A);
tuple_from_request!(A, B);
tuple_from_request!(A, B, C);
tuple_from_request!(A, B, C, D);

/// Runs one request: takes the handler's input from it, runs the handler
/// with the function's state, maps an error to its problem document, adds
/// `x-request-id`, and writes one log line.
pub async fn serve<'s, S, I, F, Fut>(req: Request, state: &'s S, handler: F) -> HandlerResult
where
    I: FromRequest<S>,
    F: FnOnce(&'s S, I) -> Fut,
    Fut: Future<Output = Result<Response<Body>, Error>>,
{
    let started = Instant::now();
    let request_id = req
        .lambda_context_ref()
        .map(|ctx| ctx.request_id.clone())
        .unwrap_or_default();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    // The contract's size limit holds on every route, also those that read no body.
    let body_bytes: &[u8] = req.body().as_ref();
    let outcome = if body_bytes.len() > MAX_BODY_BYTES {
        Err(Error::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        })
    } else {
        match I::from_request(&req, state) {
            Ok(input) => handler(state, input).await,
            Err(error) => Err(error),
        }
    };
    let mut response = match outcome {
        Ok(response) => response,
        Err(error) => {
            if let Error::Internal { .. } = &error {
                tracing::error!(
                    request_id,
                    error = crate::error::chain(&error),
                    "request failed"
                );
            }
            problem::response(&error)
        }
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    tracing::info!(
        request_id,
        method,
        path,
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    Ok(response)
}

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Response<Body>, Error> {
    let text = serde_json::to_string(value).map_err(Error::internal("encoding a response"))?;
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(text))
        .map_err(Error::internal("building a response"))
}

/// A response with a `Location` header (a created or accepted resource).
pub fn with_location(mut response: Response<Body>, location: &str) -> Response<Body> {
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `204 No Content`.
pub fn no_content() -> Result<Response<Body>, Error> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .map_err(Error::internal("building a response"))
}

/// The caller's IP address as API Gateway saw it.
pub struct SourceIp(pub String);

impl<S> FromRequest<S> for SourceIp {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        use lambda_http::request::RequestContext;
        let ip = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
            _ => None,
        };
        Ok(Self(
            ip.filter(|ip| !ip.is_empty())
                .unwrap_or_else(|| "unknown".to_owned()),
        ))
    }
}

/// The `{id}` path parameter, as the id type `parse` makes of it; one that
/// does not parse names nothing that exists, so it is `missing`.
pub fn path_id<T>(
    req: &Request,
    parse: impl FnOnce(&str) -> Option<T>,
    missing: Error,
) -> Result<T, Error> {
    req.path_parameters_ref()
        .and_then(|p| p.first("id"))
        .and_then(parse)
        .ok_or(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_over_the_limit_are_413_even_where_no_body_is_read() {
        let request = |size: usize| {
            lambda_http::http::Request::builder()
                .method("POST")
                .uri("/orders/x/cancel")
                .body(Body::Text("x".repeat(size)))
                .unwrap()
        };
        let ok = |_: &(), ()| async { json(StatusCode::OK, &serde_json::json!({})) };
        let big = serve(request(MAX_BODY_BYTES + 1), &(), ok).await.unwrap();
        assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            big.headers().get(header::CONTENT_TYPE).unwrap(),
            problem::CONTENT_TYPE
        );
        let fits = serve(request(MAX_BODY_BYTES), &(), ok).await.unwrap();
        assert_eq!(fits.status(), StatusCode::OK);
    }
}
