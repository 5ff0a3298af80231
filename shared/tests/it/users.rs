//! The users use cases against DynamoDB Local: registration, login,
//! throttling with a short back-off.

use crate::common;

use common::{unique, users_table};
use secrecy::ExposeSecret;
use shared::Error;
use shared::auth::token::{generate_key_pair, jwk_set};
use shared::auth::{PasswordHasher, TokenSigner, TokenVerifier};
use shared::aws::users_table::Admission;
use shared::domain::throttle::{LoginThrottle, Subject};
use shared::domain::{LoginName, NewUser, Password, Role, Timestamp};
use shared::users::{self, LoginAttempt};
use shared::wiring::AccountApi;
use std::time::Duration;

fn signer_and_verifier() -> (TokenSigner, TokenVerifier) {
    let (key, jwk) = generate_key_pair("test").unwrap();
    (
        TokenSigner::new(&key, "iss", "aud").unwrap(),
        TokenVerifier::from_jwks(&jwk_set(&[jwk]), "iss", "aud").unwrap(),
    )
}

fn attempt(name: &str, password: &str, ip: &str) -> LoginAttempt {
    LoginAttempt {
        name: LoginName::Username(name.to_owned()),
        password: password.into(),
        source_ip: ip.to_owned(),
    }
}

const PASSWORD: &str = "a perfectly fine passphrase";

async fn registered(table: &shared::aws::UsersTable, hasher: &PasswordHasher) -> String {
    let name = unique("user");
    let email = format!("{name}@example.com");
    users::register(
        table,
        hasher,
        NewUser::parse(&name, &email, PASSWORD).unwrap(),
    )
    .await
    .unwrap();
    name
}

