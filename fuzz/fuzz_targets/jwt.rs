//! Access tokens: arbitrary strings and Authorization headers never verify;
//! tokens really signed with the key but with arbitrary headers and claims
//! verify only when every rule of API.md holds (EdDSA, known `kid`, `iss`,
//! `aud`, `exp`, `nbf`, the claims' shapes), and always when they all do;
//! any edit of a good token breaks it; what `TokenSigner` issues verifies.

#![no_main]

use arbitrary::Arbitrary;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey};
use lambda_http::http::{HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
use secrecy::ExposeSecret;
use shared::Error;
use shared::auth::token::{generate_key_pair, jwk_set};
use shared::auth::{Claims, TokenSigner, TokenVerifier};
use shared::domain::{Role, Timestamp, UserId};
use shared::http::auth::{admin, bearer};
use std::sync::LazyLock;

const ISS: &str = "https://ferrocart.local";
const AUD: &str = "ferrocart-api";
const KID: &str = "k1";
const LEEWAY: i64 = 5;
/// Timing margin: `now` moves while one input runs.
const MARGIN: i64 = 3;

struct Keys {
    encoding: EncodingKey,
    signer: TokenSigner,
    verifier: TokenVerifier,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let (key, jwk) = generate_key_pair(KID).expect("a key pair");
    Keys {
        encoding: EncodingKey::from_ed_pem(key.private_key_pem.expose_secret().as_bytes()).expect("pem"),
        signer: TokenSigner::new(&key, ISS, AUD).expect("signer"),
        verifier: TokenVerifier::from_jwks(&jwk_set(&[jwk]), ISS, AUD).expect("verifier"),
    }
});

#[derive(Arbitrary, Debug)]
enum Text {
    Good,
    Missing,
    Other(String),
    Number(i64),
    List(Vec<String>),
}

#[derive(Arbitrary, Debug)]
enum Time {
    Missing,
    /// Seconds from now.
    Offset(i32),
    Absolute(i64),
    Float(f64),
    Text(String),
}

#[derive(Arbitrary, Debug)]
struct Spec {
    alg: Text,
    kid: Text,
    typ: Option<String>,
    header_extra: Vec<(String, String)>,
    sub: Text,
    role: u8,
    iss: Text,
    aud: Text,
    iat: Time,
    nbf: Time,
    exp: Time,
    jti: Text,
    claims_extra: Vec<(String, i64)>,
    /// Edits one character of the signed token.
    edit: Option<(u16, char)>,
}

#[derive(Arbitrary, Debug)]
enum Input {
    Raw(String),
    Header(Vec<u8>),
    Signed(Spec),
    Issued { admin: bool, skew: i8 },
}

fn text(t: &Text, good: &str) -> Option<Value> {
    match t {
        Text::Good => Some(good.into()),
        Text::Missing => None,
        Text::Other(s) => Some(s.as_str().into()),
        Text::Number(n) => Some((*n).into()),
        Text::List(v) => Some(v.clone().into()),
    }
}

fn time(t: &Time, now: i64) -> Option<Value> {
    match t {
        Time::Missing => None,
        Time::Offset(s) => Some((now + i64::from(*s)).into()),
        Time::Absolute(n) => Some((*n).into()),
        Time::Float(f) => serde_json::Number::from_f64(*f).map(Value::Number),
        Time::Text(s) => Some(s.as_str().into()),
    }
}

fn is_valid_role(v: &Value) -> bool {
    matches!(v.as_str(), Some("customer" | "admin"))
}

fn put(o: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v {
        o.insert(k.into(), v);
    }
}

fn signed(spec: &Spec, now: i64) -> (String, Map<String, Value>, Map<String, Value>) {
    let mut h = Map::new();
    for (k, v) in &spec.header_extra {
        h.insert(k.clone(), v.as_str().into());
    }
    put(&mut h, "alg", text(&spec.alg, "EdDSA"));
    put(&mut h, "kid", text(&spec.kid, KID));
    put(&mut h, "typ", spec.typ.clone().map(Value::from));
    let mut c = Map::new();
    for (k, v) in &spec.claims_extra {
        c.insert(k.clone(), (*v).into());
    }
    let role = match spec.role % 4 {
        0 => Some(json!("customer")),
        1 => Some(json!("admin")),
        2 => None,
        _ => Some(json!("root")),
    };
    put(
        &mut c,
        "sub",
        text(&spec.sub, &UserId::generate().to_string()),
    );
    put(&mut c, "role", role);
    put(&mut c, "iss", text(&spec.iss, ISS));
    put(&mut c, "aud", text(&spec.aud, AUD));
    put(&mut c, "iat", time(&spec.iat, now));
    put(&mut c, "nbf", time(&spec.nbf, now));
    put(&mut c, "exp", time(&spec.exp, now));
    put(&mut c, "jti", text(&spec.jti, "jti-1"));
    let input = format!(
        "{}.{}",
        B64.encode(Value::Object(h.clone()).to_string()),
        B64.encode(Value::Object(c.clone()).to_string())
    );
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &KEYS.encoding, Algorithm::EdDSA)
        .expect("signing");
    (format!("{input}.{sig}"), h, c)
}

