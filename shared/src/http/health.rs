//! `GET /health`: the version, and whether DynamoDB answers.

use super::problem::{Problem, problem_response};
use super::{HandlerResult, json, serve};
use crate::aws::{UsersTable, sdk_config};
use crate::config::{self, USERS_TABLE};
use lambda_http::Request;
use lambda_http::http::StatusCode;
use lambda_http::http::header::{CACHE_CONTROL, HeaderValue};
use serde_json::json;
use std::time::Duration;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Health {
    table: UsersTable,
}

impl Health {
    pub fn new(table: UsersTable) -> Self {
        Self { table }
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        let sdk = sdk_config()?;
        let table = config::required(USERS_TABLE)?;
        Ok(Self::new(UsersTable::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            table,
        )))
    }

    pub async fn handle(&self, req: Request) -> HandlerResult {
        serve(req, |_| async {
            let dynamodb = match tokio::time::timeout(CHECK_TIMEOUT, self.table.ping()).await {
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
        })
        .await
    }
}
