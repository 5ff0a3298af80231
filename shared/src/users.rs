//! The users service: register, log in, refresh and end sessions, read
//! oneself.

use crate::Error;
use crate::auth::{OpaqueToken, PasswordHasher, RefreshToken, TokenSigner};
use crate::aws::users_table::{Admission, ChangeEmailError, CreateUserError, Outboxed};
use crate::aws::{EventQueue, UsersTable};
use crate::domain::Email;
use crate::domain::throttle::{
    LoginThrottle, RESETS_PER_ADDRESS, RateLimit, Subject, VERIFICATION_RESENDS,
};
use crate::domain::user::{
    AccountNotice, EMAIL_CHANGED, EmailChanged, PASSWORD_CHANGED, PASSWORD_RESET_REQUESTED,
    ResetRequested, TokenPurpose, VERIFICATION_REQUESTED,
};
use crate::domain::{LoginName, NewUser, Password, Role, Timestamp, User, UserId};
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
/// [`Accounts::register`] also mails the verification link.
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
    let (user, password_hash) = new_user(hasher, new, role).await?;
    store_user(table, user, &password_hash, &[]).await
}

/// A new account and its password's hash, not stored yet.
async fn new_user(
    hasher: &PasswordHasher,
    new: NewUser,
    role: Role,
) -> Result<(User, String), Error> {
    let password_hash = hasher.hash(new.password.into_secret()).await?;
    let now = Timestamp::now();
    let user = User {
        id: UserId::generate(),
        username: new.username,
        email: new.email,
        role,
        email_verified: false,
        created_at: now,
        updated_at: now,
    };
    Ok((user, password_hash))
}

