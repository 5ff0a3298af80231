//! The catalogue over HTTP: roles, ETags, stock changes, pagination, cursors.

use e2e::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn call(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    if_match: Option<&str>,
) -> Answer {
    let mut request = client().request(method.parse().unwrap(), format!("{}{path}", api()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    send(request).await
}

fn product(category: &str, name: &str, stock: i64) -> Value {
    json!({"name": name, "description": "e2e", "price_cents": 1250, "currency": "USD", "stock": stock, "category": category})
}

async fn create(token: &str, category: &str, name: &str, stock: i64) -> Value {
    let answer = call(
        "POST",
        "/products",
        Some(token),
        Some(&product(category, name, stock)),
        None,
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body
}

#[tokio::test]
async fn etags_and_if_match_guard_absolute_stock() {
    let admin = admin_token().await;
    let created = create(&admin, &unique("etag-"), "Kettle", 10).await;
    let path = format!("/products/{}", created["id"].as_str().unwrap());
    let read = call("GET", &path, None, None, None).await;
    let etag = read.header("etag").unwrap().to_owned();
    assert_eq!(etag, "\"1\"");

    let missing = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"stock": 4})),
        None,
    )
    .await;
    assert_eq!(
        (missing.status, missing.code()),
        (428, "precondition_required")
    );

    let taken = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"stock_delta": -3})),
        None,
    )
    .await;
    assert_eq!(taken.status, 200);
    assert_eq!(taken.body["stock"], 7);
    assert_eq!(taken.header("etag"), Some("\"2\""));

    let stale = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"stock": 4})),
        Some(&etag),
    )
    .await;
    assert_eq!((stale.status, stale.code()), (412, "precondition_failed"));
    let weak = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"stock": 4})),
        Some("W/\"2\""),
    )
    .await;
    assert_eq!((weak.status, weak.code()), (412, "precondition_failed"));
    let fresh = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"stock": 4})),
        Some("\"2\""),
    )
    .await;
    assert_eq!(fresh.status, 200, "{}", fresh.text);
    assert_eq!(fresh.body["stock"], 4);

    let short = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"stock_delta": -5})),
        None,
    )
    .await;
    assert_eq!((short.status, short.code()), (409, "insufficient_stock"));
    assert_eq!(short.body["errors"][0]["product_id"], created["id"]);

    let both = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"stock": 1, "stock_delta": 1})),
        Some("\"3\""),
    )
    .await;
    assert_eq!((both.status, both.code()), (422, "validation_failed"));
    let empty = call("PATCH", &path, Some(&admin), Some(&json!({})), None).await;
    assert_eq!((empty.status, empty.code()), (422, "validation_failed"));
    let bad = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"price_cents": 1.5, "id": "x"})),
        None,
    )
    .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn concurrent_stock_deltas_over_http_lose_nothing() {
    let admin = admin_token().await;
    let created = create(&admin, &unique("race-"), "Bench", 50).await;
    let path = format!("/products/{}", created["id"].as_str().unwrap());
    let changes = (0..40).map(|i| {
        let (admin, path) = (admin.clone(), path.clone());
        async move {
            call(
                "PATCH",
                &path,
                Some(&admin),
                Some(&json!({"stock_delta": if i % 2 == 0 { 2 } else { -1 }})),
                None,
            )
            .await
        }
    });
    for answer in futures::future::join_all(changes).await {
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    let read = call("GET", &path, None, None, None).await;
    assert_eq!(read.body["stock"], 50 + 20 * 2 - 20);
}

/// Stock given back is never refused, so a restock may leave more than an
/// admin can set; the product must still read, list, sell and change.
#[tokio::test]
async fn stock_given_back_above_the_admins_maximum_still_reads_and_sells() {
    let admin = admin_token().await;
    let c = unique("restock-");
    let created = create(&admin, &c, "Crate", 100).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/products/{id}");
    let (shopper, _) = customer().await;
    let order = place_order(&shopper, &id, 100).await;
    assert_eq!(order.status, 201, "{}", order.text);
    let read = call("GET", &path, None, None, None).await;
    let etag = read.header("etag").unwrap().to_owned();
    let set = json!({"stock": 1_000_000});
    let raised = call("PATCH", &path, Some(&admin), Some(&set), Some(&etag)).await;
    assert_eq!(raised.status, 200, "{}", raised.text);
    let order_path = format!("/orders/{}/cancel", order.body["id"].as_str().unwrap());
    let cancelled = call("POST", &order_path, Some(&shopper), None, None).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);

    let read = call("GET", &path, None, None, None).await;
    assert_eq!(
        (read.status, &read.body["stock"]),
        (200, &json!(1_000_100)),
        "{}",
        read.text
    );
    let list = get(&format!("/products?category={c}"), None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["items"][0]["stock"], 1_000_100);
    let renamed = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"name": "Big crate"})),
        None,
    )
    .await;
    assert_eq!(
        (renamed.status, &renamed.body["stock"]),
        (200, &json!(1_000_100)),
        "{}",
        renamed.text
    );
    // An admin's addition still stops at the maximum; a removal works.
    let more = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"stock_delta": 1})),
        None,
    )
    .await;
    assert_eq!(
        (more.status, more.code()),
        (422, "validation_failed"),
        "{}",
        more.text
    );
    let less = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"stock_delta": -100})),
        None,
    )
    .await;
    assert_eq!(
        (less.status, &less.body["stock"]),
        (200, &json!(1_000_000)),
        "{}",
        less.text
    );
    let again = place_order(&shopper, &id, 2).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(stock_of(&id).await, 999_998);
}

