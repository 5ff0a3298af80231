//! `POST /users/register`, `POST /users/login`, `GET /users/me`.

use super::auth::bearer;
use super::{HandlerResult, JsonBody, json, serve, source_ip};
use crate::Error;
use crate::auth::{PasswordHasher, TokenVerifier, token::ACCESS_TOKEN_TTL_SECONDS};
use crate::aws::{SigningKeyStore, UsersTable, sdk_config};
use crate::config::{self, ConfigError};
use crate::domain::throttle::{self, LoginThrottle};
use crate::domain::user::LOGIN_FIELD_MAX;
use crate::domain::{Email, LoginName, NewUser, Password, User, Username};
use crate::users::{self, LoginAttempt};
use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Serialize;

async fn users_table() -> Result<(UsersTable, aws_types::SdkConfig), ConfigError> {
    let sdk = sdk_config()?;
    let name = config::required(config::USERS_TABLE)?;
    Ok((
        UsersTable::new(aws_sdk_dynamodb::Client::new(&sdk), name),
        sdk,
    ))
}

/// The verifier every authenticated function builds from its configuration.
pub fn verifier_from_env() -> Result<TokenVerifier, lambda_http::Error> {
    let jwks = config::required(config::JWT_PUBLIC_KEYS)?;
    let issuer = config::required(config::JWT_ISSUER)?;
    let audience = config::required(config::JWT_AUDIENCE)?;
    TokenVerifier::from_jwks(&jwks, &issuer, &audience)
        .map_err(|e| format!("{}: {e}", config::JWT_PUBLIC_KEYS).into())
}

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

pub struct Register {
    table: UsersTable,
    hasher: PasswordHasher,
}

impl Register {
    pub fn new(table: UsersTable) -> Self {
        Self {
            table,
            hasher: PasswordHasher::new(),
        }
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        Ok(Self::new(users_table().await?.0))
    }

    pub async fn handle(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let new = register_body(&req)?;
            let user = users::register(&self.table, &self.hasher, new).await?;
            json(StatusCode::CREATED, &user)
        })
        .await
    }
}

pub struct Login {
    table: UsersTable,
    hasher: PasswordHasher,
    throttle: LoginThrottle,
    keys: SigningKeyStore,
}

#[derive(Serialize)]
struct Token<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    user: &'a User,
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

impl Login {
    pub fn new(table: UsersTable, throttle: LoginThrottle, keys: SigningKeyStore) -> Self {
        Self {
            table,
            hasher: PasswordHasher::new(),
            throttle,
            keys,
        }
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        let (table, sdk) = users_table().await?;
        let throttle = LoginThrottle {
            backoff_base_seconds: config::number_or(
                config::LOGIN_BACKOFF_BASE_SECONDS,
                throttle::DEFAULT_BACKOFF_BASE_SECONDS,
            )?,
            backoff_max_seconds: config::number_or(
                config::LOGIN_BACKOFF_MAX_SECONDS,
                throttle::DEFAULT_BACKOFF_MAX_SECONDS,
            )?,
            max_failures_per_name_per_hour: config::number_or(
                config::LOGIN_MAX_FAILURES_PER_HOUR,
                throttle::DEFAULT_MAX_FAILURES_PER_NAME_PER_HOUR,
            )?,
            ..LoginThrottle::default()
        };
        let keys = SigningKeyStore::new(
            aws_sdk_secretsmanager::Client::new(&sdk),
            config::required(config::JWT_SIGNING_KEY_SECRET)?,
            config::required(config::JWT_ISSUER)?,
            config::required(config::JWT_AUDIENCE)?,
        );
        Ok(Self::new(table, throttle, keys))
    }

    pub async fn handle(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let (name, password) = login_body(&req)?;
            let signer = self.keys.signer().await?;
            let attempt = LoginAttempt {
                name,
                password,
                source_ip: source_ip(&req),
            };
            let logged_in =
                users::login(&self.table, &self.hasher, &self.throttle, signer, attempt).await?;
            json(
                StatusCode::OK,
                &Token {
                    access_token: &logged_in.access_token,
                    token_type: "Bearer",
                    expires_in: ACCESS_TOKEN_TTL_SECONDS,
                    user: &logged_in.user,
                },
            )
        })
        .await
    }
}

pub struct Me {
    table: UsersTable,
    verifier: TokenVerifier,
}

impl Me {
    pub fn new(table: UsersTable, verifier: TokenVerifier) -> Self {
        Self { table, verifier }
    }

    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        let verifier = verifier_from_env()?;
        Ok(Self::new(users_table().await?.0, verifier))
    }

    pub async fn handle(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let claims = bearer(&req, &self.verifier)?;
            let id = claims
                .user_id()
                .ok_or(Error::Unauthorized("subject is not a user id"))?;
            let user = users::me(&self.table, &id).await?;
            json(StatusCode::OK, &user)
        })
        .await
    }
}
