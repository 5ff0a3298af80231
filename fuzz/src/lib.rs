//! What the fuzz targets share: building requests the way the Lambda runtime
//! hands them to a handler, the contract's limits as checks, the wire form of
//! every parsed body (for round trips), and the rule that a refused request
//! is a client error with a well-formed problem document, never a 500.

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::{self, Uri};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde_json::{Map, Value, json};
use shared::Error;
use shared::domain::notification::{MessageText, SUBJECT_MAX, Subject};
use shared::domain::order::{MAX_LINES, MAX_QUANTITY};
use shared::domain::payment::PaymentMethod;
use shared::domain::product::{
    CATEGORY_MAX, DESCRIPTION_MAX, NAME_MAX, PRICE_MAX, PRICE_MIN, STOCK_MAX,
};
use shared::domain::user::{
    EMAIL_MAX, LOGIN_FIELD_MAX, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN,
    is_common_password,
};
use shared::domain::{
    Category, Description, Email, LoginName, NewProduct, NewUser, OrderRequest, Password,
    ProductName, ProductPatch, StockChange, Username,
};
use shared::http::problem;
use shared::notifications::NotificationRequest;
use std::collections::HashSet;

pub const JSON: &str = "application/json";

/// A `POST` with a JSON body, as the router hands it to a body parser.
pub fn json_request(body: &[u8]) -> Request {
    let mut req = Request::new(Body::from(body.to_vec()));
    *req.method_mut() = http::Method::POST;
    req.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(JSON),
    );
    req
}

/// The request a handler gets for an API Gateway HTTP API (payload 2.0)
/// event: headers, raw query string, path parameters, request context and
/// body, as lambda_http builds it. `None` for events API Gateway never sends
/// (a body flagged base64 that is not, a method that is not one).
pub fn request_from_event(event: ApiGatewayV2httpRequest) -> Option<Request> {
    let query: QueryMap = match &event.raw_query_string {
        Some(raw) => raw.parse().ok()?,
        None => event.query_string_parameters.clone(),
    };
    let body = match event.body.as_deref() {
        None => Body::Empty,
        Some(text) if event.is_base64_encoded => {
            use base64::Engine;
            Body::from(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .ok()?,
            )
        }
        Some(text) => Body::from(text.to_owned()),
    };
    let uri = event
        .raw_path
        .as_deref()
        .and_then(|p| Uri::try_from(p).ok())
        .unwrap_or_else(|| Uri::from_static("/"));
    let mut req = http::Request::builder()
        .method(event.request_context.http.method.clone())
        .uri(uri)
        .body(body)
        .ok()?
        .with_query_string_parameters(query)
        .with_path_parameters(QueryMap::from(event.path_parameters))
        .with_request_context(RequestContext::ApiGatewayV2(event.request_context));
    *req.headers_mut() = event.headers;
    Some(req)
}

/// A refusal is a client error: a 4xx problem document with the contract's
/// members, and for `422` at least one `errors` entry naming a field.
pub fn check_rejection(error: &Error) {
    assert!(
        !matches!(error, Error::Internal { .. }),
        "parsing a request must not fail internally: {error:?}"
    );
    let response = problem::response(error);
    let status = response.status().as_u16();
    assert!((400..500).contains(&status), "{status} for {error:?}");
    assert_eq!(
        response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some(problem::CONTENT_TYPE)
    );
    let doc: Value = serde_json::from_slice(response.body().as_ref())
        .unwrap_or_else(|e| panic!("problem body is not JSON ({e}) for {error:?}"));
    assert_eq!(doc["status"], status, "{doc}");
    for member in ["type", "title", "code", "detail"] {
        assert!(
            doc[member].as_str().is_some_and(|s| !s.is_empty()),
            "{member} in {doc}"
        );
    }
    if let Error::Validation(errors) = error {
        assert!(!errors.is_empty(), "422 without errors");
        for e in errors {
            // A body may have a field named "" and is told it is unknown.
            assert!(
                !e.message.is_empty()
                    && (!e.field.is_empty() || e.message == "is not a known field"),
                "{e:?}"
            );
        }
        assert_eq!(doc["errors"].as_array().map(Vec::len), Some(errors.len()));
    }
}

