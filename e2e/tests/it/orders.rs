//! Orders over HTTP: the flow, the rules, never overselling, idempotency.

use e2e::*;
use serde_json::{Value, json};

async fn product(admin: &str, stock: i64, price: i64) -> String {
    let body = json!({"name": "Orderable", "price_cents": price, "currency": "USD", "stock": stock, "category": unique("ord-")});
    let answer = send(
        client()
            .post(format!("{}/products", api()))
            .bearer_auth(admin)
            .json(&body),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_str().unwrap().to_owned()
}

async fn stock(id: &str) -> i64 {
    get(&format!("/products/{id}"), None).await.body["stock"]
        .as_i64()
        .unwrap()
}

async fn customer() -> String {
    let (name, _) = register().await;
    login(&name).await
}

async fn order(token: &str, body: &Value, key: Option<&str>) -> Answer {
    let mut request = client()
        .post(format!("{}/orders", api()))
        .bearer_auth(token)
        .json(body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    send(request).await
}

fn lines(items: &[(&str, i64)]) -> Value {
    order_request(json!(
        items
            .iter()
            .map(|(id, q)| json!({"product_id": id, "quantity": q}))
            .collect::<Vec<_>>()
    ))
}

async fn cancel(token: &str, id: &str) -> Answer {
    send(
        client()
            .post(format!("{}/orders/{id}/cancel", api()))
            .bearer_auth(token),
    )
    .await
}

#[tokio::test]
async fn order_list_get_cancel() {
    let admin = admin_token().await;
    let (a, b) = (
        product(&admin, 5, 1250).await,
        product(&admin, 2, 999).await,
    );
    let me = customer().await;
    let created = order(&me, &lines(&[(&a, 2), (&b, 1)]), None).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let o = &created.body;
    assert_eq!(o["status"], "pending_payment");
    assert_eq!(o["total_cents"], 2 * 1250 + 999);
    assert_eq!(o["items"][0]["unit_price_cents"], 1250);
    assert_eq!(o["items"][0]["line_total_cents"], 2500);
    assert_eq!(o["payment_id"], Value::Null);
    let id = o["id"].as_str().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("/orders/{id}").as_str())
    );
    assert_eq!((stock(&a).await, stock(&b).await), (3, 1));

    assert_eq!(get(&format!("/orders/{id}"), Some(&me)).await.body, *o);
    assert_eq!(
        get(&format!("/orders/{id}"), Some(&admin)).await.status,
        200,
        "admins read any order"
    );
    let listed = get("/orders", Some(&me)).await;
    assert_eq!(listed.body["items"][0]["id"], o["id"]);

    let cancelled = cancel(&me, id).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!((stock(&a).await, stock(&b).await), (5, 2));
    let twice = cancel(&me, id).await;
    assert_eq!((twice.status, twice.code()), (409, "invalid_order_state"));
    assert_eq!((stock(&a).await, stock(&b).await), (5, 2));

    let anonymous = send(
        client()
            .post(format!("{}/orders", api()))
            .json(&lines(&[(&a, 1)])),
    )
    .await;
    assert_eq!((anonymous.status, anonymous.code()), (401, "unauthorized"));
    let missing = get("/orders/not-an-id", Some(&me)).await;
    assert_eq!((missing.status, missing.code()), (404, "order_not_found"));
}

