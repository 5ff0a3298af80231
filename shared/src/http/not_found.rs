//! The catch-all `$default` route: every unknown method and path gets a
//! problem document instead of API Gateway's bare `{"message": "Not Found"}`.

use super::{HandlerResult, serve};
use crate::Error;
use lambda_http::Request;

pub async fn handle(req: Request) -> HandlerResult {
    serve(req, |_| async { Err(Error::RouteNotFound) }).await
}