/// Parses with `parse`; a refusal must be a well-formed client error.
pub fn accepted<T>(result: Result<T, Error>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            check_rejection(&error);
            None
        }
    }
}

pub fn chars(text: &str) -> usize {
    text.chars().count()
}

// The documented limits of API.md, checked on every value a parser accepted.

pub fn check_username(u: &Username) {
    let s = u.as_str();
    assert!((USERNAME_MIN..=USERNAME_MAX).contains(&chars(s)), "{s:?}");
    assert!(
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')),
        "{s:?}"
    );
    assert_eq!(u.key(), s.to_ascii_lowercase());
}

pub fn check_email(e: &Email) {
    let s = e.as_str();
    assert!(chars(s) <= EMAIL_MAX, "{s:?}");
    assert!(
        !s.chars().any(|c| c.is_whitespace() || c.is_control()),
        "{s:?}"
    );
    let (local, domain) = s.rsplit_once('@').expect("an address has an @");
    assert!(!local.is_empty() && !local.starts_with('"'), "{s:?}");
    assert!(
        domain.contains('.') && !domain.ends_with('.') && !domain.starts_with('['),
        "{s:?}"
    );
}

pub fn check_password(p: &Password) {
    let s = p.expose();
    assert!((PASSWORD_MIN..=PASSWORD_MAX).contains(&chars(s)));
    assert!(!is_common_password(s));
    assert_eq!(format!("{p:?}"), "Password(***)");
}

pub fn check_product_name(n: &ProductName) {
    let s = n.as_str();
    assert!(
        (1..=NAME_MAX).contains(&chars(s)) && !s.trim().is_empty(),
        "{s:?}"
    );
}

pub fn check_description(d: &Description) {
    assert!(chars(d.as_str()) <= DESCRIPTION_MAX);
}

pub fn check_category(c: &Category) {
    let s = c.as_str();
    assert!((1..=CATEGORY_MAX).contains(&chars(s)), "{s:?}");
    assert!(
        s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "{s:?}"
    );
}

pub fn check_price(cents: i64) {
    assert!((PRICE_MIN..=PRICE_MAX).contains(&cents), "{cents}");
}

pub fn check_stock(n: i64) {
    assert!((0..=STOCK_MAX).contains(&n), "{n}");
}

pub fn check_stock_delta(n: i64) {
    assert!((-STOCK_MAX..=STOCK_MAX).contains(&n), "{n}");
}

pub fn check_subject(s: &Subject) {
    let s = s.as_str();
    assert!((1..=SUBJECT_MAX).contains(&chars(s)) && !s.trim().is_empty());
    assert!(!s.contains(['\r', '\n']), "{s:?}");
}

pub fn check_message(m: &MessageText) {
    let s = m.as_str();
    assert!((1..=shared::domain::notification::MESSAGE_MAX).contains(&chars(s)));
    assert!(!s.trim().is_empty());
}

pub fn check_payment_method(m: &PaymentMethod) {
    let s = m.as_str();
    assert!(
        (4..=255).contains(&s.len()) && s.starts_with("pm_"),
        "{s:?}"
    );
    assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
}

/// An id as the API hands it out: a canonical ULID (26 Crockford characters).
pub fn check_id(text: &str) {
    assert_eq!(text.len(), 26, "{text:?}");
    let ulid = ulid::Ulid::from_string(text).expect("an id is a ULID");
    assert_eq!(ulid.to_string(), text, "an id is canonical");
}

pub fn check_new_user(u: &NewUser) {
    check_username(&u.username);
    check_email(&u.email);
    check_password(&u.password);
}

pub fn check_login(name: &LoginName, password: &str) {
    let (LoginName::Username(n) | LoginName::Email(n)) = name;
    assert!((1..=LOGIN_FIELD_MAX).contains(&chars(n)));
    assert!((1..=LOGIN_FIELD_MAX).contains(&chars(password)));
    assert_eq!(name.key(), n.to_lowercase());
}