#[tokio::test]
async fn register_makes_a_customer_and_login_issues_a_token_for_it() {
    let (table, hasher) = (users_table().await, PasswordHasher::new());
    let (signer, verifier) = signer_and_verifier();
    let name = unique("reg");
    let user = users::register(
        &table,
        &hasher,
        NewUser::parse(&name, &format!("{name}@example.com"), PASSWORD).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(user.role, Role::Customer);

    let throttle = LoginThrottle::default();
    let by_email = LoginAttempt {
        name: LoginName::Email(format!("{}@EXAMPLE.com", name.to_uppercase())),
        password: PASSWORD.into(),
        source_ip: "192.0.2.1".into(),
    };
    let logged_in = users::login(&table, &hasher, &throttle, &signer, by_email)
        .await
        .unwrap();
    assert_eq!(logged_in.user, user);
    let claims = verifier
        .verify(logged_in.access_token.expose_secret())
        .unwrap();
    assert_eq!(claims.sub, user.id.to_string());
    assert_eq!(users::me(&table, &user.id).await.unwrap(), user);
}

#[tokio::test]
async fn create_user_can_make_an_admin() {
    let (table, hasher) = (users_table().await, PasswordHasher::new());
    let name = unique("adm");
    let new = NewUser::parse(&name, &format!("{name}@example.com"), PASSWORD).unwrap();
    let admin = users::create_user(&table, &hasher, new, Role::Admin)
        .await
        .unwrap();
    assert_eq!(
        users::me(&table, &admin.id).await.unwrap().role,
        Role::Admin
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_user_fail_alike() {
    let (table, hasher) = (users_table().await, PasswordHasher::new());
    let (signer, _) = signer_and_verifier();
    let name = registered(&table, &hasher).await;
    let throttle = LoginThrottle::default();
    let before = hasher.verifications();
    let wrong = users::login(
        &table,
        &hasher,
        &throttle,
        &signer,
        attempt(&name, "not it at all", "192.0.2.2"),
    )
    .await;
    assert_eq!(hasher.verifications(), before + 1);
    // An unknown name (by username and by e-mail) runs one Argon2 verification
    // too, of the dummy hash: the same work as a wrong password.
    for name in [
        LoginName::Username(unique("ghost")),
        LoginName::Email(format!("{}@example.com", unique("ghost"))),
    ] {
        let before = hasher.verifications();
        let unknown = users::login(
            &table,
            &hasher,
            &throttle,
            &signer,
            LoginAttempt {
                name,
                password: PASSWORD.into(),
                source_ip: "192.0.2.2".into(),
            },
        )
        .await;
        assert!(matches!(unknown, Err(Error::InvalidCredentials)));
        assert_eq!(hasher.verifications(), before + 1, "the dummy hash ran");
    }
    assert!(matches!(wrong, Err(Error::InvalidCredentials)));
}

#[tokio::test]
async fn five_failures_lock_the_pair_with_growing_backoff_then_success_resets() {
    let (table, hasher) = (users_table().await, PasswordHasher::new());
    let (signer, _) = signer_and_verifier();
    let name = registered(&table, &hasher).await;
    let throttle = LoginThrottle {
        // Locks are whole seconds: 2 s leaves a second of margin for the checks.
        backoff_base_seconds: 2,
        backoff_max_seconds: 4,
        ..Default::default()
    };
    let ip = "192.0.2.3";
    for _ in 0..5 {
        let r = users::login(
            &table,
            &hasher,
            &throttle,
            &signer,
            attempt(&name, "wrong password", ip),
        )
        .await;
        assert!(matches!(r, Err(Error::InvalidCredentials)));
    }
    // Locked, even for the right password; another IP is not.
    let locked = users::login(
        &table,
        &hasher,
        &throttle,
        &signer,
        attempt(&name, PASSWORD, ip),
    )
    .await;
    assert!(
        matches!(
            locked,
            Err(Error::TooManyAttempts {
                retry_after_secs: 1 | 2
            })
        ),
        "{locked:?}"
    );
    users::login(
        &table,
        &hasher,
        &throttle,
        &signer,
        attempt(&name, PASSWORD, "192.0.2.4"),
    )
    .await
    .unwrap();

    // After the lock, a sixth failure locks for twice as long.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = users::login(
        &table,
        &hasher,
        &throttle,
        &signer,
        attempt(&name, "wrong again", ip),
    )
    .await;
    assert!(matches!(r, Err(Error::InvalidCredentials)));
    let locked = users::login(
        &table,
        &hasher,
        &throttle,
        &signer,
        attempt(&name, PASSWORD, ip),
    )
    .await;
    assert!(
        matches!(
            locked,
            Err(Error::TooManyAttempts {
                retry_after_secs: 3 | 4
            })
        ),
        "{locked:?}"
    );

    tokio::time::sleep(Duration::from_millis(4100)).await;
    users::login(
        &table,
        &hasher,
        &throttle,
        &signer,
        attempt(&name, PASSWORD, ip),
    )
    .await
    .unwrap();
    // The success cleared the pair: the next attempt is its first again.
    let id = table
        .find_by_login(&LoginName::Username(name.clone()))
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    let next = table
        .admit_login(&Subject::Account(id), ip, &throttle, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(next, Admission::Admitted(1));
}

#[tokio::test]
async fn a_name_takes_a_limited_number_of_failures_per_hour_from_all_ips() {
    let (table, hasher) = (users_table().await, PasswordHasher::new());
    let (signer, _) = signer_and_verifier();
    let name = registered(&table, &hasher).await;
    let throttle = LoginThrottle {
        max_failures_per_name_per_hour: 3,
        ..Default::default()
    };
    for i in 0..3 {
        let r = users::login(
            &table,
            &hasher,
            &throttle,
            &signer,
            attempt(&name, "wrong", &format!("192.0.2.{}", 10 + i)),
        )
        .await;
        assert!(matches!(r, Err(Error::InvalidCredentials)));
    }
    let refused = users::login(
        &table,
        &hasher,
        &throttle,
        &signer,
        attempt(&name, PASSWORD, "192.0.2.99"),
    )
    .await;
    assert!(
        matches!(refused, Err(Error::TooManyAttempts { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn unknown_names_are_counted_like_known_ones() {
    let (table, hasher) = (users_table().await, PasswordHasher::new());
    let (signer, _) = signer_and_verifier();
    let ghost = unique("ghost");
    let throttle = LoginThrottle {
        backoff_base_seconds: 60,
        ..Default::default()
    };
    for _ in 0..5 {
        let _ = users::login(
            &table,
            &hasher,
            &throttle,
            &signer,
            attempt(&ghost, "whatever", "192.0.2.5"),
        )
        .await;
    }
    let locked = users::login(
        &table,
        &hasher,
        &throttle,
        &signer,
        attempt(&ghost, "whatever", "192.0.2.5"),
    )
    .await;
    assert!(
        matches!(locked, Err(Error::TooManyAttempts { .. })),
        "{locked:?}"
    );
}

#[tokio::test]
async fn thirty_parallel_wrong_passwords_run_at_most_five_password_checks() {
    let (table, hasher) = (users_table().await, PasswordHasher::new());
    let (signer, _) = signer_and_verifier();
    let name = registered(&table, &hasher).await;
    let throttle = LoginThrottle::default();
    let before = hasher.verifications();
    let attempts = (0..30).map(|i| {
        let (table, hasher, signer, name) =
            (table.clone(), hasher.clone(), signer.clone(), name.clone());
        tokio::spawn(async move {
            users::login(
                &table,
                &hasher,
                &throttle,
                &signer,
                attempt(&name, &format!("wrong guess {i}"), "192.0.2.77"),
            )
            .await
        })
    });
    let outcomes = futures::future::join_all(attempts).await;
    let mut wrong = 0;
    for outcome in outcomes {
        match outcome.unwrap() {
            Err(Error::InvalidCredentials) => wrong += 1,
            Err(Error::TooManyAttempts { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    let checks = hasher.verifications() - before;
    assert!(checks <= 5, "{checks} password checks ran");
    assert_eq!(wrong, checks, "every check was a wrong password");
}

#[tokio::test]
async fn the_username_and_the_email_of_one_account_share_one_count() {
    let (table, hasher) = (users_table().await, PasswordHasher::new());
    let (signer, _) = signer_and_verifier();
    let name = registered(&table, &hasher).await;
    let throttle = LoginThrottle::default();
    let ip = "192.0.2.88";
    for _ in 0..5 {
        let r = users::login(
            &table,
            &hasher,
            &throttle,
            &signer,
            attempt(&name, "wrong", ip),
        )
        .await;
        assert!(matches!(r, Err(Error::InvalidCredentials)), "{r:?}");
    }
    // Locked by username, so locked by e-mail too, even with the right password.
    let by_email = users::login(
        &table,
        &hasher,
        &throttle,
        &signer,
        LoginAttempt {
            name: LoginName::Email(format!("{name}@example.com")),
            password: PASSWORD.into(),
            source_ip: ip.into(),
        },
    )
    .await;
    assert!(
        matches!(by_email, Err(Error::TooManyAttempts { .. })),
        "{by_email:?}"
    );
}

async fn logged_in(
    table: &shared::aws::UsersTable,
    hasher: &PasswordHasher,
    signer: &TokenSigner,
) -> users::LoggedIn {
    let name = registered(table, hasher).await;
    users::login(
        table,
        hasher,
        &LoginThrottle::default(),
        signer,
        attempt(&name, PASSWORD, "192.0.2.50"),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_refresh_rotates_and_a_reused_token_revokes_its_family() {
    let (table, hasher) = (users_table().await, PasswordHasher::new());
    let (signer, verifier) = signer_and_verifier();
    let first = logged_in(&table, &hasher, &signer).await;
    let second = users::refresh(&table, &signer, first.refresh_token.clone())
        .await
        .unwrap();
    assert_ne!(second.refresh_token.digest(), first.refresh_token.digest());
    assert_eq!(second.user.id, first.user.id);
    let claims = verifier
        .verify(second.access_token.expose_secret())
        .unwrap();
    assert_eq!(claims.sub, first.user.id.to_string());

    // The first token again: refused, and its whole family with it.
    let reused = users::refresh(&table, &signer, first.refresh_token).await;
    assert!(
        matches!(reused, Err(Error::InvalidRefreshToken)),
        "{reused:?}"
    );
    let heir = users::refresh(&table, &signer, second.refresh_token).await;
    assert!(matches!(heir, Err(Error::InvalidRefreshToken)), "{heir:?}");
    // A token never issued is refused the same way.
    let unknown = users::refresh(
        &table,
        &signer,
        shared::auth::RefreshToken::generate().unwrap(),
    )
    .await;
    assert!(matches!(unknown, Err(Error::InvalidRefreshToken)));
}

#[tokio::test]
async fn of_concurrent_refreshes_of_one_token_exactly_one_succeeds() {
    let (table, hasher) = (users_table().await, PasswordHasher::new());
    let (signer, _) = signer_and_verifier();
    let session = logged_in(&table, &hasher, &signer).await;
    let presentations = (0..10).map(|_| {
        let (table, signer, token) = (table.clone(), signer.clone(), session.refresh_token.clone());
        tokio::spawn(async move { users::refresh(&table, &signer, token).await })
    });
    let outcomes = futures::future::join_all(presentations).await;
    let mut won = 0;
    for outcome in outcomes {
        match outcome.unwrap() {
            Ok(_) => won += 1,
            Err(Error::InvalidRefreshToken) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(won, 1);
}

#[tokio::test]
async fn logout_ends_one_session_or_all_of_them() {
    let (table, hasher) = (users_table().await, PasswordHasher::new());
    let (signer, _) = signer_and_verifier();
    let name = registered(&table, &hasher).await;
    let login = || async {
        users::login(
            &table,
            &hasher,
            &LoginThrottle::default(),
            &signer,
            attempt(&name, PASSWORD, "192.0.2.51"),
        )
        .await
        .unwrap()
    };
    let (a, b, c) = (login().await, login().await, login().await);
    let me = a.user.id.clone();

    // Someone else's token ends nothing.
    let stranger = logged_in(&table, &hasher, &signer).await;
    users::logout(
        &table,
        &me,
        users::Logout::Session(Some(stranger.refresh_token.clone())),
    )
    .await
    .unwrap();
    let still = users::refresh(&table, &signer, stranger.refresh_token).await;
    assert!(still.is_ok(), "{still:?}");

    users::logout(
        &table,
        &me,
        users::Logout::Session(Some(a.refresh_token.clone())),
    )
    .await
    .unwrap();
    users::logout(
        &table,
        &me,
        users::Logout::Session(Some(a.refresh_token.clone())),
    )
    .await
    .unwrap();
    let ended = users::refresh(&table, &signer, a.refresh_token).await;
    assert!(matches!(ended, Err(Error::InvalidRefreshToken)));
    let b = users::refresh(&table, &signer, b.refresh_token)
        .await
        .unwrap();

    users::logout(&table, &me, users::Logout::Everywhere)
        .await
        .unwrap();
    for token in [b.refresh_token, c.refresh_token] {
        let ended = users::refresh(&table, &signer, token).await;
        assert!(
            matches!(ended, Err(Error::InvalidRefreshToken)),
            "{ended:?}"
        );
    }
}

fn issued_ms(verifier: &TokenVerifier, session: &users::LoggedIn) -> i64 {
    verifier
        .verify(session.access_token.expose_secret())
        .unwrap()
        .issued_at_ms()
}

fn change(current: &str, new: &str) -> users::PasswordChange {
    users::PasswordChange {
        current: current.into(),
        new: Password::parse(new).unwrap(),
        source_ip: "192.0.2.60".into(),
    }
}

#[tokio::test]
async fn a_password_change_cuts_off_every_older_token_and_family() {
    let accounts = AccountApi::from_env().unwrap().accounts;
    let (table, hasher) = (accounts.users.clone(), PasswordHasher::new());
    let (signer, verifier) = signer_and_verifier();
    let name = registered(&table, &hasher).await;
    let login = |password: &'static str| {
        let (table, hasher, signer, name) = (&table, &hasher, &signer, &name);
        async move {
            users::login(
                table,
                hasher,
                &LoginThrottle::default(),
                signer,
                attempt(name, password, "192.0.2.60"),
            )
            .await
        }
    };
    let (a, b) = (
        login(PASSWORD).await.unwrap(),
        login(PASSWORD).await.unwrap(),
    );
    let me = a.user.id.clone();
    users::ensure_current(&table, &me, issued_ms(&verifier, &a))
        .await
        .unwrap();

    let wrong = accounts
        .change_password(
            &me,
            issued_ms(&verifier, &a),
            change("not it at all", "x1 new passphrase"),
        )
        .await;
    assert!(matches!(wrong, Err(Error::InvalidCredentials)), "{wrong:?}");

    const NEW: &str = "a brand new passphrase";
    accounts
        .change_password(&me, issued_ms(&verifier, &a), change(PASSWORD, NEW))
        .await
        .unwrap();
    // Every older access token is refused where the cut-off is checked, and
    // every older refresh family at once.
    let old = users::ensure_current(&table, &me, issued_ms(&verifier, &b)).await;
    assert!(matches!(old, Err(Error::Unauthorized(_))), "{old:?}");
    let a_issued = issued_ms(&verifier, &a);
    for token in [a.refresh_token, b.refresh_token] {
        let ended = users::refresh(&table, &signer, token).await;
        assert!(
            matches!(ended, Err(Error::InvalidRefreshToken)),
            "{ended:?}"
        );
    }
    let again = accounts
        .change_password(&me, a_issued, change(NEW, "yet another passphrase"))
        .await;
    assert!(matches!(again, Err(Error::Unauthorized(_))), "{again:?}");
    let refused = login(PASSWORD).await;
    assert!(
        matches!(refused, Err(Error::InvalidCredentials)),
        "{refused:?}"
    );

    // A login after the change, even within the same second, is current.
    let fresh = login(NEW).await.unwrap();
    users::ensure_current(&table, &me, issued_ms(&verifier, &fresh))
        .await
        .unwrap();
    users::refresh(&table, &signer, fresh.refresh_token)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_cut_off_alone_ends_a_family_whose_revocation_has_not_run() {
    let (table, hasher) = (users_table().await, PasswordHasher::new());
    let (signer, _) = signer_and_verifier();
    let session = logged_in(&table, &hasher, &signer).await;
    let stored = table.get_user(&session.user.id).await.unwrap().unwrap();
    // The write of a password change, as if its function died before the
    // families were revoked.
    assert!(
        table
            .change_password(
                &session.user.id,
                &stored.password_hash,
                &stored.password_hash,
                Timestamp::now(),
                &[]
            )
            .await
            .unwrap()
    );
    let ended = users::refresh(&table, &signer, session.refresh_token).await;
    assert!(
        matches!(ended, Err(Error::InvalidRefreshToken)),
        "{ended:?}"
    );
    // The write is conditioned on the hash it replaces.
    assert!(
        !table
            .change_password(
                &session.user.id,
                "$argon2id$other",
                "x",
                Timestamp::now(),
                &[]
            )
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn of_two_concurrent_password_changes_exactly_one_applies() {
    let accounts = std::sync::Arc::new(AccountApi::from_env().unwrap().accounts);
    let (table, hasher) = (accounts.users.clone(), PasswordHasher::new());
    let (signer, verifier) = signer_and_verifier();
    let session = logged_in(&table, &hasher, &signer).await;
    let issued = issued_ms(&verifier, &session);
    let changes = ["first new passphrase", "second new passphrase"].map(|new| {
        let (accounts, me) = (accounts.clone(), session.user.id.clone());
        tokio::spawn(async move {
            accounts
                .change_password(&me, issued, change(PASSWORD, new))
                .await
                .map(|()| new)
        })
    });
    let mut applied = Vec::new();
    for outcome in futures::future::join_all(changes).await {
        match outcome.unwrap() {
            Ok(new) => applied.push(new),
            Err(Error::InvalidCredentials | Error::Unauthorized(_)) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(applied.len(), 1, "{applied:?}");
    let stored = table.get_user(&session.user.id).await.unwrap().unwrap();
    for new in ["first new passphrase", "second new passphrase"] {
        let matches = hasher
            .verify(Some(stored.password_hash.clone()), new.into())
            .await
            .unwrap();
        assert_eq!(matches, new == applied[0], "{new}");
    }
}
