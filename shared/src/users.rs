//! The users service: register, log in, read oneself.

use crate::Error;
use crate::auth::{PasswordHasher, TokenSigner};
use crate::aws::UsersTable;
use crate::aws::users_table::{Admission, CreateUserError};
use crate::domain::throttle::{LoginThrottle, Subject};
use crate::domain::{LoginName, NewUser, Role, Timestamp, User, UserId};
use secrecy::SecretString;

pub struct LoginAttempt {
    pub name: LoginName,
    pub password: SecretString,
    /// The caller's address as API Gateway saw it.
    pub source_ip: String,
}

/// A successful login. Its token is a secret: `Debug` redacts it.
#[derive(Debug)]
pub struct LoggedIn {
    pub access_token: SecretString,
    pub user: User,
}

/// Registers a customer. Uniqueness is enforced by the table's transaction.
pub async fn register(
    table: &UsersTable,
    hasher: &PasswordHasher,
    new: NewUser,
) -> Result<User, Error> {
    create_user(table, hasher, new, Role::Customer).await
}

/// Creates a user with the given role: registration makes customers, and the
/// admin CLI is the only caller that makes admins.
pub async fn create_user(
    table: &UsersTable,
    hasher: &PasswordHasher,
    new: NewUser,
    role: Role,
) -> Result<User, Error> {
    let password_hash = hasher.hash(new.password.into_secret()).await?;
    let user = User {
        id: UserId::generate(),
        username: new.username,
        email: new.email,
        role,
        created_at: Timestamp::now(),
    };
    match table.create_user(&user, &password_hash).await? {
        Ok(()) => Ok(user),
        Err(CreateUserError::UsernameTaken) => Err(Error::UsernameTaken),
        Err(CreateUserError::EmailTaken) => Err(Error::EmailTaken),
    }
}

/// Logs in. A wrong password and an unknown name give the same error after the
/// same work. The attempt is admitted by the throttle (an atomic count per
/// account, or per unknown name, and IP) before any password is checked, so
/// the username and the e-mail of one account share one count, and a
/// parallel burst gets no more checks than the threshold.
pub async fn login(
    table: &UsersTable,
    hasher: &PasswordHasher,
    throttle: &LoginThrottle,
    signer: &TokenSigner,
    attempt: LoginAttempt,
) -> Result<LoggedIn, Error> {
    let now = Timestamp::now();
    let stored = table.find_by_login(&attempt.name).await?;
    let subject = match &stored {
        Some(s) => Subject::Account(s.user.id.clone()),
        None => Subject::Unknown(attempt.name.key()),
    };
    let consecutive = match table
        .admit_login(&subject, &attempt.source_ip, throttle, now)
        .await?
    {
        Admission::Admitted(n) => n,
        Admission::Refused(retry_after_secs) => {
            return Err(Error::TooManyAttempts { retry_after_secs });
        }
    };
    let (phc, user) = match stored {
        Some(s) => (Some(s.password_hash), Some(s.user)),
        None => (None, None),
    };
    let matched = hasher.verify(phc, attempt.password).await?;
    match user {
        Some(user) if matched => {
            table
                .login_succeeded(&subject, &attempt.source_ip, now)
                .await?;
            let access_token = signer.issue(&user.id, user.role, now)?;
            Ok(LoggedIn {
                access_token: access_token.into(),
                user,
            })
        }
        _ => {
            if let Some(seconds) = throttle.lock_seconds(consecutive) {
                table
                    .lock_login_pair(
                        &subject,
                        &attempt.source_ip,
                        now.unix_seconds() + seconds as i64,
                    )
                    .await?;
            }
            Err(Error::InvalidCredentials)
        }
    }
}

/// The caller's own account.
pub async fn me(table: &UsersTable, id: &UserId) -> Result<User, Error> {
    table
        .get_user(id)
        .await?
        .map(|stored| stored.user)
        .ok_or(Error::UserNotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, Username};

    #[test]
    fn a_login_never_prints_its_token() {
        let logged_in = LoggedIn {
            access_token: "eyJhbGciOiJFZERTQSJ9.secret.signature".into(),
            user: User {
                id: UserId::generate(),
                username: Username::parse("ada").unwrap(),
                email: Email::parse("ada@example.com").unwrap(),
                role: Role::Customer,
                created_at: Timestamp::now(),
            },
        };
        let shown = format!("{logged_in:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("ada@example.com"), "{shown}");
    }
}
