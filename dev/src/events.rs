//! The sample events in `events/`, made real against a running stack: the
//! fixtures they name (a customer, products, orders, a payment, a
//! notification) are created through the API, and each event gets their ids
//! and a fresh token. `make events` writes them back for `cargo lambda invoke`
//! and `sam local invoke`; the events test invokes them on the test stack.

pub use crate::invoke;
use crate::stack::{ADMIN_USERNAME, admin_password};
use crate::{Result, fail, root};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Routes that need an admin token; every other route with an
/// `authorization` header gets the customer's.
const ADMIN_EVENTS: [&str; 10] = [
    "create-product",
    "create-refund",
    "put-shipping-option",
    "delete-shipping-option",
    "update-product",
    "delete-product",
    "enqueue-notification",
    "list-admin-orders",
    "ship-order",
    "deliver-order",
];

/// What each function answers its generated event with: the HTTP status, or
/// for the queue consumer the message ids it reports as failed.
pub fn expected_status(function: &str) -> Option<u16> {
    Some(match function {
        "health"
        | "openapi"
        | "login"
        | "me"
        | "list-products"
        | "get-product"
        | "update-product"
        | "list-orders"
        | "list-admin-orders"
        | "ship-order"
        | "deliver-order"
        | "get-order"
        | "cancel-order"
        | "get-payment"
        | "get-notification"
        | "list-notifications"
        | "list-addresses"
        | "update-address"
        | "update-me"
        | "list-shipping-options"
        | "put-shipping-option" => 200,
        "register" | "create-product" | "create-order" | "process-payment" | "create-address"
        | "create-refund" | "checkout-cart" => 201,
        "enqueue-notification" | "resend-verification" | "request-password-reset" => 202,
        // Their tokens are a sample's: only a mailed link holds a live one.
        "verify-email" | "confirm-password-reset" => 400,
        "delete-product"
        | "change-password"
        | "delete-address"
        | "delete-shipping-option"
        | "delete-cart" => 204,
        "not-found" => 404,
        _ => return None,
    })
}

/// The mixed batch's undecodable record and its record of an unknown type.
pub const CONSUMER_FAILURES: [&str; 2] = [
    "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333",
];

struct Api {
    base: String,
    http: reqwest::Client,
}

struct Answer {
    status: u16,
    etag: Option<String>,
    body: Value,
}

impl Api {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Answer> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .timeout(Duration::from_secs(30));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| fail(format!("{method} {path}: {e} (is the stack running?)")))?;
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response
            .text()
            .await
            .map_err(|e| fail(format!("{method} {path}: {e}")))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Answer { status, etag, body })
    }

    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
        statuses: &[u16],
    ) -> Result<Answer> {
        let answer = self
            .send(method.clone(), path, token, body, headers)
            .await?;
        if statuses.contains(&answer.status) {
            Ok(answer)
        } else {
            Err(fail(format!(
                "{method} {path} answered {}: {}",
                answer.status, answer.body
            )))
        }
    }

    async fn login(&self, username: &str, password: &str) -> Result<String> {
        let answer = self
            .expect(
                reqwest::Method::POST,
                "/users/login",
                None,
                Some(&json!({"username": username, "password": password})),
                &[],
                &[200],
            )
            .await?;
        text(&answer.body, "access_token")
    }
}

fn text(value: &Value, field: &str) -> Result<String> {
    value[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| fail(format!("no {field} in {value}")))
}

fn body_of(event: &Value, name: &str) -> Result<Value> {
    event["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .ok_or_else(|| fail(format!("events/{name}.json has no JSON body")))
}

fn unique() -> String {
    ulid::Ulid::new().to_string().to_lowercase()
}

/// Reads every `events/<function>.json` but `env.json`.
pub fn read_all(dir: &Path) -> Result<BTreeMap<String, Value>> {
    let mut events = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|_| path.extension().is_some_and(|e| e == "json"))
        else {
            continue;
        };
        if name == "env" {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
        let value =
            serde_json::from_str(&text).map_err(|e| fail(format!("{}: {e}", path.display())))?;
        events.insert(name.to_owned(), value);
    }
    Ok(events)
}

/// The ids the events point at, created through the API.
struct Fixtures {
    admin: String,
    customer: String,
    /// An account of its own for change-password: its token and password.
    changer: (String, String),
    /// A new account, unverified, for resend-verification (three an hour).
    resender: String,
    /// A new account for update-me, which moves it to a new address.
    mover: String,
    /// The address events' account: its token, the address to change and
    /// the one to delete.
    addresses: (String, String, String),
    customer_email: String,
    patched: (String, String),
    deleted: String,
    order: String,
    cancelled: String,
    payable: String,
    payment: (String, String),
    /// Paid, for ship-order; shipped, for deliver-order.
    shippable: String,
    shipped: String,
    /// A succeeded payment, for create-refund.
    refundable: String,
    /// A shipping option for delete-shipping-option.
    doomed_option: String,
    /// A shopper with one line in the cart, and the cart's version.
    checkout: (String, u64),
    notification: String,
}

