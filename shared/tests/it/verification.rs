//! Mailed tokens against DynamoDB Local: a verification link verifies once,
//! only the address it was mailed to, and of concurrent uses exactly one
//! wins; the consumer mails a link whose token works; the resend limit
//! admits exactly its number under concurrency; a reset link sets the
//! password once and ends every session, and is mailed to real accounts
//! only; an account event SQS refused waits in the outbox and is mailed once.

use crate::common;

use common::{unique, users_table};
use serde_json::json;
use shared::Error;
use shared::auth::{OpaqueToken, PasswordHasher};
use shared::aws::UsersTable;
use shared::domain::throttle::RateLimit;
use shared::domain::user::TokenPurpose;
use shared::domain::{Email, NewUser, Timestamp, User};
use shared::notifications::Notifier;
use shared::users;

async fn registered(table: &UsersTable) -> User {
    let name = unique("verify");
    users::register(
        table,
        &PasswordHasher::new(),
        NewUser::parse(
            &name,
            &format!("{name}@example.com"),
            "a fine long passphrase",
        )
        .unwrap(),
    )
    .await
    .unwrap()
}

/// A token as the consumer stores one, mailed to `email` at `at`.
async fn mailed(table: &UsersTable, user: &User, email: &Email, at: Timestamp) -> OpaqueToken {
    let token = OpaqueToken::generate().unwrap();
    table
        .store_mailed_token(
            TokenPurpose::VerifyEmail,
            &token.digest(),
            &user.id,
            email,
            at,
        )
        .await
        .unwrap();
    token
}

async fn verified(table: &UsersTable, user: &User) -> bool {
    table
        .get_user(&user.id)
        .await
        .unwrap()
        .unwrap()
        .user
        .email_verified
}

fn refused(result: Result<(), Error>) -> bool {
    matches!(result, Err(Error::InvalidToken))
}

#[tokio::test]
async fn a_verification_token_works_once_and_only_for_its_address() {
    let table = users_table().await;
    let user = registered(&table).await;
    assert!(!verified(&table, &user).await);

    // Expired (TTL has not removed it yet), for another address, malformed.
    let day_ago = Timestamp::now().plus_seconds(-(24 * 3600 + 1));
    let expired = mailed(&table, &user, &user.email, day_ago).await;
    assert!(refused(users::verify_email(&table, Some(expired)).await));
    let other = Email::parse("someone.else@example.com").unwrap();
    let elsewhere = mailed(&table, &user, &other, Timestamp::now()).await;
    assert!(refused(users::verify_email(&table, Some(elsewhere)).await));
    assert!(refused(users::verify_email(&table, None).await));
    assert!(!verified(&table, &user).await);

    let token = mailed(&table, &user, &user.email, Timestamp::now()).await;
    users::verify_email(&table, Some(token.clone()))
        .await
        .unwrap();
    assert!(verified(&table, &user).await);
    assert!(refused(users::verify_email(&table, Some(token)).await));
}

#[tokio::test]
async fn of_concurrent_uses_of_one_token_exactly_one_succeeds() {
    let table = users_table().await;
    let user = registered(&table).await;
    let token = mailed(&table, &user, &user.email, Timestamp::now()).await;
    let outcomes = futures::future::join_all(
        (0..10).map(|_| users::verify_email(&table, Some(token.clone()))),
    )
    .await;
    let ok = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(ok, 1, "{outcomes:?}");
    assert!(outcomes.into_iter().all(|o| o.is_ok() || refused(o)));
    assert!(verified(&table, &user).await);
}

#[tokio::test]
async fn a_rate_limit_admits_exactly_its_number_under_concurrency() {
    let table = users_table().await;
    let name = unique("limit");
    let limit = RateLimit {
        times: 3,
        window_seconds: 3600,
    };
    let now = Timestamp::now();
    let outcomes =
        futures::future::join_all((0..12).map(|_| table.take_rate_limit(&name, limit, now))).await;
    let outcomes: Vec<Result<(), u64>> = outcomes.into_iter().map(|o| o.unwrap()).collect();
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        3,
        "{outcomes:?}"
    );
    // Refused until the oldest use leaves the hour.
    match table.take_rate_limit(&name, limit, now).await.unwrap() {
        Err(retry_after) => assert!((3599..=3600).contains(&retry_after), "{retry_after}"),
        Ok(()) => panic!("a fourth use in the hour was admitted"),
    }
    let later = now.plus_seconds(3600);
    assert_eq!(
        table.take_rate_limit(&name, limit, later).await.unwrap(),
        Ok(())
    );
}

