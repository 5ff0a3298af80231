//! Payments over HTTP: the simulator's tokens, idempotency, no order paid twice.

use e2e::*;
use serde_json::{Value, json};

/// A fresh customer with one pending order of `quantity` units at 12.50.
async fn ordered(quantity: i64) -> (String, Value) {
    let (token, order, _) = ordered_by(quantity).await;
    (token, order)
}

/// The same, with the customer's e-mail address.
async fn ordered_by(quantity: i64) -> (String, Value, String) {
    let admin = admin_token().await;
    let body = json!({"name": "Payable", "price_cents": 1250, "currency": "USD", "stock": 100, "category": unique("pay-")});
    let product = send(
        client()
            .post(format!("{}/products", api()))
            .bearer_auth(&admin)
            .json(&body),
    )
    .await;
    let (name, user) = register().await;
    let token = login(&name).await;
    let email = user["email"].as_str().unwrap().to_owned();
    let order = send(
        client()
            .post(format!("{}/orders", api()))
            .bearer_auth(&token)
            .json(&json!({"items": [{"product_id": product.body["id"], "quantity": quantity}]})),
    )
    .await;
    assert_eq!(order.status, 201, "{}", order.text);
    (token, order.body, email)
}

async fn pay(token: &str, order_id: &Value, method: &str, key: Option<&str>) -> Answer {
    let mut request = client()
        .post(format!("{}/payments", api()))
        .bearer_auth(token)
        .json(&json!({"order_id": order_id, "payment_method": method}));
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    send(request).await
}

#[tokio::test]
async fn a_card_pays_the_order_once() {
    let (token, order) = ordered(2).await;
    let key = unique("pay-");
    let paid = pay(&token, &order["id"], "pm_card_visa", Some(&key)).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let p = &paid.body;
    assert_eq!(p["status"], "succeeded");
    assert_eq!(p["amount_cents"], 2500);
    assert_eq!(p["currency"], "USD");
    assert_eq!(p["order_id"], order["id"]);
    assert_eq!(p["card"], json!({"brand": "visa", "last4": "4242"}));
    assert_eq!(p["failure_code"], Value::Null);
    let id = p["id"].as_str().unwrap();
    assert_eq!(
        paid.header("location"),
        Some(format!("/payments/{id}").as_str())
    );

    let now = get(
        &format!("/orders/{}", order["id"].as_str().unwrap()),
        Some(&token),
    )
    .await;
    assert_eq!(now.body["status"], "paid");
    assert_eq!(now.body["payment_id"], p["id"]);
    assert_eq!(get(&format!("/payments/{id}"), Some(&token)).await.body, *p);

    let replay = pay(&token, &order["id"], "pm_card_visa", Some(&key)).await;
    assert_eq!(
        (replay.status, replay.header("idempotent-replayed")),
        (201, Some("true"))
    );
    assert_eq!(replay.body, *p);
    let twice = pay(
        &token,
        &order["id"],
        "pm_card_mastercard",
        Some(&unique("again-")),
    )
    .await;
    assert_eq!((twice.status, twice.code()), (409, "order_not_payable"));
    let cancel = send(
        client()
            .post(format!(
                "{}/orders/{}/cancel",
                api(),
                order["id"].as_str().unwrap()
            ))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!((cancel.status, cancel.code()), (409, "invalid_order_state"));
}

#[tokio::test]
async fn declines_are_402_with_a_failed_payment() {
    let (token, order) = ordered(1).await;
    for (method, code) in [
        ("pm_card_chargeDeclined", "card_declined"),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
        ),
    ] {
        let declined = pay(&token, &order["id"], method, Some(&unique("d-"))).await;
        assert_eq!((declined.status, declined.code()), (402, code));
        let payment_id = declined.body["payment_id"]
            .as_str()
            .expect("a payment_id")
            .to_owned();
        let failed = get(&format!("/payments/{payment_id}"), Some(&token)).await;
        assert_eq!(failed.body["status"], "failed");
        assert_eq!(failed.body["failure_code"], code);
    }
    let still = get(
        &format!("/orders/{}", order["id"].as_str().unwrap()),
        Some(&token),
    )
    .await;
    assert_eq!(still.body["status"], "pending_payment");
    assert_eq!(
        pay(
            &token,
            &order["id"],
            "pm_card_mastercard",
            Some(&unique("ok-"))
        )
        .await
        .status,
        201
    );
}

#[tokio::test]
async fn bad_payment_requests() {
    let (token, order) = ordered(1).await;
    let no_key = pay(&token, &order["id"], "pm_card_visa", None).await;
    assert_eq!(
        (no_key.status, no_key.code()),
        (400, "idempotency_key_required")
    );
    for method in ["pm_card_amex", "4242424242424242"] {
        let answer = pay(&token, &order["id"], method, Some(&unique("m-"))).await;
        assert_eq!(
            (answer.status, answer.code()),
            (422, "validation_failed"),
            "{method}"
        );
        assert_eq!(answer.body["errors"][0]["field"], "payment_method");
    }
    let card_data = send(
        client()
            .post(format!("{}/payments", api()))
            .bearer_auth(&token)
            .header("idempotency-key", unique("c-"))
            .json(&json!({"order_id": order["id"], "payment_method": "pm_card_visa", "card_number": "4242424242424242"})),
    )
    .await;
    assert_eq!(
        (card_data.status, card_data.code()),
        (422, "validation_failed")
    );
    let anonymous = send(
        client()
            .post(format!("{}/payments", api()))
            .json(&json!({})),
    )
    .await;
    assert_eq!((anonymous.status, anonymous.code()), (401, "unauthorized"));
    let key = unique("mm-");
    assert_eq!(
        pay(&token, &order["id"], "pm_card_chargeDeclined", Some(&key))
            .await
            .status,
        402
    );
    let mismatch = pay(&token, &order["id"], "pm_card_visa", Some(&key)).await;
    assert_eq!(
        (mismatch.status, mismatch.code()),
        (422, "idempotency_key_mismatch")
    );
}

/// Card testing over HTTP: five declines in an hour, then `429` with
/// `Retry-After` for any card; the refusal is not kept under its key.
#[tokio::test]
async fn a_sixth_payment_attempt_after_five_declines_waits_out_the_hour() {
    let (token, order) = ordered(1).await;
    for _ in 0..5 {
        let declined = pay(
            &token,
            &order["id"],
            "pm_card_chargeDeclined",
            Some(&unique("d-")),
        )
        .await;
        assert_eq!(declined.status, 402, "{}", declined.text);
    }
    let key = unique("late-");
    let refused = pay(&token, &order["id"], "pm_card_visa", Some(&key)).await;
    assert_eq!(
        (refused.status, refused.code()),
        (429, "too_many_attempts"),
        "{}",
        refused.text
    );
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3000..=3600).contains(&wait), "{wait}");
    // Not replayed as a stored answer: the same key is simply refused again.
    let again = pay(&token, &order["id"], "pm_card_visa", Some(&key)).await;
    assert_eq!(again.status, 429);
    assert!(again.headers.get("idempotent-replayed").is_none());
    let still = get(
        &format!("/orders/{}", order["id"].as_str().unwrap()),
        Some(&token),
    )
    .await;
    assert_eq!(still.body["status"], "pending_payment");
}
