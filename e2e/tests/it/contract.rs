//! Regressions of bugs Schemathesis found or pointed at, over HTTP against the
//! whole stack: each request here once answered 500 or refused valid input.

use e2e::*;
use serde_json::json;

/// A login name of 1024 four-byte characters made keys over DynamoDB's
/// 2048-byte limit: 500. It is just an unknown name: 401, counted as a failure.
#[tokio::test]
async fn a_long_multibyte_login_name_is_an_unknown_name() {
    for body in [
        json!({"username": "\u{1F600}".repeat(1024), "password": "x"}),
        json!({"email": format!("{}@example.com", "\u{1F600}".repeat(1000)), "password": "x"}),
    ] {
        let answer = post("/users/login", &body).await;
        assert_eq!(answer.status, 401, "{}", answer.text);
        assert_eq!(answer.code(), "invalid_credentials");
    }
}

/// JSON does not tell `2.0` from `2`, and JSON Schema calls both integers:
/// such a quantity or price was refused as "must be an integer".
#[tokio::test]
async fn integral_floats_are_integers() {
    let admin = admin_token().await;
    let created = send(
        client()
            .post(format!("{}/products", api()))
            .bearer_auth(&admin)
            .json(
                &json!({"name": "Float-priced", "price_cents": 1250.0, "currency": "USD",
                "stock": 1e1, "category": unique("flt-")}),
            ),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["price_cents"], 1250);
    assert_eq!(created.body["stock"], 10);
    let id = created.body["id"].as_str().expect("an id");

    let (name, _) = register().await;
    let token = login(&name).await;
    let order = send(
        client()
            .post(format!("{}/orders", api()))
            .bearer_auth(&token)
            .json(&order_request(json!([{"product_id": id, "quantity": 2.0}]))),
    )
    .await;
    assert_eq!(order.status, 201, "{}", order.text);
    assert_eq!(order.body["items"][0]["quantity"], 2);
    assert_eq!(order.body["total_cents"], 2500);

    let fraction = send(
        client()
            .post(format!("{}/orders", api()))
            .bearer_auth(&token)
            .json(&order_request(json!([{"product_id": id, "quantity": 1.5}]))),
    )
    .await;
    assert_eq!(fraction.status, 422, "{}", fraction.text);
    assert_eq!(fraction.body["errors"][0]["field"], "items[0].quantity");
}
