//! Each handler called with a `lambda_http::Request` built from its sample
//! event in `events/`, without Lambda, against the local stack's emulators.

use crate::common;

use common::{event, unique};
use lambda_http::{Body, Context, Request, RequestExt, Response};
use serde_json::{Value, json};
use shared::http::{health, not_found, serve, users};
use shared::wiring::{AccountApi, HealthApi, SessionsApi, UsersApi};

fn request(mut event: Value, body: Option<Value>) -> Request {
    if let Some(body) = body {
        event["body"] = Value::String(body.to_string());
    }
    let mut context = Context::default();
    context.request_id = "test-request-id".into();
    lambda_http::request::from_str(&event.to_string())
        .expect("sample event parses")
        .with_lambda_context(context)
}

fn parts(response: Response<Body>) -> (u16, Value, Response<Body>) {
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body, response)
}

#[tokio::test]
async fn sample_events_drive_register_login_and_me() {
    let (register, login, me) = (
        AccountApi::from_env().unwrap(),
        SessionsApi::from_env().unwrap(),
        UsersApi::from_env().unwrap(),
    );
    let name = unique("ada_");
    let password = "analytical engine 1843";
    let body =
        json!({"username": name, "email": format!("{name}@example.com"), "password": password});
    let (status, user, response) = parts(
        serve(
            request(event("register.json"), Some(body)),
            &register,
            users::register,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 201, "{user}");
    assert_eq!(response.headers()["x-request-id"], "test-request-id");
    assert_eq!(user["username"], name);
    assert_eq!(user["role"], "customer");

    let (status, token, _) = parts(
        serve(
            request(
                event("login.json"),
                Some(json!({"username": name, "password": password})),
            ),
            &login,
            users::login,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 900);
    assert_eq!(token["user"], user);

    let mut me_event = event("me.json");
    me_event["headers"]["authorization"] =
        format!("Bearer {}", token["access_token"].as_str().unwrap()).into();
    let (status, body, _) = parts(
        serve(request(me_event, None), &me, users::me)
            .await
            .unwrap(),
    );
    assert_eq!(status, 200);
    assert_eq!(body, user);

    let mut forged = event("me.json");
    forged["headers"]["authorization"] = "Bearer not-a-token".into();
    let (status, body, response) =
        parts(serve(request(forged, None), &me, users::me).await.unwrap());
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    assert_eq!(response.headers()["www-authenticate"], "Bearer");

    // The refresh and logout events, with this login's tokens.
    let grant = json!({"grant_type": "refresh_token", "refresh_token": token["refresh_token"]});
    let (status, renewed, _) = parts(
        serve(
            request(event("refresh-token.json"), Some(grant.clone())),
            &login,
            users::refresh,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 200, "{renewed}");
    assert_ne!(renewed["refresh_token"], token["refresh_token"]);
    let mut logout_event = event("logout.json");
    logout_event["headers"]["authorization"] =
        format!("Bearer {}", renewed["access_token"].as_str().unwrap()).into();
    let (status, _, _) = parts(
        serve(
            request(
                logout_event,
                Some(json!({"refresh_token": renewed["refresh_token"]})),
            ),
            &me,
            users::logout,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 204);
    let again = json!({"grant_type": "refresh_token", "refresh_token": renewed["refresh_token"]});
    let (status, problem, _) = parts(
        serve(
            request(event("refresh-token.json"), Some(again)),
            &login,
            users::refresh,
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("invalid_refresh_token"))
    );

    // The password change event: the new password signs in, the old one and
    // the token that made the change are cut off.
    let account = AccountApi::from_env().unwrap();
    let mut change_event = event("change-password.json");
    change_event["headers"]["authorization"] =
        format!("Bearer {}", renewed["access_token"].as_str().unwrap()).into();
    let change = json!({"current_password": password, "new_password": "difference engine 1822"});
    let (status, _, _) = parts(
        serve(
            request(change_event.clone(), Some(change.clone())),
            &account,
            users::change_password,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 204);
    let (status, problem, _) = parts(
        serve(
            request(change_event, Some(change)),
            &account,
            users::change_password,
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("unauthorized"))
    );
    for (candidate, expected) in [(password, 401), ("difference engine 1822", 200)] {
        let (status, _, _) = parts(
            serve(
                request(
                    event("login.json"),
                    Some(json!({"username": name, "password": candidate})),
                ),
                &login,
                users::login,
            )
            .await
            .unwrap(),
        );
        assert_eq!(status, expected, "{candidate}");
    }
}

#[tokio::test]
async fn register_sample_event_reports_each_bad_field() {
    let register = AccountApi::from_env().unwrap();
    let body = json!({"username": "x", "email": "nope", "password": 12345678, "admin": true});
    let (status, problem, response) = parts(
        serve(
            request(event("register.json"), Some(body)),
            &register,
            users::register,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 422);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(problem["code"], "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["username", "email", "password", "admin"]);
}

#[tokio::test]
async fn health_sample_event_reports_dynamodb() {
    let health = HealthApi::from_env().unwrap();
    let (status, body, response) = parts(
        serve(request(event("health.json"), None), &health, health::health)
            .await
            .unwrap(),
    );
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["dynamodb"], "ok");
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn health_answers_503_when_dynamodb_does_not() {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .http_client(shared::aws::sdk::http_client())
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            aws_sdk_dynamodb::config::Credentials::new("x", "x", None, None, "test"),
        ))
        .build();
    let table = shared::aws::UsersTable::new(aws_sdk_dynamodb::Client::new(&sdk), "UsersTable");
    let (status, body, _) = parts(
        serve(
            request(event("health.json"), None),
            &HealthApi { users: table },
            health::health,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 503);
    assert_eq!(body["code"], "dependency_unavailable");
    assert_eq!(body["checks"]["dynamodb"], "unavailable");
}

#[tokio::test]
async fn not_found_sample_event_is_a_problem_document() {
    let (status, body, _) = parts(
        serve(
            request(event("not-found.json"), None),
            &(),
            not_found::not_found,
        )
        .await
        .unwrap(),
    );
    assert_eq!(status, 404);
    assert_eq!(body["code"], "route_not_found");
}
