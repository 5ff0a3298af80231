//! The notifications service: the queue consumer that sends one mail per
//! event, and the admin's requested notifications.
//!
//! One mail per event: before sending, the consumer claims the event's
//! notification with a conditional write (`sending`, leased until a
//! deadline); it sends, then marks `sent`. A redelivery finds it `sent` (or
//! `sending` under a live lease) and is acknowledged without sending. A failed
//! send marks `failed` and reports the message, so SQS delivers it again; an
//! expired lease (the consumer died) may be claimed again. SES has no
//! idempotency key, so one window remains: a crash after SES accepted the mail
//! and before `sent` was written sends it twice.

use crate::Error;
use crate::aws::notifications_table::Claim;
use crate::aws::{EventQueue, Mailer, NotificationsTable, mailer::Mail};
use crate::domain::notification::{
    Channel, MessageText, Notification, NotificationStatus, Subject, escape_html, format_usd,
};
use crate::domain::payment::{Envelope, PaymentSucceeded};
use crate::domain::user::{AccountNotice, PASSWORD_CHANGED};
use crate::domain::{Email, Timestamp, UserId};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use serde::{Deserialize, Serialize};

pub const REQUESTED: &str = "notification.requested";
/// How long a claim holds: longer than one send can take.
pub const LEASE_SECONDS: i64 = 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Requested {
    pub notification_id: String,
}

/// The confirmation of a payment, in text and HTML.
pub fn confirmation(event: &PaymentSucceeded) -> Mail {
    let order = event.order_id.as_str();
    let mut text = format!("Thank you for your order {order}.\n\n");
    let mut rows = String::new();
    for line in &event.lines {
        text.push_str(&format!(
            "  {} × {} at {} = {}\n",
            line.quantity.get(),
            line.name.as_str(),
            format_usd(line.unit_price_cents.get()),
            format_usd(line.line_total_cents.get())
        ));
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(line.name.as_str()),
            line.quantity.get(),
            format_usd(line.unit_price_cents.get()),
            format_usd(line.line_total_cents.get())
        ));
    }
    let total = format_usd(event.total_cents.get());
    text.push_str(&format!(
        "\nTotal paid: {total} ({})\n\nferrocart\n",
        event.currency.code()
    ));
    let html = format!(
        "<html><body><h1>Thank you for your order</h1><p>Order <code>{order}</code> is paid.</p>\
         <table><thead><tr><th>Item</th><th>Qty</th><th>Price</th><th>Line total</th></tr></thead>\
         <tbody>{rows}</tbody></table><p><strong>Total paid: {total}</strong> ({})</p></body></html>",
        event.currency.code()
    );
    Mail {
        to: event.email.clone(),
        subject: format!("Your ferrocart order {order} is confirmed: {total}"),
        text,
        html: Some(html),
    }
}

/// The notice of a password change, in text and HTML: sent to the account's
/// address so an owner who did not change it learns at once.
pub fn password_changed(notice: &AccountNotice) -> Mail {
    let name = notice.username.as_str();
    let text = format!(
        "Hello {name},\n\nThe password of your ferrocart account was changed, and every \
         device signed in to it was signed out.\n\nIf you did not change it, contact the \
         shop at once.\n\nferrocart\n"
    );
    let html = format!(
        "<html><body><h1>Your password was changed</h1><p>Hello {},</p>\
         <p>The password of your ferrocart account was changed, and every device signed in \
         to it was signed out.</p><p>If you did not change it, contact the shop at \
         once.</p></body></html>",
        escape_html(name)
    );
    Mail {
        to: notice.email.as_str().to_owned(),
        subject: "Your ferrocart password was changed".to_owned(),
        text,
        html: Some(html),
    }
}

#[derive(Clone)]
pub struct Notifier {
    pub table: NotificationsTable,
    pub mailer: Mailer,
}

