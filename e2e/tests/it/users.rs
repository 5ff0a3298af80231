//! Register, login and me over HTTP, through cargo lambda watch, against
//! DynamoDB Local and moto.

use e2e::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

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
    assert_eq!(answer.body["expires_in"], 900);
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

/// A login's whole Token document.
async fn session(name: &str) -> Value {
    let answer = post(
        "/users/login",
        &json!({"username": name, "password": PASSWORD}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["expires_in"], 900);
    assert_eq!(answer.body["refresh_expires_in"], 2_592_000);
    answer.body
}

async fn refresh(token: &Value) -> Answer {
    post(
        "/users/token",
        &json!({"grant_type": "refresh_token", "refresh_token": token}),
    )
    .await
}

#[tokio::test]
async fn a_refresh_token_rotates_once_and_its_reuse_ends_the_family() {
    let (name, _) = register().await;
    let first = session(&name).await;
    let second = refresh(&first["refresh_token"]).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_ne!(second.body["refresh_token"], first["refresh_token"]);
    let me = get("/users/me", second.body["access_token"].as_str()).await;
    assert_eq!(me.status, 200);

    let reused = refresh(&first["refresh_token"]).await;
    assert_eq!(
        (reused.status, reused.code()),
        (401, "invalid_refresh_token")
    );
    let heir = refresh(&second.body["refresh_token"]).await;
    assert_eq!(
        (heir.status, heir.code()),
        (401, "invalid_refresh_token"),
        "the family is revoked"
    );

    // Refused alike: a forged token, and a token of the wrong shape.
    let forged = refresh(&json!("A".repeat(43))).await;
    assert_eq!(
        (forged.status, forged.code()),
        (401, "invalid_refresh_token")
    );
    let odd = refresh(&json!("not a token")).await;
    assert_eq!((odd.status, odd.code()), (401, "invalid_refresh_token"));
    let grant = post(
        "/users/token",
        &json!({"grant_type": "password", "refresh_token": first["refresh_token"]}),
    )
    .await;
    assert_eq!((grant.status, grant.code()), (422, "validation_failed"));
    assert_eq!(grant.body["errors"][0]["field"], "grant_type");
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_make_exactly_one_new_pair() {
    let (name, _) = register().await;
    let first = session(&name).await;
    let answers = futures::future::join_all((0..8).map(|_| refresh(&first["refresh_token"]))).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn logout_ends_the_session_and_is_idempotent() {
    let (name, _) = register().await;
    let first = session(&name).await;
    let other = session(&name).await;
    let access = first["access_token"].as_str().expect("a token");
    let body = json!({"refresh_token": first["refresh_token"]});
    for _ in 0..2 {
        let out = call("POST", "/users/logout", Some(access), Some(&body)).await;
        assert_eq!(out.status, 204, "{}", out.text);
    }
    assert_eq!(refresh(&first["refresh_token"]).await.status, 401);
    assert_eq!(
        refresh(&other["refresh_token"]).await.status,
        200,
        "another login lives on"
    );
    let unsigned = post("/users/logout", &body).await;
    assert_eq!(unsigned.status, 401);
    let both = call(
        "POST",
        "/users/logout",
        Some(access),
        Some(&json!({"refresh_token": first["refresh_token"], "all": true})),
    )
    .await;
    assert_eq!((both.status, both.code()), (422, "validation_failed"));

    let everywhere = call(
        "POST",
        "/users/logout",
        Some(access),
        Some(&json!({"all": true})),
    )
    .await;
    assert_eq!(everywhere.status, 204, "{}", everywhere.text);
    let third = session(&name).await;
    assert_eq!(
        refresh(&third["refresh_token"]).await.status,
        200,
        "a later login works"
    );
}

#[tokio::test]
async fn signing_out_everywhere_cuts_off_older_access_tokens_where_money_moves() {
    let admin = admin_token().await;
    let product = new_product(&admin, 10, 500).await;
    let (name, _) = register().await;
    let before = session(&name).await;
    let access = before["access_token"].as_str().expect("a token");
    let order = place_order(access, &product, 1).await;
    assert_eq!(order.status, 201, "{}", order.text);
    let order_id = order.body["id"].as_str().expect("an id");

    let out = call(
        "POST",
        "/users/logout",
        Some(access),
        Some(&json!({"all": true})),
    )
    .await;
    assert_eq!(out.status, 204, "{}", out.text);
    // Reads stay stateless; the routes that move money refuse the old token.
    assert_eq!(get("/users/me", Some(access)).await.status, 200);
    let refused = place_order(access, &product, 1).await;
    assert_eq!((refused.status, refused.code()), (401, "unauthorized"));
    let refused = pay(access, order_id, "pm_card_visa", None).await;
    assert_eq!((refused.status, refused.code()), (401, "unauthorized"));
    assert_eq!(
        stock_of(&product).await,
        9,
        "the refused order took nothing"
    );

    // A login right after is current.
    let after = session(&name).await;
    let fresh = after["access_token"].as_str().expect("a token");
    let paid = pay(fresh, order_id, "pm_card_visa", None).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
}

#[tokio::test]
async fn a_password_change_ends_every_session_and_mails_a_notice() {
    let (name, user) = register().await;
    let email = user["email"].as_str().expect("an e-mail").to_owned();
    let first = session(&name).await;
    let other = session(&name).await;
    let access = first["access_token"].as_str().expect("a token");
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    // Bad input loses nothing: each problem names its field.
    let weak = call(
        "POST",
        "/users/me/password",
        Some(access),
        Some(&change(PASSWORD, "password")),
    )
    .await;
    assert_eq!(
        (weak.status, weak.code()),
        (422, "validation_failed"),
        "{}",
        weak.text
    );
    assert_eq!(weak.body["errors"][0]["field"], "new_password");
    let missing = call(
        "POST",
        "/users/me/password",
        Some(access),
        Some(&json!({"new_password": "x"})),
    )
    .await;
    assert_eq!(missing.status, 422, "{}", missing.text);
    let unsigned = post(
        "/users/me/password",
        &change(PASSWORD, "a new fine passphrase"),
    )
    .await;
    assert_eq!(unsigned.status, 401);
    let wrong = call(
        "POST",
        "/users/me/password",
        Some(access),
        Some(&change("not the password", "a new fine passphrase")),
    )
    .await;
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_credentials"));
    assert_eq!(
        refresh(&other["refresh_token"]).await.status,
        200,
        "nothing changed yet"
    );

    const NEW: &str = "a new fine passphrase";
    let changed = call(
        "POST",
        "/users/me/password",
        Some(access),
        Some(&change(PASSWORD, NEW)),
    )
    .await;
    assert_eq!(changed.status, 204, "{}", changed.text);
    // Every session is over, the token that made the change included.
    for family in [&first, &other] {
        assert_eq!(refresh(&family["refresh_token"]).await.status, 401);
    }
    let again = call(
        "POST",
        "/users/me/password",
        Some(access),
        Some(&change(NEW, "a third fine passphrase")),
    )
    .await;
    assert_eq!((again.status, again.code()), (401, "unauthorized"));
    let old = post(
        "/users/login",
        &json!({"username": name, "password": PASSWORD}),
    )
    .await;
    assert_eq!((old.status, old.code()), (401, "invalid_credentials"));
    let new = post("/users/login", &json!({"username": name, "password": NEW})).await;
    assert_eq!(new.status, 200, "{}", new.text);

    // One notice, through the events queue and the one-mail-per-event consumer.
    let token = new.body["access_token"].as_str().expect("a token");
    let mails = wait_for_mails_about(&email, "password was changed", 1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["subject"], "Your ferrocart password was changed");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = get("/notifications", Some(token)).await;
        let items = listed.body["items"].as_array().cloned().unwrap_or_default();
        // Beside the verification link mailed at registration.
        let notice = items
            .iter()
            .find(|n| n["subject"] == "Your ferrocart password was changed");
        if let Some(notice) = notice.filter(|n| n["status"] == "sent") {
            assert_eq!(notice["recipient"], email.as_str());
            break;
        }
        assert!(Instant::now() < deadline, "{}", listed.text);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn wrong_current_passwords_count_toward_the_login_lock() {
    let (name, _) = register().await;
    let access = login(&name).await;
    let wrong =
        json!({"current_password": "not the password", "new_password": "a new fine passphrase"});
    for _ in 0..5 {
        let answer = call("POST", "/users/me/password", Some(&access), Some(&wrong)).await;
        assert_eq!((answer.status, answer.code()), (401, "invalid_credentials"));
    }
    // The lock is the account's (the test stack's lasts 2 s): login is
    // refused too, even with the right password.
    let locked = post(
        "/users/login",
        &json!({"username": name, "password": PASSWORD}),
    )
    .await;
    assert_eq!((locked.status, locked.code()), (429, "too_many_attempts"));
}

#[tokio::test]
async fn the_mailed_link_verifies_the_address_once() {
    let (name, user) = register().await;
    assert_eq!(user["email_verified"], false);
    let email = user["email"].as_str().unwrap();
    // Registration mails the link; its token sits in the fragment.
    let token = mailed_token(email, VERIFY_SUBJECT, "verify", 1).await;
    assert_eq!(token.len(), 43, "{token}");
    let mail = &mails_about(email, VERIFY_SUBJECT).await[0];
    assert!(mail["body"].as_str().unwrap().contains(&name), "{mail}");

    let verified = post("/users/verify-email", &json!({"token": token})).await;
    assert_eq!(verified.status, 204, "{}", verified.text);
    let access = login(&name).await;
    assert_eq!(
        get("/users/me", Some(&access)).await.body["email_verified"],
        true
    );
    // Single use; and anything else is the same 400.
    for token in [token.as_str(), "not-a-token", &"A".repeat(43)] {
        let again = post("/users/verify-email", &json!({"token": token})).await;
        assert_eq!(
            (again.status, again.code()),
            (400, "invalid_token"),
            "{token}"
        );
    }
    let missing = post("/users/verify-email", &json!({})).await;
    assert_eq!((missing.status, missing.code()), (422, "validation_failed"));

    // Verified: a resend mails nothing, and says the same.
    let resent = call("POST", "/users/verify-email/resend", Some(&access), None).await;
    assert_eq!(resent.status, 202, "{}", resent.text);
    assert_eq!(resent.body, json!({"status": "accepted"}));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(mails_about(email, VERIFY_SUBJECT).await.len(), 1);
}

#[tokio::test]
async fn a_resend_mails_a_new_link_three_times_an_hour() {
    let (name, user) = register().await;
    let email = user["email"].as_str().unwrap();
    let access = login(&name).await;
    for _ in 0..3 {
        let resent = call("POST", "/users/verify-email/resend", Some(&access), None).await;
        assert_eq!(resent.status, 202, "{}", resent.text);
    }
    let refused = call("POST", "/users/verify-email/resend", Some(&access), None).await;
    assert_eq!((refused.status, refused.code()), (429, "too_many_attempts"));
    let retry_after: u64 = refused
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((3000..=3600).contains(&retry_after), "{retry_after}");
    let unauthenticated = call("POST", "/users/verify-email/resend", None, None).await;
    assert_eq!(unauthenticated.status, 401);

    // The registration's link and three more, each with its own token; any
    // of them verifies, once.
    let mut tokens = std::collections::BTreeSet::new();
    for n in 1..=4 {
        tokens.insert(mailed_token(email, VERIFY_SUBJECT, "verify", n).await);
    }
    assert_eq!(tokens.len(), 4, "{tokens:?}");
    let first = tokens.first().expect("a token");
    let verified = post("/users/verify-email", &json!({"token": first})).await;
    assert_eq!(verified.status, 204, "{}", verified.text);
}

#[tokio::test]
async fn a_reset_request_answers_alike_for_known_and_unknown_addresses() {
    let (_, user) = register().await;
    let known = user["email"].as_str().unwrap().to_owned();
    let unknown = format!("{}@example.com", unique("nobody"));
    let a = post("/users/password-reset", &json!({"email": known})).await;
    let b = post("/users/password-reset", &json!({"email": unknown})).await;
    assert_eq!((a.status, b.status), (202, 202), "{} / {}", a.text, b.text);
    assert_eq!(a.body, json!({"status": "accepted"}));
    assert_eq!(a.text, b.text);
    // Only the account is mailed.
    wait_for_mails_about(&known, "Reset your ferrocart password", 1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(mails_to(&unknown).await.is_empty());

    // Five an hour per address, known or not.
    for email in [&known, &unknown] {
        for _ in 1..5 {
            let again = post("/users/password-reset", &json!({"email": email})).await;
            assert_eq!(again.status, 202, "{}", again.text);
        }
        let refused = post(
            "/users/password-reset",
            &json!({"email": email.to_uppercase()}),
        )
        .await;
        assert_eq!(
            (refused.status, refused.code()),
            (429, "too_many_attempts"),
            "{email}"
        );
        assert!(refused.header("retry-after").is_some());
    }
    let bad = post("/users/password-reset", &json!({"email": "not an address"})).await;
    assert_eq!((bad.status, bad.code()), (422, "validation_failed"));
}

#[tokio::test]
async fn a_reset_link_sets_the_password_once_and_ends_every_session() {
    let (name, user) = register().await;
    let email = user["email"].as_str().unwrap().to_owned();
    let before = session(&name).await;
    let asked = post("/users/password-reset", &json!({"email": email})).await;
    assert_eq!(asked.status, 202, "{}", asked.text);
    let token = mailed_token(&email, "Reset your ferrocart password", "reset", 1).await;

    const NEW: &str = "a password chosen after a reset";
    let weak = post(
        "/users/password-reset/confirm",
        &json!({"token": token, "password": "password"}),
    )
    .await;
    assert_eq!((weak.status, weak.code()), (422, "validation_failed"));
    let done = post(
        "/users/password-reset/confirm",
        &json!({"token": token, "password": NEW}),
    )
    .await;
    assert_eq!(done.status, 204, "{}", done.text);
    let again = post(
        "/users/password-reset/confirm",
        &json!({"token": token, "password": NEW}),
    )
    .await;
    assert_eq!((again.status, again.code()), (400, "invalid_token"));

    // The old session is over, at the refresh and where the cut-off is checked.
    let refreshed = refresh(&before["refresh_token"]).await;
    assert_eq!(
        (refreshed.status, refreshed.code()),
        (401, "invalid_refresh_token")
    );
    let old_access = before["access_token"].as_str().unwrap();
    let resend = call(
        "POST",
        "/users/me/password",
        Some(old_access),
        Some(&json!({"current_password": NEW, "new_password": "whatever it may be"})),
    )
    .await;
    assert_eq!(resend.status, 401, "{}", resend.text);
    let old_password = post(
        "/users/login",
        &json!({"username": name, "password": PASSWORD}),
    )
    .await;
    assert_eq!(old_password.status, 401);
    let new_login = post("/users/login", &json!({"username": name, "password": NEW})).await;
    assert_eq!(new_login.status, 200, "{}", new_login.text);
    assert_eq!(new_login.body["user"]["email_verified"], true);
    // And a notice.
    let notices = wait_for_mails_about(&email, "password was changed", 1).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
}

#[tokio::test]
async fn an_email_change_asks_the_password_and_mails_both_addresses() {
    let (name, user) = register().await;
    let old = user["email"].as_str().unwrap().to_owned();
    let access = login(&name).await;
    let new = format!("{}@example.com", unique("moved"));
    let (_, other) = register().await;
    let change =
        |email: &str, password: &str| json!({"email": email, "current_password": password});

    let wrong = call(
        "PATCH",
        "/users/me",
        Some(&access),
        Some(&change(&new, "not the password")),
    )
    .await;
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_credentials"));
    let taken = call(
        "PATCH",
        "/users/me",
        Some(&access),
        Some(&change(
            &other["email"].as_str().unwrap().to_uppercase(),
            PASSWORD,
        )),
    )
    .await;
    assert_eq!((taken.status, taken.code()), (409, "email_taken"));
    let rename = call(
        "PATCH",
        "/users/me",
        Some(&access),
        Some(&json!({"username": "someone_else", "email": new, "current_password": PASSWORD})),
    )
    .await;
    assert_eq!((rename.status, rename.code()), (422, "validation_failed"));
    assert_eq!(rename.body["errors"][0]["field"], "username");

    let moved = call(
        "PATCH",
        "/users/me",
        Some(&access),
        Some(&change(&new, PASSWORD)),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.body["email"], new.as_str());
    assert_eq!(moved.body["email_verified"], false);
    assert_eq!(moved.body["username"], name.as_str());
    assert_eq!(get("/users/me", Some(&access)).await.body, moved.body);
    // Signing in goes by the new address only.
    let by_old = post("/users/login", &json!({"email": old, "password": PASSWORD})).await;
    assert_eq!(by_old.status, 401);
    let by_new = post("/users/login", &json!({"email": new, "password": PASSWORD})).await;
    assert_eq!(by_new.status, 200, "{}", by_new.text);

    // A notice to the old address naming the new one; a link to the new.
    let notices = wait_for_mails_about(&old, "e-mail address was changed", 1).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0]["body"].as_str().unwrap().contains(&new));
    let token = mailed_token(&new, VERIFY_SUBJECT, "verify", 1).await;
    let verified = post("/users/verify-email", &json!({"token": token})).await;
    assert_eq!(verified.status, 204, "{}", verified.text);
    // The old address is free again.
    let again = post(
        "/users/register",
        &json!({"username": unique("e2e"), "email": old, "password": PASSWORD}),
    )
    .await;
    assert_eq!(again.status, 201, "{}", again.text);
}
