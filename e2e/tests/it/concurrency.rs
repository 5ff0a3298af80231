//! Races over HTTP and through the queue: one winner wherever the contract
//! says one. At most 64 requests are in flight at a time: cargo lambda watch
//! stops answering altogether once about 100 queue for one function (README).

use e2e::*;
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

const IN_FLIGHT: usize = 64;

/// Runs every future, at most [`IN_FLIGHT`] at once, answers in completion order.
async fn race<F: Future>(attempts: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    futures::stream::iter(attempts)
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await
}

fn statuses(answers: &[Answer]) -> Vec<u16> {
    answers.iter().map(|a| a.status).collect()
}

/// Reads a product's stock every few milliseconds until `done`; every value seen.
fn watch_stock(
    product: String,
    done: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<Vec<i64>> {
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while !*done.borrow() {
            seen.push(stock_of(&product).await);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        seen
    })
}

#[tokio::test]
async fn two_hundred_orders_race_for_fifty_units_and_never_oversell() {
    let admin = admin_token().await;
    let product = new_product(&admin, 50, 500).await;
    // Five orders each: an account holds at most five unpaid orders.
    let buyers: Vec<String> = race((0..40).map(|_| async { customer().await.0 })).await;
    let (stop, done) = tokio::sync::watch::channel(false);
    let watcher = watch_stock(product.clone(), done);
    let answers = race((0..200).map(|i| {
        let (token, product) = (&buyers[i % buyers.len()], &product);
        async move { place_order(token, product, 1).await }
    }))
    .await;
    stop.send(true).unwrap();
    let seen = watcher.await.unwrap();

    let created = answers.iter().filter(|a| a.status == 201).count();
    let refused = answers
        .iter()
        .filter(|a| a.status == 409 && a.body["code"] == "insufficient_stock")
        .count();
    assert_eq!((created, refused), (50, 150), "{:?}", statuses(&answers));
    assert_eq!(stock_of(&product).await, 0);
    assert!(seen.iter().all(|s| (0..=50).contains(s)), "{seen:?}");
    let ids: BTreeSet<&str> = answers
        .iter()
        .filter(|a| a.status == 201)
        .map(|a| a.body["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 50, "50 distinct orders");
}

#[tokio::test]
async fn multi_line_orders_take_every_line_or_none() {
    // Each order takes 1 of A (stock 40) and 2 of B (stock 40): B runs out
    // after 20 orders, and a refused order must not keep its unit of A.
    let admin = admin_token().await;
    let (a, b) = (
        new_product(&admin, 40, 100).await,
        new_product(&admin, 40, 200).await,
    );
    let buyers: Vec<String> = race((0..12).map(|_| async { customer().await.0 })).await;
    let body =
        order_request(json!([{"product_id": a, "quantity": 1}, {"product_id": b, "quantity": 2}]));
    let answers = race((0..60).map(|i| {
        let (token, body) = (&buyers[i % buyers.len()], &body);
        async move { call("POST", "/orders", Some(token), Some(body)).await }
    }))
    .await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(created, 20, "{:?}", statuses(&answers));
    for refused in answers.iter().filter(|a| a.status != 201) {
        assert_eq!(
            (refused.status, refused.code()),
            (409, "insufficient_stock")
        );
        assert_eq!(refused.body["errors"][0]["product_id"], b.as_str());
    }
    assert_eq!((stock_of(&a).await, stock_of(&b).await), (20, 0));
}

#[tokio::test]
async fn a_hundred_concurrent_payments_pay_one_order_once() {
    let admin = admin_token().await;
    let product = new_product(&admin, 10, 1250).await;
    let (token, user) = customer().await;
    let email = user["email"].as_str().unwrap().to_owned();
    let order = place_order(&token, &product, 1).await;
    assert_eq!(order.status, 201, "{}", order.text);
    let order_id = order.body["id"].as_str().unwrap().to_owned();
    // Half share one Idempotency-Key, half bring their own.
    let shared_key = unique("same-");
    let answers = race((0..100).map(|i| {
        let key = if i % 2 == 0 {
            shared_key.clone()
        } else {
            unique("own-")
        };
        let (token, order_id) = (&token, &order_id);
        async move { pay(token, order_id, "pm_card_visa", Some(&key)).await }
    }))
    .await;
    let paid: BTreeSet<&str> = answers
        .iter()
        .filter(|a| a.status == 201)
        .map(|a| a.body["id"].as_str().unwrap())
        .collect();
    assert_eq!(paid.len(), 1, "exactly one succeeded payment");
    for answer in answers.iter().filter(|a| a.status != 201) {
        // The card-testing guard lets five attempts of one account be in
        // flight at once; a sixth is told to retry in a second.
        if answer.status == 429 {
            assert_eq!(answer.code(), "too_many_attempts");
            assert_eq!(answer.headers["retry-after"], "1", "{}", answer.text);
            continue;
        }
        assert_eq!(answer.status, 409, "{}", answer.text);
        assert!(
            ["order_not_payable", "idempotency_in_progress"].contains(&answer.code()),
            "{}",
            answer.text
        );
    }
    let now = get(&format!("/orders/{order_id}"), Some(&token)).await;
    assert_eq!(now.body["status"], "paid");
    assert_eq!(now.body["payment_id"].as_str(), paid.iter().next().copied());
    // One capture, so one confirmation: wait for it, then make sure no second follows.
    wait_for_mails_about(&email, CONFIRMED, 1).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        mails_about(&email, CONFIRMED).await.len(),
        1,
        "one mail for one payment"
    );
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}: run with `make test`"))
}

