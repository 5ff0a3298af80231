//! Sending e-mail with SES `SendEmail` (the v1 API, which LocalStack's free
//! edition also serves).

use crate::Error;
use aws_sdk_ses::types::{Body, Content, Destination, Message};

#[derive(Clone)]
pub struct Mailer {
    client: aws_sdk_ses::Client,
    sender: String,
}

/// A rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

fn content(data: &str) -> Result<Content, Error> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(Error::internal("building an e-mail"))
}

impl Mailer {
    pub fn new(client: aws_sdk_ses::Client, sender: impl Into<String>) -> Self {
        Self {
            client,
            sender: sender.into(),
        }
    }

    /// Sends the mail; the provider's message id.
    pub async fn send(&self, mail: &Mail) -> Result<String, Error> {
        let mut body = Body::builder().text(content(&mail.text)?);
        if let Some(html) = &mail.html {
            body = body.html(content(html)?);
        }
        let out = self
            .client
            .send_email()
            .source(&self.sender)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .message(
                Message::builder()
                    .subject(content(&mail.subject)?)
                    .body(body.build())
                    .build(),
            )
            .send()
            .await
            .map_err(Error::internal("sending an e-mail"))?;
        Ok(out.message_id().to_owned())
    }
}
