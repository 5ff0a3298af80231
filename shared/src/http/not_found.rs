//! The catch-all `$default` route: every unknown method and path gets a
//! problem document instead of API Gateway's bare `{"message": "Not Found"}`.

use crate::Error;
use lambda_http::{Body, Response};

pub async fn not_found(_: &(), (): ()) -> Result<Response<Body>, Error> {
    Err(Error::RouteNotFound)
}
