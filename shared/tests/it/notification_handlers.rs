//! The queue consumer, with SQS event fixtures: partial batch failures, one
//! mail per event (payment confirmations and account notices), a failing
//! send retried.

use crate::common;

use aws_lambda_events::event::sqs::SqsEvent;
use common::{env, event, mails_to, unique};
use serde_json::{Value, json};
use shared::aws::{Mailer, NotificationsTable};
use shared::domain::notification::NotificationStatus;
use shared::notifications::Notifier;

/// The fixture's good record, re-addressed to a fresh event id and recipient.
fn good_record(fixture: &Value, event_id: &str, email: &str) -> Value {
    let mut record = fixture["Records"][0].clone();
    let mut body: Value = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
    body["id"] = event_id.into();
    body["data"]["email"] = email.into();
    record["body"] = body.to_string().into();
    record["messageId"] = unique("m-").into();
    record
}

fn batch(records: Vec<Value>) -> SqsEvent {
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

#[tokio::test]
async fn a_mixed_batch_reports_exactly_the_bad_messages() {
    let notifier = Notifier::from_env().unwrap();
    let mut fixture = event("send-notification.json");
    let email = format!("{}@example.com", unique("mixed"));
    let good = good_record(&fixture, &ulid::Ulid::new().to_string(), &email);
    fixture["Records"][0] = good;
    let response = notifier
        .handle_batch(serde_json::from_value(fixture).unwrap())
        .await;
    let mut failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        [
            "22222222-2222-4222-8222-222222222222",
            "33333333-3333-4333-8333-333333333333"
        ]
    );
    let mails = mails_to(&email).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]["subject"].as_str().unwrap().contains("$28.00"),
        "{}",
        mails[0]
    );
    assert!(
        mails[0]["body"]
            .as_str()
            .unwrap()
            .contains("Stoneware Espresso Cup")
    );
}

#[tokio::test]
async fn the_same_event_delivered_twice_sends_one_mail() {
    let notifier = Notifier::from_env().unwrap();
    let fixture = event("send-notification.json");
    let email = format!("{}@example.com", unique("twice"));
    let event_id = ulid::Ulid::new().to_string();
    let first = good_record(&fixture, &event_id, &email);
    let again = good_record(&fixture, &event_id, &email);
    // Concurrently in one batch, and once more later.
    let response = notifier
        .handle_batch(batch(vec![first, again.clone()]))
        .await;
    assert!(
        response.batch_item_failures.is_empty(),
        "{:?}",
        response.batch_item_failures
    );
    let response = notifier.handle_batch(batch(vec![again])).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(mails_to(&email).await.len(), 1);
    let table = NotificationsTable::new(
        aws_sdk_dynamodb::Client::new(&shared::aws::sdk_config().expect("the SDK configuration")),
        env("NOTIFICATIONS_TABLE"),
    );
    let stored = table.get(&event_id).await.unwrap().unwrap();
    assert_eq!(stored.status, NotificationStatus::Sent);
    assert!(stored.provider_message_id.is_some());
    assert_eq!(stored.source_event_id, event_id);
}

#[tokio::test]
async fn a_failed_send_is_marked_failed_reported_and_sent_on_retry() {
    let good = Notifier::from_env().unwrap();
    // An unverified sender: SES refuses the mail.
    let broken = Notifier {
        mailer: Mailer::new(
            aws_sdk_ses::Client::new(&shared::aws::sdk_config().expect("the SDK configuration")),
            "unverified@ferrocart.local",
        ),
        ..good.clone()
    };
    let fixture = event("send-notification.json");
    let email = format!("{}@example.com", unique("retry"));
    let event_id = ulid::Ulid::new().to_string();
    let record = good_record(&fixture, &event_id, &email);
    let response = broken.handle_batch(batch(vec![record.clone()])).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(
        good.table.get(&event_id).await.unwrap().unwrap().status,
        NotificationStatus::Failed
    );
    assert!(mails_to(&email).await.is_empty());

    let response = good.handle_batch(batch(vec![record])).await;
    assert!(response.batch_item_failures.is_empty());
    let stored = good.table.get(&event_id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.attempts),
        (NotificationStatus::Sent, 2)
    );
    assert_eq!(mails_to(&email).await.len(), 1);
}

