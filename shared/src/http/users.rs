//! `POST /users/register`, `POST /users/login`, `POST /users/token`,
//! `POST /users/logout`, `GET /users/me`, `POST /users/me/password`,
//! `POST /users/verify-email`, `POST /users/verify-email/resend`,
//! `POST /users/password-reset`, `POST /users/password-reset/confirm`.

use super::{Caller, FromRequest, JsonBody, SourceIp, json, no_content};
use crate::Error;
use crate::auth::refresh::REFRESH_TOKEN_TTL_SECONDS;
use crate::auth::token::ACCESS_TOKEN_TTL_SECONDS;
use crate::auth::{OpaqueToken, RefreshToken};
use crate::domain::user::LOGIN_FIELD_MAX;
use crate::domain::{Email, LoginName, NewUser, Password, User, Username};
use crate::users::{
    self, EmailChange, LoggedIn, LoginAttempt, Logout, PasswordChange, PasswordReset,
};
use crate::wiring::{AccountApi, SessionsApi, UsersApi};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

/// The body of `POST /users/register`: `{"username", "email", "password"}`.
pub fn register_body(req: &Request) -> Result<NewUser, Error> {
    let mut body = JsonBody::from_request(req)?;
    let username = body.required("username", Username::parse);
    let email = body.required("email", Email::parse);
    let password = body.required("password", Password::parse);
    body.finish_with(match (username, email, password) {
        (Some(username), Some(email), Some(password)) => Some(NewUser {
            username,
            email,
            password,
        }),
        _ => None,
    })
}

impl<S> FromRequest<S> for NewUser {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        register_body(req)
    }
}

/// `POST /users/register`: the account, and its verification link mailed.
pub async fn register(api: &AccountApi, new: NewUser) -> Result<Response<Body>, Error> {
    let user = api.accounts.register(new).await?;
    json(StatusCode::CREATED, &user)
}

/// The answer of the routes that mail a link: `202 {"status": "accepted"}`,
/// the same whatever was (or was not) mailed.
fn accepted() -> Result<Response<Body>, Error> {
    #[derive(Serialize)]
    struct Accepted {
        status: &'static str,
    }
    json(StatusCode::ACCEPTED, &Accepted { status: "accepted" })
}

/// The body of `POST /users/verify-email`: `{"token"}`. A value that is not
/// a token's shape can match none: `None`, refused as an unknown token.
pub struct MailedToken(pub Option<OpaqueToken>);

impl<S> FromRequest<S> for MailedToken {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let mut body = JsonBody::from_request(req)?;
        let text = body.required("token", login_field);
        let text = body.finish_with(text)?;
        Ok(Self(OpaqueToken::parse(&text)))
    }
}

/// `POST /users/verify-email`
pub async fn verify_email(
    api: &UsersApi,
    MailedToken(token): MailedToken,
) -> Result<Response<Body>, Error> {
    users::verify_email(&api.users, token).await?;
    no_content()
}

/// The body of `POST /users/password-reset`: `{"email"}`.
pub struct ResetRequest(pub Email);

impl<S> FromRequest<S> for ResetRequest {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let mut body = JsonBody::from_request(req)?;
        let email = body.required("email", Email::parse);
        Ok(Self(body.finish_with(email)?))
    }
}

/// `POST /users/password-reset`: `202` whether or not an account has the address.
pub async fn request_reset(
    api: &AccountApi,
    (SourceIp(source_ip), ResetRequest(email)): (SourceIp, ResetRequest),
) -> Result<Response<Body>, Error> {
    api.accounts
        .request_password_reset(email, &source_ip)
        .await?;
    accepted()
}

impl<S> FromRequest<S> for PasswordReset {
    /// `{"token", "password"}`, the password under the register rules.
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let mut body = JsonBody::from_request(req)?;
        let token = body.required("token", login_field);
        let password = body.required("password", Password::parse);
        let (token, password) = body.finish_with(token.zip(password))?;
        Ok(Self {
            token: OpaqueToken::parse(&token),
            password,
        })
    }
}

