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
use crate::auth::OpaqueToken;
use crate::aws::notifications_table::Claim;
use crate::aws::{EventQueue, Mailer, NotificationsTable, UsersTable, mailer::Mail};
use crate::domain::LoginName;
use crate::domain::notification::{
    Channel, MessageText, Notification, NotificationStatus, Subject, escape_html, format_usd,
};
use crate::domain::payment::{Envelope, PaymentSucceeded};
use crate::domain::refund::RefundSucceeded;
use crate::domain::user::{
    AccountNotice, EMAIL_CHANGED, EmailChanged, PASSWORD_CHANGED, PASSWORD_RESET_REQUESTED,
    ResetRequested, TokenPurpose, VERIFICATION_REQUESTED,
};
use crate::domain::{Email, Timestamp, UserId};
use crate::fulfilment::{ORDER_SHIPPED, OrderShipped};
use crate::refunds::REFUND_SUCCEEDED;
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

/// The tracking details of a shipped order, in text and HTML, with a link
/// to the order's page.
pub fn shipped(event: &OrderShipped, to: &Email, order_page: &str) -> Mail {
    let order = event.order_id.as_str();
    let carrier = event.carrier.as_str();
    let number = event.tracking_number.as_str();
    let (follow_text, follow_html) = match &event.tracking_url {
        Some(url) => (
            format!("Follow it at {}\n", url.as_str()),
            format!(
                "<p><a href=\"{}\">Follow the parcel</a></p>",
                escape_html(url.as_str())
            ),
        ),
        None => (String::new(), String::new()),
    };
    let text = format!(
        "Your ferrocart order {order} has shipped.\n\nCarrier: {carrier}\nTracking number: \
         {number}\n{follow_text}\nYour order: {order_page}\n\nferrocart\n"
    );
    let html = format!(
        "<html><body><h1>Your order has shipped</h1><p>Order <code>{order}</code> is on its \
         way.</p><p>Carrier: {}<br>Tracking number: <code>{}</code></p>{follow_html}\
         <p><a href=\"{}\">See your order</a></p></body></html>",
        escape_html(carrier),
        escape_html(number),
        escape_html(order_page)
    );
    Mail {
        to: to.as_str().to_owned(),
        subject: format!("Your ferrocart order {order} has shipped"),
        text,
        html: Some(html),
    }
}

