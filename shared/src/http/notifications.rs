//! `POST /notifications`, `GET /notifications`, `GET /notifications/{id}`,
//! and the queue consumer's setup.

use super::auth::{admin, bearer};
use super::list::{page_request, page_response};
use super::{HandlerResult, JsonBody, json, serve};
use crate::Error;
use crate::auth::TokenVerifier;
use crate::aws::{EventQueue, Mailer, NotificationsTable, sdk_config};
use crate::config::{self, ConfigError};
use crate::cursor::{CursorKey, Scope};
use crate::domain::notification::{Channel, MessageText, Subject};
use crate::domain::{Email, Role};
use crate::notifications::{self, NotificationRequest, Notifier};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Request, RequestExt};
use serde_json::json;

async fn table(sdk: &aws_types::SdkConfig) -> Result<NotificationsTable, ConfigError> {
    Ok(NotificationsTable::new(
        aws_sdk_dynamodb::Client::new(sdk),
        config::required(config::NOTIFICATIONS_TABLE)?,
    ))
}

/// The consumer: the table, and SES with the configured sender.
pub async fn notifier_from_env() -> Result<Notifier, ConfigError> {
    let sdk = sdk_config()?;
    Ok(Notifier {
        table: table(&sdk).await?,
        mailer: Mailer::new(
            aws_sdk_ses::Client::new(&sdk),
            config::required(config::SENDER_EMAIL)?,
        ),
    })
}

/// The body of `POST /notifications`: `{"channel", "recipient", "subject", "message"}`.
pub fn enqueue_body(req: &Request) -> Result<NotificationRequest, Error> {
    let mut body = JsonBody::from_request(req)?;
    let channel = body.required("channel", Channel::parse);
    let recipient = body.required("recipient", Email::parse);
    let subject = body.required("subject", Subject::parse);
    let message = body.required("message", MessageText::parse);
    body.finish_with(match (channel, recipient, subject, message) {
        (Some(_), Some(recipient), Some(subject), Some(message)) => Some(NotificationRequest {
            recipient,
            subject,
            message,
        }),
        _ => None,
    })
}

/// The `{id}` path parameter as a notification id (a ULID, in the case it
/// is stored in, as every other id); anything else cannot exist.
pub fn notification_id(req: &Request) -> Result<String, Error> {
    req.path_parameters_ref()
        .and_then(|p| p.first("id"))
        .and_then(crate::domain::id::parse_ulid)
        .map(|id| id.to_string())
        .ok_or(Error::NotificationNotFound)
}

pub struct EnqueueNotification {
    table: NotificationsTable,
    queue: EventQueue,
    verifier: TokenVerifier,
}

impl EnqueueNotification {
    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        let sdk = sdk_config()?;
        Ok(Self {
            table: table(&sdk).await?,
            queue: EventQueue::new(
                aws_sdk_sqs::Client::new(&sdk),
                config::required(config::PAYMENT_EVENTS_QUEUE_URL)?,
            ),
            verifier: super::users::verifier_from_env()?,
        })
    }

    pub async fn handle(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            admin(&req, &self.verifier)?;
            let request = enqueue_body(&req)?;
            let notification = notifications::enqueue(&self.table, &self.queue, request).await?;
            let mut response = json(
                StatusCode::ACCEPTED,
                &json!({"id": notification.id, "status": "queued"}),
            )?;
            if let Ok(location) =
                HeaderValue::from_str(&format!("/notifications/{}", notification.id))
            {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Ok(response)
        })
        .await
    }
}

pub struct ReadNotifications {
    table: NotificationsTable,
    verifier: TokenVerifier,
    cursors: Option<CursorKey>,
}

impl ReadNotifications {
    /// `with_cursors` for the list, which needs `CURSOR_SECRET`.
    pub async fn from_env(with_cursors: bool) -> Result<Self, lambda_http::Error> {
        let sdk = sdk_config()?;
        Ok(Self {
            table: table(&sdk).await?,
            verifier: super::users::verifier_from_env()?,
            cursors: with_cursors
                .then(super::products::cursor_key_from_env)
                .transpose()?,
        })
    }

    /// `GET /notifications/{id}`
    pub async fn get(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let claims = bearer(&req, &self.verifier)?;
            let user = claims
                .user_id()
                .ok_or(Error::Unauthorized("subject is not a user id"))?;
            let id = notification_id(&req)?;
            let notification =
                notifications::get(&self.table, &user, claims.role == Role::Admin, &id).await?;
            json(StatusCode::OK, &notification)
        })
        .await
    }

    /// `GET /notifications`: the caller's own, newest first.
    pub async fn list(&self, req: Request) -> HandlerResult {
        serve(req, |req| async move {
            let user = bearer(&req, &self.verifier)?
                .user_id()
                .ok_or(Error::Unauthorized("subject is not a user id"))?;
            let cursors = self
                .cursors
                .as_ref()
                .ok_or_else(|| Error::internal("listing notifications")("no cursor key"))?;
            let scope = Scope {
                route: "GET /notifications",
                filters: &[],
                caller: Some(user.as_str()),
            };
            let (limit, start) = page_request(&req, cursors, &scope)?;
            let (items, next) = self.table.list_for_user(&user, limit, start).await?;
            page_response(&items, next, cursors, &scope)
        })
        .await
    }
}
