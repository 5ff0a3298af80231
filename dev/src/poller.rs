//! The local stand-in for Lambda's SQS event source mapping: receive a batch
//! from the queue, invoke the consumer through cargo lambda watch with a real
//! SQS event, delete only the messages it did not report failed. Failed ones
//! come back after the visibility timeout, and moto's redrive policy moves a
//! message to the dead-letter queue after `maxReceiveCount` receives.

use crate::{Result, fail};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Invokes the consumer with an SQS event; its partial batch response.
pub async fn invoke_consumer(
    api: &str,
    function: &str,
    event: &serde_json::Value,
) -> Result<SqsBatchResponse> {
    let answer = crate::invoke(api, function, event).await?;
    serde_json::from_value(answer.clone())
        .map_err(|e| fail(format!("{function} answered {answer}: {e}")))
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> String {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .ok()
        .and_then(|out| {
            out.attributes()
                .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        })
        .unwrap_or_default()
}

/// One receive → invoke → delete round; how many messages it handled.
pub async fn poll_once(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    arn: &str,
    api: &str,
    function: &str,
) -> Result<(usize, usize)> {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|e| fail(format!("receiving from {url}: {e:?}")))?;
    let messages = out.messages();
    if messages.is_empty() {
        return Ok((0, 0));
    }
    let mut event = SqsEvent::default();
    for m in messages {
        let mut record = SqsMessage::default();
        record.message_id = m.message_id().map(str::to_owned);
        record.receipt_handle = m.receipt_handle().map(str::to_owned);
        record.body = m.body().map(str::to_owned);
        record.md5_of_body = m.md5_of_body().map(str::to_owned);
        record.attributes = m
            .attributes()
            .map(|a| {
                a.iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                    .collect()
            })
            .unwrap_or_else(HashMap::new);
        record.event_source = Some("aws:sqs".into());
        record.event_source_arn = Some(arn.to_owned());
        record.aws_region = Some("us-east-1".into());
        event.records.push(record);
    }
    let payload = serde_json::to_value(&event).map_err(|e| fail(e.to_string()))?;
    let response = invoke_consumer(api, function, &payload).await?;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    let entries: Vec<DeleteMessageBatchRequestEntry> = messages
        .iter()
        .filter(|m| !failed.contains(&m.message_id().unwrap_or_default()))
        .filter_map(|m| {
            DeleteMessageBatchRequestEntry::builder()
                .id(m.message_id()?)
                .receipt_handle(m.receipt_handle()?)
                .build()
                .ok()
        })
        .collect();
    let deleted = entries.len();
    if !entries.is_empty() {
        sqs.delete_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| fail(format!("deleting from {url}: {e:?}")))?;
    }
    Ok((deleted, failed.len()))
}

/// Polls until aborted, writing what it does to `log`.
pub async fn run(
    sqs: aws_sdk_sqs::Client,
    url: String,
    api: String,
    function: String,
    log: PathBuf,
) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .ok();
    let arn = queue_arn(&sqs, &url).await;
    loop {
        let line = match poll_once(&sqs, &url, &arn, &api, &function).await {
            Ok((0, 0)) => None,
            Ok((done, failed)) => Some(format!(
                "{function}: {done} done, {failed} failed (left for redelivery)"
            )),
            Err(error) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                Some(format!("{function}: {error}"))
            }
        };
        if let (Some(line), Some(f)) = (line, file.as_mut()) {
            let _ = writeln!(f, "{line}");
        }
    }
}