/// `POST /users/password-reset/confirm`
pub async fn confirm_reset(
    api: &AccountApi,
    reset: PasswordReset,
) -> Result<Response<Body>, Error> {
    api.accounts.reset_password(reset).await?;
    no_content()
}

/// `POST /users/verify-email/resend`
pub async fn resend_link(api: &AccountApi, caller: Caller) -> Result<Response<Body>, Error> {
    api.accounts.resend_verification(caller.id()).await?;
    accepted()
}

/// The Token document of a login or a refresh.
#[derive(Serialize)]
struct Token<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: &'a str,
    refresh_expires_in: i64,
    user: &'a User,
}

fn token(logged_in: &LoggedIn) -> Result<Response<Body>, Error> {
    json(
        StatusCode::OK,
        &Token {
            access_token: logged_in.access_token.expose_secret(),
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_TTL_SECONDS,
            refresh_token: logged_in.refresh_token.expose(),
            refresh_expires_in: REFRESH_TOKEN_TTL_SECONDS,
            user: &logged_in.user,
        },
    )
}

fn login_field(text: &str) -> Result<String, String> {
    let len = text.chars().count();
    if len == 0 {
        Err("must not be empty".into())
    } else if len > LOGIN_FIELD_MAX {
        Err(format!("must be at most {LOGIN_FIELD_MAX} characters long"))
    } else {
        Ok(text.to_owned())
    }
}

/// The body of `POST /users/login`: the name (exactly one of `username`
/// and `email`) and the password.
pub fn login_body(req: &Request) -> Result<(LoginName, String), Error> {
    let mut body = JsonBody::from_request(req)?;
    let name = match (body.has("username"), body.has("email")) {
        (true, true) => {
            body.required("username", login_field);
            body.required("email", login_field);
            body.reject("username", "send either username or email, not both");
            None
        }
        (false, false) => {
            body.reject("username", "username or email is required");
            None
        }
        (true, false) => body
            .required("username", login_field)
            .map(LoginName::Username),
        (false, true) => body.required("email", login_field).map(LoginName::Email),
    };
    let password = body.required("password", login_field);
    body.finish_with(name.zip(password))
}

/// The body of `POST /users/login`.
pub struct Credentials {
    pub name: LoginName,
    pub password: SecretString,
}

impl<S> FromRequest<S> for Credentials {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let (name, password) = login_body(req)?;
        Ok(Self {
            name,
            password: password.into(),
        })
    }
}

/// `POST /users/login`
pub async fn login(
    api: &SessionsApi,
    (credentials, SourceIp(source_ip)): (Credentials, SourceIp),
) -> Result<Response<Body>, Error> {
    let signer = api.keys.signer().await?;
    let attempt = LoginAttempt {
        name: credentials.name,
        password: credentials.password,
        source_ip,
    };
    let logged_in = users::login(&api.users, &api.hasher, &api.throttle, signer, attempt).await?;
    token(&logged_in)
}

/// A string field that should hold a refresh token. One of the wrong shape
/// can match none, so it is refused as an unknown token is.
fn presented(text: Option<String>) -> Result<Option<RefreshToken>, Error> {
    text.map(|t| RefreshToken::parse(&t).ok_or(Error::InvalidRefreshToken))
        .transpose()
}

/// The body of `POST /users/token`:
/// `{"grant_type": "refresh_token", "refresh_token"}`.
pub struct RefreshGrant(pub RefreshToken);

impl<S> FromRequest<S> for RefreshGrant {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let mut body = JsonBody::from_request(req)?;
        let grant = body.required("grant_type", |t| match t {
            "refresh_token" => Ok(()),
            _ => Err("must be \"refresh_token\"".into()),
        });
        let text = body.required("refresh_token", |t| Ok(t.to_owned()));
        let text = body.finish_with(grant.and(text))?;
        Ok(Self(
            presented(Some(text))?.ok_or(Error::InvalidRefreshToken)?,
        ))
    }
}

