//! A forgotten password in the browser: the link from the sign-in page, the
//! request (the same words for any address), the mailed link opened, the
//! new password set and signed in with.

use super::*;

const NEW: &str = "a password set from the link";

#[tokio::test]
async fn a_shopper_who_forgot_the_password_sets_a_new_one() {
    let (name, user) = register().await;
    let email = user["email"].as_str().unwrap().to_owned();
    let b = browser().await;
    open(&b, "/shop/sign-in").await;
    click(&b, "#forgot-link").await;
    wait_for_text(&b, "h1", "Forgotten your password?").await;
    fill(&b, "#forgot-password input[name=email]", &email).await;
    click(&b, "#forgot-password button[type=submit]").await;
    wait_for_part(&b, "#reset-sent", "30 minutes").await;
    check_page(&b, "forgot-password").await;

    let token = mailed_token(&email, "Reset your ferrocart password", "reset", 1).await;
    open(&b, &format!("/shop/reset#token={token}")).await;
    wait_for_text(&b, "h1", "Choose a new password").await;
    let url = b.client.current_url().await.expect("url");
    assert_eq!(
        url.fragment(),
        None,
        "the token left the address bar: {url}"
    );
    check_page(&b, "reset-password").await;
    // Two that differ are caught here; then the new one is set.
    fill(&b, "#reset-password input[name=password]", NEW).await;
    fill(
        &b,
        "#reset-password input[name=repeat]",
        "something else entirely",
    )
    .await;
    click(&b, "#reset-password button[type=submit]").await;
    wait_for_shown(&b, "#reset-password [data-field=repeat] .field-error").await;
    fill(&b, "#reset-password input[name=repeat]", NEW).await;
    click(&b, "#reset-password button[type=submit]").await;
    wait_for_part(&b, "#session-ended", "new password is set").await;

    fill(&b, "#sign-in input[name=login]", &name).await;
    fill(&b, "#sign-in input[name=password]", NEW).await;
    click(&b, "#sign-in button[type=submit]").await;
    wait_for_text(&b, "h1", "Your account").await;

    // The link was used: opened again, it says so and offers a new one.
    open(&b, &format!("/shop/reset#token={token}")).await;
    fill(&b, "#reset-password input[name=password]", NEW).await;
    fill(&b, "#reset-password input[name=repeat]", NEW).await;
    click(&b, "#reset-password button[type=submit]").await;
    wait_for_part(&b, ".problem", "already used").await;
    check_page(&b, "reset-used-link").await;
}