async fn fixtures(api: &Api, events: &BTreeMap<String, Value>) -> Result<Fixtures> {
    use reqwest::Method;
    let get = |name: &str| {
        events
            .get(name)
            .ok_or_else(|| fail(format!("events/{name}.json is missing")))
    };
    let admin = api.login(ADMIN_USERNAME, &admin_password()).await?;

    // The customer of login.json; registered unless it already is.
    let login = body_of(get("login")?, "login")?;
    let register = body_of(get("register")?, "register")?;
    let username = text(&login, "username")?;
    let password = text(&login, "password")?;
    let customer_email = text(&register, "email")?;
    let account = json!({"username": username, "email": customer_email, "password": password});
    api.expect(
        Method::POST,
        "/users/register",
        None,
        Some(&account),
        &[],
        &[201, 409],
    )
    .await?;
    // A new account's token, with the customer's password.
    let fresh_account = async |prefix: &str| -> Result<String> {
        let tag = unique();
        let name = format!("{prefix}_{}", &tag[tag.len() - 10..]);
        let body = json!({"username": name, "email": format!("{prefix}+{tag}@example.com"), "password": password});
        api.expect(
            Method::POST,
            "/users/register",
            None,
            Some(&body),
            &[],
            &[201],
        )
        .await?;
        api.login(&name, &password).await
    };
    // change-password's account: a change ends every session of the
    // account it changes, so it is not the customer the other events use.
    let changer = (fresh_account("changer").await?, password.clone());
    // The customer events' account, new each run: the orders they name are
    // its own, and an account holds at most five unpaid orders.
    let customer = fresh_account("buyer").await?;
    let resender = fresh_account("resend").await?;
    let mover = fresh_account("mover").await?;
    // The address events' account, fresh each time: an account holds at most
    // ten addresses, and these events add one each run.
    let owner = fresh_account("book").await?;
    let address = body_of(get("create-address")?, "create-address")?;
    let mut saved = Vec::new();
    for _ in 0..2 {
        let answer = api
            .expect(
                Method::POST,
                "/users/me/addresses",
                Some(&owner),
                Some(&address),
                &[],
                &[201],
            )
            .await?;
        saved.push(text(&answer.body, "id")?);
    }
    let addresses = (owner, saved[0].clone(), saved[1].clone());

    let product_body = body_of(get("create-product")?, "create-product")?;
    let create_product = async || -> Result<Answer> {
        let mut body = product_body.clone();
        body["stock"] = json!(1000);
        api.expect(
            Method::POST,
            "/products",
            Some(&admin),
            Some(&body),
            &[],
            &[201],
        )
        .await
    };
    let product = text(&create_product().await?.body, "id")?;
    let patched_answer = create_product().await?;
    let patched = (
        text(&patched_answer.body, "id")?,
        patched_answer
            .etag
            .ok_or_else(|| fail("POST /products answered no ETag"))?,
    );
    let deleted = text(&create_product().await?.body, "id")?;

    let order = async || -> Result<String> {
        let answer = api
            .expect(
                Method::POST,
                "/orders",
                Some(&customer),
                Some(&json!({
                    "items": [{"product_id": product, "quantity": 1}],
                    "shipping_address": {"name": "Sample Buyer", "line1": "1 Sample Street", "city": "London", "postal_code": "SW1A 1AA", "country": "GB"},
                    "shipping_option_id": "standard"
                })),
                &[("idempotency-key", &unique())],
                &[201],
            )
            .await?;
        text(&answer.body, "id")
    };
    let first = order().await?;
    let cancelled = order().await?;
    let payable = order().await?;
    let paid = order().await?;
    let payment_body = body_of(get("process-payment")?, "process-payment")?;
    let method = text(&payment_body, "payment_method")?;
    let payment = api
        .expect(
            Method::POST,
            "/payments",
            Some(&customer),
            Some(&json!({"order_id": paid, "payment_method": method})),
            &[("idempotency-key", &unique())],
            &[201],
        )
        .await?;
    let payment = (text(&payment.body, "id")?, paid);
    // Paid orders for ship-order and deliver-order (the latter shipped).
    let paid_order = async || -> Result<(String, String)> {
        let id = order().await?;
        let payment = api
            .expect(
                Method::POST,
                "/payments",
                Some(&customer),
                Some(&json!({"order_id": id, "payment_method": method})),
                &[("idempotency-key", &unique())],
                &[201],
            )
            .await?;
        Ok((id, text(&payment.body, "id")?))
    };
    let shippable = paid_order().await?.0;
    let shipped = paid_order().await?.0;
    let refundable = paid_order().await?.1;
    let shipment = body_of(get("ship-order")?, "ship-order")?;
    api.expect(
        Method::POST,
        &format!("/orders/{shipped}/ship"),
        Some(&admin),
        Some(&shipment),
        &[],
        &[200],
    )
    .await?;

    // A shopper of its own whose cart holds a line, for checkout-cart.
    let checkout_token = fresh_account("cart").await?;
    let cart = api
        .expect(
            Method::PUT,
            &format!("/cart/items/{product}"),
            Some(&checkout_token),
            Some(&json!({"quantity": 1})),
            &[],
            &[200],
        )
        .await?;
    let cart_version = cart.body["version"]
        .as_u64()
        .ok_or_else(|| fail("a cart without a version"))?;

    let doomed_option = format!("doomed-{}", unique().to_lowercase());
    let option_body = body_of(get("put-shipping-option")?, "put-shipping-option")?;
    api.expect(
        Method::PUT,
        &format!("/shipping-options/{doomed_option}"),
        Some(&admin),
        Some(&option_body),
        &[],
        &[200],
    )
    .await?;

    let notification_body = body_of(get("enqueue-notification")?, "enqueue-notification")?;
    let notification = api
        .expect(
            Method::POST,
            "/notifications",
            Some(&admin),
            Some(&notification_body),
            &[],
            &[202],
        )
        .await?;
    Ok(Fixtures {
        admin,
        customer,
        changer,
        resender,
        mover,
        addresses,
        customer_email,
        patched,
        deleted,
        order: first,
        cancelled,
        payable,
        payment,
        shippable,
        shipped,
        refundable,
        doomed_option,
        checkout: (checkout_token, cart_version),
        notification: text(&notification.body, "id")?,
    })
}