#[tokio::test]
async fn order_rules() {
    let admin = admin_token().await;
    let p = product(&admin, 3, 100).await;
    let me = customer().await;

    let unknown = order(
        &me,
        &lines(&[(&p, 1), ("01KDVDNA0000000000000NOPE0", 1), ("junk", 1)]),
        None,
    )
    .await;
    assert_eq!((unknown.status, unknown.code()), (422, "unknown_product"));
    assert_eq!(unknown.body["errors"].as_array().unwrap().len(), 2);
    assert_eq!(
        unknown.body["errors"][0]["product_id"],
        "01KDVDNA0000000000000NOPE0"
    );

    for (body, field) in [
        (order_request(json!([])), "items"),
        (order_request(json!("x")), "items"),
        (shipping(), "items"),
        (lines(&[(&p, 0)]), "items[0].quantity"),
        (lines(&[(&p, 101)]), "items[0].quantity"),
        (
            order_request(json!([{"product_id": p, "quantity": 1.5}])),
            "items[0].quantity",
        ),
        (
            order_request(json!([{"product_id": p, "quantity": 1, "price_cents": 1}])),
            "items[0].price_cents",
        ),
        (
            {
                let mut body = order_request(json!([{"product_id": p, "quantity": 1}]));
                body["total_cents"] = json!(1);
                body
            },
            "total_cents",
        ),
        (lines(&[(&p, 1), (&p, 1)]), "items[1].product_id"),
    ] {
        let answer = order(&me, &body, None).await;
        assert_eq!(
            (answer.status, answer.code()),
            (422, "validation_failed"),
            "{body}"
        );
        assert_eq!(answer.body["errors"][0]["field"], field, "{body}");
    }
    let many: Vec<String> = futures::future::join_all((0..26).map(|_| product(&admin, 1, 1))).await;
    let too_many = order(
        &me,
        &lines(&many.iter().map(|id| (id.as_str(), 1)).collect::<Vec<_>>()),
        None,
    )
    .await;
    assert_eq!(
        (too_many.status, too_many.code()),
        (422, "validation_failed")
    );
    let twenty_five = order(
        &me,
        &lines(
            &many[..25]
                .iter()
                .map(|id| (id.as_str(), 1))
                .collect::<Vec<_>>(),
        ),
        None,
    )
    .await;
    assert_eq!(twenty_five.status, 201, "{}", twenty_five.text);

    let short = order(&me, &lines(&[(&p, 4)]), None).await;
    assert_eq!((short.status, short.code()), (409, "insufficient_stock"));
    assert_eq!(short.body["errors"][0]["product_id"], p);
    assert_eq!(stock(&p).await, 3);
}

#[tokio::test]
async fn concurrent_retries_with_one_idempotency_key_make_one_order() {
    let admin = admin_token().await;
    let p = product(&admin, 20, 700).await;
    let me = customer().await;
    let key = unique("key-");
    let body = lines(&[(&p, 3)]);
    let answers = futures::future::join_all((0..10).map(|_| order(&me, &body, Some(&key)))).await;
    let ids: std::collections::BTreeSet<_> = answers
        .iter()
        .filter(|a| a.status == 201)
        .map(|a| a.body["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "one order for one key");
    for answer in answers.iter().filter(|a| a.status != 201) {
        assert_eq!(
            (answer.status, answer.code()),
            (409, "idempotency_in_progress"),
            "{}",
            answer.text
        );
    }
    assert_eq!(stock(&p).await, 17, "stock taken once");

    let replay = order(&me, &body, Some(&key)).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        replay.body["id"].as_str(),
        ids.iter().next().map(String::as_str)
    );
    let mismatch = order(&me, &lines(&[(&p, 4)]), Some(&key)).await;
    assert_eq!(
        (mismatch.status, mismatch.code()),
        (422, "idempotency_key_mismatch")
    );
    // Keys are scoped to the caller.
    let other = order(&customer().await, &body, Some(&key)).await;
    assert_eq!(other.status, 201);
    assert!(other.header("idempotent-replayed").is_none());

    // Refusals are replayed too.
    let short_key = unique("short-");
    let first = order(&me, &lines(&[(&p, 99)]), Some(&short_key)).await;
    assert_eq!((first.status, first.code()), (409, "insufficient_stock"));
    let again = order(&me, &lines(&[(&p, 99)]), Some(&short_key)).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.text, first.text);

    let bad_key = order(&me, &body, Some("has space")).await;
    assert_eq!((bad_key.status, bad_key.code()), (422, "validation_failed"));
}

