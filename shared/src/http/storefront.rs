//! `GET /`, `GET /shop/{path}`, `GET /assets/{file}`: the shop's pages from
//! the API's own origin (no CORS, no token across origins). Every answer
//! carries the contract's security headers; an `If-None-Match` naming the
//! current version is `304`.

use super::FromRequest;
use crate::Error;
use crate::storefront::Asset;
use crate::wiring::StorefrontApi;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

/// Scripts, styles, pictures and calls from this origin only; no inline
/// script or style, no plugin, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The `If-None-Match` header, if sent.
pub struct IfNoneMatch(Option<String>);

impl<S> FromRequest<S> for IfNoneMatch {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        Ok(Self(
            req.headers()
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ))
    }
}

impl IfNoneMatch {
    /// Whether the client holds `etag` already (`*` or a list naming it;
    /// a weak validator matches too, as RFC 9110 has `If-None-Match` compare).
    fn holds(&self, etag: &str) -> bool {
        self.0.as_deref().is_some_and(|list| {
            list.split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == "*" || tag == etag)
        })
    }
}

/// What a storefront request asks for: a page (`/`, `/shop/...`) or an
/// asset by its path under `/assets/` (the route is greedy: it may hold `/`).
pub enum Wanted {
    Page,
    Asset(String),
}

impl<S> FromRequest<S> for Wanted {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let path = req.uri().path();
        match path.strip_prefix("/assets/") {
            Some(asset) => Ok(Self::Asset(asset.to_owned())),
            None if path == "/" || path.starts_with("/shop/") => Ok(Self::Page),
            None => Err(Error::RouteNotFound),
        }
    }
}

fn answer(asset: &Asset, cache: &'static str, held: &IfNoneMatch) -> Result<Response<Body>, Error> {
    let builder = Response::builder()
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, &asset.etag)
        .header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "same-origin");
    let response = if held.holds(&asset.etag) {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::Empty)
    } else {
        builder
            .status(StatusCode::OK)
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )
            .body(Body::Binary(asset.body.clone()))
    };
    response.map_err(Error::internal("building a page"))
}

/// `GET /` and `GET /shop/{path}`: the page shell, revalidated on every
/// load. `GET /assets/{file}`: a fingerprinted asset, cached for a year; any
/// other name is `404`.
pub async fn storefront(
    api: &StorefrontApi,
    (wanted, held): (Wanted, IfNoneMatch),
) -> Result<Response<Body>, Error> {
    match wanted {
        Wanted::Page => answer(api.site.shell(), "no-cache", &held),
        Wanted::Asset(path) => {
            let asset = api.site.asset(&path).ok_or(Error::RouteNotFound)?;
            answer(asset, "public, max-age=31536000, immutable", &held)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_knows_star() {
        let held = |v: &str| IfNoneMatch(Some(v.to_owned()));
        assert!(held("\"a\"").holds("\"a\""));
        assert!(held("\"b\", W/\"a\"").holds("\"a\""));
        assert!(held("*").holds("\"a\""));
        assert!(!held("\"b\"").holds("\"a\""));
        assert!(!IfNoneMatch(None).holds("\"a\""));
    }
}
