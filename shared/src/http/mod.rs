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
    // The contract's size limit holds on every route, also those that read no body.
    let body_bytes: &[u8] = req.body().as_ref();
    let outcome = if body_bytes.len() > MAX_BODY_BYTES {
        Err(Error::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        })
    } else {
        handler(req).await
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
        let ok = |_| async { json(StatusCode::OK, &serde_json::json!({})) };
        let big = serve(request(MAX_BODY_BYTES + 1), ok).await.unwrap();
        assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            big.headers().get(header::CONTENT_TYPE).unwrap(),
            problem::CONTENT_TYPE
        );
        let fits = serve(request(MAX_BODY_BYTES), ok).await.unwrap();
        assert_eq!(fits.status(), StatusCode::OK);
    }
}
