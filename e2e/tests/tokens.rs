//! `GET /users/me` refuses every token it should, and accepts one signed by a
//! key that is being rotated in.

use e2e::*;
use serde_json::{Value, json};

async fn refused(token: &str, what: &str) {
    let answer = get("/users/me", Some(token)).await;
    assert_eq!(answer.status, 401, "{what}: {}", answer.text);
    assert_eq!(answer.code(), "unauthorized", "{what}");
    assert_eq!(answer.header("www-authenticate"), Some("Bearer"), "{what}");
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    let (name, user) = register().await;
    let id = user["id"].as_str().unwrap();
    let good = login(&name).await;
    let current = key("current");
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": current.kid});
    let now = now();

    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut payload: Value = {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&parts[1])
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    payload["role"] = "admin".into();
    parts[1] = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload.to_string())
    };
    refused(&parts.join("."), "tampered payload").await;

    let mut expired = claims(id, now - 7200);
    expired["exp"] = (now - 3600).into();
    refused(&sign(&header, &expired, &current), "expired").await;
    refused(
        &sign(&header, &claims(id, now + 600), &current),
        "not yet valid",
    )
    .await;
    let mut wrong_aud = claims(id, now);
    wrong_aud["aud"] = "someone-else".into();
    refused(&sign(&header, &wrong_aud, &current), "wrong audience").await;
    let mut wrong_iss = claims(id, now);
    wrong_iss["iss"] = "https://evil.example".into();
    refused(&sign(&header, &wrong_iss, &current), "wrong issuer").await;
    refused(
        &sign(
            &json!({"alg": "EdDSA", "kid": "no-such-kid"}),
            &claims(id, now),
            &current,
        ),
        "unknown kid",
    )
    .await;

    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(json!({"alg": "none", "kid": current.kid}).to_string()),
        b64.encode(claims(id, now).to_string())
    );
    refused(&none, "alg none").await;
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header {
            kid: Some(current.kid.clone()),
            ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
        },
        &claims(id, now),
        &jsonwebtoken::EncodingKey::from_secret(
            std::fs::read_to_string(format!(
                "{}/jwks.json",
                std::env::var("FERROCART_KEYS_DIR").unwrap()
            ))
            .unwrap()
            .as_bytes(),
        ),
    )
    .unwrap();
    refused(&hs256, "HS256 with the public key set as secret").await;
    refused("garbage", "garbage").await;

    let answer = send(
        client()
            .get(format!("{}/users/me", api()))
            .header("authorization", format!("Basic {good}")),
    )
    .await;
    assert_eq!((answer.status, answer.code()), (401, "unauthorized"));
    let answer = get("/users/me", None).await;
    assert_eq!((answer.status, answer.code()), (401, "unauthorized"));

    assert_eq!(get("/users/me", Some(&good)).await.status, 200);
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