#[tokio::test]
async fn the_expiry_sweeper_runs_as_a_function() {
    let answer = client()
        .post(format!(
            "{}/2015-03-31/functions/expire-orders/invocations",
            api()
        ))
        .header("content-type", "application/json")
        .body(
            std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../events/expire-orders.json"
            ))
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    let sweep: Value = answer.json().await.unwrap();
    for field in ["expired", "skipped", "failed"] {
        assert!(sweep[field].is_u64(), "{sweep}");
    }
    assert_eq!(sweep["failed"], 0);
}

/// Five unpaid orders are an account's most; paying one makes room, and the
/// refusal takes no stock.
#[tokio::test]
async fn a_sixth_unpaid_order_is_refused_until_one_is_paid() {
    let admin = admin_token().await;
    let id = product(&admin, 20, 300).await;
    let me = customer().await;
    let mut placed = Vec::new();
    for _ in 0..5 {
        let answer = place_order(&me, &id, 1).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        placed.push(answer.body["id"].as_str().unwrap().to_owned());
    }
    let sixth = place_order(&me, &id, 1).await;
    assert_eq!(
        (sixth.status, sixth.code()),
        (409, "too_many_open_orders"),
        "{}",
        sixth.text
    );
    assert_eq!(stock(&id).await, 15);
    // A decline leaves the order open; a payment closes it.
    assert_eq!(
        pay(&me, &placed[0], "pm_card_chargeDeclined", None)
            .await
            .status,
        402
    );
    assert_eq!(place_order(&me, &id, 1).await.status, 409);
    assert_eq!(pay(&me, &placed[0], "pm_card_visa", None).await.status, 201);
    let again = place_order(&me, &id, 1).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(stock(&id).await, 14);
}