#[tokio::test]
async fn delete_archives() {
    let admin = admin_token().await;
    let c = unique("gone-");
    let created = create(&admin, &c, "Old Lamp", 1).await;
    let path = format!("/products/{}", created["id"].as_str().unwrap());
    let deleted = call("DELETE", &path, Some(&admin), None, None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.text, "");
    for (method, body) in [
        ("GET", None),
        ("DELETE", None),
        ("PATCH", Some(json!({"stock_delta": 1}))),
    ] {
        let token = (method != "GET").then_some(admin.as_str());
        let a = call(method, &path, token, body.as_ref(), None).await;
        assert_eq!((a.status, a.code()), (404, "product_not_found"), "{method}");
    }
    let list = get(&format!("/products?category={c}"), None).await;
    assert_eq!(list.body["items"], json!([]));
    let unknown = get("/products/not-a-product-id", None).await;
    assert_eq!((unknown.status, unknown.code()), (404, "product_not_found"));
}

async fn walk(query: &str, limit: u32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/products?{query}&limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={}", urlencode(c)));
        }
        let page = get(&path, None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= limit as usize);
        ids.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn pages_walk_a_category_without_duplicates_or_gaps() {
    let admin = admin_token().await;
    let c = unique("walk-");
    let mut mine = BTreeSet::new();
    for i in 0..13 {
        mine.insert(
            create(&admin, &c, &format!("Walker {i}"), 1).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for limit in [1, 4, 13, 100] {
        let ids = walk(&format!("category={c}"), limit).await;
        assert_eq!(ids.len(), mine.len(), "limit {limit}");
        assert_eq!(
            ids.into_iter().collect::<BTreeSet<_>>(),
            mine,
            "limit {limit}"
        );
    }
    // The whole catalogue, seeded products included, without a duplicate.
    let all = walk("x=1", 100).await;
    let unique_ids: BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!(unique_ids.len(), all.len());
    assert!(mine.is_subset(&unique_ids));
    assert!(unique_ids.len() >= 36, "the demo catalogue is seeded");
}

#[tokio::test]
async fn bad_limit_and_category_are_422() {
    for limit in ["0", "101", "ten", "-1"] {
        let answer = get(&format!("/products?limit={limit}"), None).await;
        assert_eq!(
            (answer.status, answer.code()),
            (422, "validation_failed"),
            "{limit}"
        );
    }
    let bad_category = get("/products?category=Not%20Valid", None).await;
    assert_eq!(
        (bad_category.status, bad_category.code()),
        (422, "validation_failed")
    );
}
