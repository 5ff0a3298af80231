//! The HTTP layer: parse and check requests, authenticate callers, call a use
//! case, and turn its result into a response. Every error becomes its problem
//! document in [`problem`], and every response carries `x-request-id`.

pub mod auth;
pub mod body;
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
pub mod users;

use crate::Error;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use std::future::Future;
use std::time::Instant;

pub use body::{JsonBody, MAX_BODY_BYTES};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// What lambda_http wants back from a handler. Errors never escape as Lambda
/// errors: they are answered as problem documents.
pub type HandlerResult = Result<Response<Body>, lambda_http::Error>;

/// Runs one request through `handler`, maps its error to a problem document,
/// adds `x-request-id`, and writes one log line.
pub async fn serve<F, Fut>(req: Request, handler: F) -> HandlerResult
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, Error>>,
{
    let started = Instant::now();
    let request_id = req
        .lambda_context_ref()
        .map(|ctx| ctx.request_id.clone())
        .unwrap_or_default();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let mut response = match handler(req).await {
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

/// The caller's IP address as API Gateway saw it.
pub fn source_ip(req: &Request) -> String {
    use lambda_http::request::RequestContext;
    let ip = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    };
    ip.filter(|ip| !ip.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}