fn set_path_id(event: &mut Value, id: &str) {
    let old = event["pathParameters"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    event["pathParameters"]["id"] = json!(id);
    for pointer in ["/rawPath", "/requestContext/http/path"] {
        if let Some(path) = event.pointer_mut(pointer)
            && let Some(text) = path.as_str().filter(|_| !old.is_empty())
        {
            *path = json!(text.replace(&old, id));
        }
    }
}

fn set_body(event: &mut Value, body: &Value) {
    event["body"] = json!(body.to_string());
}

/// The committed events with today's fixtures, tokens and times.
pub async fn generate(api_url: &str, dir: &Path) -> Result<BTreeMap<String, Value>> {
    let mut events = read_all(dir)?;
    let api = Api {
        base: api_url.trim_end_matches('/').to_owned(),
        http: reqwest::Client::new(),
    };
    let f = fixtures(&api, &events).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| fail(e.to_string()))?
        .as_millis() as u64;
    for (name, event) in events.iter_mut() {
        if event.get("routeKey").is_some() {
            event["requestContext"]["timeEpoch"] = json!(now);
            event["requestContext"]["requestId"] = json!(unique());
            if event["headers"].get("authorization").is_some() {
                let token = if ADMIN_EVENTS.contains(&name.as_str()) {
                    &f.admin
                } else {
                    &f.customer
                };
                event["headers"]["authorization"] = json!(format!("Bearer {token}"));
            }
            if event["headers"].get("idempotency-key").is_some() {
                event["headers"]["idempotency-key"] = json!(unique());
            }
        }
        match name.as_str() {
            // The first product of the demo catalogue every stack is seeded with.
            "get-product" => set_path_id(event, ops::seed::product_id(0).as_str()),
            "update-product" => {
                set_path_id(event, &f.patched.0);
                event["headers"]["if-match"] = json!(f.patched.1);
            }
            "delete-product" => set_path_id(event, &f.deleted),
            "get-order" => set_path_id(event, &f.order),
            "cancel-order" => set_path_id(event, &f.cancelled),
            "ship-order" => set_path_id(event, &f.shippable),
            "deliver-order" => set_path_id(event, &f.shipped),
            "get-payment" => set_path_id(event, &f.payment.0),
            "create-refund" => set_path_id(event, &f.refundable),
            "delete-shipping-option" => set_path_id(event, &f.doomed_option),
            "checkout-cart" => {
                event["headers"]["authorization"] = json!(format!("Bearer {}", f.checkout.0));
                let mut body = body_of(event, name)?;
                body["cart_version"] = json!(f.checkout.1);
                set_body(event, &body);
            }
            "put-cart-item" | "delete-cart-item" => {
                // The first demo product, in the customer's own cart.
                let id = ops::seed::product_id(0).to_string();
                let path = format!("/cart/items/{id}");
                event["pathParameters"]["product_id"] = json!(id);
                event["rawPath"] = json!(path);
                event["requestContext"]["http"]["path"] = json!(path);
            }
            "get-notification" => {
                set_path_id(event, &f.notification);
                // Queued by an admin for an address, not a user: the admin reads it.
                event["headers"]["authorization"] = json!(format!("Bearer {}", f.admin));
            }
            "register" => {
                let mut body = body_of(event, name)?;
                let tag = unique();
                body["username"] = json!(format!("shopper_{}", &tag[tag.len() - 10..]));
                body["email"] = json!(format!("shopper+{tag}@example.com"));
                set_body(event, &body);
            }
            "list-addresses" | "create-address" => {
                event["headers"]["authorization"] = json!(format!("Bearer {}", f.addresses.0));
            }
            "update-address" | "delete-address" => {
                event["headers"]["authorization"] = json!(format!("Bearer {}", f.addresses.0));
                let id = if name == "update-address" {
                    &f.addresses.1
                } else {
                    &f.addresses.2
                };
                set_path_id(event, id);
            }
            "request-password-reset" => {
                // A new address each time: five requests an hour per address.
                let mut body = body_of(event, name)?;
                body["email"] = json!(format!("reset+{}@example.com", unique()));
                set_body(event, &body);
            }
            "update-me" => {
                event["headers"]["authorization"] = json!(format!("Bearer {}", f.mover));
                let mut body = body_of(event, name)?;
                body["email"] = json!(format!("moved+{}@example.com", unique()));
                body["current_password"] = json!(f.changer.1);
                set_body(event, &body);
            }
            "resend-verification" => {
                event["headers"]["authorization"] = json!(format!("Bearer {}", f.resender));
            }
            "change-password" => {
                event["headers"]["authorization"] = json!(format!("Bearer {}", f.changer.0));
                let mut body = body_of(event, name)?;
                body["current_password"] = json!(f.changer.1);
                set_body(event, &body);
            }
            "create-order" => {
                let mut body = body_of(event, name)?;
                // Two of the first demo product, as the handler tests expect.
                body["items"] =
                    json!([{"product_id": ops::seed::product_id(0).as_str(), "quantity": 2}]);
                set_body(event, &body);
            }
            "process-payment" => {
                let mut body = body_of(event, name)?;
                body["order_id"] = json!(f.payable);
                set_body(event, &body);
            }
            "send-notification" => {
                // A new event id, so the first invocation sends one mail.
                let record = &mut event["Records"][0];
                let mut body: Value = record["body"]
                    .as_str()
                    .and_then(|b| serde_json::from_str(b).ok())
                    .ok_or_else(|| fail("send-notification.json: record 0 is not JSON"))?;
                body["id"] = json!(ulid::Ulid::new().to_string());
                body["data"]["payment_id"] = json!(f.payment.0);
                body["data"]["order_id"] = json!(f.payment.1);
                body["data"]["email"] = json!(f.customer_email);
                record["body"] = json!(body.to_string());
            }
            _ => {}
        }
    }
    Ok(events)
}

