//! List endpoints: `?limit=1..100` (default 20), `?cursor=`, and the
//! `{"items": [...], "next_cursor": ...}` answer.

use super::{FromRequest, json};
use crate::cursor::{CursorKey, Position, Scope};
use crate::{Error, FieldError};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

pub const DEFAULT_LIMIT: i32 = 20;
pub const MAX_LIMIT: i32 = 100;

/// A query parameter (the first, when repeated).
pub fn query(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_owned)
}

/// `?limit=` and `?cursor=` of a list: the size is checked here, the cursor
/// is opened by the handler, which knows the scope it was sealed for.
pub struct PageQuery {
    pub limit: i32,
    cursor: Option<String>,
}

impl PageQuery {
    pub fn parse(req: &Request) -> Result<Self, Error> {
        let limit = match query(req, "limit") {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<i32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(Error::Validation(vec![FieldError::new(
                        "limit",
                        format!("must be an integer from 1 to {MAX_LIMIT}"),
                    )]));
                }
            },
        };
        Ok(Self {
            limit,
            cursor: query(req, "cursor"),
        })
    }

    /// The position to resume from, opened with `key` within `scope`.
    pub fn start(&self, key: &CursorKey, scope: &Scope) -> Result<Option<Position>, Error> {
        self.cursor.as_ref().map(|c| key.open(scope, c)).transpose()
    }
}

impl<S> FromRequest<S> for PageQuery {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        Self::parse(req)
    }
}

/// The page size and the position to resume from, opened with `key` within `scope`.
pub fn page_request(
    req: &Request,
    key: &CursorKey,
    scope: &Scope,
) -> Result<(i32, Option<Position>), Error> {
    let page = PageQuery::parse(req)?;
    Ok((page.limit, page.start(key, scope)?))
}

#[derive(Serialize)]
struct Page<'a, T> {
    items: &'a [T],
    next_cursor: Option<String>,
}

/// The page, with a cursor for the rest when there is more.
pub fn page_response<T: Serialize>(
    items: &[T],
    next: Option<Position>,
    key: &CursorKey,
    scope: &Scope,
) -> Result<Response<Body>, Error> {
    let next_cursor = next.map(|p| key.seal(scope, &p));
    json(StatusCode::OK, &Page { items, next_cursor })
}
