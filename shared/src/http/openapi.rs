//! `GET /openapi.yaml`: the API's own description, compiled into the
//! function so the served spec is always the one the code was built with.

use crate::Error;
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Response};

pub const SPEC: &str = include_str!("../../../openapi.yaml");

pub async fn openapi(_: &(), (): ()) -> Result<Response<Body>, Error> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/yaml")
        .header(header::CACHE_CONTROL, "public, max-age=300")
        .body(Body::Text(SPEC.to_owned()))
        .map_err(Error::internal("building a response"))
}
