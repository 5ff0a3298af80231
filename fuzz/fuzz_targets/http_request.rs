//! A whole request: an API Gateway HTTP API event (JSON, as Lambda receives
//! it) becomes the `lambda_http::Request` a handler gets, and every pure step
//! a handler takes on it runs: path ids, `?limit`/`?cursor`/`?category`,
//! `Idempotency-Key`, `If-Match`, `Authorization`, content type, body size,
//! and each endpoint's body. Each step accepts only what the contract allows
//! and refuses with a client error, never a panic or a 500.

#![no_main]

use ferrocart_fuzz::*;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::http::header;
use lambda_http::{Request, RequestExt};
use libfuzzer_sys::fuzz_target;
use shared::Error;
use shared::auth::TokenVerifier;
use shared::auth::token::{generate_key_pair, jwk_set};
use shared::cursor::{CursorKey, Scope};
use shared::http::list::{DEFAULT_LIMIT, MAX_LIMIT, page_request, query};
use shared::http::{
    FromRequest, JsonBody, MAX_BODY_BYTES, SourceIp, auth, idempotent, notifications, orders,
    payments, products, users,
};
use shared::idempotency::KEY_MAX;
use std::sync::LazyLock;

static CURSORS: LazyLock<CursorKey> = LazyLock::new(|| CursorKey::new(&[9u8; 32]).expect("key"));
static VERIFIER: LazyLock<TokenVerifier> = LazyLock::new(|| {
    let (_, jwk) = generate_key_pair("k1").expect("key pair");
    TokenVerifier::from_jwks(&jwk_set(&[jwk]), "https://ferrocart.local", "ferrocart-api")
        .expect("verifier")
});

fn path_id(req: &Request) -> Option<String> {
    req.path_parameters_ref()
        .and_then(|p| p.first("id"))
        .map(str::to_owned)
}

fn id_step<T>(req: &Request, result: Result<T, Error>, as_str: impl Fn(&T) -> &str) {
    if let Some(id) = accepted(result) {
        let sent = path_id(req).expect("an id came from the path");
        check_id(as_str(&id));
        assert!(
            sent.eq_ignore_ascii_case(as_str(&id)),
            "{sent:?} is not {}",
            as_str(&id)
        );
    }
}

fn is_json(content_type: Option<&str>) -> bool {
    let essence = content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<ApiGatewayV2httpRequest>(data) else {
        return;
    };
    let Some(req) = request_from_event(event) else {
        return;
    };

    // Path ids: a ULID (any case) or the resource's 404.
    id_step(&req, products::product_id(&req), |id| id.as_str());
    id_step(&req, orders::order_id(&req), |id| id.as_str());
    id_step(&req, payments::payment_id(&req), |id| id.as_str());
    id_step(&req, notifications::notification_id(&req), String::as_str);

    // Lists: the same parse for every listing, each with its own scope.
    let category = accepted(products::category_filter(&req));
    if let Some(Some(c)) = &category {
        check_category(c);
    }
    let filters: Vec<(&str, &str)> = match &category {
        Some(Some(c)) => vec![("category", c.as_str())],
        _ => vec![],
    };
    for scope in [
        Scope {
            route: "GET /products",
            filters: &filters,
            caller: None,
        },
        Scope {
            route: "GET /orders",
            filters: &[],
            caller: Some("01KDVDNA000000000001FET000"),
        },
    ] {
        if let Some((limit, position)) = accepted(page_request(&req, &CURSORS, &scope)) {
            assert!((1..=MAX_LIMIT).contains(&limit), "{limit}");
            if query(&req, "limit").is_none() {
                assert_eq!(limit, DEFAULT_LIMIT);
            }
            // Nobody can forge a cursor without the key.
            assert!(position.is_none(), "{position:?}");
        }
    }

    // Headers.
    let sent_key = req.headers().get("idempotency-key");
    if let Some(key) = accepted(idempotent::idempotency_key(&req)) {
        assert_eq!(key.is_some(), sent_key.is_some());
        if let Some(key) = key {
            let s = key.as_str();
            assert_eq!(Some(s.as_bytes()), sent_key.map(|v| v.as_bytes()));
            assert!((1..=KEY_MAX).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()));
        }
    }
    if let Some(Some(version)) = accepted(products::if_match(&req)) {
        let sent = req.headers()[header::IF_MATCH]
            .to_str()
            .expect("text")
            .trim();
        assert!(
            sent == version.etag() || sent == version.etag().trim_matches('"'),
            "{sent:?}"
        );
    }
    match auth::bearer(&req, &VERIFIER) {
        Err(Error::Unauthorized(_)) => {}
        other => panic!("a forged Authorization passed: {other:?}"),
    }
    let _ = SourceIp::from_request(&req, &());

    // Bodies: size first, then the media type, then JSON, then each endpoint's rules.
    let body: &[u8] = req.body().as_ref();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match JsonBody::from_request(&req) {
        Ok(_) => assert!(body.len() <= MAX_BODY_BYTES && is_json(content_type)),
        Err(e) => {
            check_rejection(&e);
            match e {
                Error::PayloadTooLarge { .. } => assert!(body.len() > MAX_BODY_BYTES),
                Error::UnsupportedMediaType => {
                    assert!(body.len() <= MAX_BODY_BYTES && !is_json(content_type))
                }
                _ => assert!(body.len() <= MAX_BODY_BYTES && is_json(content_type)),
            }
        }
    }
    if let Some(u) = accepted(users::register_body(&req)) {
        check_new_user(&u);
    }
    if let Some((name, password)) = accepted(users::login_body(&req)) {
        check_login(&name, &password);
    }
    if let Some(p) = accepted(products::create_body(&req)) {
        check_new_product(&p);
    }
    if let Some(p) = accepted(products::patch_body(&req)) {
        check_patch(&p);
    }
    if let Some(o) = accepted(orders::order_request(&req)) {
        check_order(&o);
    }
    if let Some((order_id, method)) = accepted(payments::payment_body(&req)) {
        check_id(order_id.as_str());
        check_payment_method(&method);
    }
    if let Some(n) = accepted(notifications::enqueue_body(&req)) {
        check_notification(&n);
    }
});
