//! Sessions in the browser: a reload keeps the shopper signed in (the
//! refresh token in the tab's sessionStorage), and signing out in one tab
//! signs out the tabs that share the session, at the API too.

use super::*;

#[tokio::test]
async fn a_reload_stays_signed_in_and_signing_out_ends_every_tab() {
    let b = browser().await;
    open(&b, "/shop/sign-in").await;
    let (name, _) = sign_up(&b).await;

    // A reload: the access token is gone with the page, the refresh token
    // brings the shopper back.
    open(&b, "/shop/orders").await;
    wait_for_text(&b, "h1", "My orders").await;
    wait_for_text(&b, "#account-nav .who", &name).await;
    let stored = || async {
        b.client
            .execute(
                "return sessionStorage.getItem('ferrocart.refresh');",
                vec![],
            )
            .await
            .expect("sessionStorage")
    };
    let kept = b
        .client
        .execute("return localStorage.getItem('ferrocart.refresh');", vec![])
        .await
        .expect("localStorage");
    assert_eq!(kept, Value::Null, "never in localStorage");

    // A second tab opened from this one shares the session.
    let first = b.client.window().await.expect("this tab");
    b.client
        .execute(
            "window.open(location.origin + '/shop/orders', '_blank');",
            vec![],
        )
        .await
        .expect("a second tab");
    let second = b
        .client
        .windows()
        .await
        .expect("the tabs")
        .into_iter()
        .find(|w| *w != first)
        .expect("a second tab");
    b.client
        .switch_to_window(second.clone())
        .await
        .expect("to it");
    wait_for_text(&b, "h1", "My orders").await;
    find(&b, "#sign-out").await;
    let token = stored().await;
    assert!(token.is_string(), "{token:?}");

    // Signing out in the first tab...
    b.client.switch_to_window(first).await.expect("back");
    wait_for_text(&b, "#account-nav .who", &name).await;
    click(&b, "#sign-out").await;
    find(&b, "#sign-in-link").await;
    assert_eq!(stored().await, Value::Null);

    // ...signs the second out: its page asks to sign in, and the session's
    // refresh token is refused by the API.
    b.client
        .switch_to_window(second)
        .await
        .expect("to the second");
    find(&b, "#sign-in-link").await;
    wait_for_text(&b, "h1", "Sign in or create an account").await;
    let refused = post(
        "/users/token",
        &json!({"grant_type": "refresh_token", "refresh_token": token}),
    )
    .await;
    assert_eq!(
        (refused.status, refused.code()),
        (401, "invalid_refresh_token")
    );
    check_page(&b, "signed-out").await;
}