/// An SQS event of `bodies`, as Lambda's event source mapping delivers it.
fn sqs_event(bodies: &[String]) -> Value {
    json!({"Records": bodies.iter().map(|body| json!({
        "messageId": ulid::Ulid::new().to_string(),
        "receiptHandle": unique("rh-"),
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795442400000",
                       "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1795442400001"},
        "messageAttributes": {},
        "md5OfBody": "00000000000000000000000000000000",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:EventsQueue",
        "awsRegion": "us-east-1"
    })).collect::<Vec<_>>()})
}

async fn invoke_consumer(event: &Value) -> Value {
    let answer = client()
        .post(format!(
            "{}/2015-03-31/functions/send-notification/invocations",
            api()
        ))
        .json(event)
        .send()
        .await
        .expect("the local stack answers");
    assert!(answer.status().is_success(), "{}", answer.status());
    answer.json().await.expect("a batch response")
}

#[tokio::test]
async fn duplicate_deliveries_of_one_event_send_one_mail() {
    let recipient = format!("{}@example.com", unique("dup"));
    let event_id = ulid::Ulid::new().to_string();
    let event = json!({
        "type": "payment.succeeded",
        "id": event_id,
        "time": "2026-11-23T14:00:00.000Z",
        "data": {
            "payment_id": ulid::Ulid::new().to_string(),
            "order_id": ulid::Ulid::new().to_string(),
            "user_id": ulid::Ulid::new().to_string(),
            "email": recipient,
            "lines": [{"product_id": ulid::Ulid::new().to_string(), "name": "Duplicate Mug",
                       "unit_price_cents": 1250, "quantity": 2, "line_total_cents": 2500}],
            "total_cents": 2500,
            "currency": "USD"
        }
    });
    // The message is exactly what the payments service publishes.
    serde_json::from_value::<
        shared::domain::payment::Envelope<shared::domain::payment::PaymentSucceeded>,
    >(event.clone())
    .expect("a payment.succeeded event");
    let body = event.to_string();

    // Five copies through the queue (the local poller feeds them to the
    // consumer) and, at the same time, three invocations of the consumer with
    // three copies each in one batch.
    let sqs = aws_sdk_sqs::Client::new(
        &shared::aws::sdk_config().expect("the stack sets the SDK variables"),
    );
    let queue_url = env("EVENTS_QUEUE_URL");
    let sends = (0..5).map(|_| {
        let (sqs, queue_url, body) = (&sqs, &queue_url, &body);
        async move {
            sqs.send_message()
                .queue_url(queue_url)
                .message_body(body)
                .send()
                .await
                .expect("the queue takes the message");
        }
    });
    let batch = sqs_event(&[body.clone(), body.clone(), body.clone()]);
    let invocations = (0..3).map(|_| invoke_consumer(&batch));
    let (_, responses) = futures::join!(
        futures::future::join_all(sends),
        futures::future::join_all(invocations)
    );
    for response in &responses {
        // A duplicate is acknowledged, never reported for another delivery.
        assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    }

    let mails = wait_for_mails(&recipient, 1).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]["subject"]
            .as_str()
            .unwrap()
            .contains(event["data"]["order_id"].as_str().unwrap())
    );
    // Let the queued copies all arrive (2 s visibility on the test stack).
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        mails_to(&recipient).await.len(),
        1,
        "one mail for 14 copies"
    );
    let note = get(
        &format!("/notifications/{event_id}"),
        Some(&admin_token().await),
    )
    .await;
    assert_eq!(note.status, 200, "{}", note.text);
    assert_eq!(note.body["status"], "sent");
    assert_eq!(note.body["attempts"], 1, "claimed once: {}", note.text);
}

