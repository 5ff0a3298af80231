//! Helpers for the end-to-end tests: they talk HTTP to the local stack that
//! `make test` starts, and sign tokens with its local keys to attack `me`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use reqwest::header::HeaderMap;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use shared::auth::SigningKey;

pub const PASSWORD: &str = "a perfectly fine passphrase";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: the end-to-end tests need the local stack; run them with `make test`")
    })
}

pub fn api() -> String {
    env("FERROCART_API_URL")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("a plain HTTP client builds")
}

/// A response's status, headers and JSON body (`Null` when it is not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub async fn from(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem `code`, asserting the document's shape on the way.
    pub fn code(&self) -> &str {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        assert_eq!(self.body["status"], self.status, "{}", self.text);
        assert_eq!(self.body["type"], "about:blank");
        self.body["code"].as_str().unwrap_or_default()
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    let answer = Answer::from(request.send().await.expect("the local stack answers")).await;
    assert!(
        answer.header("x-request-id").is_some_and(|v| !v.is_empty()),
        "no x-request-id"
    );
    answer
}

pub async fn post(path: &str, body: &Value) -> Answer {
    send(client().post(format!("{}{path}", api())).json(body)).await
}

pub async fn get(path: &str, token: Option<&str>) -> Answer {
    let mut request = client().get(format!("{}{path}", api()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send(request).await
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// Registers a fresh customer; returns its username and user document.
pub async fn register() -> (String, Value) {
    test_shipping().await;
    let name = unique("e2e");
    let answer = post(
        "/users/register",
        &json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD}),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    (name, answer.body)
}

pub async fn login(name: &str) -> String {
    let answer = post(
        "/users/login",
        &json!({"username": name, "password": PASSWORD}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["access_token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

/// `current` (login signs with it) or `next` (only in the public key set).
pub fn key(which: &str) -> SigningKey {
    let path = format!("{}/{which}.json", env("FERROCART_KEYS_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
        .expect("a signing key file")
}

/// Signs any header and claims with `key`, valid or not, as an attacker holding that key would.
pub fn sign(header: &Value, claims: &Value, key: &SigningKey) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let encoding =
        jsonwebtoken::EncodingKey::from_ed_pem(key.private_key_pem.expose_secret().as_bytes())
            .expect("a PEM key");
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &encoding, jsonwebtoken::Algorithm::EdDSA)
            .expect("signing works");
    format!("{input}.{signature}")
}

/// Claims as login would issue them, for `user_id`, valid from `now`.
pub fn claims(user_id: &str, now: i64) -> Value {
    json!({
        "sub": user_id, "role": "customer",
        "iss": env("JWT_ISSUER"), "aud": env("JWT_AUDIENCE"),
        "iat": now, "nbf": now, "exp": now + 3600, "jti": unique("j"),
    })
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// An access token of the local admin that `make test` creates (and the
/// tests' shipping option in place).
pub async fn admin_token() -> String {
    let token = admin_login().await;
    put_test_shipping(&token).await;
    token
}

async fn admin_login() -> String {
    let name = std::env::var("FERROCART_ADMIN_USERNAME").expect("make test names the local admin");
    let password =
        std::env::var("FERROCART_ADMIN_PASSWORD").expect("make test names the local admin");
    // Concurrent tests sign the admin in at once, and the login throttle
    // counts an attempt in flight as a failure until it succeeds: past five
    // at once it asks the others to wait, as it would ask any client.
    let mut tries = 0;
    let answer = loop {
        let answer = post(
            "/users/login",
            &json!({"username": name, "password": password}),
        )
        .await;
        tries += 1;
        if answer.status != 429 || tries == 20 {
            break answer;
        }
        let wait = answer
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1);
        // Spread out, so the waiting tests do not all come back at once.
        let jitter = (ulid::Ulid::new().random() % 1000) as u64;
        tokio::time::sleep(std::time::Duration::from_millis(wait * 1000 + jitter)).await;
    };
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["access_token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

/// The shipping option the tests' orders use: free, to the UK and the US,
/// so that an order's total is its lines' (the demo's options cost money).
pub const TEST_SHIPPING: &str = "e2e-free";

static TEST_SHIPPING_PUT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

/// Puts [`TEST_SHIPPING`] in the stack once per test run.
async fn put_test_shipping(admin: &str) {
    TEST_SHIPPING_PUT.get_or_init(|| put_shipping(admin)).await;
}

async fn put_shipping(admin: &str) {
    let answer = send(
        client()
            .put(format!("{}/shipping-options/{TEST_SHIPPING}", api()))
            .bearer_auth(admin)
            .json(&json!({"name": "Test parcel (free)", "countries": ["GB", "US"], "amount_cents": 0})),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

/// [`TEST_SHIPPING`], for a test that orders before it signs the admin in.
pub async fn test_shipping() {
    TEST_SHIPPING_PUT
        .get_or_init(|| async { put_shipping(&admin_login().await).await })
        .await;
}

/// The mails the SES emulator accepted for `recipient`, as it lists them.
pub async fn mails_to(recipient: &str) -> Vec<Value> {
    mails_about(recipient, "").await
}

/// Those of them whose subject contains `about` (an account's address also
/// gets its verification link, so a test of another mail names its own).
pub async fn mails_about(recipient: &str, about: &str) -> Vec<Value> {
    let url = format!(
        "{}/moto-api/data.json",
        std::env::var("AWS_ENDPOINT_URL_SES").expect("make test sets AWS_ENDPOINT_URL_SES")
    );
    let data: Value = client()
        .get(&url)
        .send()
        .await
        .expect("moto answers")
        .json()
        .await
        .expect("JSON");
    data["ses"]["Message"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["destinations"]["ToAddresses"][0] == recipient)
        .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(about)))
        .cloned()
        .collect()
}

/// Waits up to 30 s until at least `at_least` mails reached `recipient`.
pub async fn wait_for_mails(recipient: &str, at_least: usize) -> Vec<Value> {
    wait_for_mails_about(recipient, "", at_least).await
}

/// Waits up to 30 s until at least `at_least` mails about `about` reached `recipient`.
pub async fn wait_for_mails_about(recipient: &str, about: &str, at_least: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mails = mails_about(recipient, about).await;
        if mails.len() >= at_least || std::time::Instant::now() > deadline {
            return mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// The subject of every order confirmation has this.
pub const CONFIRMED: &str = "is confirmed";
/// The subject of the mail with a verification link.
pub const VERIFY_SUBJECT: &str = "Confirm your ferrocart e-mail address";

/// The token of the newest mailed link to `/shop/<page>#token=` for
/// `recipient`, waiting for the `nth` such mail (1-based).
pub async fn mailed_token(recipient: &str, about: &str, page: &str, nth: usize) -> String {
    let mails = wait_for_mails_about(recipient, about, nth).await;
    assert!(
        mails.len() >= nth,
        "{nth} mails about {about:?} to {recipient}: {mails:?}"
    );
    let text = mails[nth - 1]["body"].as_str().expect("a body");
    let marker = format!("/shop/{page}#token=");
    let start = text.find(&marker).expect("a link") + marker.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Any method on any path, with an optional bearer token and JSON body.
pub async fn call(method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
    let method: reqwest::Method = method.parse().expect("a method");
    let mut request = client().request(method, format!("{}{path}", api()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    send(request).await
}

/// A fresh customer's access token and user document.
pub async fn customer() -> (String, Value) {
    let (name, user) = register().await;
    (login(&name).await, user)
}

/// A new product (admin), in a category of its own; returns its id.
pub async fn new_product(admin: &str, stock: i64, price_cents: i64) -> String {
    let body = json!({"name": "Product", "price_cents": price_cents, "currency": "USD", "stock": stock, "category": unique("p-")});
    let answer = call("POST", "/products", Some(admin), Some(&body)).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_str().expect("an id").to_owned()
}

pub async fn stock_of(product_id: &str) -> i64 {
    let answer = get(&format!("/products/{product_id}"), None).await;
    answer.body["stock"]
        .as_i64()
        .unwrap_or_else(|| panic!("{}", answer.text))
}

/// Orders `quantity` of one product; the answer as it came.
pub async fn place_order(token: &str, product_id: &str, quantity: i64) -> Answer {
    let body = order_request(json!([{"product_id": product_id, "quantity": quantity}]));
    call("POST", "/orders", Some(token), Some(&body)).await
}

/// `POST /payments` with an Idempotency-Key (a fresh one when `key` is `None`).
pub async fn pay(token: &str, order_id: &str, method: &str, key: Option<&str>) -> Answer {
    let key = key.map_or_else(|| unique("pay-"), str::to_owned);
    send(
        client()
            .post(format!("{}/payments", api()))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&json!({"order_id": order_id, "payment_method": method})),
    )
    .await
}

/// A fresh buyer with one paid order of one unit.
pub struct PaidOrder {
    pub username: String,
    pub email: String,
    pub token: String,
    pub order_id: String,
}

/// A new product, a new buyer, and the buyer's paid order of it.
pub async fn paid_order(admin: &str) -> PaidOrder {
    let product = new_product(admin, 10, 900).await;
    let (username, user) = register().await;
    let token = login(&username).await;
    let placed = place_order(&token, &product, 1).await;
    assert_eq!(placed.status, 201, "{}", placed.text);
    let order_id = placed.body["id"].as_str().expect("an id").to_owned();
    let paid = pay(&token, &order_id, "pm_card_visa", None).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    PaidOrder {
        username,
        email: user["email"].as_str().expect("an address").to_owned(),
        token,
        order_id,
    }
}

/// Query-string encoding of one value.
pub fn urlencode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `POST /payments/{id}/refunds` as `token`, under `key` (a fresh one when `None`).
pub async fn refund(token: &str, payment_id: &str, body: &Value, key: Option<&str>) -> Answer {
    let key = key.map_or_else(|| unique("refund-"), str::to_owned);
    send(
        client()
            .post(format!("{}/payments/{payment_id}/refunds", api()))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(body),
    )
    .await
}

/// The subject of every refund mail has this.
pub const REFUNDED: &str = "refunded";

/// Where the tests' orders ship: a UK address with [`TEST_SHIPPING`].
pub fn shipping() -> Value {
    json!({
        "shipping_address": {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"},
        "shipping_option_id": TEST_SHIPPING
    })
}

/// The body of `POST /orders` for `items`, shipped as [`shipping`] says.
pub fn order_request(items: Value) -> Value {
    let mut body = shipping();
    body["items"] = items;
    body
}
