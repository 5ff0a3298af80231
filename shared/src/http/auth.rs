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
    use lambda_http::Body;
    use lambda_http::http::HeaderValue;

    fn verifier() -> TokenVerifier {
        let (_, jwk) = crate::auth::token::generate_key_pair("k1").unwrap();
        TokenVerifier::from_jwks(&format!(r#"{{"keys":[{jwk}]}}"#), "iss", "aud").unwrap()
    }

    #[test]
    fn a_header_that_is_not_text_is_401() {
        let req = lambda_http::http::Request::builder()
            .header(
                header::AUTHORIZATION,
                HeaderValue::from_bytes(b"Bearer \xd7\xf8\x9b").unwrap(),
            )
            .body(Body::Empty)
            .unwrap();
        assert!(matches!(
            bearer(&req, &verifier()),
            Err(Error::Unauthorized(_))
        ));
    }

    #[test]
    fn missing_other_schemes_and_garbage_are_401() {
        for value in [
            None,
            Some("Basic YTpi"),
            Some("Bearer"),
            Some("Bearer x.y.z"),
        ] {
            let mut builder = lambda_http::http::Request::builder();
            if let Some(value) = value {
                builder = builder.header(header::AUTHORIZATION, value);
            }
            let req = builder.body(Body::Empty).unwrap();
            assert!(
                matches!(bearer(&req, &verifier()), Err(Error::Unauthorized(_))),
                "{value:?}"
            );
        }
    }
}