/// Exactly one registration won; every other one lost with `code`.
fn assert_one_201_and_409s(answers: &[Answer], code: &str) {
    assert_eq!(
        answers.iter().filter(|a| a.status == 201).count(),
        1,
        "{:?}",
        statuses(answers)
    );
    for answer in answers.iter().filter(|a| a.status != 201) {
        assert_eq!(
            (answer.status, answer.code()),
            (409, code),
            "{}",
            answer.text
        );
    }
}

#[tokio::test]
async fn twenty_concurrent_registrations_of_one_username_give_one_201() {
    let name = unique("race");
    let answers = race((0..20).map(|i| {
        let name = name.clone();
        async move {
            post(
                "/users/register",
                &json!({"username": name, "email": format!("{name}-{i}@example.com"), "password": PASSWORD}),
            )
            .await
        }
    }))
    .await;
    assert_one_201_and_409s(&answers, "username_taken");
}

#[tokio::test]
async fn twenty_concurrent_registrations_of_one_email_give_one_201() {
    let email = format!("{}@example.com", unique("shared"));
    let answers = race((0..20).map(|i| {
        // The same address in other letter cases is the same address.
        let email = if i % 2 == 0 {
            email.clone()
        } else {
            email.to_uppercase()
        };
        async move {
            post(
                "/users/register",
                &json!({"username": unique("m"), "email": email, "password": PASSWORD}),
            )
            .await
        }
    }))
    .await;
    assert_one_201_and_409s(&answers, "email_taken");
}

