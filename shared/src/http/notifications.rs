//! `POST /notifications`, `GET /notifications`, `GET /notifications/{id}`.

use super::list::{PageQuery, page_response};
use super::{Admin, Caller, FromRequest, JsonBody, json, path_id, with_location};
use crate::Error;
use crate::cursor::Scope;
use crate::domain::Email;
use crate::domain::notification::{Channel, MessageText, Subject};
use crate::notifications::{self, NotificationRequest};
use crate::wiring::{Listing, NotificationsApi};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

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
    path_id(
        req,
        |id| crate::domain::id::parse_ulid(id).map(|id| id.to_string()),
        Error::NotificationNotFound,
    )
}

/// A notification's id, from the path.
pub struct NotificationId(pub String);

impl<S> FromRequest<S> for NotificationId {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        notification_id(req).map(Self)
    }
}

impl<S> FromRequest<S> for NotificationRequest {
    fn from_request(req: &Request, _: &S) -> Result<Self, Error> {
        enqueue_body(req)
    }
}

/// `POST /notifications`: an admin's mail, sent by the queue consumer.
pub async fn enqueue(
    api: &NotificationsApi,
    (_, request): (Admin, NotificationRequest),
) -> Result<Response<Body>, Error> {
    let notification = notifications::enqueue(&api.table, &api.queue, request).await?;
    let response = json(
        StatusCode::ACCEPTED,
        &json!({"id": notification.id, "status": "queued"}),
    )?;
    Ok(with_location(
        response,
        &format!("/notifications/{}", notification.id),
    ))
}

/// `GET /notifications/{id}`: the caller's own, or any for an admin.
pub async fn get(
    api: &NotificationsApi,
    (caller, NotificationId(id)): (Caller, NotificationId),
) -> Result<Response<Body>, Error> {
    let notification = notifications::get(&api.table, caller.id(), caller.is_admin(), &id).await?;
    json(StatusCode::OK, &notification)
}

/// `GET /notifications`: the caller's own, newest first.
pub async fn list(
    api: &Listing<NotificationsApi>,
    (caller, page): (Caller, PageQuery),
) -> Result<Response<Body>, Error> {
    let scope = Scope {
        route: "GET /notifications",
        filters: &[],
        caller: Some(caller.id().as_str()),
    };
    let start = page.start(&api.cursors, &scope)?;
    let (items, next) = api
        .table
        .list_for_user(caller.id(), page.limit, start)
        .await?;
    page_response(&items, next, &api.cursors, &scope)
}
