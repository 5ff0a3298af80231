//! The address book over HTTP: the contract's field rules, ten at most, one
//! default, owners only, and the token cut-off on its writes.

use e2e::*;
use serde_json::{Value, json};

fn address(name: &str) -> Value {
    json!({"name": name, "line1": "1 Main Street", "city": "Springfield", "postal_code": "12345", "country": "US"})
}

async fn add(token: &str, body: &Value) -> Answer {
    call("POST", "/users/me/addresses", Some(token), Some(body)).await
}

async fn listed(token: &str) -> Vec<Value> {
    let answer = get("/users/me/addresses", Some(token)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["next_cursor"], Value::Null);
    answer.body["items"].as_array().cloned().expect("items")
}

#[tokio::test]
async fn addresses_are_saved_changed_and_deleted_with_one_default() {
    let (token, _) = customer().await;
    assert!(listed(&token).await.is_empty());
    let first = add(&token, &address("Home")).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let home = first.body["id"].as_str().expect("an id").to_owned();
    assert_eq!(
        first.header("location"),
        Some(format!("/users/me/addresses/{home}").as_str())
    );
    assert_eq!(first.body["is_default"], true, "the first is the default");
    assert_eq!(
        (first.body["line2"].as_str(), first.body["phone"].clone()),
        (Some(""), Value::Null)
    );
    let mut work = address("Work");
    work["phone"] = json!("+1 (555) 010-0199");
    work["is_default"] = json!(true);
    let second = add(&token, &work).await;
    assert_eq!(second.status, 201, "{}", second.text);
    let work_id = second.body["id"].as_str().expect("an id").to_owned();
    let defaults = |items: &[Value]| {
        items
            .iter()
            .filter(|a| a["is_default"] == true)
            .map(|a| a["id"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(defaults(&listed(&token).await), vec![work_id.clone()]);

    let path = format!("/users/me/addresses/{home}");
    let patched = call(
        "PATCH",
        &path,
        Some(&token),
        Some(&json!({"is_default": true, "line2": "Flat 2"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["line2"], "Flat 2");
    assert_eq!(patched.body["name"], "Home", "untouched fields stay");
    assert_eq!(defaults(&listed(&token).await), vec![home.clone()]);
    let cleared = call(
        "PATCH",
        &format!("/users/me/addresses/{work_id}"),
        Some(&token),
        Some(&json!({"phone": null})),
    )
    .await;
    assert_eq!(cleared.body["phone"], Value::Null, "{}", cleared.text);

    let deleted = call("DELETE", &path, Some(&token), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let again = call("DELETE", &path, Some(&token), None).await;
    assert_eq!((again.status, again.code()), (404, "address_not_found"));
    let left = listed(&token).await;
    assert_eq!(left.len(), 1);
    assert!(
        defaults(&left).is_empty(),
        "deleting the default leaves none"
    );
}

#[tokio::test]
async fn bad_addresses_name_every_bad_field_and_save_nothing() {
    let (token, _) = customer().await;
    let bad = json!({"name": " ", "line1": "", "city": "x".repeat(101), "postal_code": "12_34", "country": "us", "phone": "call me", "is_default": "yes", "extra": 1});
    let answer = add(&token, &bad).await;
    assert_eq!(
        (answer.status, answer.code()),
        (422, "validation_failed"),
        "{}",
        answer.text
    );
    let mut fields: Vec<&str> = answer.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "city",
            "country",
            "extra",
            "is_default",
            "line1",
            "name",
            "phone",
            "postal_code"
        ]
    );
    let missing = add(&token, &json!({})).await;
    assert_eq!(missing.status, 422, "{}", missing.text);
    assert!(listed(&token).await.is_empty());
    let saved = add(&token, &address("Home")).await;
    let path = format!(
        "/users/me/addresses/{}",
        saved.body["id"].as_str().expect("an id")
    );
    let empty = call("PATCH", &path, Some(&token), Some(&json!({}))).await;
    assert_eq!((empty.status, empty.code()), (422, "validation_failed"));
    let country = call(
        "PATCH",
        &path,
        Some(&token),
        Some(&json!({"country": "XX"})),
    )
    .await;
    assert_eq!(
        country.body["errors"][0]["field"], "country",
        "{}",
        country.text
    );
    assert_eq!(listed(&token).await[0]["country"], "US");
    let not_an_id = call(
        "PATCH",
        "/users/me/addresses/nope",
        Some(&token),
        Some(&json!({"name": "x"})),
    )
    .await;
    assert_eq!(
        (not_an_id.status, not_an_id.code()),
        (404, "address_not_found")
    );
}

#[tokio::test]
async fn ten_addresses_at_most_and_only_the_owner_sees_or_changes_them() {
    let (token, _) = customer().await;
    let (stranger, _) = customer().await;
    let mut first = String::new();
    for i in 0..10 {
        let answer = add(&token, &address(&format!("A{i}"))).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        if i == 0 {
            first = answer.body["id"].as_str().expect("an id").to_owned();
        }
    }
    let eleventh = add(&token, &address("One too many")).await;
    assert_eq!((eleventh.status, eleventh.code()), (409, "address_limit"));
    let path = format!("/users/me/addresses/{first}");
    for (method, body) in [
        ("PATCH", Some(json!({"name": "mine now"}))),
        ("DELETE", None),
    ] {
        let answer = call(method, &path, Some(&stranger), body.as_ref()).await;
        assert_eq!(
            (answer.status, answer.code()),
            (404, "address_not_found"),
            "{method}"
        );
    }
    assert!(listed(&stranger).await.is_empty());
    assert_eq!(listed(&token).await.len(), 10);
}

#[tokio::test]
async fn a_token_from_before_sign_out_everywhere_cannot_change_addresses() {
    let (name, _) = register().await;
    let old = login(&name).await;
    let out = call(
        "POST",
        "/users/logout",
        Some(&old),
        Some(&json!({"all": true})),
    )
    .await;
    assert_eq!(out.status, 204);
    let refused = add(&old, &address("Home")).await;
    assert_eq!((refused.status, refused.code()), (401, "unauthorized"));
    // Reads stay stateless.
    assert!(listed(&old).await.is_empty());
    let fresh = login(&name).await;
    assert_eq!(add(&fresh, &address("Home")).await.status, 201);
}
