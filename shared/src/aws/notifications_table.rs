//! The notifications table: one item per source event (`NOTIFICATION#<event id>`),
//! which is also the claim that makes one mail per event. `ByUser`
//! (`gsi1pk = USER#<id>`, `gsi1sk = <id>`) lists a user's notifications.

use crate::Error;
use crate::cursor::Position;
use crate::domain::notification::{Notification, NotificationStatus};
use crate::domain::{Timestamp, UserId};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

pub const USER_INDEX: &str = "ByUser";
const SK: &str = "NOTIFICATION";

#[derive(Clone)]
pub struct NotificationsTable {
    client: Client,
    table: String,
}

#[derive(Serialize, Deserialize)]
struct NotificationItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    notification: Notification,
    /// The message of a requested notification; confirmations are rendered from their event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_until: Option<i64>,
}

fn key(id: &str) -> Item {
    HashMap::from([
        (
            "pk".to_owned(),
            AttributeValue::S(format!("NOTIFICATION#{id}")),
        ),
        ("sk".to_owned(), AttributeValue::S(SK.to_owned())),
    ])
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn decode(item: Item) -> Result<(Notification, Option<String>), Error> {
    let stored: NotificationItem =
        serde_dynamo::from_item(item).map_err(Error::internal("decoding a notification"))?;
    Ok((stored.notification, stored.message))
}

/// The right to send a notification's mail, until the lease runs out.
#[derive(Debug, Clone)]
pub struct Lease {
    pub notification: Notification,
    pub message: Option<String>,
    token: String,
}

#[derive(Debug)]
pub enum Claim {
    /// Ours to send.
    Granted(Box<Lease>),
    /// Sent already, or being sent under a live lease: acknowledge, send nothing.
    Skip(NotificationStatus),
    /// No such notification (a requested one must exist first).
    Missing,
}

impl NotificationsTable {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Records a requested notification as `queued`.
    pub async fn create(&self, notification: &Notification, message: &str) -> Result<(), Error> {
        let stored = NotificationItem {
            pk: format!("NOTIFICATION#{}", notification.id),
            sk: SK.into(),
            notification: notification.clone(),
            message: Some(message.to_owned()),
            gsi1pk: notification.user_id.as_ref().map(|u| format!("USER#{u}")),
            gsi1sk: notification
                .user_id
                .as_ref()
                .map(|_| notification.id.clone()),
            claim: None,
            lease_until: None,
        };
        let item: Item =
            serde_dynamo::to_item(stored).map_err(Error::internal("encoding a notification"))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(Error::internal("writing a notification"))?;
        Ok(())
    }

    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .send()
            .await
            .map_err(Error::internal("deleting a notification"))?;
        Ok(())
    }

    /// Claims the notification of event `id` for sending: granted when it is
    /// new (`seed` creates it), queued, failed, or `sending` with an expired
    /// lease; one conditional write decides, whatever the concurrency.
    pub async fn claim(
        &self,
        id: &str,
        seed: Option<&Notification>,
        lease_seconds: i64,
        now: Timestamp,
    ) -> Result<Claim, Error> {
        let token = ulid::Ulid::new().to_string();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":queued", s("queued"))
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":claim", s(token.clone()))
            .expression_attribute_values(
                ":lease",
                AttributeValue::N((now.unix_seconds() + lease_seconds).to_string()),
            )
            .expression_attribute_values(
                ":epoch",
                AttributeValue::N(now.unix_seconds().to_string()),
            )
            .expression_attribute_values(":now", s(now.to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let claimable =
            "(#status IN (:queued, :failed) OR (#status = :sending AND lease_until < :epoch))";
        let mut sets = vec![
            "#status = :sending".to_owned(),
            "claim = :claim".to_owned(),
            "lease_until = :lease".to_owned(),
            "updated_at = :now".to_owned(),
            "attempts = if_not_exists(attempts, :zero) + :one".to_owned(),
        ];
        match seed {
            Some(n) => {
                // A confirmation is created by its first claim.
                let fields: [(&str, AttributeValue); 6] = [
                    ("id", s(n.id.clone())),
                    ("channel", s("email")),
                    ("recipient", s(n.recipient.as_str())),
                    ("subject", s(n.subject.as_str())),
                    ("source_event_id", s(n.source_event_id.clone())),
                    ("created_at", s(n.created_at.to_string())),
                ];
                for (name, value) in fields {
                    sets.push(format!("#{name} = if_not_exists(#{name}, :{name})"));
                    update = update
                        .expression_attribute_names(format!("#{name}"), name)
                        .expression_attribute_values(format!(":{name}"), value);
                }
                if let Some(user) = &n.user_id {
                    sets.push("user_id = if_not_exists(user_id, :user), gsi1pk = :gsi1pk, gsi1sk = :gsi1sk".into());
                    update = update
                        .expression_attribute_values(":user", s(user.as_str()))
                        .expression_attribute_values(":gsi1pk", s(format!("USER#{user}")))
                        .expression_attribute_values(":gsi1sk", s(n.id.clone()));
                }
                update =
                    update.condition_expression(format!("attribute_not_exists(pk) OR {claimable}"));
            }
            None => {
                update =
                    update.condition_expression(format!("attribute_exists(pk) AND {claimable}"));
            }
        }
        let result = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out
                    .attributes
                    .ok_or_else(|| Error::internal("claiming a notification")("no attributes"))?;
                let (notification, message) = decode(item)?;
                Ok(Claim::Granted(Box::new(Lease {
                    notification,
                    message,
                    token,
                })))
            }
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item() {
                        Some(old) => Ok(Claim::Skip(decode(old.clone())?.0.status)),
                        None => Ok(Claim::Missing),
                    }
                }
                _ => Err(Error::internal("claiming a notification")(err)),
            },
        }
    }

    /// The mail went out: `sent`, with the provider's message id.
    pub async fn mark_sent(
        &self,
        lease: &Lease,
        provider_message_id: &str,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.finish(lease, "SET #status = :sent, provider_message_id = :mid, updated_at = :now REMOVE claim, lease_until", &[
            (":sent", s("sent")),
            (":mid", s(provider_message_id)),
            (":now", s(now.to_string())),
        ])
        .await
    }

    /// The send failed: `failed`, to be claimed again by the retry.
    pub async fn mark_failed(&self, lease: &Lease, now: Timestamp) -> Result<(), Error> {
        self.finish(
            lease,
            "SET #status = :failed, updated_at = :now REMOVE claim, lease_until",
            &[(":failed", s("failed")), (":now", s(now.to_string()))],
        )
        .await
    }

    async fn finish(
        &self,
        lease: &Lease,
        expression: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<(), Error> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&lease.notification.id)))
            .update_expression(expression)
            .condition_expression("claim = :token")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":token", s(lease.token.clone()));
        for (name, value) in values {
            update = update.expression_attribute_values(*name, value.clone());
        }
        // Our lease ran out and another delivery took over; it records the outcome.
        super::unless_condition_failed(update.send().await, "recording a notification's outcome")
    }

    pub async fn get(&self, id: &str) -> Result<Option<Notification>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("reading a notification"))?;
        out.item.map(|i| decode(i).map(|(n, _)| n)).transpose()
    }

    /// A page of a user's notifications, newest first.
    pub async fn list_for_user(
        &self,
        user: &UserId,
        limit: i32,
        start: Option<Position>,
    ) -> Result<(Vec<Notification>, Option<Position>), Error> {
        let (items, next) = super::newest_first(
            &self.client,
            &self.table,
            USER_INDEX,
            format!("USER#{user}"),
            limit,
            start,
            "listing notifications",
        )
        .await?;
        let items = items
            .into_iter()
            .map(|i| decode(i).map(|(n, _)| n))
            .collect::<Result<_, _>>()?;
        Ok((items, next))
    }
}
