//! Access tokens: JWTs signed with EdDSA (Ed25519), `kid` in the header.
//!
//! Only login holds a [`TokenSigner`] (its private key comes from Secrets
//! Manager). Every other function holds a [`TokenVerifier`] built from a public
//! JWK set in its configuration, so a new key can be added to the set before
//! login starts signing with it: rotation without downtime.

use crate::Error;
use crate::domain::{Role, Timestamp, UserId};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const ACCESS_TOKEN_TTL_SECONDS: i64 = 900;
/// Clock skew tolerated between the signer and a verifier.
const LEEWAY_SECONDS: u64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

impl Claims {
    pub fn user_id(&self) -> Option<UserId> {
        UserId::parse(&self.sub)
    }

    /// When the token was issued, in Unix milliseconds. `iat` has whole
    /// seconds only; the `jti` is a ULID of the same instant, so it gives the
    /// milliseconds when it agrees with `iat`. The cut-off compares at this
    /// precision: a token issued just after a password change, in the same
    /// second, is not cut off with the older ones.
    pub fn issued_at_ms(&self) -> i64 {
        let seconds_ms = self.iat.saturating_mul(1000);
        match ulid::Ulid::from_string(&self.jti) {
            Ok(jti) => {
                let ms = i64::try_from(jti.timestamp_ms()).unwrap_or(i64::MAX);
                if ms.div_euclid(1000) == self.iat {
                    ms
                } else {
                    seconds_ms
                }
            }
            Err(_) => seconds_ms,
        }
    }
}

/// The private half as it is stored in Secrets Manager: `{"kid", "private_key_pem"}`
/// where the key is a PKCS#8 PEM Ed25519 key.
/// The key is a secret: `Debug` redacts it, and only storing it exposes it.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SigningKey {
    pub kid: String,
    #[serde(serialize_with = "expose")]
    pub private_key_pem: SecretString,
}

fn expose<S: serde::Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

#[derive(Clone)]
pub struct TokenSigner {
    kid: String,
    key: EncodingKey,
    issuer: String,
    audience: String,
}

impl TokenSigner {
    pub fn new(key: &SigningKey, issuer: &str, audience: &str) -> Result<Self, Error> {
        if key.kid.trim().is_empty() {
            return Err(Error::internal("reading the signing key")(
                "the key has no kid",
            ));
        }
        let encoding = EncodingKey::from_ed_pem(key.private_key_pem.expose_secret().as_bytes())
            .map_err(Error::internal("reading the signing key"))?;
        Ok(Self {
            kid: key.kid.clone(),
            key: encoding,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs an access token for the user, valid from `now` for 15 minutes.
    pub fn issue(&self, user: &UserId, role: Role, now: Timestamp) -> Result<String, Error> {
        let millis = u64::try_from(now.unix_millis()).unwrap_or(0);
        let jti = ulid::Ulid::from_datetime(
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(millis),
        );
        let now = now.unix_seconds();
        let claims = Claims {
            sub: user.to_string(),
            role,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + ACCESS_TOKEN_TTL_SECONDS,
            jti: jti.to_string(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(Error::internal("signing an access token"))
    }
}

#[derive(Clone)]
pub struct TokenVerifier {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
}

#[derive(Debug, thiserror::Error)]
pub enum KeySetError {
    #[error("the public key set is not a JWK set: {0}")]
    NotAJwkSet(#[source] serde_json::Error),
    #[error("the public key set is empty")]
    Empty,
    #[error("key {0:?}: {1}")]
    BadKey(String, String),
}

impl TokenVerifier {
    /// Builds a verifier from a JWK set (`{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid", "x"}]}`).
    /// Every key must be an Ed25519 key with a `kid`.
    pub fn from_jwks(jwks: &str, issuer: &str, audience: &str) -> Result<Self, KeySetError> {
        let set: JwkSet = serde_json::from_str(jwks).map_err(KeySetError::NotAJwkSet)?;
        if set.keys.is_empty() {
            return Err(KeySetError::Empty);
        }
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let kid = jwk
                .common
                .key_id
                .clone()
                .filter(|kid| !kid.is_empty())
                .ok_or_else(|| KeySetError::BadKey(String::new(), "has no kid".into()))?;
            match &jwk.algorithm {
                AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {}
                _ => return Err(KeySetError::BadKey(kid, "is not an Ed25519 key".into())),
            }
            let key = DecodingKey::from_jwk(jwk)
                .map_err(|e| KeySetError::BadKey(kid.clone(), e.to_string()))?;
            keys.insert(kid, key);
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        Ok(Self { keys, validation })
    }

    /// Verifies the signature with the key named by `kid`, the pinned algorithm,
    /// and `exp`, `nbf`, `iss` and `aud`.
    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Error::Unauthorized("malformed token"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(Error::Unauthorized("algorithm not allowed"));
        }
        let kid = header.kid.ok_or(Error::Unauthorized("token has no kid"))?;
        let key = self
            .keys
            .get(&kid)
            .ok_or(Error::Unauthorized("unknown kid"))?;
        let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            Error::Unauthorized(match e.kind() {
                ErrorKind::ExpiredSignature => "token expired",
                ErrorKind::ImmatureSignature => "token not yet valid",
                ErrorKind::InvalidIssuer => "wrong issuer",
                ErrorKind::InvalidAudience => "wrong audience",
                ErrorKind::InvalidSignature => "bad signature",
                ErrorKind::MissingRequiredClaim(_) => "missing claim",
                _ => "invalid token",
            })
        })?;
        // The library checks `exp` and `nbf` only; a token minted in the future is
        // as suspect as one not yet valid.
        if data.claims.iat > Timestamp::now().unix_seconds() + LEEWAY_SECONDS as i64 {
            return Err(Error::Unauthorized("token issued in the future"));
        }
        // Every route, admin routes included, acts for a user: a token that
        // names none is unusable everywhere, not only where the id is read.
        if data.claims.user_id().is_none() {
            return Err(Error::Unauthorized("subject is not a user id"));
        }
        Ok(data.claims)
    }
}

/// A new Ed25519 key pair: the private half for the secret, the public half as
/// a JWK for every verifier's key set. Used by the local stack and the CLI.
pub fn generate_key_pair(kid: &str) -> Result<(SigningKey, serde_json::Value), Error> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use ring::signature::{Ed25519KeyPair, KeyPair};

    let rng = ring::rand::SystemRandom::new();
    let pkcs8 =
        Ed25519KeyPair::generate_pkcs8(&rng).map_err(Error::internal("generating a key"))?;
    let pair =
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(Error::internal("reading a key"))?;
    let body = STANDARD.encode(pkcs8.as_ref());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    let jwk = serde_json::json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "use": "sig",
        "alg": "EdDSA",
        "kid": kid,
        "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
    });
    Ok((
        SigningKey {
            kid: kid.to_owned(),
            private_key_pem: pem.into(),
        },
        jwk,
    ))
}

