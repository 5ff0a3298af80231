//! The account page in the browser: a password change (its mistakes shown
//! at their fields, then every session ended and the new password the only
//! one that signs in) and signing out everywhere.

use super::*;

const NEW: &str = "a freshly chosen passphrase";

#[tokio::test]
async fn a_shopper_changes_the_password_and_every_session_ends() {
    let b = browser().await;
    open(&b, "/shop/sign-in").await;
    let (name, email) = sign_up(&b).await;
    // Another device's session, which the change must end too.
    let elsewhere = post(
        "/users/login",
        &json!({"username": name, "password": PASSWORD}),
    )
    .await;
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.text);

    click(&b, "#account-link").await;
    wait_for_text(&b, "h1", "Your account").await;
    wait_for_part(&b, "#account-details", &email).await;
    check_page(&b, "account").await;

    // A wrong current password is shown at its field; the session lives on.
    fill(
        &b,
        "#change-password input[name=current_password]",
        "not my password",
    )
    .await;
    fill(&b, "#change-password input[name=new_password]", NEW).await;
    fill(&b, "#change-password input[name=repeat]", NEW).await;
    click(&b, "#change-password button[type=submit]").await;
    wait_for_shown(
        &b,
        "#change-password [data-field=current_password] .field-error",
    )
    .await;
    find(&b, "#sign-out").await;
    // A new password the register rules refuse, and two that differ.
    fill(
        &b,
        "#change-password input[name=current_password]",
        PASSWORD,
    )
    .await;
    fill(&b, "#change-password input[name=new_password]", "password").await;
    fill(&b, "#change-password input[name=repeat]", "password").await;
    click(&b, "#change-password button[type=submit]").await;
    wait_for_part(
        &b,
        "#change-password [data-field=new_password] .field-error",
        "common",
    )
    .await;
    fill(&b, "#change-password input[name=new_password]", NEW).await;
    fill(
        &b,
        "#change-password input[name=repeat]",
        "something else entirely",
    )
    .await;
    click(&b, "#change-password button[type=submit]").await;
    wait_for_shown(&b, "#change-password [data-field=repeat] .field-error").await;
    check_page(&b, "account-problems").await;

    fill(&b, "#change-password input[name=repeat]", NEW).await;
    click(&b, "#change-password button[type=submit]").await;
    wait_for_part(&b, "#session-ended", "password was changed").await;
    find(&b, "#sign-in-link").await;
    check_page(&b, "password-changed").await;
    let other = post(
        "/users/token",
        &json!({"grant_type": "refresh_token", "refresh_token": elsewhere.body["refresh_token"]}),
    )
    .await;
    assert_eq!((other.status, other.code()), (401, "invalid_refresh_token"));

    // The old password is refused, the new one signs in and returns here.
    fill(&b, "#sign-in input[name=login]", &name).await;
    fill(&b, "#sign-in input[name=password]", PASSWORD).await;
    click(&b, "#sign-in button[type=submit]").await;
    wait_for_shown(&b, "#sign-in .problem").await;
    fill(&b, "#sign-in input[name=password]", NEW).await;
    click(&b, "#sign-in button[type=submit]").await;
    wait_for_text(&b, "h1", "Your account").await;
    let mails = wait_for_mails(&email, 1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["subject"], "Your ferrocart password was changed");
}

#[tokio::test]
async fn signing_out_everywhere_ends_the_other_devices_too() {
    let b = browser().await;
    open(&b, "/shop/sign-in").await;
    let (name, _) = sign_up(&b).await;
    let elsewhere = post(
        "/users/login",
        &json!({"username": name, "password": PASSWORD}),
    )
    .await;
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.text);

    open(&b, "/shop/account").await;
    click(&b, "#sign-out-everywhere").await;
    wait_for_part(&b, "#session-ended", "Every device was signed out").await;
    find(&b, "#sign-in-link").await;
    let other = post(
        "/users/token",
        &json!({"grant_type": "refresh_token", "refresh_token": elsewhere.body["refresh_token"]}),
    )
    .await;
    assert_eq!((other.status, other.code()), (401, "invalid_refresh_token"));
    // The other device's access token can no longer order.
    let access = elsewhere.body["access_token"].as_str().expect("a token");
    let order = json!({"items": [{"product_id": ulid::Ulid::new().to_string(), "quantity": 1}]});
    let refused = call("POST", "/orders", Some(access), Some(&order)).await;
    assert_eq!((refused.status, refused.code()), (401, "unauthorized"));
    // The account page, bookmarked, asks to sign in.
    open(&b, "/shop/account").await;
    wait_for_text(&b, "h1", "Sign in or create an account").await;
}
