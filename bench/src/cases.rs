//! What each function is sent: a realistic request built from its
//! `events/<fn>.json`, aimed at seeded items and carrying valid tokens. Writes
//! get unique inputs every time, so each one is a real write; the ones that use
//! an item up (cancel an order, pay it, archive a product) take it from a pool
//! prepared beforehand.

use serde_json::{Map, Value, json};
use std::collections::VecDeque;
use std::sync::Mutex;

/// How a function's figures are judged.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
    /// Register and login: Argon2id dominates.
    Password,
    /// The bare `lambda_runtime` floor.
    Floor,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Read => "read",
            Kind::Write => "write",
            Kind::Password => "Argon2id",
            Kind::Floor => "floor",
        }
    }
}

pub const FUNCTIONS: [(&str, Kind); 25] = [
    ("health", Kind::Read),
    ("not-found", Kind::Read),
    ("register", Kind::Password),
    ("login", Kind::Password),
    ("me", Kind::Read),
    ("list-products", Kind::Read),
    ("get-product", Kind::Read),
    ("create-product", Kind::Write),
    ("update-product", Kind::Write),
    ("delete-product", Kind::Write),
    ("create-order", Kind::Write),
    ("list-orders", Kind::Read),
    ("get-order", Kind::Read),
    ("cancel-order", Kind::Write),
    ("process-payment", Kind::Write),
    ("get-payment", Kind::Read),
    ("create-refund", Kind::Write),
    ("get-cart", Kind::Read),
    ("put-cart-item", Kind::Write),
    ("enqueue-notification", Kind::Write),
    ("list-notifications", Kind::Read),
    ("get-notification", Kind::Read),
    ("send-notification", Kind::Write),
    ("expire-orders", Kind::Write),
    ("resend-payment-events", Kind::Write),
];

pub const FLOOR: &str = "bench-floor";

/// `FERROCART_BENCH_ONLY=get-product,health` measures those functions alone
/// (and the floor), to try a change quickly: the figures are printed and
/// BENCHMARKS.md is left as it is. `storefront` selects the browser phase.
pub fn only() -> Option<&'static [String]> {
    static ONLY: std::sync::OnceLock<Option<Vec<String>>> = std::sync::OnceLock::new();
    ONLY.get_or_init(|| {
        std::env::var("FERROCART_BENCH_ONLY")
            .ok()
            .map(|v| {
                v.split(',')
                    .map(|f| f.trim().to_owned())
                    .filter(|f| !f.is_empty())
                    .collect::<Vec<_>>()
            })
            .filter(|v| !v.is_empty())
    })
    .as_deref()
}

/// Whether `function` is measured in this run.
pub fn selected(function: &str) -> bool {
    function == FLOOR || only().is_none_or(|only| only.iter().any(|f| f == function))
}

/// The functions this run measures.
pub fn functions() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|(f, _)| *f).filter(|f| selected(f))
}
pub const PASSWORD: &str = "a bench passphrase, long enough";

/// The functions that use up an item per call.
pub const POOLED: [&str; 3] = ["cancel-order", "process-payment", "delete-product"];

/// The functions that send to a queue (see `measure::Queues`).
pub const PUBLISHERS: [&str; 4] = [
    "process-payment",
    "create-refund",
    "enqueue-notification",
    "resend-payment-events",
];

pub fn publishes(function: &str) -> bool {
    PUBLISHERS.contains(&function)
}

/// What the seeding left behind for the requests to hit.
pub struct Seeds {
    pub username: String,
    pub user_id: String,
    pub email: String,
    pub user_token: String,
    pub admin_token: String,
    pub product_id: String,
    pub order_id: String,
    pub payment_id: String,
    /// A payment of 10,000,000,000 cents, refunded a cent at a time.
    pub refund_payment_id: String,
    pub notification_id: String,
    /// Tokens of accounts for create-order, each used for at most five orders.
    pub buyers: Vec<String>,
    pub next_buyer: std::sync::atomic::AtomicUsize,
    /// Pending orders of the user, for cancel-order and process-payment; products for delete-product.
    pub pools: [Mutex<VecDeque<String>>; 3],
}