pub fn check_new_product(p: &NewProduct) {
    check_product_name(&p.name);
    check_description(&p.description);
    check_price(p.price_cents.get());
    check_stock(p.stock.get());
    check_category(&p.category);
    assert_eq!(p.currency.code(), "USD");
}

pub fn check_patch(p: &ProductPatch) {
    assert!(!p.is_empty(), "a patch changes something");
    if let Some(n) = &p.name {
        check_product_name(n);
    }
    if let Some(d) = &p.description {
        check_description(d);
    }
    if let Some(c) = p.price_cents {
        check_price(c.get());
    }
    if let Some(c) = &p.category {
        check_category(c);
    }
    match p.stock {
        Some(StockChange::Set(s)) => {
            check_stock(s.get());
            assert!(p.needs_if_match());
        }
        Some(StockChange::Adjust(d)) => {
            check_stock_delta(d.get());
            assert!(!p.needs_if_match());
        }
        None => assert!(!p.needs_if_match()),
    }
}

pub fn check_order(o: &OrderRequest) {
    let lines = o.lines();
    assert!((1..=MAX_LINES).contains(&lines.len()));
    let mut seen = HashSet::new();
    for line in lines {
        check_id(line.product_id.as_str());
        assert!((1..=MAX_QUANTITY).contains(&line.quantity.get()));
        assert!(seen.insert(line.product_id.clone()), "no product twice");
    }
}

pub fn check_notification(n: &NotificationRequest) {
    check_email(&n.recipient);
    check_subject(&n.subject);
    check_message(&n.message);
}

// The wire form of each parsed body: what a client sends to get that value.

pub fn new_user_json(u: &NewUser) -> Value {
    json!({"username": u.username.as_str(), "email": u.email.as_str(), "password": u.password.expose()})
}

pub fn login_json(name: &LoginName, password: &str) -> Value {
    match name {
        LoginName::Username(n) => json!({"username": n, "password": password}),
        LoginName::Email(n) => json!({"email": n, "password": password}),
    }
}

pub fn new_product_json(p: &NewProduct) -> Value {
    json!({
        "name": p.name.as_str(),
        "description": p.description.as_str(),
        "price_cents": p.price_cents.get(),
        "currency": p.currency.code(),
        "stock": p.stock.get(),
        "category": p.category.as_str(),
    })
}

pub fn patch_json(p: &ProductPatch) -> Value {
    let mut o = Map::new();
    if let Some(n) = &p.name {
        o.insert("name".into(), n.as_str().into());
    }
    if let Some(d) = &p.description {
        o.insert("description".into(), d.as_str().into());
    }
    if let Some(c) = p.price_cents {
        o.insert("price_cents".into(), c.get().into());
    }
    if let Some(c) = p.currency {
        o.insert("currency".into(), c.code().into());
    }
    if let Some(c) = &p.category {
        o.insert("category".into(), c.as_str().into());
    }
    match p.stock {
        Some(StockChange::Set(s)) => {
            o.insert("stock".into(), s.get().into());
        }
        Some(StockChange::Adjust(d)) => {
            o.insert("stock_delta".into(), d.get().into());
        }
        None => {}
    }
    Value::Object(o)
}

pub fn order_json(o: &OrderRequest) -> Value {
    let items: Vec<Value> = o
        .lines()
        .iter()
        .map(|l| json!({"product_id": l.product_id.as_str(), "quantity": l.quantity.get()}))
        .collect();
    json!({ "items": items })
}

pub fn payment_json(order_id: &str, method: &PaymentMethod) -> Value {
    json!({"order_id": order_id, "payment_method": method.as_str()})
}

pub fn notification_json(n: &NotificationRequest) -> Value {
    json!({
        "channel": "email",
        "recipient": n.recipient.as_str(),
        "subject": n.subject.as_str(),
        "message": n.message.as_str(),
    })
}

/// An id as a client may send it (any case), as the API stores it.
pub fn canonical_id(text: &Value) -> Value {
    text.as_str()
        .and_then(|t| ulid::Ulid::from_string(t).ok())
        .map(|u| Value::String(u.to_string()))
        .unwrap_or_else(|| text.clone())
}
