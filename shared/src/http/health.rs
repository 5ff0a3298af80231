//! `GET /health`: the version, and whether DynamoDB answers.

use super::json;
use super::problem::{Problem, problem_response};
use crate::Error;
use crate::wiring::HealthApi;
use lambda_http::http::StatusCode;
use lambda_http::http::header::{CACHE_CONTROL, HeaderValue};
use lambda_http::{Body, Response};
use serde_json::json;
use std::time::Duration;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /health`
pub async fn health(api: &HealthApi, (): ()) -> Result<Response<Body>, Error> {
    let dynamodb = match tokio::time::timeout(CHECK_TIMEOUT, api.users.ping()).await {
        Ok(Ok(())) => "ok",
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: DynamoDB failed");
            "unavailable"
        }
        Err(_) => {
            tracing::warn!("health check: DynamoDB timed out");
            "unavailable"
        }
    };
    let checks = json!({ "dynamodb": dynamodb });
    let mut response = if dynamodb == "ok" {
        json(
            StatusCode::OK,
            &json!({ "status": "ok", "version": VERSION, "checks": checks }),
        )?
    } else {
        let mut problem = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "dependency_unavailable",
            "A dependency does not answer; see checks.",
        );
        problem.extra.insert("version".into(), VERSION.into());
        problem.extra.insert("checks".into(), checks);
        problem_response(&problem)
    };
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
