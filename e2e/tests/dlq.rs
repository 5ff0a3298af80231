//! Messages that keep failing reach the dead-letter queue after 5 receives,
//! and `ferrocart dlq redrive` brings them back once the cause is fixed.
//!
//! Its own test binary, not a module of `it`: it breaks mail sending on
//! purpose while it runs, and the tests that wait for mail must not overlap it.

use e2e::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}: run with `make test`"))
}

async fn sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&shared::aws::sdk_config().expect("the stack sets the SDK variables"))
}

async fn ses() -> aws_sdk_ses::Client {
    aws_sdk_ses::Client::new(&shared::aws::sdk_config().expect("the stack sets the SDK variables"))
}

/// Waits until a message whose body contains `marker` is in the DLQ.
async fn in_dlq(client: &aws_sdk_sqs::Client, marker: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let letters = ops::dlq::list(client, &env("EVENTS_DLQ_URL"))
            .await
            .unwrap();
        if let Some(letter) = letters.iter().find(|l| l.body.contains(marker)) {
            assert!(letter.receives.parse::<u32>().unwrap_or(0) >= 1);
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

#[tokio::test]
async fn a_failing_send_ends_in_the_dlq_and_redrive_delivers_it_once() {
    let client = sqs().await;
    // An unparseable message never succeeds: it is reported failed, never
    // dropped, and after 5 receives moto moves it to the DLQ.
    let garbage = format!("not json {}", unique("garbage-"));
    client
        .send_message()
        .queue_url(env("EVENTS_QUEUE_URL"))
        .message_body(&garbage)
        .send()
        .await
        .unwrap();

    // An SES failure: the sender identity goes away, so every send is refused.
    let sender = "orders@ferrocart.local";
    let mail = ses().await;
    mail.delete_identity()
        .identity(sender)
        .send()
        .await
        .unwrap();
    let admin = e2e::admin_token().await;
    let recipient = format!("{}@example.com", unique("dlq"));
    let queued = send(client_post_notification(&admin, &recipient)).await;
    assert_eq!(queued.status, 202, "{}", queued.text);
    let id = queued.body["id"].as_str().unwrap().to_owned();

    let garbage_dead = in_dlq(&client, &garbage).await;
    let request_dead = in_dlq(&client, &id).await;
    // Fix the cause before asserting, so a failure here leaves the stack sending.
    mail.verify_email_identity()
        .email_address(sender)
        .send()
        .await
        .unwrap();
    assert!(garbage_dead, "the unparseable message reached the DLQ");
    assert!(request_dead, "the refused notification reached the DLQ");
    assert_eq!(mails_to(&recipient).await.len(), 0);
    let failed = get(&format!("/notifications/{id}"), Some(&admin)).await;
    assert_eq!(failed.body["status"], "failed");
    assert!(
        failed.body["attempts"].as_u64().unwrap() >= 5,
        "{}",
        failed.text
    );

    let moved = ops::dlq::redrive(&client, &env("EVENTS_DLQ_URL"), &env("EVENTS_QUEUE_URL"))
        .await
        .unwrap();
    assert!(moved >= 2, "{moved}");
    wait_for_mails(&recipient, 1).await;
    assert_eq!(
        mails_to(&recipient).await.len(),
        1,
        "sent once after the redrive"
    );
    assert_eq!(
        get(&format!("/notifications/{id}"), Some(&admin))
            .await
            .body["status"],
        "sent"
    );
}

fn client_post_notification(admin: &str, recipient: &str) -> reqwest::RequestBuilder {
    client().post(format!("{}/notifications", api())).bearer_auth(admin).json(&json!({
        "channel": "email", "recipient": recipient, "subject": "Dead letters", "message": "Sent after a redrive."
    }))
}
