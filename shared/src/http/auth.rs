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
