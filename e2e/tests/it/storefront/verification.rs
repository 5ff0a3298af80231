//! E-mail verification in the browser: the reminder a new shopper sees, a
//! new link asked for from it, the mailed link opened (its token read from
//! the fragment and taken out of the address bar), the reminder gone.

use super::*;

#[tokio::test]
async fn a_new_shopper_confirms_the_address_from_the_mailed_link() {
    let b = browser().await;
    open(&b, "/shop/sign-in").await;
    let (_, email) = sign_up(&b).await;
    wait_for_part(&b, "#reminder", &email).await;
    check_page(&b, "verification-reminder").await;

    // A second link, asked for from the reminder.
    click(&b, "#resend-verification").await;
    wait_for_part(&b, "#reminder [role=status]", "Sent").await;
    let token = mailed_token(&email, VERIFY_SUBJECT, "verify", 2).await;

    open(&b, &format!("/shop/verify#token={token}")).await;
    wait_for_part(&b, "#verified", "confirmed").await;
    let url = b.client.current_url().await.expect("url");
    assert_eq!(
        url.fragment(),
        None,
        "the token left the address bar: {url}"
    );
    assert_eq!(url.path(), "/shop/verify");
    check_page(&b, "verified").await;
    // Signed in again on load, with the address confirmed: no reminder.
    click(&b, "#account-link").await;
    wait_for_part(&b, "#account-details", &email).await;
    assert!(
        texts(&b, "#reminder")
            .await
            .iter()
            .all(|t| t.trim().is_empty()),
        "the reminder is gone"
    );

    // The same link again: refused, with the way forward.
    open(&b, &format!("/shop/verify#token={token}")).await;
    wait_for_part(&b, ".problem", "already used").await;
    check_page(&b, "verify-used-link").await;
}
