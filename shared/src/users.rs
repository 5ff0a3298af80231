//! The users service: register, log in, refresh and end sessions, read
//! oneself.

use crate::Error;
use crate::auth::{PasswordHasher, RefreshToken, TokenSigner};
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

/// A successful login or refresh. Its tokens are secrets: `Debug` redacts them.
#[derive(Debug)]
pub struct LoggedIn {
    pub access_token: SecretString,
    pub refresh_token: RefreshToken,
    pub user: User,
}

/// What `POST /users/logout` ends.
pub enum Logout {
    /// The family of this refresh token (this browser's session); `None`
    /// for a value that cannot be one.
    Session(Option<RefreshToken>),
    /// Every session of the caller, and every access token issued before now
    /// where `tokens_valid_after` is checked.
    Everywhere,
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
            let refresh_token = RefreshToken::generate()?;
            let family = ulid::Ulid::new().to_string();
            table
                .start_session(&user.id, &family, &refresh_token.digest(), now)
                .await?;
            Ok(LoggedIn {
                access_token: access_token.into(),
                refresh_token,
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

/// Rotates a refresh token: the old one is spent, a new pair is issued. A
/// token presented again after its rotation (a copy in other hands, or the
/// loser of two concurrent presentations) revokes its whole family.
pub async fn refresh(
    table: &UsersTable,
    signer: &TokenSigner,
    presented: RefreshToken,
) -> Result<LoggedIn, Error> {
    let now = Timestamp::now();
    let digest = presented.digest();
    let record = match table.find_refresh(&digest).await? {
        Some(record) if record.expires_at > now.unix_seconds() => record,
        _ => return Err(Error::InvalidRefreshToken),
    };
    if record.used {
        table.revoke_family(&record.user_id, &record.family).await?;
        return Err(Error::InvalidRefreshToken);
    }
    let Some(stored) = table.get_user(&record.user_id).await? else {
        return Err(Error::InvalidRefreshToken);
    };
    let refresh_token = RefreshToken::generate()?;
    if !table
        .rotate_refresh(&digest, &record, &refresh_token.digest(), now)
        .await?
    {
        // Spent meanwhile, or the family was revoked: either way a reuse.
        table.revoke_family(&record.user_id, &record.family).await?;
        return Err(Error::InvalidRefreshToken);
    }
    let user = stored.user;
    let access_token = signer.issue(&user.id, user.role, now)?;
    Ok(LoggedIn {
        access_token: access_token.into(),
        refresh_token,
        user,
    })
}

/// Ends the caller's session, or all of them. Idempotent; a token that is
/// unknown or someone else's ends nothing and says nothing.
pub async fn logout(table: &UsersTable, caller: &UserId, what: Logout) -> Result<(), Error> {
    match what {
        Logout::Session(None) => Ok(()),
        Logout::Session(Some(token)) => match table.find_refresh(&token.digest()).await? {
            Some(record) if &record.user_id == caller => {
                table.revoke_family(caller, &record.family).await
            }
            _ => Ok(()),
        },
        Logout::Everywhere => table.revoke_all_sessions(caller, Timestamp::now()).await,
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
            refresh_token: RefreshToken::generate().unwrap(),
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
