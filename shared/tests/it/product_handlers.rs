//! The product handlers, called with requests built from their sample events.

use crate::common;

use common::{event, token};
use lambda_http::{Body, Context, Request, RequestExt, Response};
use serde_json::{Value, json};
use shared::domain::Role;
use shared::http::{products, serve};
use shared::wiring::{CatalogApi, Listing};

fn request(mut event: Value, body: Option<Value>, auth: Option<&str>) -> Request {
    if let Some(body) = body {
        event["body"] = Value::String(body.to_string());
    }
    // The committed events carry whatever token `make events` last wrote.
    match auth {
        Some(token) => event["headers"]["authorization"] = format!("Bearer {token}").into(),
        None => {
            if let Some(headers) = event["headers"].as_object_mut() {
                headers.remove("authorization");
            }
        }
    }
    lambda_http::request::from_str(&event.to_string())
        .expect("sample event parses")
        .with_lambda_context(Context::default())
}

fn with_id(mut event: Value, id: &str) -> Value {
    event["pathParameters"]["id"] = id.into();
    event["rawPath"] = format!("/products/{id}").into();
    event
}

fn parts(response: Response<Body>) -> (u16, Value, Response<Body>) {
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body, response)
}

#[tokio::test]
async fn sample_events_are_accepted_by_their_functions() {
    let (list, get, admin) = (
        Listing::from_env(CatalogApi::from_env().unwrap()).unwrap(),
        CatalogApi::from_env().unwrap(),
        CatalogApi::from_env().unwrap(),
    );
    let admin_token = token(Role::Admin);

    // The list and get events name the seeded catalogue.
    let (status, page, _) = parts(
        serve(
            request(event("list-products.json"), None, None),
            &list,
            products::list,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 200, "{page}");
    assert!(!page["items"].as_array().unwrap().is_empty());
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["category"] == "kitchen")
    );
    let (status, product, response) = parts(
        serve(
            request(event("get-product.json"), None, None),
            &get,
            products::get,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 200, "{product}");
    let etag = response.headers()["etag"].to_str().unwrap();
    assert!(etag.trim_matches('"').parse::<u64>().is_ok(), "{etag}");

    // Create, update and delete a product of our own from the admin events.
    let (status, created, response) = parts(
        serve(
            request(event("create-product.json"), None, Some(&admin_token)),
            &admin,
            products::create,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        response.headers()["location"],
        format!("/products/{id}").as_str()
    );
    assert_eq!(response.headers()["etag"], "\"1\"");

    let (status, updated, _) = parts(
        serve(
            request(
                with_id(event("update-product.json"), id),
                None,
                Some(&admin_token),
            ),
            &admin,
            products::update,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["price_cents"], 1300);
    assert_eq!(updated["stock"], created["stock"].as_i64().unwrap() + 10);

    let (status, _, _) = parts(
        serve(
            request(
                with_id(event("delete-product.json"), id),
                None,
                Some(&admin_token),
            ),
            &admin,
            products::delete,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 204);
    let (status, body, _) = parts(
        serve(
            request(with_id(event("get-product.json"), id), None, None),
            &get,
            products::get,
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("product_not_found"))
    );
}

#[tokio::test]
async fn admin_events_need_an_admin() {
    let admin = CatalogApi::from_env().unwrap();
    let (status, body, _) = parts(
        serve(
            request(event("create-product.json"), None, None),
            &admin,
            products::create,
        )
        .await
        .unwrap(),
    );
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    let customer = token(Role::Customer);
    let (status, body, _) = parts(
        serve(
            request(event("create-product.json"), None, Some(&customer)),
            &admin,
            products::create,
        )
        .await
        .unwrap(),
    );
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    let (status, body, _) = parts(
        serve(
            request(event("delete-product.json"), None, Some(&customer)),
            &admin,
            products::delete,
        )
        .await
        .unwrap(),
    );
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
}

#[tokio::test]
async fn create_reports_every_bad_field() {
    let admin = CatalogApi::from_env().unwrap();
    let body = json!({"name": "", "price_cents": 0, "currency": "EUR", "stock": -1, "category": "Not OK", "colour": "red", "description": 5});
    let (status, problem, _) = parts(
        serve(
            request(
                event("create-product.json"),
                Some(body),
                Some(&token(Role::Admin)),
            ),
            &admin,
            products::create,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 422);
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "category",
            "colour",
            "currency",
            "description",
            "name",
            "price_cents",
            "stock"
        ]
    );
}
