//! The account page in the browser: the address book, a password change
//! (its mistakes shown at their fields, then every session ended and the new
//! password the only one that signs in) and signing out everywhere.

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
    let mails = wait_for_mails_about(&email, "password was changed", 1).await;
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
    let order =
        order_request(json!([{"product_id": ulid::Ulid::new().to_string(), "quantity": 1}]));
    let refused = call("POST", "/orders", Some(access), Some(&order)).await;
    assert_eq!((refused.status, refused.code()), (401, "unauthorized"));
    // The account page, bookmarked, asks to sign in.
    open(&b, "/shop/account").await;
    wait_for_text(&b, "h1", "Sign in or create an account").await;
}

#[tokio::test]
async fn a_shopper_keeps_an_address_book_on_the_account_page() {
    let b = browser().await;
    open(&b, "/shop/sign-in").await;
    let (name, _) = sign_up(&b).await;
    click(&b, "#account-link").await;
    wait_for_part(&b, "#addresses-status", "No address saved yet").await;

    // A mistake is shown at its field; nothing is saved.
    fill(&b, "#add-address input[name=name]", "Ada Lovelace").await;
    fill(&b, "#add-address input[name=line1]", "12 St James's Square").await;
    fill(&b, "#add-address input[name=city]", "London").await;
    fill(&b, "#add-address input[name=postal_code]", "SW1Y_4JH").await;
    find(&b, "#add-address select[name=country] option[value=GB]")
        .await
        .click()
        .await
        .expect("choose the United Kingdom");
    click(&b, "#add-address button[type=submit]").await;
    wait_for_shown(&b, "#add-address [data-field=postal_code] .field-error").await;
    check_page(&b, "address-problem").await;
    fill(&b, "#add-address input[name=postal_code]", "SW1Y 4JH").await;
    click(&b, "#add-address button[type=submit]").await;
    wait_for_part(&b, "#addresses-status", "1 of 10 addresses saved").await;
    wait_for_part(&b, "#addresses .address", "SW1Y 4JH").await;
    wait_for_part(&b, "#addresses .address .badge", "Default address").await;

    // A second address, made the default; then the first is edited.
    fill(&b, "#add-address input[name=name]", "Ada at work").await;
    fill(&b, "#add-address input[name=line1]", "1 Analytical Row").await;
    fill(&b, "#add-address input[name=city]", "Cambridge").await;
    fill(&b, "#add-address input[name=postal_code]", "CB2 1TN").await;
    click(&b, "#add-address button[type=submit]").await;
    wait_for_part(&b, "#addresses-status", "2 of 10 addresses saved").await;
    click(&b, "#addresses .address:nth-child(2) .make-default").await;
    wait_for_part(
        &b,
        "#addresses .address:nth-child(2) .badge",
        "Default address",
    )
    .await;
    assert_eq!(wait_for_count(&b, "#addresses .badge", 1).await, 1);
    click(&b, "#addresses .address:nth-child(1) .edit").await;
    fill(
        &b,
        "#addresses .address:nth-child(1) input[name=line2]",
        "Flat 2",
    )
    .await;
    click(&b, "#addresses .address:nth-child(1) button[type=submit]").await;
    wait_for_part(&b, "#addresses .address:nth-child(1)", "Flat 2").await;
    for shown in texts(&b, "#addresses .address").await {
        assert!(
            !shown.contains("null") && !shown.contains("undefined"),
            "{shown}"
        );
    }
    check_page(&b, "addresses").await;

    // What the page shows is what the API holds.
    let api_token = post(
        "/users/login",
        &json!({"username": name, "password": PASSWORD}),
    )
    .await;
    let access = api_token.body["access_token"].as_str().expect("a token");
    let stored = get("/users/me/addresses", Some(access)).await;
    let items = stored.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{}", stored.text);
    assert_eq!(
        (items[0]["line2"].as_str(), items[0]["country"].as_str()),
        (Some("Flat 2"), Some("GB"))
    );
    assert_eq!(
        (
            items[0]["is_default"].as_bool(),
            items[1]["is_default"].as_bool()
        ),
        (Some(false), Some(true))
    );

    click(&b, "#addresses .address:nth-child(1) .delete").await;
    wait_for_part(&b, "#addresses-status", "1 of 10 addresses saved").await;
}

#[tokio::test]
async fn a_shopper_moves_the_account_to_a_new_address() {
    let b = browser().await;
    open(&b, "/shop/sign-in").await;
    let (_, old) = sign_up(&b).await;
    click(&b, "#account-link").await;
    wait_for_part(&b, "#account-details", &old).await;
    let new = format!("{}@example.com", unique("moved"));
    // A wrong password is shown at its field.
    fill(&b, "#change-email input[name=email]", &new).await;
    fill(
        &b,
        "#change-email input[name=current_password]",
        "not my password",
    )
    .await;
    click(&b, "#change-email button[type=submit]").await;
    wait_for_shown(
        &b,
        "#change-email [data-field=current_password] .field-error",
    )
    .await;
    fill(&b, "#change-email input[name=current_password]", PASSWORD).await;
    click(&b, "#change-email button[type=submit]").await;
    wait_for_part(&b, "#email-changed", &new).await;
    wait_for_part(&b, "#account-email", &new).await;
    // The reminder follows the new address.
    wait_for_part(&b, "#reminder", &new).await;
    check_page(&b, "account-email-changed").await;
    assert_eq!(
        wait_for_mails_about(&old, "e-mail address was changed", 1)
            .await
            .len(),
        1
    );
}