/// Whether `claims` verify by API.md's rules, `None` when too close to a
/// time boundary to say.
fn expected(h: &Map<String, Value>, c: &Map<String, Value>, now: i64) -> Option<bool> {
    let header_ok = h.get("alg") == Some(&json!("EdDSA")) && h.get("kid") == Some(&json!(KID));
    let shapes_ok = c.get("sub").is_some_and(Value::is_string)
        && c.get("role").is_some_and(is_valid_role)
        && c.get("iss") == Some(&json!(ISS))
        && c.get("aud") == Some(&json!(AUD))
        && c.get("jti").is_some_and(Value::is_string)
        && ["iat", "nbf", "exp"]
            .iter()
            .all(|k| c.get(*k).is_some_and(|v| v.is_i64()));
    if !(header_ok && shapes_ok) {
        return Some(false);
    }
    let exp = c["exp"].as_i64()?;
    let nbf = c["nbf"].as_i64()?;
    // Times before 1970 are no token we issue; whether they verify is not pinned.
    if exp < 0 || nbf < 0 || c["iat"].as_i64()? < 0 {
        return None;
    }
    let ok_exp = exp.checked_sub(now)?;
    let ok_nbf = nbf.checked_sub(now)?;
    if (ok_exp + LEEWAY).abs() <= MARGIN || (ok_nbf - LEEWAY).abs() <= MARGIN {
        return None;
    }
    let extra_ok = h
        .keys()
        .all(|k| ["alg", "kid", "typ"].contains(&k.as_str()));
    let valid = ok_exp + LEEWAY > 0 && ok_nbf - LEEWAY < 0;
    if valid && !extra_ok {
        return None;
    }
    Some(valid)
}

fn refused(result: Result<Claims, Error>) {
    match result {
        Err(Error::Unauthorized(_)) => {}
        other => panic!("expected 401, got {other:?}"),
    }
}

fuzz_target!(|input: Input| {
    let keys = &*KEYS;
    match input {
        Input::Raw(token) => refused(keys.verifier.verify(&token)),
        Input::Header(bytes) => {
            let Ok(value) = HeaderValue::from_bytes(&bytes) else {
                return;
            };
            let mut req = ferrocart_fuzz::json_request(b"{}");
            req.headers_mut().insert(header::AUTHORIZATION, value);
            refused(bearer(&req, &keys.verifier));
            match admin(&req, &keys.verifier) {
                Err(e) => ferrocart_fuzz::check_rejection(&e),
                Ok(claims) => panic!("a forged header passed: {claims:?}"),
            }
        }
        Input::Signed(spec) => {
            let now = Timestamp::now().unix_seconds();
            let (token, h, c) = signed(&spec, now);
            let result = keys.verifier.verify(&token);
            match (expected(&h, &c, now), &result) {
                (Some(true), Ok(claims)) | (None, Ok(claims)) => {
                    assert_eq!(
                        serde_json::to_value(claims).expect("claims serialise"),
                        Value::Object(
                            c.iter()
                                .filter(|(k, _)| {
                                    ["sub", "role", "iss", "aud", "iat", "nbf", "exp", "jti"]
                                        .contains(&k.as_str())
                                })
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect()
                        )
                    );
                    assert_eq!(h.get("alg"), Some(&json!("EdDSA")));
                    assert_eq!(c.get("iss"), Some(&json!(ISS)));
                    assert_eq!(c.get("aud"), Some(&json!(AUD)));
                    assert!(
                        c["exp"]
                            .as_i64()
                            .is_some_and(|e| e + LEEWAY >= now - MARGIN)
                    );
                    assert!(
                        c["nbf"]
                            .as_i64()
                            .is_some_and(|n| n - LEEWAY <= now + MARGIN)
                    );
                }
                (Some(false), Ok(claims)) => {
                    panic!("accepted {h:?} {c:?} as {claims:?}")
                }
                (Some(true), Err(e)) => panic!("refused a valid token {h:?} {c:?}: {e:?}"),
                (_, Err(e)) => assert!(matches!(e, Error::Unauthorized(_)), "{e:?}"),
            }
            if let (Ok(_), Some((at, ch))) = (&result, spec.edit) {
                let mut chars: Vec<char> = token.chars().collect();
                let i = usize::from(at) % chars.len();
                if chars[i] != ch {
                    chars[i] = ch;
                    let edited: String = chars.into_iter().collect();
                    refused(keys.verifier.verify(&edited));
                }
            }
        }
        Input::Issued {
            admin: is_admin,
            skew,
        } => {
            let user = UserId::generate();
            let role = if is_admin {
                Role::Admin
            } else {
                Role::Customer
            };
            let now = Timestamp::now();
            let at = now.plus_seconds(i64::from(skew % 4));
            let token = keys.signer.issue(&user, role, at).expect("issue");
            let claims = keys
                .verifier
                .verify(&token)
                .expect("an issued token verifies");
            assert_eq!(claims.user_id(), Some(user));
            assert_eq!(claims.role, role);
            assert_eq!((claims.iss.as_str(), claims.aud.as_str()), (ISS, AUD));
            assert_eq!(claims.exp - claims.iat, 3600);
            let mut req = ferrocart_fuzz::json_request(b"{}");
            let value = format!("bearer  {token} ");
            req.headers_mut().insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(&value).expect("ascii"),
            );
            assert_eq!(bearer(&req, &keys.verifier).expect("bearer"), claims);
            match admin(&req, &keys.verifier) {
                Ok(c) => assert!(is_admin && c == claims),
                Err(e) => assert!(!is_admin && matches!(e, Error::Forbidden)),
            }
        }
    }
});
