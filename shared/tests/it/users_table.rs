//! The users table adapter against DynamoDB Local.

use crate::common;

use common::{unique, users_table};
use shared::aws::users_table::CreateUserError;
use shared::domain::{Email, LoginName, Role, Timestamp, User, UserId, Username};

fn user(name: &str, email: &str) -> User {
    User {
        id: UserId::generate(),
        username: Username::parse(name).unwrap(),
        email: Email::parse(email).unwrap(),
        role: Role::Customer,
        created_at: Timestamp::now(),
    }
}

#[tokio::test]
async fn usernames_and_emails_are_unique_ignoring_case() {
    let table = users_table().await;
    let name = unique("u");
    let email = format!("{}@example.com", unique("e"));
    assert_eq!(
        table.create_user(&user(&name, &email), "h").await.unwrap(),
        Ok(())
    );

    let other_email = format!("{}@example.com", unique("e"));
    let taken = table
        .create_user(&user(&name.to_uppercase(), &other_email), "h")
        .await
        .unwrap();
    assert_eq!(taken, Err(CreateUserError::UsernameTaken));

    let taken = table
        .create_user(&user(&unique("u"), &email.to_uppercase()), "h")
        .await
        .unwrap();
    assert_eq!(taken, Err(CreateUserError::EmailTaken));

    // A failed transaction leaves nothing behind: the other e-mail is still free.
    assert_eq!(
        table
            .create_user(&user(&unique("u"), &other_email), "h")
            .await
            .unwrap(),
        Ok(())
    );
}

#[tokio::test]
async fn twenty_concurrent_registrations_of_one_username_make_one_user() {
    let table = users_table().await;
    let name = unique("race");
    let attempts = (0..20).map(|_| {
        let table = table.clone();
        let candidate = user(&name, &format!("{}@example.com", unique("e")));
        tokio::spawn(async move { table.create_user(&candidate, "h").await })
    });
    let results = futures::future::join_all(attempts).await;
    let outcomes: Vec<_> = results.into_iter().map(|r| r.unwrap().unwrap()).collect();
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(()) | Err(CreateUserError::UsernameTaken)))
    );
}

#[tokio::test]
async fn finds_users_by_username_or_email_ignoring_case() {
    let table = users_table().await;
    let created = user(&unique("Find"), &format!("{}@Example.com", unique("Mixed")));
    table.create_user(&created, "phc").await.unwrap().unwrap();

    let by_name = table
        .find_by_login(&LoginName::Username(
            created.username.as_str().to_uppercase(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_name.user, created);
    assert_eq!(by_name.password_hash, "phc");
    let by_email = table
        .find_by_login(&LoginName::Email(created.email.as_str().to_lowercase()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_email.user.id, created.id);
    assert!(
        table
            .find_by_login(&LoginName::Username(unique("nobody")))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        table.get_user(&created.id).await.unwrap().unwrap().user,
        created
    );
    assert!(table.get_user(&UserId::generate()).await.unwrap().is_none());
}

#[tokio::test]
async fn failure_counters_are_atomic_under_concurrency() {
    let table = users_table().await;
    let name = unique("counted");
    let now = Timestamp::now();
    let failures = (0..20).map(|_| {
        let table = table.clone();
        let name = name.clone();
        tokio::spawn(async move { table.record_login_failure(&name, "198.51.100.7", now).await })
    });
    let mut counts: Vec<u64> = futures::future::join_all(failures)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    counts.sort();
    assert_eq!(counts, (1..=20).collect::<Vec<_>>());
    let counters = table
        .login_counters(&name, "198.51.100.7", now)
        .await
        .unwrap();
    assert_eq!(counters.pair_failures, 20);
    assert_eq!(counters.name_failures_this_hour, 20);

    // Another IP has its own pair but shares the name's hourly count.
    let other = table
        .login_counters(&name, "198.51.100.8", now)
        .await
        .unwrap();
    assert_eq!(
        (other.pair_failures, other.name_failures_this_hour),
        (0, 20)
    );

    table
        .lock_login_pair(&name, "198.51.100.7", now.unix_seconds() + 30)
        .await
        .unwrap();
    let locked = table
        .login_counters(&name, "198.51.100.7", now)
        .await
        .unwrap();
    assert_eq!(locked.pair_locked_until, Some(now.unix_seconds() + 30));

    table.reset_login_pair(&name, "198.51.100.7").await.unwrap();
    let reset = table
        .login_counters(&name, "198.51.100.7", now)
        .await
        .unwrap();
    assert_eq!((reset.pair_failures, reset.pair_locked_until), (0, None));
    assert_eq!(reset.name_failures_this_hour, 20);
}