/// Ids of the first page of `GET /admin/orders` with `query`.
async fn queue(admin: &str, query: &str) -> Vec<String> {
    let page = get(&format!("/admin/orders?limit=100{query}"), Some(admin)).await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn the_admin_queue_lists_each_order_under_its_current_status_newest_first() {
    let admin = admin_token().await;
    let product = new_product(&admin, 10, 800).await;
    let token = customer().await;
    let first = place_order(&token, &product, 1).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = place_order(&token, &product, 1).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pending = queue(&admin, "&status=pending_payment").await;
    let at = |list: &[String], id: &str| list.iter().position(|x| x == id);
    assert!(
        at(&pending, &second) < at(&pending, &first) && at(&pending, &first).is_some(),
        "newest first"
    );

    assert_eq!(
        pay(&token, &first, "pm_card_visa", Some(&unique("q-")))
            .await
            .status,
        201
    );
    let cancelled = call(
        "POST",
        &format!("/orders/{second}/cancel"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(cancelled.status, 200);
    let paid = queue(&admin, "&status=paid").await;
    assert!(paid.contains(&first) && !paid.contains(&second));
    assert!(queue(&admin, "&status=cancelled").await.contains(&second));
    let pending = queue(&admin, "&status=pending_payment").await;
    assert!(!pending.contains(&first) && !pending.contains(&second));
    let all = queue(&admin, "").await;
    assert!(at(&all, &second) < at(&all, &first) && at(&all, &first).is_some());

    // Pages: a cursor goes on where the page ended, for its own filter only.
    let third = place_order(&token, &product, 1).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        call(
            "POST",
            &format!("/orders/{third}/cancel"),
            Some(&token),
            None
        )
        .await
        .status,
        200
    );
    let one = get("/admin/orders?limit=1&status=cancelled", Some(&admin)).await;
    let cursor = urlencode(
        one.body["next_cursor"]
            .as_str()
            .expect("two cancelled orders at least"),
    );
    let next = get(
        &format!("/admin/orders?limit=1&status=cancelled&cursor={cursor}"),
        Some(&admin),
    )
    .await;
    assert_eq!(next.status, 200);
    assert_ne!(next.body["items"][0]["id"], one.body["items"][0]["id"]);
    assert!(next.body["items"][0]["id"].as_str() < one.body["items"][0]["id"].as_str());
    let other = get(
        &format!("/admin/orders?limit=1&status=paid&cursor={cursor}"),
        Some(&admin),
    )
    .await;
    assert_eq!((other.status, other.code()), (400, "invalid_cursor"));

    let bad = get("/admin/orders?status=lost", Some(&admin)).await;
    assert_eq!((bad.status, bad.code()), (422, "validation_failed"));
    assert_eq!(bad.body["errors"][0]["field"], "status");
    assert_eq!(get("/admin/orders", Some(&token)).await.status, 403);
    assert_eq!(get("/admin/orders", None).await.status, 401);
}

const SHIPMENT: &str = r#"{"carrier": "DHL", "tracking_number": "JD0146 0000 6281", "tracking_url": "https://www.dhl.com/track?id=JD0146"}"#;

#[tokio::test]
async fn an_admin_ships_and_delivers_a_paid_order_and_the_buyer_is_mailed_once() {
    let admin = admin_token().await;
    let PaidOrder {
        token,
        email,
        order_id: id,
        ..
    } = paid_order(&admin).await;
    let shipment: Value = serde_json::from_str(SHIPMENT).unwrap();
    let shipped = call(
        "POST",
        &format!("/orders/{id}/ship"),
        Some(&admin),
        Some(&shipment),
    )
    .await;
    assert_eq!(shipped.status, 200, "{}", shipped.text);
    assert_eq!(shipped.body["status"], "shipped");
    assert_eq!(
        shipped.body["fulfilment"]["tracking_number"],
        "JD0146 0000 6281"
    );
    assert!(shipped.body["fulfilment"]["delivered_at"].is_null());
    let seen = get(&format!("/orders/{id}"), Some(&token)).await;
    assert_eq!(seen.body["fulfilment"], shipped.body["fulfilment"]);

    let mails = wait_for_mails_about(&email, "has shipped", 1).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]["body"]
            .as_str()
            .unwrap_or_default()
            .contains("JD0146 0000 6281"),
        "{}",
        mails[0]
    );

    let again = call(
        "POST",
        &format!("/orders/{id}/ship"),
        Some(&admin),
        Some(&shipment),
    )
    .await;
    assert_eq!((again.status, again.code()), (409, "invalid_order_state"));
    assert!(
        again.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("The order is shipped."),
        "{}",
        again.text
    );

    let delivered = call("POST", &format!("/orders/{id}/deliver"), Some(&admin), None).await;
    assert_eq!(delivered.status, 200, "{}", delivered.text);
    assert_eq!(delivered.body["status"], "delivered");
    assert!(delivered.body["fulfilment"]["delivered_at"].is_string());
    assert_eq!(delivered.body["fulfilment"]["carrier"], "DHL");
    let twice = call("POST", &format!("/orders/{id}/deliver"), Some(&admin), None).await;
    assert_eq!((twice.status, twice.code()), (409, "invalid_order_state"));
    let cancel = call("POST", &format!("/orders/{id}/cancel"), Some(&token), None).await;
    assert_eq!(cancel.status, 409);
    assert!(queue(&admin, "&status=delivered").await.contains(&id));
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        mails_about(&email, "has shipped").await.len(),
        1,
        "one mail"
    );
}

