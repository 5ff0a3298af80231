//! Bearer authentication: `Authorization: Bearer <access token>`, checked
//! once into a [`Caller`] (or an [`Admin`]) that a handler receives.

use super::FromRequest;
use crate::Error;
use crate::auth::{Claims, TokenVerifier};
use crate::domain::{Role, UserId};
use lambda_http::Request;
use lambda_http::http::header;

/// A state whose functions take callers: the verifier of their tokens.
pub trait Authenticates {
    fn verifier(&self) -> &TokenVerifier;
}

impl<S: Authenticates> Authenticates for crate::wiring::Listing<S> {
    fn verifier(&self) -> &TokenVerifier {
        self.service.verifier()
    }
}

impl<S: Authenticates> Authenticates for crate::wiring::Idempotent<S> {
    fn verifier(&self) -> &TokenVerifier {
        self.service.verifier()
    }
}

macro_rules! authenticates {
    ($($state:ty),+) => {$(
        impl Authenticates for $state {
            fn verifier(&self) -> &TokenVerifier {
                &self.verifier
            }
        }
    )+};
}
authenticates!(
    crate::wiring::UsersApi,
    crate::wiring::CartApi,
    crate::wiring::ShippingApi,
    crate::wiring::RefundsApi,
    crate::wiring::CancelApi,
    crate::wiring::AccountApi,
    crate::wiring::CatalogApi,
    crate::wiring::OrdersApi,
    crate::wiring::FulfilmentApi,
    crate::wiring::PaymentsApi,
    crate::wiring::NotificationsApi
);

/// Who is calling: a user id and role from a verified access token. Only
/// [`FromRequest`] makes one, so holding one means the token was checked.
#[derive(Debug, Clone)]
pub struct Caller {
    id: UserId,
    role: Role,
    issued_at_ms: i64,
}

impl Caller {
    fn from_claims(claims: Claims) -> Result<Self, Error> {
        let id = claims
            .user_id()
            .ok_or(Error::Unauthorized("subject is not a user id"))?;
        Ok(Self {
            id,
            role: claims.role,
            issued_at_ms: claims.issued_at_ms(),
        })
    }

    pub fn id(&self) -> &UserId {
        &self.id
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// When the caller's token was issued (Unix milliseconds), for the
    /// `tokens_valid_after` check of the routes that move money or change
    /// the account.
    pub fn issued_at_ms(&self) -> i64 {
        self.issued_at_ms
    }
}

/// A caller whose role is admin: `403 forbidden` for any other.
#[derive(Debug, Clone)]
pub struct Admin(Caller);

impl Admin {
    pub fn caller(&self) -> &Caller {
        &self.0
    }
}

impl<S: Authenticates> FromRequest<S> for Caller {
    fn from_request(req: &Request, state: &S) -> Result<Self, Error> {
        Caller::from_claims(bearer(req, state.verifier())?)
    }
}

/// A caller if the request names one: no `Authorization` header is
/// nobody; a header with a bad token is `401`, as on any route.
impl<S: Authenticates> FromRequest<S> for Option<Caller> {
    fn from_request(req: &Request, state: &S) -> Result<Self, Error> {
        if req
            .headers()
            .contains_key(lambda_http::http::header::AUTHORIZATION)
        {
            Caller::from_request(req, state).map(Some)
        } else {
            Ok(None)
        }
    }
}

impl<S: Authenticates> FromRequest<S> for Admin {
    fn from_request(req: &Request, state: &S) -> Result<Self, Error> {
        let caller = Caller::from_request(req, state)?;
        if caller.is_admin() {
            Ok(Admin(caller))
        } else {
            Err(Error::Forbidden)
        }
    }
}

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
    if claims.role == Role::Admin {
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

    struct Verifies(TokenVerifier);

    impl Authenticates for Verifies {
        fn verifier(&self) -> &TokenVerifier {
            &self.0
        }
    }

    #[test]
    fn a_caller_carries_its_token_and_only_an_admin_is_an_admin() {
        let (key, jwk) = generate_key_pair("k1").unwrap();
        let state = Verifies(TokenVerifier::from_jwks(&jwk_set(&[jwk]), "iss", "aud").unwrap());
        let signer = crate::auth::TokenSigner::new(&key, "iss", "aud").unwrap();
        let token = |role| {
            let id = UserId::generate();
            let token = signer
                .issue(&id, role, crate::domain::Timestamp::now())
                .unwrap();
            let value = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
            (id, with_authorization(Some(value)))
        };
        let (id, customer) = token(Role::Customer);
        let caller = Caller::from_request(&customer, &state).unwrap();
        assert_eq!((caller.id(), caller.role()), (&id, Role::Customer));
        assert!(matches!(
            Admin::from_request(&customer, &state),
            Err(Error::Forbidden)
        ));
        let (id, admin) = token(Role::Admin);
        let admin = Admin::from_request(&admin, &state).unwrap();
        assert_eq!(admin.caller().id(), &id);
        assert!(matches!(
            Admin::from_request(&with_authorization(None), &state),
            Err(Error::Unauthorized(_))
        ));
    }
}