#[tokio::test]
async fn the_consumer_mails_one_link_whose_token_verifies_the_address() {
    let table = users_table().await;
    let user = registered(&table).await;
    let notifier = Notifier::from_env().unwrap();
    let event_id = ulid::Ulid::new().to_string();
    let body = json!({
        "type": "account.verification_requested",
        "id": event_id,
        "time": "2026-12-07T12:00:00.000Z",
        "data": {"user_id": user.id, "username": user.username, "email": user.email},
    });
    let record = |n: usize| json!({"messageId": format!("m-{n}-{event_id}"), "body": body.to_string(), "eventSource": "aws:sqs"});
    // Delivered twice in one batch: one claim, one token, one mail.
    let response = notifier
        .handle_batch(serde_json::from_value(json!({"Records": [record(1), record(2)]})).unwrap())
        .await;
    assert!(response.batch_item_failures.is_empty());
    let mails = common::mails_to(user.email.as_str()).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["subject"], "Confirm your ferrocart e-mail address");
    let text = mails[0]["body"].as_str().unwrap();
    let link = format!("{}/shop/verify#token=", common::env("SHOP_URL"));
    let start = text.find(&link).expect("the link") + link.len();
    let token = OpaqueToken::parse(&text[start..start + 43]).expect("a token's shape");
    users::verify_email(&table, Some(token)).await.unwrap();
    assert!(verified(&table, &user).await);
}

/// The account use cases as the account functions build them.
fn accounts() -> shared::users::Accounts {
    shared::wiring::AccountApi::from_env().unwrap().accounts
}

async fn reset_token(table: &UsersTable, user: &User) -> OpaqueToken {
    let token = OpaqueToken::generate().unwrap();
    table
        .store_mailed_token(
            TokenPurpose::ResetPassword,
            &token.digest(),
            &user.id,
            &user.email,
            Timestamp::now(),
        )
        .await
        .unwrap();
    token
}

fn reset(token: &OpaqueToken, password: &str) -> users::PasswordReset {
    users::PasswordReset {
        token: Some(token.clone()),
        password: shared::domain::Password::parse(password).unwrap(),
    }
}

#[tokio::test]
async fn a_reset_token_sets_the_password_once_and_ends_every_session() {
    let table = users_table().await;
    let accounts = accounts();
    let user = registered(&table).await;
    let before = table.get_user(&user.id).await.unwrap().unwrap();
    // A verification token is not a reset token.
    let verify = mailed(&table, &user, &user.email, Timestamp::now()).await;
    let wrong_kind = accounts
        .reset_password(reset(&verify, "a new long passphrase"))
        .await;
    assert!(refused(wrong_kind));

    let token = reset_token(&table, &user).await;
    accounts
        .reset_password(reset(&token, "a new long passphrase"))
        .await
        .unwrap();
    let after = table.get_user(&user.id).await.unwrap().unwrap();
    assert_ne!(after.password_hash, before.password_hash);
    assert!(after.user.email_verified, "the link proved the address");
    let cutoff = after.tokens_valid_after_ms.expect("a cut-off");
    assert!(cutoff <= Timestamp::now().unix_millis());
    let old = users::ensure_current(&table, &user.id, cutoff - 1).await;
    assert!(matches!(old, Err(Error::Unauthorized(_))), "{old:?}");
    assert!(refused(
        accounts
            .reset_password(reset(&token, "yet another passphrase"))
            .await
    ));
}

#[tokio::test]
async fn of_concurrent_resets_with_one_token_exactly_one_applies() {
    let table = users_table().await;
    let accounts = accounts();
    let user = registered(&table).await;
    let token = reset_token(&table, &user).await;
    let outcomes = futures::future::join_all(
        (0..5)
            .map(|n| accounts.reset_password(reset(&token, &format!("candidate passphrase {n}")))),
    )
    .await;
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes.into_iter().all(|o| o.is_ok() || refused(o)));
}