/// A JWK set of the given public keys, as `JWT_PUBLIC_KEYS` takes it.
pub fn jwk_set(keys: &[serde_json::Value]) -> String {
    serde_json::json!({ "keys": keys }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    const ISS: &str = "https://issuer.test";
    const AUD: &str = "aud-test";

    fn setup() -> (TokenSigner, TokenVerifier, SigningKey) {
        let (key, jwk) = generate_key_pair("k1").unwrap();
        let signer = TokenSigner::new(&key, ISS, AUD).unwrap();
        let verifier = TokenVerifier::from_jwks(&jwk_set(&[jwk]), ISS, AUD).unwrap();
        (signer, verifier, key)
    }

    fn forge(header: serde_json::Value, claims: serde_json::Value, key: &SigningKey) -> String {
        let signing_input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let enc = EncodingKey::from_ed_pem(key.private_key_pem.expose_secret().as_bytes()).unwrap();
        let sig =
            jsonwebtoken::crypto::sign(signing_input.as_bytes(), &enc, Algorithm::EdDSA).unwrap();
        format!("{signing_input}.{sig}")
    }

    fn claims_at(now: i64) -> serde_json::Value {
        serde_json::json!({
            "sub": UserId::generate().to_string(), "role": "customer", "iss": ISS, "aud": AUD,
            "iat": now, "nbf": now, "exp": now + 3600, "jti": "j"
        })
    }

    #[test]
    fn issued_tokens_verify_and_carry_kid() {
        let (signer, verifier, _) = setup();
        let user = UserId::generate();
        let token = signer.issue(&user, Role::Admin, Timestamp::now()).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some("k1"));
        assert_eq!(header.alg, Algorithm::EdDSA);
        let claims = verifier.verify(&token).unwrap();
        assert_eq!(claims.user_id(), Some(user));
        assert_eq!(claims.role, Role::Admin);
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn issued_at_has_milliseconds_from_the_jti() {
        let (signer, verifier, _) = setup();
        let now = Timestamp::from_unix_millis(1_800_000_000_123).unwrap();
        let claims = Claims {
            jti: String::new(),
            ..verifier
                .verify(
                    &signer
                        .issue(&UserId::generate(), Role::Customer, Timestamp::now())
                        .unwrap(),
                )
                .unwrap()
        };
        // A jti that is not a ULID, or one of another second, falls back to `iat`.
        assert_eq!(claims.issued_at_ms(), claims.iat * 1000);
        let other = Claims {
            jti: ulid::Ulid::from_parts(5_000, 1).to_string(),
            ..claims.clone()
        };
        assert_eq!(other.issued_at_ms(), claims.iat * 1000);
        let token = signer
            .issue(&UserId::generate(), Role::Customer, now)
            .unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let issued: Claims = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(issued.iat, 1_800_000_000);
        assert_eq!(issued.issued_at_ms(), 1_800_000_000_123);
    }

    #[test]
    fn refuses_expired_immature_wrong_iss_aud() {
        let (_, verifier, key) = setup();
        let header = serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": "k1"});
        let now = Timestamp::now().unix_seconds();
        let mut expired = claims_at(now - 7200);
        expired["exp"] = (now - 3600).into();
        let immature = claims_at(now + 600);
        let mut issued_later = claims_at(now);
        issued_later["iat"] = (now + 600).into();
        let mut wrong_iss = claims_at(now);
        wrong_iss["iss"] = "https://evil.test".into();
        let mut wrong_aud = claims_at(now);
        wrong_aud["aud"] = "other".into();
        let mut no_nbf = claims_at(now);
        no_nbf.as_object_mut().unwrap().remove("nbf");
        let mut no_exp = claims_at(now);
        no_exp.as_object_mut().unwrap().remove("exp");
        let mut admin_without_user = claims_at(now);
        admin_without_user["sub"] = "admin".into();
        admin_without_user["role"] = "admin".into();
        for claims in [
            expired,
            immature,
            issued_later,
            wrong_iss,
            wrong_aud,
            no_nbf,
            no_exp,
            admin_without_user,
        ] {
            let token = forge(header.clone(), claims.clone(), &key);
            assert!(
                matches!(verifier.verify(&token), Err(Error::Unauthorized(_))),
                "{claims}"
            );
        }
        assert!(
            verifier
                .verify(&forge(header, claims_at(now), &key))
                .is_ok()
        );
    }

    #[test]
    fn refuses_alg_none_other_algs_unknown_kid_and_garbage() {
        let (signer, verifier, key) = setup();
        let now = Timestamp::now().unix_seconds();
        let claims = claims_at(now);
        let none = format!(
            "{}.{}.",
            B64.encode(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#),
            B64.encode(claims.to_string())
        );
        let hs256 = jsonwebtoken::encode(
            &Header {
                kid: Some("k1".into()),
                ..Header::new(Algorithm::HS256)
            },
            &claims,
            &EncodingKey::from_secret(b"public key bytes"),
        )
        .unwrap();
        let unknown_kid = forge(
            serde_json::json!({"alg": "EdDSA", "kid": "k2"}),
            claims.clone(),
            &key,
        );
        let no_kid = forge(serde_json::json!({"alg": "EdDSA"}), claims.clone(), &key);
        let (other_key, _) = generate_key_pair("k1").unwrap();
        let other_signer = forge(
            serde_json::json!({"alg": "EdDSA", "kid": "k1"}),
            claims,
            &other_key,
        );
        let good = signer
            .issue(&UserId::generate(), Role::Customer, Timestamp::now())
            .unwrap();
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&B64.decode(&parts[1]).unwrap()).unwrap();
        payload["role"] = "admin".into();
        parts[1] = B64.encode(payload.to_string());
        let tampered = parts.join(".");
        for token in [
            none,
            hs256,
            unknown_kid,
            no_kid,
            other_signer,
            tampered,
            "garbage".into(),
            String::new(),
        ] {
            assert!(
                matches!(verifier.verify(&token), Err(Error::Unauthorized(_))),
                "{token}"
            );
        }
    }

    #[test]
    fn accepts_every_key_of_the_set() {
        let (k1, jwk1) = generate_key_pair("k1").unwrap();
        let (k2, jwk2) = generate_key_pair("k2").unwrap();
        let verifier = TokenVerifier::from_jwks(&jwk_set(&[jwk1, jwk2]), ISS, AUD).unwrap();
        for key in [k1, k2] {
            let signer = TokenSigner::new(&key, ISS, AUD).unwrap();
            let token = signer
                .issue(&UserId::generate(), Role::Customer, Timestamp::now())
                .unwrap();
            assert!(verifier.verify(&token).is_ok());
        }
    }

    #[test]
    fn key_set_errors_are_clear() {
        assert!(matches!(
            TokenVerifier::from_jwks("nope", ISS, AUD),
            Err(KeySetError::NotAJwkSet(_))
        ));
        assert!(matches!(
            TokenVerifier::from_jwks(r#"{"keys":[]}"#, ISS, AUD),
            Err(KeySetError::Empty)
        ));
        let (_, mut jwk) = generate_key_pair("k").unwrap();
        jwk.as_object_mut().unwrap().remove("kid");
        assert!(matches!(
            TokenVerifier::from_jwks(&jwk_set(&[jwk]), ISS, AUD),
            Err(KeySetError::BadKey(..))
        ));
    }

    #[test]
    fn signing_key_debug_hides_the_key() {
        let (key, _) = generate_key_pair("k1").unwrap();
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }
}
