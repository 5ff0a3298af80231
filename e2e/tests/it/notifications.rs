//! The whole flow: order → pay → the confirmation in the mail emulator;
//! admin notifications; the notifications API.

use e2e::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn paying_sends_one_confirmation() {
    let admin = admin_token().await;
    let product = send(client().post(format!("{}/products", api())).bearer_auth(&admin).json(&json!({
        "name": "Confirmation <Mug> & Co", "price_cents": 123_456, "currency": "USD", "stock": 5, "category": unique("mail-")
    })))
    .await;
    let (name, user) = register().await;
    let token = login(&name).await;
    let order = send(
        client()
            .post(format!("{}/orders", api()))
            .bearer_auth(&token)
            .json(&order_request(
                json!([{"product_id": product.body["id"], "quantity": 2}]),
            )),
    )
    .await;
    assert_eq!(order.status, 201, "{}", order.text);
    let paid = send(
        client()
            .post(format!("{}/payments", api()))
            .bearer_auth(&token)
            .header("idempotency-key", unique("k-"))
            .json(&json!({"order_id": order.body["id"], "payment_method": "pm_card_mastercard"})),
    )
    .await;
    assert_eq!(paid.status, 201, "{}", paid.text);

    let email = user["email"].as_str().unwrap();
    let mails = wait_for_mails_about(email, CONFIRMED, 1).await;
    assert_eq!(mails.len(), 1, "one confirmation");
    let mail = &mails[0];
    assert_eq!(mail["source"], "orders@ferrocart.local");
    let subject = mail["subject"].as_str().unwrap();
    assert!(
        subject.contains(order.body["id"].as_str().unwrap()) && subject.contains("$2,469.12"),
        "{subject}"
    );
    let body = mail["body"].as_str().unwrap();
    assert!(
        body.contains("Confirmation &lt;Mug&gt; &amp; Co"),
        "names are escaped in HTML: {body}"
    );

    // The notification is the buyer's to read, and it was sent.
    let listed = get("/notifications", Some(&token)).await;
    assert_eq!(listed.status, 200);
    let notification = listed.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| n["subject"].as_str().is_some_and(|s| s.contains(CONFIRMED)))
        .expect("the confirmation's notification");
    assert_eq!(notification["status"], "sent");
    assert_eq!(notification["recipient"], email);
    let one = get(
        &format!("/notifications/{}", notification["id"].as_str().unwrap()),
        Some(&token),
    )
    .await;
    assert_eq!(one.body, *notification);
    // Nothing more arrives later.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(mails_about(email, CONFIRMED).await.len(), 1);
}

#[tokio::test]
async fn admins_send_notifications() {
    let admin = admin_token().await;
    let recipient = format!("{}@example.com", unique("note"));
    let body = json!({"channel": "email", "recipient": recipient, "subject": "Hello from the shop", "message": "Line one.\nLine two."});
    let queued = send(
        client()
            .post(format!("{}/notifications", api()))
            .bearer_auth(&admin)
            .json(&body),
    )
    .await;
    assert_eq!(queued.status, 202, "{}", queued.text);
    assert_eq!(queued.body["status"], "queued");
    let id = queued.body["id"].as_str().unwrap();
    assert_eq!(
        queued.header("location"),
        Some(format!("/notifications/{id}").as_str())
    );
    let mails = wait_for_mails(&recipient, 1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["subject"], "Hello from the shop");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let read = get(&format!("/notifications/{id}"), Some(&admin)).await;
        if read.body["status"] == "sent" || Instant::now() > deadline {
            assert_eq!(read.body["status"], "sent", "{}", read.text);
            assert_eq!(read.body["user_id"], Value::Null);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let bad = send(
        client()
            .post(format!("{}/notifications", api()))
            .bearer_auth(&admin)
            .json(&json!({
                "channel": "sms", "recipient": "nope", "subject": "", "message": ""
            })),
    )
    .await;
    assert_eq!((bad.status, bad.code()), (422, "validation_failed"));
    assert_eq!(bad.body["errors"].as_array().unwrap().len(), 4);
}