impl Seeds {
    fn take(&self, function: &str) -> Result<String, String> {
        let index = POOLED
            .iter()
            .position(|f| *f == function)
            .ok_or_else(|| format!("{function} has no pool"))?;
        self.pools[index]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
            .ok_or_else(|| format!("the pool of {function} is empty"))
    }
}

/// One request: an HTTP route (API Gateway v2 event or a request through the
/// local stack) or a raw event (SQS, schedule).
pub enum Request {
    Http {
        method: &'static str,
        path: String,
        query: Vec<(&'static str, String)>,
        id: Option<String>,
        headers: Vec<(&'static str, String)>,
        body: Option<Value>,
        expect: u16,
    },
    Raw(Value),
}

fn unique() -> String {
    ulid::Ulid::new().to_string().to_lowercase()
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

/// The next request for `function`.
pub fn request(function: &str, seeds: &Seeds) -> Result<Request, String> {
    let user = || vec![bearer(&seeds.user_token)];
    let admin = || vec![bearer(&seeds.admin_token)];
    let http = |method, path: String, headers, body, expect| Request::Http {
        method,
        path,
        query: Vec::new(),
        id: None,
        headers,
        body,
        expect,
    };
    let by_id =
        |method, prefix: &str, id: String, suffix: &str, headers, body, expect| Request::Http {
            method,
            path: format!("{prefix}/{id}{suffix}"),
            query: Vec::new(),
            id: Some(id),
            headers,
            body,
            expect,
        };
    let listing = |path: &str, query: Vec<(&'static str, String)>, headers| Request::Http {
        method: "GET",
        path: path.to_owned(),
        query,
        id: None,
        headers,
        body: None,
        expect: 200,
    };
    Ok(match function {
        "health" => http("GET", "/health".into(), vec![], None, 200),
        "not-found" => http("GET", "/no/such/route".into(), vec![], None, 404),
        "register" => {
            let name = format!("b{}", unique());
            http(
                "POST",
                "/users/register".into(),
                vec![],
                Some(
                    json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD}),
                ),
                201,
            )
        }
        "login" => http(
            "POST",
            "/users/login".into(),
            vec![],
            Some(json!({"username": seeds.username, "password": PASSWORD})),
            200,
        ),
        "me" => http("GET", "/users/me".into(), user(), None, 200),
        "list-products" => listing(
            "/products",
            vec![("category", "kitchen".into()), ("limit", "5".into())],
            vec![],
        ),
        "get-product" => by_id(
            "GET",
            "/products",
            seeds.product_id.clone(),
            "",
            vec![],
            None,
            200,
        ),
        "create-product" => http(
            "POST",
            "/products".into(),
            admin(),
            Some(product_body(&format!("Bench Mug {}", unique()), 100)),
            201,
        ),
        "update-product" => by_id(
            "PATCH",
            "/products",
            seeds.product_id.clone(),
            "",
            admin(),
            Some(json!({"stock_delta": 1})),
            200,
        ),
        "delete-product" => by_id(
            "DELETE",
            "/products",
            seeds.take(function)?,
            "",
            admin(),
            None,
            204,
        ),
        "create-order" => {
            let turn = seeds
                .next_buyer
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let buyer = seeds
                .buyers
                .get(turn / shared::domain::order::MAX_OPEN_ORDERS as usize)
                .ok_or("create-order ran out of accounts")?;
            let mut headers = vec![bearer(buyer)];
            headers.push(("idempotency-key", unique()));
            http(
                "POST",
                "/orders".into(),
                headers,
                Some(order_body(&seeds.product_id)),
                201,
            )
        }
        "list-orders" => listing("/orders", vec![("limit", "10".into())], user()),
        "get-order" => by_id(
            "GET",
            "/orders",
            seeds.order_id.clone(),
            "",
            user(),
            None,
            200,
        ),
        "cancel-order" => by_id(
            "POST",
            "/orders",
            seeds.take(function)?,
            "/cancel",
            user(),
            None,
            200,
        ),
        "process-payment" => {
            let mut headers = user();
            headers.push(("idempotency-key", unique()));
            http(
                "POST",
                "/payments".into(),
                headers,
                Some(json!({"order_id": seeds.take(function)?, "payment_method": "pm_card_visa"})),
                201,
            )
        }
        "get-payment" => by_id(
            "GET",
            "/payments",
            seeds.payment_id.clone(),
            "",
            user(),
            None,
            200,
        ),
        "create-refund" => {
            let mut headers = admin();
            headers.push(("idempotency-key", unique()));
            by_id(
                "POST",
                "/payments",
                seeds.refund_payment_id.clone(),
                "/refunds",
                headers,
                Some(json!({"amount_cents": 1, "reason": "other"})),
                201,
            )
        }
        "get-cart" => http("GET", "/cart".into(), user(), None, 200),
        "put-cart-item" => by_id(
            "PUT",
            "/cart/items",
            seeds.product_id.clone(),
            "",
            user(),
            Some(json!({"quantity": 2})),
            200,
        ),
        "enqueue-notification" => http(
            "POST",
            "/notifications".into(),
            admin(),
            Some(json!({
                "channel": "email", "recipient": seeds.email,
                "subject": "Your parcel is on its way", "message": "It left our warehouse this morning."
            })),
            202,
        ),
        "list-notifications" => listing("/notifications", vec![("limit", "10".into())], user()),
        "get-notification" => by_id(
            "GET",
            "/notifications",
            seeds.notification_id.clone(),
            "",
            admin(),
            None,
            200,
        ),
        "send-notification" => Request::Raw(sqs_event(seeds)),
        "expire-orders" | "resend-payment-events" => Request::Raw(scheduled_event(function)),
        other => return Err(format!("no request for {other}")),
    })
}

pub fn product_body(name: &str, stock: u32) -> Value {
    json!({
        "name": name, "description": "Made for the benchmark.", "price_cents": 1200,
        "currency": "USD", "stock": stock, "category": "bench"
    })
}

pub fn order_body(product_id: &str) -> Value {
    order_of(json!([{"product_id": product_id, "quantity": 1}]))
}

/// An order of `items` to the seeded address, by the demo's standard option.
pub fn order_of(items: Value) -> Value {
    json!({
        "items": items,
        "shipping_address": {"name": "Bench Buyer", "line1": "1 Load Street", "city": "London", "postal_code": "E1 6AN", "country": "GB"},
        "shipping_option_id": "standard"
    })
}

/// A `payment.succeeded` event of the seeded payment with a fresh event id:
/// a new notification, claimed, mailed and marked sent.
fn sqs_event(seeds: &Seeds) -> Value {
    let event_id = ulid::Ulid::new().to_string();
    let body = json!({
        "type": "payment.succeeded", "id": event_id, "time": "2026-11-23T14:00:00.000Z",
        "data": {
            "payment_id": seeds.payment_id, "order_id": seeds.order_id, "user_id": seeds.user_id,
            "email": seeds.email,
            "lines": [{"product_id": seeds.product_id, "name": "Bench Mug", "unit_price_cents": 1200, "quantity": 1, "line_total_cents": 1200}],
            "total_cents": 1200, "currency": "USD"
        }
    });
    let message_id = unique();
    json!({"Records": [{
        "messageId": message_id,
        "receiptHandle": format!("AQEB{message_id}"),
        "body": body.to_string(),
        "attributes": {
            "ApproximateReceiveCount": "1", "SentTimestamp": "1795442400000",
            "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1795442400001"
        },
        "messageAttributes": {},
        "md5OfBody": "00000000000000000000000000000000",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:EventsQueue",
        "awsRegion": "us-east-1"
    }]})
}

fn scheduled_event(function: &str) -> Value {
    json!({
        "version": "0", "id": uuid_like(), "detail-type": "Scheduled Event",
        "source": "aws.scheduler", "account": "123456789012",
        "time": "2026-11-23T14:00:00Z", "region": "us-east-1",
        "resources": [format!("arn:aws:scheduler:us-east-1:123456789012:schedule/default/ferrocart-{function}")],
        "detail": {}
    })
}

fn uuid_like() -> String {
    let u = ulid::Ulid::new().0;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (u >> 96) as u32,
        (u >> 80) as u16,
        (u >> 64) as u16 & 0xfff,
        (u >> 48) as u16 & 0xfff,
        u as u64 & 0xffff_ffff_ffff
    )
}