#[tokio::test]
async fn a_live_lease_blocks_a_second_sender_and_an_expired_one_does_not() {
    use shared::aws::notifications_table::Claim;
    use shared::domain::notification::{Channel, Notification, Subject};
    use shared::domain::{Email, Timestamp, UserId};
    let table = NotificationsTable::new(
        aws_sdk_dynamodb::Client::new(&shared::aws::sdk_config().expect("the SDK configuration")),
        env("NOTIFICATIONS_TABLE"),
    );
    let id = ulid::Ulid::new().to_string();
    let now = Timestamp::now();
    let seed = Notification {
        id: id.clone(),
        user_id: Some(UserId::generate()),
        channel: Channel::Email,
        recipient: Email::parse("lease@example.com").unwrap(),
        subject: Subject::parse("Lease").unwrap(),
        status: NotificationStatus::Queued,
        provider_message_id: None,
        source_event_id: id.clone(),
        attempts: 0,
        created_at: now,
        updated_at: now,
    };
    let Claim::Granted(first) = table.claim(&id, Some(&seed), 30, now).await.unwrap() else {
        panic!("a new notification")
    };
    assert_eq!(first.notification.status, NotificationStatus::Sending);
    // The first sender is within its lease: a redelivery sends nothing.
    assert!(matches!(
        table
            .claim(&id, Some(&seed), 30, now.plus_seconds(29))
            .await
            .unwrap(),
        Claim::Skip(NotificationStatus::Sending)
    ));
    // The first sender died; once its lease ran out, the next delivery takes over.
    let Claim::Granted(second) = table
        .claim(&id, Some(&seed), 30, now.plus_seconds(31))
        .await
        .unwrap()
    else {
        panic!("an expired lease can be claimed again")
    };
    assert_eq!(second.notification.attempts, 2);
    // The dead sender's late outcome does not overwrite the new claim's.
    table.mark_failed(&first, Timestamp::now()).await.unwrap();
    assert_eq!(
        table.get(&id).await.unwrap().unwrap().status,
        NotificationStatus::Sending
    );
    table
        .mark_sent(&second, "message-1", Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        table.get(&id).await.unwrap().unwrap().status,
        NotificationStatus::Sent
    );
    assert!(matches!(
        table
            .claim(&id, Some(&seed), 30, now.plus_seconds(120))
            .await
            .unwrap(),
        Claim::Skip(NotificationStatus::Sent)
    ));
}

#[tokio::test]
async fn a_password_change_notice_is_mailed_once_in_text_and_html() {
    let notifier = Notifier::from_env().unwrap();
    let name = unique("notice");
    let email = format!("{name}@example.com");
    let event_id = ulid::Ulid::new().to_string();
    let body = json!({
        "type": "account.password_changed",
        "id": event_id,
        "time": "2026-12-07T12:00:00.000Z",
        "data": {"user_id": ulid::Ulid::new().to_string(), "username": name, "email": email},
    });
    let record = |n: usize| json!({"messageId": format!("m-{n}-{event_id}"), "body": body.to_string(), "eventSource": "aws:sqs"});
    let response = notifier
        .handle_batch(batch(vec![record(1), record(2)]))
        .await;
    assert!(
        response.batch_item_failures.is_empty(),
        "{:?}",
        response.batch_item_failures
    );
    let mails = mails_to(&email).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["subject"], "Your ferrocart password was changed");
    let text = mails[0]["body"].as_str().unwrap();
    assert!(
        text.contains(&name) && text.contains("signed out"),
        "{text}"
    );
    let table = NotificationsTable::new(
        aws_sdk_dynamodb::Client::new(&shared::aws::sdk_config().expect("the SDK configuration")),
        env("NOTIFICATIONS_TABLE"),
    );
    let stored = table.get(&event_id).await.unwrap().unwrap();
    assert_eq!(stored.status, NotificationStatus::Sent);
    assert_eq!(stored.recipient.as_str(), email);
}