/// `POST /users/token`
pub async fn refresh(
    api: &SessionsApi,
    RefreshGrant(presented): RefreshGrant,
) -> Result<Response<Body>, Error> {
    let signer = api.keys.signer().await?;
    token(&users::refresh(&api.users, signer, presented).await?)
}

impl<S> FromRequest<S> for Logout {
    /// `{"refresh_token"}` or `{"all": true}`, exactly one.
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let mut body = JsonBody::from_request(req)?;
        let what = match (body.has("refresh_token"), body.has("all")) {
            (true, false) => body
                .required("refresh_token", |t| Ok(t.to_owned()))
                .map(|t| (Some(t), false)),
            (false, true) => body.required_value("all").and_then(|all| match all {
                serde_json::Value::Bool(true) => Some((None, true)),
                _ => {
                    body.reject("all", "must be true");
                    None
                }
            }),
            (true, true) => {
                body.reject("all", "send either refresh_token or all, not both");
                None
            }
            (false, false) => {
                body.reject("refresh_token", "refresh_token or all is required");
                None
            }
        };
        match body.finish_with(what)? {
            (_, true) => Ok(Self::Everywhere),
            // A token of the wrong shape belongs to no session: it ends
            // nothing, like an unknown one, and is answered alike.
            (text, false) => Ok(Self::Session(text.as_deref().and_then(RefreshToken::parse))),
        }
    }
}

/// `POST /users/logout`
pub async fn logout(
    api: &UsersApi,
    (caller, what): (Caller, Logout),
) -> Result<Response<Body>, Error> {
    users::logout(&api.users, caller.id(), what).await?;
    no_content()
}

/// `GET /users/me`
pub async fn me(api: &UsersApi, caller: Caller) -> Result<Response<Body>, Error> {
    json(StatusCode::OK, &users::me(&api.users, caller.id()).await?)
}

/// The body of `PATCH /users/me`: `{"email", "current_password"}`.
pub struct NewEmail {
    pub email: Email,
    pub current: SecretString,
}

impl<S> FromRequest<S> for NewEmail {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let mut body = JsonBody::from_request(req)?;
        if body.has("username") {
            body.reject("username", "the username cannot change");
        }
        let email = body.required("email", Email::parse);
        let current = body.required("current_password", login_field);
        let (email, current) = body.finish_with(email.zip(current))?;
        Ok(Self {
            email,
            current: current.into(),
        })
    }
}

/// `PATCH /users/me`: the account with its new address.
pub async fn update_me(
    api: &AccountApi,
    (caller, SourceIp(source_ip), body): (Caller, SourceIp, NewEmail),
) -> Result<Response<Body>, Error> {
    let change = EmailChange {
        email: body.email,
        current: body.current,
        source_ip,
    };
    let user = api
        .accounts
        .change_email(caller.id(), caller.issued_at_ms(), change)
        .await?;
    json(StatusCode::OK, &user)
}

/// The body of `POST /users/me/password`: `{"current_password",
/// "new_password"}`, the new one under the register rules.
pub struct NewPassword {
    pub current: SecretString,
    pub new: Password,
}

impl<S> FromRequest<S> for NewPassword {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        let mut body = JsonBody::from_request(req)?;
        let current = body.required("current_password", login_field);
        let new = body.required("new_password", Password::parse);
        let (current, new) = body.finish_with(current.zip(new))?;
        Ok(Self {
            current: current.into(),
            new,
        })
    }
}

/// `POST /users/me/password`
pub async fn change_password(
    api: &AccountApi,
    (caller, SourceIp(source_ip), body): (Caller, SourceIp, NewPassword),
) -> Result<Response<Body>, Error> {
    let change = PasswordChange {
        current: body.current,
        new: body.new,
        source_ip,
    };
    api.accounts
        .change_password(caller.id(), caller.issued_at_ms(), change)
        .await?;
    no_content()
}
