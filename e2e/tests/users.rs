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
async fn twenty_concurrent_registrations_of_one_username_give_one_201() {
    let name = unique("race");
    let attempts = (0..20).map(|i| {
        let name = name.clone();
        async move {
            post(
                "/users/register",
                &json!({"username": name, "email": format!("{name}-{i}@example.com"), "password": PASSWORD}),
            )
            .await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(
        created,
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for answer in answers.iter().filter(|a| a.status != 201) {
        assert_eq!(
            (answer.status, answer.code()),
            (409, "username_taken"),
            "{}",
            answer.text
        );
    }
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_give_one_201() {
    let email = format!("{}@example.com", unique("shared"));
    let attempts = (0..10).map(|_| {
        let email = email.clone();
        async move {
            post(
                "/users/register",
                &json!({"username": unique("m"), "email": email, "password": PASSWORD}),
            )
            .await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    assert_eq!(answers.iter().filter(|a| a.status == 201).count(), 1);
    assert!(
        answers
            .iter()
            .filter(|a| a.status != 201)
            .all(|a| a.status == 409 && a.code() == "email_taken")
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_user_answer_identically() {
    let (name, _) = register().await;
    let wrong = post(
        "/users/login",
        &json!({"username": name, "password": "not the password"}),
    )
    .await;
    let unknown = post(
        "/users/login",
        &json!({"username": unique("ghost"), "password": "not the password"}),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.code(), "invalid_credentials");
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.text, unknown.text);
    for header in ["content-type", "www-authenticate"] {
        assert_eq!(wrong.header(header), unknown.header(header), "{header}");
    }
}

#[tokio::test]
async fn five_failures_then_429_with_retry_after_even_for_the_right_password() {
    // The test stack's back-off starts at 2 s instead of 30 s.
    let (name, _) = register().await;
    for _ in 0..5 {
        let answer = post(
            "/users/login",
            &json!({"username": name, "password": "wrong password"}),
        )
        .await;
        assert_eq!(answer.status, 401, "{}", answer.text);
    }
    let refused = post(
        "/users/login",
        &json!({"username": name.to_uppercase(), "password": PASSWORD}),
    )
    .await;
    assert_eq!((refused.status, refused.code()), (429, "too_many_attempts"));
    let retry_after: u64 = refused
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=2).contains(&retry_after), "{retry_after}");

    tokio::time::sleep(std::time::Duration::from_secs(retry_after + 1)).await;
    let answer = post(
        "/users/login",
        &json!({"username": name, "password": PASSWORD}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
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

    let big = format!("{{\"username\":\"{}\"}}", "x".repeat(64 * 1024));
    let too_large = send(
        client()
            .post(&url)
            .header("content-type", "application/json")
            .body(big),
    )
    .await;
    assert_eq!(
        (too_large.status, too_large.code()),
        (413, "payload_too_large")
    );
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