#[tokio::test]
async fn shipping_needs_a_paid_order_an_admin_and_a_good_body() {
    let admin = admin_token().await;
    let shipment: Value = serde_json::from_str(SHIPMENT).unwrap();
    let product = new_product(&admin, 10, 900).await;
    let token = customer().await;
    let pending = place_order(&token, &product, 1).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let early = call(
        "POST",
        &format!("/orders/{pending}/ship"),
        Some(&admin),
        Some(&shipment),
    )
    .await;
    assert_eq!((early.status, early.code()), (409, "invalid_order_state"));
    assert_eq!(
        early.body["detail"],
        "The order is pending payment. Only a paid order can be shipped."
    );
    let deliver = call(
        "POST",
        &format!("/orders/{pending}/deliver"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(deliver.status, 409);
    assert_eq!(
        call(
            "POST",
            &format!("/orders/{pending}/ship"),
            Some(&token),
            Some(&shipment)
        )
        .await
        .status,
        403
    );
    let unknown = call(
        "POST",
        "/orders/01KDVDNA000000000000000000/ship",
        Some(&admin),
        Some(&shipment),
    )
    .await;
    assert_eq!((unknown.status, unknown.code()), (404, "order_not_found"));
    let paid = paid_order(&admin).await.order_id;
    let bad = call(
        "POST",
        &format!("/orders/{paid}/ship"),
        Some(&admin),
        Some(&json!({"carrier": " ", "tracking_number": "x\u{7}", "tracking_url": "javascript:alert(1)", "extra": 1})),
    )
    .await;
    assert_eq!(
        (bad.status, bad.code()),
        (422, "validation_failed"),
        "{}",
        bad.text
    );
    let mut fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["carrier", "extra", "tracking_number", "tracking_url"]
    );
    // Nothing changed: the order still ships.
    let order = get(&format!("/orders/{paid}"), Some(&admin)).await;
    assert_eq!(order.body["status"], "paid");
    assert!(order.body["fulfilment"].is_null());
}

/// `PUT /shipping-options/{id}` as `token`, with an `If-Match` when given.
async fn put_option(token: &str, id: &str, body: &Value, if_match: Option<&str>) -> Answer {
    let mut request = client()
        .put(format!("{}/shipping-options/{id}", api()))
        .bearer_auth(token)
        .json(body);
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    send(request).await
}

fn option_ids(answer: &Answer) -> Vec<String> {
    answer.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

/// An admin creates, replaces, hides and deletes a shipping option; the
/// public list shows the active ones for a country, and every wrong
/// request is its own problem.
#[tokio::test]
async fn an_admin_keeps_the_shipping_options_and_shoppers_read_the_active_ones() {
    let admin = admin_token().await;
    let (token, _) = e2e::customer().await;
    let id = unique("courier-");
    let body = json!({"name": "Courier", "countries": ["US", "CA"], "amount_cents": 900, "free_over_cents": 10000});

    let anonymous = send(
        client()
            .put(format!("{}/shipping-options/{id}", api()))
            .json(&body),
    )
    .await;
    assert_eq!((anonymous.status, anonymous.code()), (401, "unauthorized"));
    let buyer = put_option(&token, &id, &body, None).await;
    assert_eq!((buyer.status, buyer.code()), (403, "forbidden"));
    let bad = put_option(
        &admin,
        &id,
        &json!({"id": "other", "name": " ", "countries": ["us", "CA", "CA"], "amount_cents": -1, "free_over_cents": 0, "active": "yes", "extra": 1}),
        None,
    )
    .await;
    assert_eq!(
        (bad.status, bad.code()),
        (422, "validation_failed"),
        "{}",
        bad.text
    );
    let fields: std::collections::BTreeSet<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "active",
            "amount_cents",
            "countries",
            "countries[0]",
            "extra",
            "free_over_cents",
            "id",
            "name"
        ]
        .into_iter()
        .collect()
    );
    let bad_id = put_option(&admin, "Not An Id", &body, None).await;
    assert_eq!(
        (bad_id.status, bad_id.code()),
        (404, "shipping_option_not_found")
    );

    let created = put_option(&admin, &id, &body, None).await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["active"], true);
    assert_eq!(created.body["id"], id.as_str());
    let canada = get("/shipping-options?country=CA", None).await;
    assert!(option_ids(&canada).contains(&id), "{}", canada.text);
    let japan = get("/shipping-options?country=JP", None).await;
    assert!(!option_ids(&japan).contains(&id));
    let all = get("/shipping-options", None).await;
    for demo in ["standard", "express"] {
        assert!(option_ids(&all).iter().any(|o| o == demo), "{}", all.text);
    }
    let wrong = get("/shipping-options?country=usa", None).await;
    assert_eq!((wrong.status, wrong.code()), (422, "validation_failed"));

    let hidden =
        json!({"name": "Courier", "countries": ["US"], "amount_cents": 1200, "active": false});
    let stale = put_option(&admin, &id, &hidden, Some("\"7\"")).await;
    assert_eq!((stale.status, stale.code()), (412, "precondition_failed"));
    let replaced = put_option(&admin, &id, &hidden, Some("\"1\"")).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.header("etag"), Some("\"2\""));
    assert_eq!(replaced.body["free_over_cents"], Value::Null);
    assert!(
        !option_ids(&get("/shipping-options", None).await).contains(&id),
        "inactive: not offered"
    );
    assert!(
        option_ids(&get("/shipping-options", Some(&admin)).await).contains(&id),
        "an admin sees it"
    );

    let path = format!("/shipping-options/{id}");
    let deleted = call("DELETE", &path, Some(&admin), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let again = call("DELETE", &path, Some(&admin), None).await;
    assert_eq!(
        (again.status, again.code()),
        (404, "shipping_option_not_found")
    );
    assert!(!option_ids(&get("/shipping-options", Some(&admin)).await).contains(&id));
}