/// Stores a new account, with `events` in the outbox.
async fn store_user(
    table: &UsersTable,
    user: User,
    password_hash: &str,
    events: &[Outboxed],
) -> Result<User, Error> {
    match table.create_user_with(&user, password_hash, events).await? {
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
    let (phc, user) = match stored {
        Some(s) => (Some(s.password_hash), Some(s.user)),
        None => (None, None),
    };
    let checked = Checked {
        subject: &subject,
        source_ip: &attempt.source_ip,
        now,
    };
    let matched = checked
        .password(table, hasher, throttle, phc, attempt.password)
        .await?;
    match user {
        Some(user) if matched => {
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
        _ => Err(Error::InvalidCredentials),
    }
}

/// One password check through the login throttle, for a login or for a
/// route that asks for the current password: the attempt is admitted (an
/// atomic count) before the hash is checked, a success clears the count and
/// a failure may lock the pair.
struct Checked<'a> {
    subject: &'a Subject,
    source_ip: &'a str,
    now: Timestamp,
}

impl Checked<'_> {
    async fn password(
        &self,
        table: &UsersTable,
        hasher: &PasswordHasher,
        throttle: &LoginThrottle,
        phc: Option<String>,
        password: SecretString,
    ) -> Result<bool, Error> {
        let (subject, source_ip, now) = (self.subject, self.source_ip, self.now);
        let consecutive = match table.admit_login(subject, source_ip, throttle, now).await? {
            Admission::Admitted(n) => n,
            Admission::Refused(retry_after_secs) => {
                return Err(Error::TooManyAttempts { retry_after_secs });
            }
        };
        let matched = hasher.verify(phc, password).await?;
        if matched {
            table.login_succeeded(subject, source_ip, now).await?;
        } else if let Some(seconds) = throttle.lock_seconds(consecutive) {
            table
                .lock_login_pair(subject, source_ip, now.unix_seconds() + seconds as i64)
                .await?;
        }
        Ok(matched)
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
    // A family begun before the account's cut-off (a password change or a
    // sign-out everywhere) is over, whatever clean-up has not run yet.
    if family_started_ms(&record.family) < stored.tokens_valid_after_ms.unwrap_or(i64::MIN) {
        table.revoke_family(&record.user_id, &record.family).await?;
        return Err(Error::InvalidRefreshToken);
    }
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

/// When a refresh family began: its id is a ULID of its login.
fn family_started_ms(family: &str) -> i64 {
    ulid::Ulid::from_string(family)
        .ok()
        .and_then(|ulid| i64::try_from(ulid.timestamp_ms()).ok())
        .unwrap_or(i64::MIN)
}

/// `401` for a token issued before the account's cut-off: the check of the
/// routes that move money or change the account. One consistent read.
pub async fn ensure_current(
    table: &UsersTable,
    user: &UserId,
    issued_at_ms: i64,
) -> Result<(), Error> {
    match table.tokens_valid_after(user).await? {
        Some(cutoff) if issued_at_ms < cutoff => Err(Error::Unauthorized(
            "token issued before the account's sessions were ended",
        )),
        _ => Ok(()),
    }
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

/// The account's own changes: those that ask for the current password
/// (through the login throttle) and mail a notice.
pub struct Accounts {
    pub users: UsersTable,
    pub hasher: PasswordHasher,
    pub throttle: LoginThrottle,
    pub queue: EventQueue,
    /// How many reset requests one source IP may make in a sliding hour.
    pub resets_per_ip: RateLimit,
}

/// `PATCH /users/me`: the new address and the current password.
pub struct EmailChange {
    pub email: Email,
    pub current: SecretString,
    pub source_ip: String,
}

/// `POST /users/password-reset/confirm`: the mailed token and the new password.
pub struct PasswordReset {
    pub token: Option<OpaqueToken>,
    pub password: Password,
}

/// `POST /users/me/password`: the current password and the new one.
pub struct PasswordChange {
    pub current: SecretString,
    pub new: Password,
    pub source_ip: String,
}

impl Accounts {
    /// Registers a customer, with the event of its verification link in the
    /// outbox of the same transaction (the consumer draws the token, so none
    /// sits in the queue or the outbox).
    pub async fn register(&self, new: NewUser) -> Result<User, Error> {
        let (user, password_hash) = new_user(&self.hasher, new, Role::Customer).await?;
        let events = [notice_event(
            VERIFICATION_REQUESTED,
            &user,
            user.created_at,
        )?];
        let user = store_user(&self.users, user, &password_hash, &events).await?;
        self.dispatch(&events).await;
        Ok(user)
    }

    /// Mails the caller's address a new verification link, at most three an
    /// hour. An address already verified is mailed nothing: the answer is
    /// the same, so the call stays idempotent.
    pub async fn resend_verification(&self, caller: &UserId) -> Result<(), Error> {
        let stored = self
            .users
            .get_user(caller)
            .await?
            .ok_or(Error::Unauthorized("the token's user does not exist"))?;
        if stored.user.email_verified {
            return Ok(());
        }
        let now = Timestamp::now();
        let name = format!("VERIFYMAIL#{caller}");
        if let Err(retry_after_secs) = self
            .users
            .take_rate_limit(&name, VERIFICATION_RESENDS, now)
            .await?
        {
            return Err(Error::TooManyAttempts { retry_after_secs });
        }
        self.queue
            .send(&notice_event(VERIFICATION_REQUESTED, &stored.user, now)?.body)
            .await
    }

    /// Moves the caller's account to a new address. The current password is
    /// checked through the login throttle; the change is one transaction
    /// (the new address claimed, the old one released, `email_verified`
    /// false), so an address is never held by two accounts. A link goes to
    /// the new address and a notice to the old one. The same address, in
    /// any case, changes nothing.
    pub async fn change_email(
        &self,
        caller: &UserId,
        issued_at_ms: i64,
        change: EmailChange,
    ) -> Result<User, Error> {
        let now = Timestamp::now();
        let old = self
            .checked_caller(caller, issued_at_ms, change.current, &change.source_ip, now)
            .await?
            .user;
        if old.email.key() == change.email.key() {
            return Ok(old);
        }
        let user = User {
            email: change.email,
            email_verified: false,
            updated_at: now,
            ..old.clone()
        };
        let changed = EmailChanged {
            user_id: user.id.clone(),
            username: user.username.clone(),
            old_email: old.email.clone(),
            new_email: user.email.clone(),
        };
        let events = [
            notice_event(VERIFICATION_REQUESTED, &user, now)?,
            event(EMAIL_CHANGED, changed, now)?,
        ];
        match self
            .users
            .change_email(caller, &old.email, &user.email, now, &events)
            .await?
        {
            Ok(()) => {}
            Err(ChangeEmailError::EmailTaken) => return Err(Error::EmailTaken),
            Err(ChangeEmailError::Changed) => return Err(Error::EditConflict),
        }
        self.dispatch(&events).await;
        Ok(user)
    }

    /// Asks for a reset link for `email`. The answer and the work are the
    /// same whether an account has the address or not: two rate limits (per
    /// source IP, then per address) and one event on the queue, which the
    /// consumer turns into a mail only for a real account.
    pub async fn request_password_reset(&self, email: Email, source_ip: &str) -> Result<(), Error> {
        let now = Timestamp::now();
        let address = crate::auth::opaque::sha256_hex(email.key().as_bytes());
        for (name, limit) in [
            (format!("RESETIP#{source_ip}"), self.resets_per_ip),
            (format!("RESETADDR#{address}"), RESETS_PER_ADDRESS),
        ] {
            if let Err(retry_after_secs) = self.users.take_rate_limit(&name, limit, now).await? {
                return Err(Error::TooManyAttempts { retry_after_secs });
            }
        }
        let request = event(PASSWORD_RESET_REQUESTED, ResetRequested { email }, now)?;
        self.queue.send(&request.body).await
    }

    /// Sets a new password with a mailed reset token. The token's use, the
    /// new hash and the cut-off are one transaction (so every older token
    /// and refresh family ends with it); the families are then revoked and
    /// a notice is mailed.
    pub async fn reset_password(&self, reset: PasswordReset) -> Result<(), Error> {
        let token = reset.token.ok_or(Error::InvalidToken)?;
        let now = Timestamp::now();
        let digest = token.digest();
        let found = self
            .users
            .live_mailed_token(TokenPurpose::ResetPassword, &digest, now)
            .await?
            .ok_or(Error::InvalidToken)?;
        let stored = self
            .users
            .get_user(&found.user_id)
            .await?
            .ok_or(Error::InvalidToken)?;
        let hash = self.hasher.hash(reset.password.into_secret()).await?;
        let events = [notice_event(PASSWORD_CHANGED, &stored.user, now)?];
        if !self
            .users
            .reset_password(&digest, &found, &hash, now, &events)
            .await?
        {
            return Err(Error::InvalidToken);
        }
        self.users.revoke_families(&found.user_id).await?;
        self.dispatch(&events).await;
        Ok(())
    }

    /// Changes the caller's password. The current one is checked through the
    /// login throttle (a wrong one counts as a failed login). The new hash and
    /// the cut-off are one conditional write, so every older access token is
    /// refused where the cut-off is checked and every older refresh family at
    /// its next use; the families are then revoked, and a notice is mailed.
    pub async fn change_password(
        &self,
        caller: &UserId,
        issued_at_ms: i64,
        change: PasswordChange,
    ) -> Result<(), Error> {
        let now = Timestamp::now();
        let stored = self
            .checked_caller(caller, issued_at_ms, change.current, &change.source_ip, now)
            .await?;
        let old_hash = stored.password_hash;
        let new_hash = self.hasher.hash(change.new.into_secret()).await?;
        let events = [notice_event(PASSWORD_CHANGED, &stored.user, now)?];
        // Refused only if another change won meanwhile: the password given
        // as current is not current any more.
        if !self
            .users
            .change_password(caller, &old_hash, &new_hash, now, &events)
            .await?
        {
            return Err(Error::InvalidCredentials);
        }
        self.users.revoke_families(caller).await?;
        self.dispatch(&events).await;
        Ok(())
    }

    /// The caller's stored account, once its token is current and `current`
    /// is its password, checked through the login throttle (a wrong one
    /// counts as a failed login and is `401 invalid_credentials`).
    async fn checked_caller(
        &self,
        caller: &UserId,
        issued_at_ms: i64,
        current: SecretString,
        source_ip: &str,
        now: Timestamp,
    ) -> Result<crate::aws::users_table::StoredUser, Error> {
        ensure_current(&self.users, caller, issued_at_ms).await?;
        let stored = self
            .users
            .get_user(caller)
            .await?
            .ok_or(Error::Unauthorized("the token's user does not exist"))?;
        let checked = Checked {
            subject: &Subject::Account(caller.clone()),
            source_ip,
            now,
        };
        let phc = Some(stored.password_hash.clone());
        if checked
            .password(&self.users, &self.hasher, &self.throttle, phc, current)
            .await?
        {
            Ok(stored)
        } else {
            Err(Error::InvalidCredentials)
        }
    }

    /// Sends events the change's transaction put in the outbox, and clears
    /// each one SQS accepted. The change is stored already, so a refusal is
    /// logged, not answered: the resend sweeper sends what is left.
    async fn dispatch(&self, events: &[Outboxed]) {
        let outbox = self.users.outbox();
        for event in events {
            outbox.publish(&self.queue, event).await;
        }
    }
}

/// An account event, encoded for the queue (and the outbox). Its id is a
/// ULID of `now`, which orders the outbox by time.
fn event<T: serde::Serialize>(kind: &str, data: T, now: Timestamp) -> Result<Outboxed, Error> {
    Outboxed::new(kind, now, data)
}

/// An account event about `user` that mails its address.
fn notice_event(kind: &str, user: &User, now: Timestamp) -> Result<Outboxed, Error> {
    let notice = AccountNotice {
        user_id: user.id.clone(),
        username: user.username.clone(),
        email: user.email.clone(),
    };
    event(kind, notice, now)
}

/// `POST /users/verify-email`: consumes the mailed token and marks the
/// address it was mailed to verified, if it is still the account's.
pub async fn verify_email(table: &UsersTable, token: Option<OpaqueToken>) -> Result<(), Error> {
    let token = token.ok_or(Error::InvalidToken)?;
    let now = Timestamp::now();
    let digest = token.digest();
    match table
        .live_mailed_token(TokenPurpose::VerifyEmail, &digest, now)
        .await?
    {
        Some(found) if table.verify_email(&digest, &found, now).await? => Ok(()),
        _ => Err(Error::InvalidToken),
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
                email_verified: false,
                created_at: Timestamp::now(),
                updated_at: Timestamp::now(),
            },
        };
        let shown = format!("{logged_in:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("ada@example.com"), "{shown}");
    }
}
