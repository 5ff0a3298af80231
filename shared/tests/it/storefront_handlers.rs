//! The storefront function, called with its sample event: the page shell,
//! its assets by fingerprint, revalidation, and the security headers.

use crate::common::event;
use lambda_http::{Body, Context, Request, RequestExt, Response};
use serde_json::Value;
use shared::http::{serve, storefront};
use shared::wiring::StorefrontApi;

fn request(path: &str, if_none_match: Option<&str>) -> Request {
    let mut event: Value = event("storefront.json");
    event["rawPath"] = path.into();
    event["requestContext"]["http"]["path"] = path.into();
    if let Some(tag) = if_none_match {
        event["headers"]["if-none-match"] = tag.into();
    }
    lambda_http::request::from_str(&event.to_string())
        .expect("sample event parses")
        .with_lambda_context(Context::default())
}

async fn get(api: &StorefrontApi, path: &str, tag: Option<&str>) -> Response<Body> {
    serve(request(path, tag), api, storefront::storefront)
        .await
        .unwrap()
}

fn header<'a>(response: &'a Response<Body>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name}"))
}

#[tokio::test]
async fn the_sample_event_gets_the_page_shell_with_its_security_headers() {
    let api = StorefrontApi::new();
    let page = get(&api, "/shop/products/01KDVDNA000000000001FET000", None).await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&page, "cache-control"), "no-cache");
    let csp = header(&page, "content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(header(&page, "referrer-policy"), "same-origin");
    let etag = header(&page, "etag").to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "a strong tag: {etag}"
    );
    // `/` and any other page answer the same shell.
    let home = get(&api, "/", None).await;
    assert_eq!(header(&home, "etag"), etag);
    let again = get(&api, "/", Some(&etag)).await;
    assert_eq!(again.status(), 304);
    assert!(again.body().is_empty());

    // Every asset the shell links is served, immutable, and revalidates.
    let html = String::from_utf8(page.body().to_vec()).unwrap();
    let links: Vec<&str> = html
        .split("\"/assets/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(
        links
            .iter()
            .any(|l| l.starts_with("app.") && l.ends_with(".js")),
        "{html}"
    );
    assert!(
        links
            .iter()
            .any(|l| l.starts_with("style.") && l.ends_with(".css"))
    );
    for link in links {
        let asset = get(&api, &format!("/assets/{link}"), None).await;
        assert_eq!(asset.status(), 200, "{link}");
        assert_eq!(
            header(&asset, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        let tag = header(&asset, "etag").to_owned();
        assert_eq!(
            get(&api, &format!("/assets/{link}"), Some(&tag))
                .await
                .status(),
            304
        );
    }
}

#[tokio::test]
async fn an_unknown_asset_is_a_404_problem() {
    let api = StorefrontApi::new();
    for path in ["/assets/app.js", "/assets/nope.0000000000.js", "/assets/"] {
        let answer = get(&api, path, None).await;
        assert_eq!(answer.status(), 404, "{path}");
        assert_eq!(header(&answer, "content-type"), "application/problem+json");
    }
}