#[tokio::test]
async fn cancel_and_pay_racing_for_one_order_end_paid_or_cancelled_with_nothing_kept() {
    const ORDERS: usize = 10;
    const QUANTITY: i64 = 3;
    let admin = admin_token().await;
    let product = new_product(&admin, 100, 900).await;
    let buyers: Vec<(String, Value)> = race((0..ORDERS).map(|_| customer())).await;
    let mut orders = Vec::new();
    for (token, _) in &buyers {
        let order = place_order(token, &product, QUANTITY).await;
        assert_eq!(order.status, 201, "{}", order.text);
        orders.push(order.body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(stock_of(&product).await, 100 - QUANTITY * ORDERS as i64);

    // Both requests of each pair leave together; the cancel is held back a
    // little longer for later pairs, so both outcomes get their chance.
    let outcomes = race(buyers.iter().zip(&orders).enumerate().map(
        |(i, ((token, _), order))| async move {
            let paying = pay(token, order, "pm_card_visa", None);
            let cancelling = async {
                tokio::time::sleep(Duration::from_millis(12 * i as u64)).await;
                call(
                    "POST",
                    &format!("/orders/{order}/cancel"),
                    Some(token),
                    None,
                )
                .await
            };
            futures::join!(paying, cancelling)
        },
    ))
    .await;

    // Paid and then cancelled is a third outcome: a paid order may be
    // cancelled, and then all of its payment comes back.
    let mut cancelled = 0;
    let mut paid_by = Vec::new();
    let mut cancelled_by = Vec::new();
    let mut refunded_by = Vec::new();
    for (paying, cancelling) in &outcomes {
        let paid = paying.status == 201;
        let was_cancelled = cancelling.status == 200;
        assert!(
            paid || was_cancelled,
            "one of them wins: pay {} {}, cancel {} {}",
            paying.status,
            paying.text,
            cancelling.status,
            cancelling.text
        );
        let order_id = if paid {
            if !was_cancelled {
                assert_eq!(
                    (cancelling.status, cancelling.code()),
                    (409, "invalid_order_state")
                );
            }
            paying.body["order_id"].as_str().unwrap().to_owned()
        } else {
            assert_eq!((paying.status, paying.code()), (409, "order_not_payable"));
            cancelling.body["id"].as_str().unwrap().to_owned()
        };
        let (token, user) = &buyers[orders.iter().position(|o| *o == order_id).unwrap()];
        let email = user["email"].as_str().unwrap().to_owned();
        let order = get(&format!("/orders/{order_id}"), Some(token)).await;
        if paid {
            assert_eq!(order.body["payment_id"], paying.body["id"]);
            let payment = get(
                &format!("/payments/{}", paying.body["id"].as_str().unwrap()),
                Some(token),
            )
            .await;
            assert_eq!(payment.body["amount_cents"], order.body["total_cents"]);
            if was_cancelled {
                assert_eq!(order.body["status"], "cancelled");
                assert_eq!(payment.body["status"], "refunded");
                assert_eq!(order.body["refunded_cents"], order.body["total_cents"]);
                cancelled += 1;
                refunded_by.push(email.clone());
            } else {
                assert_eq!(order.body["status"], "paid");
                assert_eq!(payment.body["status"], "succeeded");
            }
            paid_by.push(email);
        } else {
            assert_eq!(order.body["status"], "cancelled");
            assert_eq!(
                order.body["payment_id"],
                Value::Null,
                "no payment on a cancelled order"
            );
            cancelled += 1;
            cancelled_by.push(email);
        }
    }
    println!(
        "cancel vs pay over {ORDERS} orders: {} paid, {cancelled} cancelled",
        paid_by.len()
    );
    // Stock comes back for the cancelled orders only.
    assert_eq!(
        stock_of(&product).await,
        100 - QUANTITY * (ORDERS as i64 - cancelled)
    );
    // A confirmation for every paid order, and none for a cancelled one (no
    // payment was captured, so no event exists).
    for email in &paid_by {
        assert_eq!(
            wait_for_mails_about(email, CONFIRMED, 1).await.len(),
            1,
            "{email}"
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for email in &cancelled_by {
        assert!(mails_about(email, CONFIRMED).await.is_empty(), "{email}");
    }
    // A paid order cancelled afterwards: one refund mail.
    for email in &refunded_by {
        assert_eq!(
            wait_for_mails_about(email, REFUNDED, 1).await.len(),
            1,
            "{email}"
        );
    }
}

#[tokio::test]
async fn twenty_concurrent_cancels_of_one_order_give_the_stock_back_once() {
    let admin = admin_token().await;
    let product = new_product(&admin, 10, 300).await;
    let (token, _) = customer().await;
    let order = place_order(&token, &product, 4).await;
    assert_eq!(order.status, 201, "{}", order.text);
    let path = format!("/orders/{}/cancel", order.body["id"].as_str().unwrap());
    let answers = race((0..20).map(|_| call("POST", &path, Some(&token), None))).await;
    assert_eq!(
        answers.iter().filter(|a| a.status == 200).count(),
        1,
        "{:?}",
        statuses(&answers)
    );
    for answer in answers.iter().filter(|a| a.status != 200) {
        assert_eq!(
            (answer.status, answer.code()),
            (409, "invalid_order_state"),
            "{}",
            answer.text
        );
    }
    assert_eq!(stock_of(&product).await, 10, "stock given back once");
}

/// Thirty ships and thirty deliveries of one paid order at once: one ship
/// wins (every other is told the status it met), the deliveries that come
/// after it have one winner too, and the buyer gets one shipping mail.
#[tokio::test]
async fn racing_ships_and_deliveries_of_one_order_have_one_winner_each() {
    let admin = admin_token().await;
    let PaidOrder {
        token,
        email,
        order_id: id,
        ..
    } = paid_order(&admin).await;
    let body = json!({"carrier": "UPS", "tracking_number": "1Z999AA10123456784"});
    let (admin, id) = (&admin, &id);
    let answers = race((0..60).map(|i| {
        let body = body.clone();
        async move {
            let (path, body) = if i % 2 == 0 {
                (format!("/orders/{id}/ship"), Some(body))
            } else {
                (format!("/orders/{id}/deliver"), None)
            };
            (
                i % 2 == 0,
                call("POST", &path, Some(admin), body.as_ref()).await,
            )
        }
    }))
    .await;
    let won = |ship: bool| {
        answers
            .iter()
            .filter(|(s, a)| *s == ship && a.status == 200)
            .count()
    };
    assert_eq!(won(true), 1, "one ship");
    assert!(won(false) <= 1, "at most one delivery");
    for (_, answer) in answers.iter().filter(|(_, a)| a.status != 200) {
        assert_eq!(
            (answer.status, answer.code()),
            (409, "invalid_order_state"),
            "{}",
            answer.text
        );
        assert!(
            answer.body["detail"]
                .as_str()
                .unwrap()
                .starts_with("The order is "),
            "{}",
            answer.text
        );
    }
    let now = get(&format!("/orders/{id}"), Some(&token)).await;
    let status = if won(false) == 1 {
        "delivered"
    } else {
        "shipped"
    };
    assert_eq!(now.body["status"], status);
    assert_eq!(
        wait_for_mails_about(&email, "has shipped", 1).await.len(),
        1
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(mails_about(&email, "has shipped").await.len(), 1);
}

/// A paid order of 20.00, for the refund races.
async fn paid_for_twenty(admin: &str) -> (String, String, String) {
    let product = new_product(admin, 10, 2000).await;
    let (token, _) = customer().await;
    let placed = place_order(&token, &product, 1).await;
    assert_eq!(placed.status, 201, "{}", placed.text);
    let order = placed.body["id"].as_str().unwrap().to_owned();
    let paid = pay(&token, &order, "pm_card_visa", None).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    (token, order, paid.body["id"].as_str().unwrap().to_owned())
}

/// Fifty refunds of 1.00 at once against a payment of 20.00: exactly
/// twenty succeed, every other is `409 refund_exceeds_payment`, and the
/// payment and the order show 2000 refunded.
#[tokio::test]
async fn racing_refunds_never_add_up_to_more_than_the_payment() {
    let admin = admin_token().await;
    let (token, order_id, payment) = paid_for_twenty(&admin).await;
    let body = json!({"amount_cents": 100, "reason": "other"});
    let (admin, payment_ref, body) = (&admin, &payment, &body);
    let answers =
        race((0..50).map(|_| async move { refund(admin, payment_ref, body, None).await })).await;
    let succeeded = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(succeeded, 20);
    for answer in answers.iter().filter(|a| a.status != 201) {
        assert_eq!(
            (answer.status, answer.code()),
            (409, "refund_exceeds_payment"),
            "{}",
            answer.text
        );
    }
    let now = get(&format!("/payments/{payment}"), Some(&token)).await;
    assert_eq!(now.body["refunded_cents"], 2000);
    assert_eq!(now.body["status"], "refunded");
    let order = get(&format!("/orders/{order_id}"), Some(&token)).await;
    assert_eq!(order.body["refunded_cents"], 2000);
}

/// Partial refunds racing the buyer's cancel (which refunds what is left):
/// together they never refund more than the payment, and a cancel that
/// wins refunds exactly the rest.
#[tokio::test]
async fn refunds_racing_a_cancel_never_refund_more_than_the_payment() {
    let admin = admin_token().await;
    for _ in 0..3 {
        let (token, order_id, payment) = paid_for_twenty(&admin).await;
        let body = json!({"amount_cents": 300, "reason": "damaged"});
        let cancel_path = format!("/orders/{order_id}/cancel");
        let (admin, payment_ref, body, token_ref) = (&admin, &payment, &body, &token);
        let refunds =
            race((0..8).map(|_| async move { refund(admin, payment_ref, body, None).await }));
        let (refunds, cancelled) =
            tokio::join!(refunds, call("POST", &cancel_path, Some(token_ref), None));
        let refunded: i64 = refunds.iter().filter(|a| a.status == 201).count() as i64 * 300;
        let now = get(&format!("/payments/{payment}"), Some(&token)).await;
        let total = now.body["refunded_cents"].as_i64().unwrap();
        assert!(total <= 2000, "refunded {total} of 2000");
        if cancelled.status == 200 {
            assert_eq!(total, 2000, "a cancel refunds the rest: {}", now.text);
            assert_eq!(cancelled.body["status"], "cancelled");
        } else {
            assert_eq!(
                (cancelled.status, cancelled.code()),
                (409, "invalid_order_state"),
                "{}",
                cancelled.text
            );
            assert_eq!(total, refunded);
        }
    }
}

/// The buyer's cancel and the admin's ship of one paid order at once: one
/// wins. Shipped, nothing was refunded; cancelled, all of it was.
#[tokio::test]
async fn a_paid_order_is_shipped_or_cancelled_and_refunded_never_both() {
    let admin = admin_token().await;
    for _ in 0..3 {
        let PaidOrder {
            token, order_id, ..
        } = paid_order(&admin).await;
        let ship = json!({"carrier": "UPS", "tracking_number": "1Z999AA10123456784"});
        let (ship_path, cancel_path) = (
            format!("/orders/{order_id}/ship"),
            format!("/orders/{order_id}/cancel"),
        );
        let (shipped, cancelled) = tokio::join!(
            call("POST", &ship_path, Some(&admin), Some(&ship)),
            call("POST", &cancel_path, Some(&token), None),
        );
        let order = get(&format!("/orders/{order_id}"), Some(&token)).await;
        let payment = get(
            &format!("/payments/{}", order.body["payment_id"].as_str().unwrap()),
            Some(&token),
        )
        .await;
        match (shipped.status, cancelled.status) {
            (200, 409) => {
                assert_eq!(cancelled.code(), "invalid_order_state");
                assert!(
                    cancelled.body["detail"]
                        .as_str()
                        .is_some_and(|d| d.starts_with("The order")),
                    "{}",
                    cancelled.text
                );
                assert_eq!(order.body["status"], "shipped");
                assert_eq!(payment.body["refunded_cents"], 0);
            }
            (409, 200) => {
                assert_eq!(shipped.code(), "invalid_order_state");
                assert!(
                    shipped.body["detail"]
                        .as_str()
                        .is_some_and(|d| d.starts_with("The order")),
                    "{}",
                    shipped.text
                );
                assert_eq!(order.body["status"], "cancelled");
                assert_eq!(payment.body["refunded_cents"], 900);
            }
            other => panic!(
                "one winner, not {other:?}: {} / {}",
                shipped.text, cancelled.text
            ),
        }
    }
}
