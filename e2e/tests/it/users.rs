//! Register, login and me over HTTP, through cargo lambda watch, against
//! DynamoDB Local and moto.

use e2e::*;
use serde_json::json;

#[tokio::test]
async fn register_login_me() {
    let (name, user) = register().await;
    assert_eq!(user["role"], "customer");
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
    let answer = post(
        "/users/login",
        &json!({"username": name.to_uppercase(), "password": PASSWORD}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["expires_in"], 3600);
    assert_eq!(answer.body["user"], user);
    let token = answer.body["access_token"].as_str().unwrap();
    let me = get("/users/me", Some(token)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body, user);

    let by_email = post(
        "/users/login",
        &json!({"email": user["email"].as_str().unwrap().to_uppercase(), "password": PASSWORD}),
    )
    .await;
    assert_eq!(by_email.status, 200, "{}", by_email.text);
}

#[tokio::test]
async fn duplicate_username_and_email_ignoring_case() {
    let (name, user) = register().await;
    let email = user["email"].as_str().unwrap();
    let again = post(
        "/users/register",
        &json!({"username": name.to_uppercase(), "email": format!("other-{email}"), "password": PASSWORD}),
    )
    .await;
    assert_eq!((again.status, again.code()), (409, "username_taken"));
    let again = post(
        "/users/register",
        &json!({"username": unique("n"), "email": email.to_uppercase(), "password": PASSWORD}),
    )
    .await;
    assert_eq!((again.status, again.code()), (409, "email_taken"));
}

#[tokio::test]
async fn malformed_bodies_get_problem_documents() {
    let url = format!("{}/users/register", api());
    let malformed = send(
        client()
            .post(&url)
            .header("content-type", "application/json")
            .body("{\"username\":"),
    )
    .await;
    assert_eq!(
        (malformed.status, malformed.code()),
        (400, "malformed_json")
    );

    let wrong_type = send(
        client()
            .post(&url)
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    assert_eq!(
        (wrong_type.status, wrong_type.code()),
        (415, "unsupported_media_type")
    );
    let no_type = send(client().post(&url).body("{}")).await;
    assert_eq!(
        (no_type.status, no_type.code()),
        (415, "unsupported_media_type")
    );

    let missing = post("/users/register", &json!({"username": unique("m")})).await;
    assert_eq!((missing.status, missing.code()), (422, "validation_failed"));
    let fields: Vec<&str> = missing.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password"]);

    let unknown = post(
        "/users/register",
        &json!({"username": unique("u"), "email": format!("{}@example.com", unique("u")), "password": PASSWORD, "role": "admin"}),
    )
    .await;
    assert_eq!((unknown.status, unknown.code()), (422, "validation_failed"));
    assert_eq!(unknown.body["errors"][0]["field"], "role");

    let common = post(
        "/users/register",
        &json!({"username": unique("u"), "email": format!("{}@example.com", unique("u")), "password": "Password123"}),
    )
    .await;
    assert_eq!(common.status, 422);
    assert_eq!(common.body["errors"][0]["field"], "password");

    let both = post(
        "/users/login",
        &json!({"username": "a", "email": "a@example.com", "password": "x"}),
    )
    .await;
    assert_eq!((both.status, both.code()), (422, "validation_failed"));
    let neither = post("/users/login", &json!({"password": "x"})).await;
    assert_eq!((neither.status, neither.code()), (422, "validation_failed"));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_route_not_found() {
    for (method, path) in [
        ("GET", "/nope"),
        ("DELETE", "/users/me"),
        ("GET", "/users/register"),
        ("POST", "/"),
        ("PUT", "/health/deep/path"),
    ] {
        let answer =
            send(client().request(method.parse().unwrap(), format!("{}{path}", api()))).await;
        assert_eq!(
            (answer.status, answer.code()),
            (404, "route_not_found"),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn health_is_ok() {
    let answer = get("/health", None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["status"], "ok");
    assert_eq!(answer.body["checks"]["dynamodb"], "ok");
    assert!(
        answer.body["version"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
}
