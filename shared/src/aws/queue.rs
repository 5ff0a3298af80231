//! The payment-events SQS queue.

use crate::Error;

#[derive(Clone)]
pub struct EventQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl EventQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// Sends one event; `Ok` once SQS accepted it.
    pub async fn send(&self, body: &str) -> Result<(), Error> {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(Error::internal("sending an event to the queue"))?;
        Ok(())
    }
}
