//! The users table adapter against DynamoDB Local.

use crate::common;

use common::{unique, users_table};
use shared::aws::users_table::{Admission, CreateUserError};
use shared::domain::throttle::{LoginThrottle, Subject};
use shared::domain::{Email, LoginName, Role, Timestamp, User, UserId, Username};

fn user(name: &str, email: &str) -> User {
    User {
        id: UserId::generate(),
        username: Username::parse(name).unwrap(),
        email: Email::parse(email).unwrap(),
        role: Role::Customer,
        email_verified: false,
        created_at: Timestamp::now(),
        updated_at: Timestamp::now(),
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

/// `n` concurrent attempts of one subject from one IP: how many were admitted.
async fn concurrent_admissions(
    table: &shared::aws::UsersTable,
    subject: &Subject,
    throttle: &LoginThrottle,
    now: Timestamp,
    n: usize,
) -> Vec<u64> {
    let attempts = (0..n).map(|_| {
        let (table, subject, throttle) = (table.clone(), subject.clone(), *throttle);
        tokio::spawn(async move {
            table
                .admit_login(&subject, "198.51.100.7", &throttle, now)
                .await
        })
    });
    let mut admitted: Vec<u64> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .filter_map(|r| match r.unwrap().unwrap() {
            Admission::Admitted(n) => Some(n),
            Admission::Refused(wait) => {
                assert!(wait >= 1);
                None
            }
        })
        .collect();
    admitted.sort();
    admitted
}

#[tokio::test]
async fn a_burst_of_attempts_is_admitted_only_up_to_the_threshold() {
    let table = users_table().await;
    let subject = Subject::Account(UserId::generate());
    let throttle = LoginThrottle::default();
    let now = Timestamp::now();
    assert_eq!(
        concurrent_admissions(&table, &subject, &throttle, now, 20).await,
        vec![1, 2, 3, 4, 5],
        "no more than five checks, however parallel"
    );
    // Once a lock has run out, exactly one concurrent attempt gets through,
    // and it holds the pair while its password is checked.
    table
        .lock_login_pair(&subject, "198.51.100.7", now.unix_seconds() - 1)
        .await
        .unwrap();
    assert_eq!(
        concurrent_admissions(&table, &subject, &throttle, now, 10).await,
        vec![6]
    );
    // Another IP has its own pair; a success clears this one.
    assert_eq!(
        table
            .admit_login(&subject, "198.51.100.8", &throttle, now)
            .await
            .unwrap(),
        Admission::Admitted(1)
    );
    table
        .login_succeeded(&subject, "198.51.100.7", now)
        .await
        .unwrap();
    assert_eq!(
        table
            .admit_login(&subject, "198.51.100.7", &throttle, now)
            .await
            .unwrap(),
        Admission::Admitted(1)
    );
}

#[tokio::test]
async fn the_hourly_count_slides_over_the_window_boundary() {
    let table = users_table().await;
    let subject = Subject::Unknown(unique("slid"));
    let throttle = LoginThrottle {
        max_failures_per_name_per_hour: 10,
        ..Default::default()
    };
    // Ten failures in the last second of one window, from ten IPs...
    let window_end = (Timestamp::now().unix_seconds() / 3600) * 3600 - 1;
    let at = |s: i64| Timestamp::from_unix(s).unwrap();
    for i in 0..10 {
        let admitted = table
            .admit_login(
                &subject,
                &format!("203.0.113.{i}"),
                &throttle,
                at(window_end),
            )
            .await
            .unwrap();
        assert!(matches!(admitted, Admission::Admitted(1)), "{admitted:?}");
    }
    // ...leave no room two seconds later, in the next window (a fixed window
    // would have allowed ten more), and some room half an hour on.
    let refused = table
        .admit_login(&subject, "203.0.113.99", &throttle, at(window_end + 2))
        .await
        .unwrap();
    assert!(
        matches!(refused, Admission::Refused(wait) if wait >= 1),
        "{refused:?}"
    );
    let later = table
        .admit_login(&subject, "203.0.113.98", &throttle, at(window_end + 1801))
        .await
        .unwrap();
    assert!(matches!(later, Admission::Admitted(1)), "{later:?}");
}