/// `PUT /cart/items/{id}` as `token`.
async fn put_line(token: &str, product: &str, quantity: i64, if_match: Option<&str>) -> Answer {
    let mut request = client()
        .put(format!("{}/cart/items/{product}", api()))
        .bearer_auth(token)
        .json(&json!({ "quantity": quantity }));
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    send(request).await
}

/// The server cart: priced from the catalogue when read, an archived line
/// unavailable and out of the subtotal, `If-Match` honoured, 25 lines at
/// most, bad input refused, and one shopper's cart not another's.
#[tokio::test]
async fn a_cart_is_priced_when_read_and_keeps_its_rules() {
    let admin = admin_token().await;
    let (token, _) = e2e::customer().await;
    let (stranger, _) = e2e::customer().await;
    let cup = new_product(&admin, 10, 500).await;
    let jug = new_product(&admin, 10, 1200).await;

    let empty = get("/cart", Some(&token)).await;
    assert_eq!(empty.status, 200, "{}", empty.text);
    assert_eq!(empty.body["items"], json!([]));
    assert_eq!(
        (
            empty.body["version"].clone(),
            empty.body["updated_at"].clone()
        ),
        (json!(0), Value::Null)
    );
    assert_eq!(empty.header("etag"), Some("\"0\""));
    assert_eq!(get("/cart", None).await.status, 401);

    for (product, quantity, code) in [
        ("01KDVDNA000000000001FET998", 1, "unknown_product"),
        ("not-an-id", 1, "unknown_product"),
        (cup.as_str(), 0, "validation_failed"),
        (cup.as_str(), 101, "validation_failed"),
    ] {
        let refused = put_line(&token, product, quantity, None).await;
        assert_eq!(
            (refused.status, refused.code()),
            (422, code),
            "{}",
            refused.text
        );
    }

    let one = put_line(&token, &cup, 2, None).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.header("etag"), Some("\"1\""));
    assert_eq!(one.body["subtotal_cents"], 1000);
    let stale = put_line(&token, &jug, 1, Some("\"0\"")).await;
    assert_eq!((stale.status, stale.code()), (412, "precondition_failed"));
    let two = put_line(&token, &jug, 1, Some("\"1\"")).await;
    assert_eq!(two.status, 200, "{}", two.text);
    assert_eq!(two.body["subtotal_cents"], 2200);
    assert_eq!(
        get("/cart", Some(&stranger)).await.body["items"],
        json!([]),
        "one cart per shopper"
    );

    // Archived: still listed, unavailable, out of the subtotal.
    let archived = call("DELETE", &format!("/products/{jug}"), Some(&admin), None).await;
    assert_eq!(archived.status, 204, "{}", archived.text);
    let priced = get("/cart", Some(&token)).await;
    assert_eq!(
        priced.body["items"][1]["available"], false,
        "{}",
        priced.text
    );
    assert_eq!(priced.body["items"][1]["name"], "Product");
    assert_eq!(priced.body["subtotal_cents"], 1000);
    let short = put_line(&token, &cup, 11, None).await;
    assert_eq!(
        short.body["items"][0]["available"], false,
        "short of stock: {}",
        short.text
    );

    let removed = call("DELETE", &format!("/cart/items/{jug}"), Some(&token), None).await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    assert_eq!(removed.body["items"].as_array().unwrap().len(), 1);
    let cleared = call("DELETE", "/cart", Some(&token), None).await;
    assert_eq!(cleared.status, 204, "{}", cleared.text);
    assert_eq!(get("/cart", Some(&token)).await.body["items"], json!([]));
}

