//! Bearer authentication: `Authorization: Bearer <access token>`.

use crate::Error;
use crate::auth::{Claims, TokenVerifier};
use lambda_http::Request;
use lambda_http::http::header;

/// The verified claims of the caller's access token, or `401 unauthorized`.
pub fn bearer(req: &Request, verifier: &TokenVerifier) -> Result<Claims, Error> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(Error::Unauthorized("missing Authorization header"))?
        .to_str()
        .map_err(|_| Error::Unauthorized("Authorization header is not text"))?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or(Error::Unauthorized("Authorization header is not Bearer"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Error::Unauthorized("Authorization header is not Bearer"));
    }
    verifier.verify(token.trim())
}

/// The caller's claims if the caller is an admin: `401` without a valid
/// token, `403 forbidden` for any other role.
pub fn admin(req: &Request, verifier: &TokenVerifier) -> Result<Claims, Error> {
    let claims = bearer(req, verifier)?;
    if claims.role == crate::domain::Role::Admin {
        Ok(claims)
    } else {
        Err(Error::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token::{generate_key_pair, jwk_set};
    use lambda_http::Body;
    use lambda_http::http::HeaderValue;

    fn with_authorization(value: Option<HeaderValue>) -> Request {
        let mut builder = lambda_http::http::Request::builder().uri("/users/me");
        if let Some(value) = value {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        builder.body(Body::Empty).unwrap()
    }

    #[test]
    fn every_unusable_header_is_unauthorized() {
        let (_, jwk) = generate_key_pair("k1").unwrap();
        let verifier = TokenVerifier::from_jwks(&jwk_set(&[jwk]), "iss", "aud").unwrap();
        for value in [
            None,
            Some(HeaderValue::from_static("")),
            Some(HeaderValue::from_static("Bearer")),
            Some(HeaderValue::from_static("Bearer ")),
            Some(HeaderValue::from_static("Basic abc")),
            Some(HeaderValue::from_static("a.b.c")),
            Some(HeaderValue::from_bytes(b"Bearer \xff\xfe\x80").unwrap()),
        ] {
            let shown = format!("{value:?}");
            assert!(
                matches!(
                    bearer(&with_authorization(value), &verifier),
                    Err(Error::Unauthorized(_))
                ),
                "{shown}"
            );
        }
    }
}