/// `make events`: rewrites `events/` for the stack at `api_url` and fills
/// `env.json` with its public key set.
pub async fn write(api_url: &str) -> Result<Vec<String>> {
    let dir = root().join("events");
    let events = generate(api_url, &dir).await?;
    let mut written = Vec::new();
    for (name, event) in &events {
        let path = dir.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(event).map_err(|e| fail(e.to_string()))?;
        std::fs::write(&path, text + "\n").map_err(|e| fail(format!("{}: {e}", path.display())))?;
        written.push(format!("events/{name}.json"));
    }
    let env_path = dir.join("env.json");
    let jwks_path = crate::keys::dir().join("jwks.json");
    let jwks = std::fs::read_to_string(&jwks_path)
        .map_err(|e| fail(format!("{}: {e}", jwks_path.display())))?;
    let mut env: Value = serde_json::from_str(
        &std::fs::read_to_string(&env_path)
            .map_err(|e| fail(format!("{}: {e}", env_path.display())))?,
    )
    .map_err(|e| fail(format!("{}: {e}", env_path.display())))?;
    env["Parameters"]["JWT_PUBLIC_KEYS"] = json!(jwks.trim());
    let text = serde_json::to_string_pretty(&env).map_err(|e| fail(e.to_string()))?;
    std::fs::write(&env_path, text + "\n")
        .map_err(|e| fail(format!("{}: {e}", env_path.display())))?;
    written.push("events/env.json".into());
    Ok(written)
}