/// Ten lines set at once, each a product of its own, are all kept (no
/// change is lost to a race), and a 26th line is `409 cart_full`.
#[tokio::test]
async fn concurrent_cart_changes_are_all_kept_up_to_25_lines() {
    let admin = admin_token().await;
    let (token, _) = e2e::customer().await;
    let mut products = Vec::new();
    for _ in 0..26 {
        products.push(new_product(&admin, 5, 100).await);
    }
    let token_ref = &token;
    let answers = futures::future::join_all(
        products[..10]
            .iter()
            .map(|p| async move { put_line(token_ref, p, 1, None).await }),
    )
    .await;
    for answer in &answers {
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    assert_eq!(
        get("/cart", Some(&token)).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        10,
        "none lost"
    );
    for product in &products[10..25] {
        assert_eq!(put_line(&token, product, 1, None).await.status, 200);
    }
    let cart = get("/cart", Some(&token)).await;
    assert_eq!(
        cart.body["items"].as_array().unwrap().len(),
        25,
        "{}",
        cart.text
    );
    assert_eq!(cart.body["version"], 25);
    let full = put_line(&token, &products[25], 1, None).await;
    assert_eq!((full.status, full.code()), (409, "cart_full"));
}

/// Every order ships: the address (new or saved) and the option are
/// copied onto it, postage is added until the lines reach the option's
/// threshold, and the payment charges the total.
#[tokio::test]
async fn an_order_ships_by_an_option_to_a_new_or_saved_address() {
    let admin = admin_token().await;
    let (token, _) = e2e::customer().await;
    let cheap = new_product(&admin, 10, 1000).await;
    let dear = new_product(&admin, 10, 6000).await;
    let to_london = |product: &str, option: &str| {
        let mut body = order_request(json!([{"product_id": product, "quantity": 1}]));
        body["shipping_option_id"] = json!(option);
        body
    };

    let paying = order(&token, &to_london(&cheap, "standard"), None).await;
    assert_eq!(paying.status, 201, "{}", paying.text);
    assert_eq!(
        (
            paying.body["subtotal_cents"].clone(),
            paying.body["shipping_cents"].clone(),
            paying.body["total_cents"].clone()
        ),
        (json!(1000), json!(499), json!(1499))
    );
    assert_eq!(paying.body["shipping_option"]["id"], "standard");
    assert_eq!(paying.body["shipping_address"]["city"], "London");
    assert_eq!(paying.body["shipping_address"]["line2"], "");
    let paid = pay(
        &token,
        paying.body["id"].as_str().unwrap(),
        "pm_card_visa",
        None,
    )
    .await;
    assert_eq!(
        paid.body["amount_cents"], 1499,
        "the payment charges the total"
    );
    let free = order(&token, &to_london(&dear, "standard"), None).await;
    assert_eq!(
        (
            free.body["shipping_cents"].clone(),
            free.body["total_cents"].clone()
        ),
        (json!(0), json!(6000))
    );

    let unknown = order(&token, &to_london(&cheap, "no-such-option"), None).await;
    assert_eq!((unknown.status, unknown.code()), (422, "validation_failed"));
    assert_eq!(unknown.body["errors"][0]["field"], "shipping_option_id");
    let mut far = order_request(json!([{"product_id": cheap, "quantity": 1}]));
    far["shipping_address"]["country"] = json!("JP");
    let unserved = order(&token, &far, None).await;
    assert_eq!(
        (unserved.status, unserved.code()),
        (422, "shipping_unavailable"),
        "{}",
        unserved.text
    );

    let saved = call(
        "POST",
        "/users/me/addresses",
        Some(&token),
        Some(&json!({"name": "Grace Hopper", "line1": "1 Navy Yard", "city": "Arlington", "postal_code": "22202", "country": "US"})),
    )
    .await;
    assert_eq!(saved.status, 201, "{}", saved.text);
    let address_id = saved.body["id"].as_str().unwrap();
    let by_saved = json!({"items": [{"product_id": cheap, "quantity": 1}], "address_id": address_id, "shipping_option_id": TEST_SHIPPING});
    let shipped = order(&token, &by_saved, None).await;
    assert_eq!(shipped.status, 201, "{}", shipped.text);
    assert_eq!(shipped.body["shipping_address"]["name"], "Grace Hopper");
    let (stranger, _) = e2e::customer().await;
    let not_theirs = order(&stranger, &by_saved, None).await;
    assert_eq!(
        (not_theirs.status, not_theirs.code()),
        (422, "validation_failed")
    );
    assert_eq!(not_theirs.body["errors"][0]["field"], "address_id");
    assert!(stock_of(&cheap).await == 8, "refused orders take no stock");
}

/// `POST /cart/checkout` as `token`.
async fn checkout(token: &str, version: u64, key: Option<&str>) -> Answer {
    let mut body = shipping();
    body["cart_version"] = json!(version);
    let mut request = client()
        .post(format!("{}/cart/checkout", api()))
        .bearer_auth(token)
        .json(&body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    send(request).await
}

/// A checkout orders the cart at the version named and empties it in the
/// same transaction: a hundred racing checkouts of one version make one order
/// and take the stock once; a stale version is `409 cart_changed`, an
/// empty cart `422 cart_empty`.
#[tokio::test]
async fn one_cart_version_makes_at_most_one_order() {
    let admin = admin_token().await;
    let (token, _) = e2e::customer().await;
    let mug = new_product(&admin, 10, 800).await;
    let empty = checkout(&token, 0, None).await;
    assert_eq!(
        (empty.status, empty.code()),
        (422, "cart_empty"),
        "{}",
        empty.text
    );
    let cart = put_line(&token, &mug, 3, None).await;
    let version = cart.body["version"].as_u64().unwrap();
    let stale = checkout(&token, version - 1, None).await;
    assert_eq!((stale.status, stale.code()), (409, "cart_changed"));

    let token_ref = &token;
    let answers = futures::future::join_all(
        (0..100).map(|_| async move { checkout(token_ref, version, None).await }),
    )
    .await;
    let made: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert_eq!(made.len(), 1, "one order for one cart version");
    for answer in answers.iter().filter(|a| a.status != 201) {
        assert_eq!(
            (answer.status, answer.code()),
            (409, "cart_changed"),
            "{}",
            answer.text
        );
    }
    let order = &made[0].body;
    assert_eq!(order["items"][0]["product_id"], mug.as_str());
    assert_eq!(order["items"][0]["quantity"], 3);
    assert_eq!(order["total_cents"], 2400);
    assert_eq!(stock_of(&mug).await, 7, "stock taken once");
    let after = get("/cart", Some(&token)).await;
    assert_eq!(after.body["items"], json!([]));
    assert_eq!(after.body["version"], version + 1, "versions never repeat");
    let again = checkout(&token, version, None).await;
    assert_eq!((again.status, again.code()), (409, "cart_changed"));
}