#[tokio::test]
async fn a_reset_request_mails_a_real_account_only() {
    let table = users_table().await;
    let user = registered(&table).await;
    let notifier = Notifier::from_env().unwrap();
    let unknown = format!("{}@example.com", unique("nobody"));
    let request = |email: &str| {
        let id = ulid::Ulid::new().to_string();
        let body = json!({
            "type": "account.password_reset_requested",
            "id": id,
            "time": "2026-12-07T12:00:00.000Z",
            "data": {"email": email},
        });
        json!({"messageId": format!("m-{id}"), "body": body.to_string(), "eventSource": "aws:sqs"})
    };
    // The address as typed, in another case: the account's own is mailed.
    let typed = user.email.as_str().to_uppercase();
    let response = notifier
        .handle_batch(
            serde_json::from_value(json!({"Records": [request(&unknown), request(&typed)]}))
                .unwrap(),
        )
        .await;
    assert!(response.batch_item_failures.is_empty());
    assert!(common::mails_to(&unknown).await.is_empty());
    let mails = common::mails_to(user.email.as_str()).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["subject"], "Reset your ferrocart password");
    let text = mails[0]["body"].as_str().unwrap();
    let link = format!("{}/shop/reset#token=", common::env("SHOP_URL"));
    let start = text.find(&link).expect("the link") + link.len();
    let token = OpaqueToken::parse(&text[start..start + 43]).expect("a token's shape");
    accounts()
        .reset_password(reset(&token, "the chosen new passphrase"))
        .await
        .unwrap();
}

fn email_change(email: &str) -> users::EmailChange {
    users::EmailChange {
        email: Email::parse(email).unwrap(),
        current: "a fine long passphrase".into(),
        source_ip: "198.51.100.7".into(),
    }
}

#[tokio::test]
async fn of_two_accounts_moving_to_one_address_exactly_one_gets_it() {
    let table = users_table().await;
    let accounts = accounts();
    let (a, b) = (registered(&table).await, registered(&table).await);
    let wanted = format!("{}@example.com", unique("wanted"));
    let (first, second) = futures::join!(
        accounts.change_email(&a.id, i64::MAX, email_change(&wanted)),
        accounts.change_email(&b.id, i64::MAX, email_change(&wanted)),
    );
    let outcomes = [first, second];
    let moved: Vec<&User> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(moved.len(), 1, "{outcomes:?}");
    assert!(
        outcomes.iter().any(|o| matches!(o, Err(Error::EmailTaken))),
        "{outcomes:?}"
    );
    let winner = moved[0];
    assert_eq!(winner.email.as_str(), wanted);
    assert!(!winner.email_verified);
    // Stored as answered, and the old address is free for anyone.
    let stored = table.get_user(&winner.id).await.unwrap().unwrap().user;
    assert_eq!(stored.email.as_str(), wanted);
    let old = if winner.id == a.id { &a } else { &b };
    let lookup = shared::domain::LoginName::Email(old.email.as_str().to_owned());
    assert!(table.find_by_login(&lookup).await.unwrap().is_none());
    let name = unique("reuse");
    users::register(
        &table,
        &PasswordHasher::new(),
        NewUser::parse(&name, old.email.as_str(), "a fine long passphrase").unwrap(),
    )
    .await
    .unwrap();
    // A link mailed to the old address no longer verifies anything.
    let stale = mailed(&table, winner, &old.email, Timestamp::now()).await;
    assert!(refused(users::verify_email(&table, Some(stale)).await));
}

#[tokio::test]
async fn an_account_event_the_queue_refused_is_sent_by_the_sweeper_and_mailed_once() {
    let table = users_table().await;
    let sdk = shared::aws::sdk_config().unwrap();
    let mut accounts = accounts();
    // A queue that does not exist: SQS refuses the send after the commit.
    accounts.queue = shared::aws::EventQueue::new(
        aws_sdk_sqs::Client::new(&sdk),
        format!(
            "{}/123456789012/no-such-queue",
            common::env("AWS_ENDPOINT_URL_SQS")
        ),
    );
    let name = unique("outbox");
    let user = accounts
        .register(
            NewUser::parse(
                &name,
                &format!("{name}@example.com"),
                "a fine long passphrase",
            )
            .unwrap(),
        )
        .await
        .unwrap();
    assert!(
        table.get_user(&user.id).await.unwrap().is_some(),
        "the account is stored"
    );
    // The send failed after the commit, so only the outbox can bring the
    // mail: this sweep, or the stack's own scheduled one if it runs first.
    let mut sweeper = shared::sweepers::ResendPaymentEvents::from_env().unwrap();
    sweeper.grace_seconds = 0;
    sweeper.resend_outboxes().await.unwrap();
    let left = table.outbox().unsent(Timestamp::now(), 100).await.unwrap();
    assert!(!left.iter().any(|e| e.body.contains(user.id.as_str())));
    sweeper.resend_outboxes().await.unwrap();

    // The stack's consumer mails it, once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while common::mails_to(user.email.as_str()).await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the link was never mailed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let mails = common::mails_to(user.email.as_str()).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["subject"], "Confirm your ferrocart e-mail address");
}