/// The API Gateway v2 event for `request`, shaped like `template` (the
/// function's `events/<fn>.json`).
pub fn api_gateway_event(template: &Value, request: &Request) -> Value {
    let Request::Http {
        method,
        path,
        query,
        id,
        headers,
        body,
        ..
    } = request
    else {
        return match request {
            Request::Raw(event) => event.clone(),
            Request::Http { .. } => Value::Null,
        };
    };
    let mut event = template.clone();
    let mut map_headers = Map::new();
    if let Some(old) = template.get("headers").and_then(Value::as_object) {
        for (k, v) in old {
            // The request decides these; a sample's `If-Match` names a version
            // long gone once orders have taken stock.
            if !matches!(k.as_str(), "authorization" | "idempotency-key" | "if-match") {
                map_headers.insert(k.clone(), v.clone());
            }
        }
    }
    for (k, v) in headers {
        map_headers.insert((*k).to_owned(), Value::String(v.clone()));
    }
    if body.is_some() {
        map_headers.insert("content-type".into(), "application/json".into());
    }
    let raw_query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    if let Some(object) = event.as_object_mut() {
        object.insert("rawPath".into(), Value::String(path.clone()));
        object.insert("rawQueryString".into(), Value::String(raw_query));
        object.insert("headers".into(), Value::Object(map_headers));
        if query.is_empty() {
            object.remove("queryStringParameters");
        } else {
            let params: Map<String, Value> = query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
                .collect();
            object.insert("queryStringParameters".into(), Value::Object(params));
        }
        match id {
            // The cart's routes name their product `product_id`.
            Some(id) if path.starts_with("/cart/items/") => {
                object.insert("pathParameters".into(), json!({ "product_id": id }));
            }
            Some(id) => {
                object.insert("pathParameters".into(), json!({ "id": id }));
            }
            None => {
                object.remove("pathParameters");
            }
        }
        match body {
            Some(body) => {
                object.insert("body".into(), Value::String(body.to_string()));
                object.insert("isBase64Encoded".into(), Value::Bool(false));
            }
            None => {
                object.remove("body");
            }
        }
    }
    if let Some(http) = event
        .get_mut("requestContext")
        .and_then(|c| c.get_mut("http"))
        .and_then(Value::as_object_mut)
    {
        http.insert("method".into(), Value::String((*method).to_owned()));
        http.insert("path".into(), Value::String(path.clone()));
    }
    event
}

/// Whether a function's answer is the success its request expects.
pub fn check(function: &str, request: &Request, answer: &[u8]) -> Result<(), String> {
    let value: Value = serde_json::from_slice(answer)
        .map_err(|e| format!("{function} answered something that is not JSON: {e}"))?;
    let ok = match request {
        Request::Http { expect, .. } => {
            value.get("statusCode").and_then(Value::as_u64) == Some(u64::from(*expect))
        }
        Request::Raw(_) => match function {
            "send-notification" => value
                .get("batchItemFailures")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty),
            _ => value.get("failed").and_then(Value::as_u64) == Some(0),
        },
    };
    if ok {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(answer);
        Err(format!(
            "{function} answered {}",
            text.chars().take(400).collect::<String>()
        ))
    }
}