impl Notifier {
    /// Handles one queue message: `Ok` to delete it, `Err` to have it again.
    pub async fn handle_message(&self, body: &str) -> Result<(), Error> {
        let envelope: Envelope<serde_json::Value> =
            serde_json::from_str(body).map_err(Error::internal("parsing a queue message"))?;
        let now = Timestamp::now();
        let (claim, mail) = match envelope.kind.as_str() {
            crate::payments::EVENT_TYPE => {
                let event: PaymentSucceeded = serde_json::from_value(envelope.data)
                    .map_err(Error::internal("parsing a payment event"))?;
                let recipient = Email::parse(&event.email)
                    .map_err(Error::internal("a payment event's e-mail"))?;
                let mail = confirmation(&event);
                self.claim_seeded(&envelope.id, &event.user_id, recipient, mail, now)
                    .await?
            }
            PASSWORD_CHANGED => {
                let notice: AccountNotice = serde_json::from_value(envelope.data)
                    .map_err(Error::internal("parsing an account event"))?;
                let mail = password_changed(&notice);
                self.claim_seeded(&envelope.id, &notice.user_id, notice.email, mail, now)
                    .await?
            }
            REQUESTED => {
                let requested: Requested = serde_json::from_value(envelope.data)
                    .map_err(Error::internal("parsing a notification request"))?;
                let claim = self
                    .table
                    .claim(&requested.notification_id, None, LEASE_SECONDS, now)
                    .await?;
                (claim, None)
            }
            other => {
                return Err(Error::internal("reading a queue message")(format!(
                    "unknown event type {other:?}"
                )));
            }
        };
        let lease = match claim {
            Claim::Granted(lease) => lease,
            Claim::Skip(status) => {
                tracing::info!(
                    event = envelope.id,
                    ?status,
                    "already sent or being sent; acknowledged"
                );
                return Ok(());
            }
            Claim::Missing => {
                return Err(Error::internal("claiming a notification")(
                    "no such notification",
                ));
            }
        };
        let mail = match mail {
            Some(mail) => mail,
            None => Mail {
                to: lease.notification.recipient.as_str().to_owned(),
                subject: lease.notification.subject.as_str().to_owned(),
                text: lease.message.clone().unwrap_or_default(),
                html: None,
            },
        };
        match self.mailer.send(&mail).await {
            Ok(message_id) => {
                self.table
                    .mark_sent(&lease, &message_id, Timestamp::now())
                    .await
            }
            Err(error) => {
                self.table.mark_failed(&lease, Timestamp::now()).await?;
                Err(error)
            }
        }
    }

    /// Claims the notification of an event that mails `mail`, creating it
    /// (`queued`) on the event's first delivery.
    async fn claim_seeded(
        &self,
        event_id: &str,
        user: &UserId,
        recipient: Email,
        mail: Mail,
        now: Timestamp,
    ) -> Result<(Claim, Option<Mail>), Error> {
        let seed = Notification {
            id: event_id.to_owned(),
            user_id: Some(user.clone()),
            channel: Channel::Email,
            recipient,
            subject: Subject::parse(&mail.subject).map_err(Error::internal("a mail's subject"))?,
            status: NotificationStatus::Queued,
            provider_message_id: None,
            source_event_id: event_id.to_owned(),
            attempts: 0,
            created_at: now,
            updated_at: now,
        };
        let claim = self
            .table
            .claim(event_id, Some(&seed), LEASE_SECONDS, now)
            .await?;
        Ok((claim, Some(mail)))
    }

    /// An invocation by the SQS event source: the batch, as [`Self::handle_batch`].
    pub async fn handle(
        &self,
        event: lambda_http::lambda_runtime::LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, Error> {
        Ok(self.handle_batch(event.payload).await)
    }

    /// A batch, its records handled concurrently; only failed ids are reported.
    pub async fn handle_batch(&self, event: SqsEvent) -> SqsBatchResponse {
        let outcomes = futures::future::join_all(event.records.iter().map(|record| async move {
            let id = record.message_id.clone().unwrap_or_default();
            let result = match record.body.as_deref() {
                Some(body) => self.handle_message(body).await,
                None => Err(Error::internal("reading a queue message")("no body")),
            };
            (id, result)
        }))
        .await;
        let mut response = SqsBatchResponse::default();
        for (id, result) in outcomes {
            if let Err(error) = result {
                tracing::error!(
                    message_id = id,
                    error = crate::error::chain(&error),
                    "message failed; SQS delivers it again"
                );
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
        response
    }
}

/// A notification an admin asks for.
pub struct NotificationRequest {
    pub recipient: Email,
    pub subject: Subject,
    pub message: MessageText,
}

/// Records a `queued` notification and puts `notification.requested` on the
/// queue. If the queue refuses, the record is removed again and the caller
/// gets an error to retry.
pub async fn enqueue(
    table: &NotificationsTable,
    queue: &EventQueue,
    request: NotificationRequest,
) -> Result<Notification, Error> {
    let now = Timestamp::now();
    let id = ulid::Ulid::new().to_string();
    let notification = Notification {
        id: id.clone(),
        user_id: None,
        channel: Channel::Email,
        recipient: request.recipient,
        subject: request.subject,
        status: NotificationStatus::Queued,
        provider_message_id: None,
        source_event_id: id.clone(),
        attempts: 0,
        created_at: now,
        updated_at: now,
    };
    table
        .create(&notification, request.message.as_str())
        .await?;
    let envelope = Envelope {
        kind: REQUESTED.into(),
        id: id.clone(),
        time: now,
        data: Requested {
            notification_id: id.clone(),
        },
    };
    let body = serde_json::to_string(&envelope).map_err(Error::internal("encoding an event"))?;
    if let Err(error) = queue.send(&body).await {
        table.delete(&id).await?;
        return Err(error);
    }
    Ok(notification)
}

/// The notification, if the caller may see it (its user, or an admin).
pub async fn get(
    table: &NotificationsTable,
    caller: &UserId,
    admin: bool,
    id: &str,
) -> Result<Notification, Error> {
    match table.get(id).await? {
        Some(n) if admin || n.user_id.as_ref() == Some(caller) => Ok(n),
        _ => Err(Error::NotificationNotFound),
    }
}
