//! Creates what `template.yaml` declares on an emulator (or any endpoint):
//! tables with their keys, indexes and TTL, queues with their redrive policy,
//! the signing key secret, and the SES sender identity.

use crate::template::{Queue, Table, Template};
use crate::{Result, fail};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::HashMap;
use std::time::Duration;

fn key_schema(keys: &[crate::template::KeyElement]) -> Result<Vec<KeySchemaElement>> {
    keys.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(|e| fail(format!("key schema: {e}")))
        })
        .collect()
}

/// Creates a table as the template declares it. An existing table whose keys
/// or indexes differ from the template is dropped and created again, so a
/// changed template never runs against a stale local schema.
pub async fn ensure_table(
    client: &aws_sdk_dynamodb::Client,
    table: &Table,
    name: &str,
) -> Result<bool> {
    if let Ok(existing) = client.describe_table().table_name(name).send().await {
        let desc = existing.table();
        let keys = desc.map(|d| d.key_schema().to_vec()).unwrap_or_default();
        let mut indexes: Vec<String> = desc
            .map(|d| {
                d.global_secondary_indexes()
                    .iter()
                    .filter_map(|g| g.index_name().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        indexes.sort();
        let mut wanted: Vec<String> = table.indexes.iter().map(|i| i.name.clone()).collect();
        wanted.sort();
        if keys == key_schema(&table.keys)? && indexes == wanted {
            return Ok(false);
        }
        println!("  table {name}: schema differs from template.yaml, creating it again");
        client
            .delete_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| fail(format!("deleting table {name}: {e:?}")))?;
    }
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&table.keys)?));
    for (attribute, kind) in &table.attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
                .map_err(|e| fail(format!("attribute {attribute}: {e}")))?,
        );
    }
    for index in &table.indexes {
        let projection = Projection::builder()
            .projection_type(ProjectionType::from(index.projection_type.as_str()))
            .set_non_key_attributes(
                (!index.non_key_attributes.is_empty()).then(|| index.non_key_attributes.clone()),
            )
            .build();
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .set_key_schema(Some(key_schema(&index.keys)?))
                .projection(projection)
                .build()
                .map_err(|e| fail(format!("index {}: {e}", index.name)))?,
        );
    }
    request
        .send()
        .await
        .map_err(|e| fail(format!("creating table {name}: {e:?}")))?;
    for _ in 0..100 {
        let status = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .ok()
            .and_then(|d| d.table().and_then(|t| t.table_status().cloned()));
        if status == Some(TableStatus::Active) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Some(attribute) = &table.ttl_attribute {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(attribute)
                    .enabled(true)
                    .build()
                    .map_err(|e| fail(format!("TTL: {e}")))?,
            )
            .send()
            .await
            .map_err(|e| fail(format!("enabling TTL on {name}: {e:?}")))?;
    }
    Ok(true)
}

/// Creates the queues (dead-letter queues first); returns logical id → URL.
pub async fn ensure_queues(
    client: &aws_sdk_sqs::Client,
    queues: &[Queue],
) -> Result<HashMap<String, String>> {
    let mut urls = HashMap::new();
    let mut arns = HashMap::new();
    for queue in queues {
        let name = if queue.fifo {
            format!("{}.fifo", queue.logical_id)
        } else {
            queue.logical_id.clone()
        };
        let mut attributes = HashMap::new();
        if queue.fifo {
            attributes.insert(QueueAttributeName::FifoQueue, "true".to_owned());
        }
        if let Some(v) = queue.visibility_timeout {
            attributes.insert(QueueAttributeName::VisibilityTimeout, v.to_string());
        }
        if let Some(v) = queue.message_retention {
            attributes.insert(QueueAttributeName::MessageRetentionPeriod, v.to_string());
        }
        if let Some((dlq, max)) = &queue.redrive {
            let arn: &String = arns.get(dlq).ok_or_else(|| {
                fail(format!(
                    "queue {}: dead-letter queue {dlq} is not declared",
                    queue.logical_id
                ))
            })?;
            attributes.insert(
                QueueAttributeName::RedrivePolicy,
                serde_json::json!({ "deadLetterTargetArn": arn, "maxReceiveCount": max })
                    .to_string(),
            );
        }
        let out = client
            .create_queue()
            .queue_name(&name)
            .set_attributes(Some(attributes))
            .send()
            .await
            .map_err(|e| fail(format!("creating queue {name}: {e:?}")))?;
        let url = out.queue_url().unwrap_or_default().to_owned();
        let arn = client
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| fail(format!("reading queue {name}: {e:?}")))?
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .unwrap_or_default();
        arns.insert(queue.logical_id.clone(), arn);
        urls.insert(queue.logical_id.clone(), url);
    }
    Ok(urls)
}

/// Stores (or replaces) a secret's string value.
pub async fn put_secret(
    client: &aws_sdk_secretsmanager::Client,
    name: &str,
    value: &str,
) -> Result<()> {
    let created = client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await;
    if created.is_err() {
        client
            .put_secret_value()
            .secret_id(name)
            .secret_string(value)
            .send()
            .await
            .map_err(|e| fail(format!("storing secret {name}: {e:?}")))?;
    }
    Ok(())
}

/// Verifies the sender address with SES (the emulator accepts it at once).
pub async fn verify_sender(client: &aws_sdk_ses::Client, email: &str) -> Result<()> {
    client
        .verify_email_identity()
        .email_address(email)
        .send()
        .await
        .map_err(|e| fail(format!("verifying SES sender {email}: {e:?}")))?;
    Ok(())
}

/// Creates every table and queue of the template.
pub async fn create_all(
    template: &Template,
    dynamodb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
) -> Result<HashMap<String, String>> {
    for table in template.tables().map_err(|e| fail(e.to_string()))? {
        let created = ensure_table(dynamodb, &table, &table.logical_id).await?;
        println!(
            "  table {} {}",
            table.logical_id,
            if created { "created" } else { "up to date" }
        );
    }
    let queues = template.queues().map_err(|e| fail(e.to_string()))?;
    let urls = ensure_queues(sqs, &queues).await?;
    for queue in &queues {
        println!("  queue {} ready", queue.logical_id);
    }
    Ok(urls)
}
