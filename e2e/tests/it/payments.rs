//! Payments over HTTP: the simulator's tokens, idempotency, no order paid twice.

use e2e::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

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
            .json(&order_request(
                json!([{"product_id": product.body["id"], "quantity": quantity}]),
            )),
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

/// An admin refunds a paid order in two parts, restocking its unit: each
/// refund is one mail, a replay is the same refund, and past the payment
/// is `409`; every wrong request is its own problem and refunds nothing.
#[tokio::test]
async fn an_admin_refunds_a_payment_in_parts_and_the_buyer_is_mailed_for_each() {
    let admin = admin_token().await;
    let PaidOrder {
        token,
        email,
        order_id,
        ..
    } = paid_order(&admin).await;
    let order = get(&format!("/orders/{order_id}"), Some(&token)).await;
    let payment = order.body["payment_id"].as_str().unwrap().to_owned();
    let product = order.body["items"][0]["product_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stock = stock_of(&product).await;
    let path = format!("{}/payments/{payment}/refunds", api());
    let part = json!({"amount_cents": 300, "reason": "damaged", "note": "Crushed box", "restock": [{"product_id": product, "quantity": 1}]});

    let keyless = send(client().post(&path).bearer_auth(&admin).json(&part)).await;
    assert_eq!(
        (keyless.status, keyless.code()),
        (400, "idempotency_key_required")
    );
    let buyer = refund(&token, &payment, &part, None).await;
    assert_eq!((buyer.status, buyer.code()), (403, "forbidden"));
    let nobody = refund(&admin, "01KDVDNA000000000001FET999", &part, None).await;
    assert_eq!((nobody.status, nobody.code()), (404, "payment_not_found"));
    let wrong = refund(
        &admin,
        &payment,
        &json!({"amount_cents": 0, "reason": "fraud", "restock": [{"product_id": product, "quantity": 1}], "extra": 1}),
        None,
    )
    .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (422, "validation_failed"),
        "{}",
        wrong.text
    );
    let fields: BTreeSet<&str> = wrong.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, BTreeSet::from(["amount_cents", "reason", "extra"]));
    let stranger = refund(
        &admin,
        &payment,
        &json!({"amount_cents": 100, "reason": "other", "restock": [{"product_id": "01KDVDNA000000000001FET998", "quantity": 1}]}),
        None,
    )
    .await;
    assert_eq!(
        (stranger.status, stranger.code()),
        (422, "validation_failed")
    );
    assert_eq!(stranger.body["errors"][0]["field"], "restock[0].product_id");

    let key = unique("refund-");
    let first = refund(&admin, &payment, &part, Some(&key)).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["status"], "succeeded");
    assert_eq!(first.body["amount_cents"], 300);
    let replay = refund(&admin, &payment, &part, Some(&key)).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body["id"], first.body["id"]);
    assert_eq!(stock_of(&product).await, stock + 1, "restocked once");

    let again = refund(&admin, &payment, &part, None).await;
    assert_eq!(
        (again.status, again.code()),
        (422, "validation_failed"),
        "the one unit is back already"
    );
    let too_much = refund(
        &admin,
        &payment,
        &json!({"amount_cents": 601, "reason": "other"}),
        None,
    )
    .await;
    assert_eq!(
        (too_much.status, too_much.code()),
        (409, "refund_exceeds_payment")
    );
    let rest = refund(
        &admin,
        &payment,
        &json!({"amount_cents": 600, "reason": "not_delivered"}),
        None,
    )
    .await;
    assert_eq!(rest.status, 201, "{}", rest.text);

    let now = get(&format!("/payments/{payment}"), Some(&token)).await;
    assert_eq!(now.body["status"], "refunded");
    assert_eq!(now.body["refunded_cents"], 900);
    assert_eq!(now.body["refunds"].as_array().unwrap().len(), 2);
    let order = get(&format!("/orders/{order_id}"), Some(&token)).await;
    assert_eq!(order.body["refunded_cents"], 900);
    assert_eq!(
        order.body["status"], "paid",
        "a refund alone keeps the order's status"
    );
    let mails = wait_for_mails_about(&email, REFUNDED, 2).await;
    assert_eq!(mails.len(), 2, "one mail per refund");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(mails_about(&email, REFUNDED).await.len(), 2);
}

/// The buyer cancels a paid order: the whole payment comes back, the unit
/// goes back in stock, and a second cancel is `409`.
#[tokio::test]
async fn a_buyer_cancels_a_paid_order_and_gets_the_money_back() {
    let admin = admin_token().await;
    let PaidOrder {
        token,
        email,
        order_id,
        ..
    } = paid_order(&admin).await;
    let order = get(&format!("/orders/{order_id}"), Some(&token)).await;
    let product = order.body["items"][0]["product_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stock = stock_of(&product).await;
    let cancelled = call(
        "POST",
        &format!("/orders/{order_id}/cancel"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["refunded_cents"], 900);
    assert_eq!(stock_of(&product).await, stock + 1);
    let payment = get(
        &format!("/payments/{}", order.body["payment_id"].as_str().unwrap()),
        Some(&token),
    )
    .await;
    assert_eq!(payment.body["status"], "refunded");
    assert_eq!(
        payment.body["refunds"][0]["reason"],
        "requested_by_customer"
    );
    let again = call(
        "POST",
        &format!("/orders/{order_id}/cancel"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!((again.status, again.code()), (409, "invalid_order_state"));
    assert_eq!(wait_for_mails_about(&email, REFUNDED, 1).await.len(), 1);
}