/// The amount of a refund, in text and HTML, with a link to the order's page.
pub fn refunded(event: &RefundSucceeded, to: &Email, order_page: &str) -> Mail {
    let order = event.order_id.as_str();
    let amount = format_usd(event.amount_cents.get());
    let currency = event.currency.code();
    let what = if event.cancels_order {
        "was cancelled and refunded"
    } else {
        "was refunded"
    };
    let text = format!(
        "{amount} ({currency}) of your ferrocart order {order} {what}.\n\nThe money goes back \
         to the card you paid with; your bank may take a few days to show it.\n\nYour order: \
         {order_page}\n\nferrocart\n"
    );
    let html = format!(
        "<html><body><h1>Your refund</h1><p><strong>{amount}</strong> ({currency}) of order \
         <code>{order}</code> {what}.</p><p>The money goes back to the card you paid with; your \
         bank may take a few days to show it.</p><p><a href=\"{}\">See your order</a></p>\
         </body></html>",
        escape_html(order_page)
    );
    Mail {
        to: to.as_str().to_owned(),
        subject: format!("Your ferrocart order {order}: {amount} refunded"),
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

/// The verification link, in text and HTML. The token sits in the URL's
/// fragment, so it never reaches a server's log.
pub fn verification(notice: &AccountNotice, link: &str) -> Mail {
    let name = notice.username.as_str();
    let text = format!(
        "Hello {name},\n\nPlease confirm that this is your e-mail address by opening this \
         link within 24 hours:\n\n{link}\n\nIf you did not create a ferrocart account, \
         ignore this mail.\n\nferrocart\n"
    );
    let html = format!(
        "<html><body><h1>Confirm your e-mail address</h1><p>Hello {},</p>\
         <p>Please confirm that this is your e-mail address by opening this link within 24 \
         hours:</p><p><a href=\"{link}\">Confirm my address</a></p><p>If you did not create \
         a ferrocart account, ignore this mail.</p></body></html>",
        escape_html(name),
        link = escape_html(link)
    );
    Mail {
        to: notice.email.as_str().to_owned(),
        subject: "Confirm your ferrocart e-mail address".to_owned(),
        text,
        html: Some(html),
    }
}

/// The notice of an e-mail change, to the old address, in text and HTML.
pub fn email_changed(event: &EmailChanged) -> Mail {
    let (name, new) = (event.username.as_str(), event.new_email.as_str());
    let text = format!(
        "Hello {name},\n\nThe e-mail address of your ferrocart account was changed to \
         {new}. Mail from the shop goes there from now on.\n\nIf you did not change it, \
         contact the shop at once.\n\nferrocart\n"
    );
    let html = format!(
        "<html><body><h1>Your e-mail address was changed</h1><p>Hello {},</p>\
         <p>The e-mail address of your ferrocart account was changed to <strong>{}</strong>. \
         Mail from the shop goes there from now on.</p><p>If you did not change it, contact \
         the shop at once.</p></body></html>",
        escape_html(name),
        escape_html(new)
    );
    Mail {
        to: event.old_email.as_str().to_owned(),
        subject: "Your ferrocart e-mail address was changed".to_owned(),
        text,
        html: Some(html),
    }
}

/// The password-reset link, in text and HTML.
pub fn password_reset(notice: &AccountNotice, link: &str) -> Mail {
    let name = notice.username.as_str();
    let text = format!(
        "Hello {name},\n\nSomeone, hopefully you, asked to reset the password of your \
         ferrocart account. Choose a new one within 30 minutes with this link:\n\n{link}\n\n\
         If you did not ask, ignore this mail: your password stays as it is.\n\nferrocart\n"
    );
    let html = format!(
        "<html><body><h1>Reset your password</h1><p>Hello {},</p><p>Someone, hopefully \
         you, asked to reset the password of your ferrocart account. Choose a new one within \
         30 minutes with this link:</p><p><a href=\"{link}\">Choose a new password</a></p>\
         <p>If you did not ask, ignore this mail: your password stays as it is.</p></body></html>",
        escape_html(name),
        link = escape_html(link)
    );
    Mail {
        to: notice.email.as_str().to_owned(),
        subject: "Reset your ferrocart password".to_owned(),
        text,
        html: Some(html),
    }
}

/// The storefront's origin, as the links in mails use it: `http` or
/// `https`, no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopUrl(String);

impl ShopUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim_end_matches('/');
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .ok_or("must start with https:// or http://")?;
        if rest.is_empty() || rest.contains(|c: char| c.is_whitespace() || c == '#' || c == '?') {
            return Err("must be an origin such as https://shop.example.com".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The storefront page of an order.
    fn order_page(&self, order: &crate::domain::OrderId) -> String {
        format!("{}/shop/orders/{order}", self.0)
    }

    /// The storefront page a mailed token opens.
    fn link(&self, purpose: TokenPurpose, token: &OpaqueToken) -> String {
        let page = match purpose {
            TokenPurpose::VerifyEmail => "verify",
            TokenPurpose::ResetPassword => "reset",
        };
        format!("{}/shop/{page}#token={}", self.0, token.expose())
    }
}

#[derive(Clone)]
pub struct Notifier {
    pub table: NotificationsTable,
    pub mailer: Mailer,
    /// Where mailed tokens are stored (their digests only).
    pub users: UsersTable,
    pub shop_url: ShopUrl,
}

/// What a granted claim sends.
enum Pending {
    /// A mail rendered from the event.
    Ready(Mail),
    /// The admin's requested notification, as stored.
    Stored,
    /// A link with a token drawn now, once the claim is held: a redelivery
    /// after a failed send mails a new one.
    Link(AccountNotice, TokenPurpose),
}

impl Notifier {
    /// Handles one queue message: `Ok` to delete it, `Err` to have it again.
    pub async fn handle_message(&self, body: &str) -> Result<(), Error> {
        let envelope: Envelope<serde_json::Value> =
            serde_json::from_str(body).map_err(Error::internal("parsing a queue message"))?;
        let now = Timestamp::now();
        let (claim, pending) = match envelope.kind.as_str() {
            crate::payments::EVENT_TYPE => {
                let event: PaymentSucceeded = serde_json::from_value(envelope.data)
                    .map_err(Error::internal("parsing a payment event"))?;
                let recipient = Email::parse(&event.email)
                    .map_err(Error::internal("a payment event's e-mail"))?;
                let mail = confirmation(&event);
                let claim = self
                    .claim_seeded(&envelope.id, &event.user_id, recipient, &mail.subject, now)
                    .await?;
                (claim, Pending::Ready(mail))
            }
            ORDER_SHIPPED => {
                let event: OrderShipped = serde_json::from_value(envelope.data)
                    .map_err(Error::internal("parsing an order event"))?;
                // The account's address as it is now: it may have changed since the order.
                let Some(user) = self.users.get_user(&event.user_id).await? else {
                    tracing::warn!(
                        event = envelope.id,
                        "an order shipped to a deleted account; nothing mailed"
                    );
                    return Ok(());
                };
                let to = user.user.email;
                let mail = shipped(&event, &to, &self.shop_url.order_page(&event.order_id));
                let claim = self
                    .claim_seeded(&envelope.id, &event.user_id, to, &mail.subject, now)
                    .await?;
                (claim, Pending::Ready(mail))
            }
            REFUND_SUCCEEDED => {
                let event: RefundSucceeded = serde_json::from_value(envelope.data)
                    .map_err(Error::internal("parsing a refund event"))?;
                let Some(user) = self.users.get_user(&event.user_id).await? else {
                    tracing::warn!(
                        event = envelope.id,
                        "a refund to a deleted account; nothing mailed"
                    );
                    return Ok(());
                };
                let to = user.user.email;
                let mail = refunded(&event, &to, &self.shop_url.order_page(&event.order_id));
                let claim = self
                    .claim_seeded(&envelope.id, &event.user_id, to, &mail.subject, now)
                    .await?;
                (claim, Pending::Ready(mail))
            }
            PASSWORD_CHANGED => {
                let notice = account_notice(envelope.data)?;
                let mail = password_changed(&notice);
                let claim = self
                    .claim_seeded(
                        &envelope.id,
                        &notice.user_id,
                        notice.email,
                        &mail.subject,
                        now,
                    )
                    .await?;
                (claim, Pending::Ready(mail))
            }
            EMAIL_CHANGED => {
                let event: EmailChanged = serde_json::from_value(envelope.data)
                    .map_err(Error::internal("parsing an account event"))?;
                let mail = email_changed(&event);
                let claim = self
                    .claim_seeded(
                        &envelope.id,
                        &event.user_id,
                        event.old_email.clone(),
                        &mail.subject,
                        now,
                    )
                    .await?;
                (claim, Pending::Ready(mail))
            }
            VERIFICATION_REQUESTED => {
                let notice = account_notice(envelope.data)?;
                self.claim_link(&envelope.id, notice, TokenPurpose::VerifyEmail, now)
                    .await?
            }
            PASSWORD_RESET_REQUESTED => {
                let request: ResetRequested = serde_json::from_value(envelope.data)
                    .map_err(Error::internal("parsing a reset request"))?;
                let lookup = LoginName::Email(request.email.as_str().to_owned());
                let Some(stored) = self.users.find_by_login(&lookup).await? else {
                    // No account has the address: nothing to mail, by design.
                    tracing::info!(
                        event = envelope.id,
                        "a reset for no account; nothing mailed"
                    );
                    return Ok(());
                };
                let user = stored.user;
                let notice = AccountNotice {
                    user_id: user.id,
                    username: user.username,
                    email: user.email,
                };
                self.claim_link(&envelope.id, notice, TokenPurpose::ResetPassword, now)
                    .await?
            }
            REQUESTED => {
                let requested: Requested = serde_json::from_value(envelope.data)
                    .map_err(Error::internal("parsing a notification request"))?;
                let claim = self
                    .table
                    .claim(&requested.notification_id, None, LEASE_SECONDS, now)
                    .await?;
                (claim, Pending::Stored)
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
        let mail = match pending {
            Pending::Ready(mail) => Ok(mail),
            Pending::Stored => Ok(Mail {
                to: lease.notification.recipient.as_str().to_owned(),
                subject: lease.notification.subject.as_str().to_owned(),
                text: lease.message.clone().unwrap_or_default(),
                html: None,
            }),
            Pending::Link(notice, purpose) => self.link_mail(&notice, purpose, now).await,
        };
        let sent = match mail {
            Ok(mail) => self.mailer.send(&mail).await,
            Err(error) => Err(error),
        };
        match sent {
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

    /// Claims the notification of an event that mails a link; the token is
    /// drawn only once the claim is granted.
    async fn claim_link(
        &self,
        event_id: &str,
        notice: AccountNotice,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<(Claim, Pending), Error> {
        let subject = link_mail(&notice, purpose, "").subject;
        let claim = self
            .claim_seeded(
                event_id,
                &notice.user_id,
                notice.email.clone(),
                &subject,
                now,
            )
            .await?;
        Ok((claim, Pending::Link(notice, purpose)))
    }

    /// Draws a token, stores its digest, and renders the mail that links to it.
    async fn link_mail(
        &self,
        notice: &AccountNotice,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<Mail, Error> {
        let token = OpaqueToken::generate()?;
        self.users
            .store_mailed_token(
                purpose,
                &token.digest(),
                &notice.user_id,
                &notice.email,
                now,
            )
            .await?;
        Ok(link_mail(
            notice,
            purpose,
            &self.shop_url.link(purpose, &token),
        ))
    }

    /// Claims the notification of an event that mails `subject`, creating
    /// it (`queued`) on the event's first delivery.
    async fn claim_seeded(
        &self,
        event_id: &str,
        user: &UserId,
        recipient: Email,
        subject: &str,
        now: Timestamp,
    ) -> Result<Claim, Error> {
        let seed = Notification {
            id: event_id.to_owned(),
            user_id: Some(user.clone()),
            channel: Channel::Email,
            recipient,
            subject: Subject::parse(subject).map_err(Error::internal("a mail's subject"))?,
            status: NotificationStatus::Queued,
            provider_message_id: None,
            source_event_id: event_id.to_owned(),
            attempts: 0,
            created_at: now,
            updated_at: now,
        };
        self.table
            .claim(event_id, Some(&seed), LEASE_SECONDS, now)
            .await
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

/// The mail that carries a link of `purpose`.
fn link_mail(notice: &AccountNotice, purpose: TokenPurpose, link: &str) -> Mail {
    match purpose {
        TokenPurpose::VerifyEmail => verification(notice, link),
        TokenPurpose::ResetPassword => password_reset(notice, link),
    }
}

fn account_notice(data: serde_json::Value) -> Result<AccountNotice, Error> {
    serde_json::from_value(data).map_err(Error::internal("parsing an account event"))
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
