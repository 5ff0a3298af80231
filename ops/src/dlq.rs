//! The payment-events dead-letter queue: look at what failed five times, and
//! send it back to the queue once the cause is fixed. (SQS's own redrive task
//! is not served by every emulator, so this receives, sends and deletes.)

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message,
    MessageSystemAttributeName, SendMessageBatchRequestEntry,
};

/// Seconds a listed or moved message stays hidden while we work on it.
const HOLD_SECONDS: i32 = 30;

#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub id: String,
    pub receives: String,
    pub sent_at_ms: String,
    pub body: String,
}

async fn receive(client: &Client, url: &str) -> Result<Vec<Message>, String> {
    let out = client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(HOLD_SECONDS)
        .wait_time_seconds(0)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|e| {
            format!(
                "receiving from {url}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(&e)
            )
        })?;
    Ok(out.messages.unwrap_or_default())
}

/// Every message in the DLQ, left in it (made visible again at once).
pub async fn list(client: &Client, dlq_url: &str) -> Result<Vec<DeadLetter>, String> {
    let mut seen = Vec::new();
    loop {
        let batch = receive(client, dlq_url).await?;
        if batch.is_empty() {
            break;
        }
        seen.extend(batch);
    }
    for chunk in seen.chunks(10) {
        let entries: Vec<_> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle()?)
                    .visibility_timeout(0)
                    .build()
                    .ok()
            })
            .collect();
        client
            .change_message_visibility_batch()
            .queue_url(dlq_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "releasing messages in {dlq_url}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                )
            })?;
    }
    Ok(seen
        .iter()
        .map(|m| {
            let attribute = |name: MessageSystemAttributeName| {
                m.attributes()
                    .and_then(|a| a.get(&name))
                    .cloned()
                    .unwrap_or_default()
            };
            DeadLetter {
                id: m.message_id().unwrap_or_default().to_owned(),
                receives: attribute(MessageSystemAttributeName::ApproximateReceiveCount),
                sent_at_ms: attribute(MessageSystemAttributeName::SentTimestamp),
                body: m.body().unwrap_or_default().to_owned(),
            }
        })
        .collect())
}

/// Moves every message from the DLQ back to the queue; how many moved. A
/// message is deleted from the DLQ only after the queue accepted its copy.
pub async fn redrive(client: &Client, dlq_url: &str, queue_url: &str) -> Result<usize, String> {
    let mut moved = 0;
    loop {
        let batch = receive(client, dlq_url).await?;
        if batch.is_empty() {
            return Ok(moved);
        }
        let entries: Vec<_> = batch
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(m.body()?)
                    .build()
                    .ok()
            })
            .collect();
        let sent = client
            .send_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "sending to {queue_url}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                )
            })?;
        let deletes: Vec<_> = sent
            .successful()
            .iter()
            .filter_map(|ok| {
                let message = batch.get(ok.id().parse::<usize>().ok()?)?;
                DeleteMessageBatchRequestEntry::builder()
                    .id(ok.id())
                    .receipt_handle(message.receipt_handle()?)
                    .build()
                    .ok()
            })
            .collect();
        moved += deletes.len();
        if !deletes.is_empty() {
            client
                .delete_message_batch()
                .queue_url(dlq_url)
                .set_entries(Some(deletes))
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "deleting from {dlq_url}: {}",
                        aws_sdk_sqs::error::DisplayErrorContext(&e)
                    )
                })?;
        }
        if !sent.failed().is_empty() {
            return Err(format!(
                "{} messages could not be sent back; they stay in the DLQ",
                sent.failed().len()
            ));
        }
    }
}
