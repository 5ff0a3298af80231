//! Users: the registration and login rules of the contract.

use super::Timestamp;
pub use super::UserId;
use crate::FieldError;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
/// Longest login name or password a login attempt may carry; anything longer
/// cannot match an account and is refused before any work is done.
pub const LOGIN_FIELD_MAX: usize = 1024;

/// 3–32 of `[A-Za-z0-9_.-]`, kept as typed; unique ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);
newtype!(text Username);

impl Username {
    pub fn parse(text: &str) -> Result<Self, String> {
        let len = text.chars().count();
        if !(USERNAME_MIN..=USERNAME_MAX).contains(&len) {
            return Err(format!(
                "must be {USERNAME_MIN} to {USERNAME_MAX} characters long"
            ));
        }
        if !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err("may contain only letters A-Z and a-z, digits, '_', '.' and '-'".into());
        }
        Ok(Self(text.to_owned()))
    }

    /// The case-insensitive identity used for uniqueness and login.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// A deliverable-looking address of at most 254 characters; unique ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);
newtype!(text Email);

impl Email {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().count() > EMAIL_MAX {
            return Err(format!("must be at most {EMAIL_MAX} characters long"));
        }
        let invalid = || "must be a valid e-mail address".to_string();
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let parsed: email_address::EmailAddress = text.parse().map_err(|_| invalid())?;
        // RFC 5322 allows forms no mail system of a shop delivers to: quoted local
        // parts, IP literals and single-label domains are refused.
        let domain = parsed.domain();
        if parsed.local_part().starts_with('"')
            || domain.starts_with('[')
            || !domain.contains('.')
            || domain.ends_with('.')
            || parsed.as_str() != text
        {
            return Err(invalid());
        }
        Ok(Self(text.to_owned()))
    }

    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .filter(|line| !line.is_empty())
        .collect()
});

/// A new password: 8–128 characters, no composition rules, not a common one.
/// Held as a secret (zeroed when dropped); never printed: `Debug` hides it.
#[derive(Clone)]
pub struct Password(SecretString);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(text: &str) -> Result<Self, String> {
        let len = text.chars().count();
        if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
            return Err(format!(
                "must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long"
            ));
        }
        if is_common_password(text) {
            return Err(
                "is too common; choose a password that is not on lists of common passwords".into(),
            );
        }
        Ok(Self(text.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn into_secret(self) -> SecretString {
        self.0
    }
}

/// True when the password, ignoring case, is on the shipped list.
pub fn is_common_password(text: &str) -> bool {
    COMMON_PASSWORDS.contains(text.to_lowercase().as_str())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Admin,
}

/// What a client sees of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub email: Email,
    pub role: Role,
    /// Whether the address was proven by a verification link.
    pub email_verified: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The event type of a password change; its notice mails the owner.
pub const PASSWORD_CHANGED: &str = "account.password_changed";

/// The event type that mails an address a verification link: at
/// registration, on a resend, and after an e-mail change (to the new one).
pub const VERIFICATION_REQUESTED: &str = "account.verification_requested";

/// The event type of an e-mail change; its notice goes to the old address.
pub const EMAIL_CHANGED: &str = "account.email_changed";

/// The data of [`EMAIL_CHANGED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChanged {
    pub user_id: UserId,
    pub username: Username,
    pub old_email: Email,
    pub new_email: Email,
}

/// The event type of a request for a password reset: the consumer looks the
/// address up and mails a link only if an account has it, so the request's
/// answer and work are the same either way.
pub const PASSWORD_RESET_REQUESTED: &str = "account.password_reset_requested";

/// The data of [`PASSWORD_RESET_REQUESTED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequested {
    pub email: Email,
}

/// What a single-use mailed token does, and how long it lasts. Only its
/// SHA-256 is stored; the consumer that mails it draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Proves the address: `POST /users/verify-email`.
    VerifyEmail,
    /// Sets a new password: `POST /users/password-reset/confirm`.
    ResetPassword,
}

impl TokenPurpose {
    pub fn ttl_seconds(self) -> i64 {
        match self {
            Self::VerifyEmail => 24 * 3600,
            Self::ResetPassword => 30 * 60,
        }
    }
}

/// The data of an account event that mails its owner: a notice, or a link
/// to the address in `email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountNotice {
    pub user_id: UserId,
    pub username: Username,
    pub email: Email,
}

/// A registration that passed every rule.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub email: Email,
    pub password: Password,
}

impl NewUser {
    /// Checks every field and reports each one that breaks a rule.
    pub fn parse(username: &str, email: &str, password: &str) -> Result<Self, Vec<FieldError>> {
        let username = Username::parse(username).map_err(|m| FieldError::new("username", m));
        let email = Email::parse(email).map_err(|m| FieldError::new("email", m));
        let password = Password::parse(password).map_err(|m| FieldError::new("password", m));
        match (username, email, password) {
            (Ok(username), Ok(email), Ok(password)) => Ok(Self {
                username,
                email,
                password,
            }),
            (u, e, p) => Err([u.err(), e.err(), p.err()].into_iter().flatten().collect()),
        }
    }
}

/// The name a login attempt uses: a username or an e-mail address, compared
/// ignoring case. Not validated beyond its length: an unknown name is just a
/// failed login, counted like any other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginName {
    Username(String),
    Email(String),
}

impl LoginName {
    /// The lower-cased name: the key for lookups and for throttling.
    pub fn key(&self) -> String {
        match self {
            Self::Username(name) | Self::Email(name) => name.to_lowercase(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_rules() {
        for ok in ["abc", "a_b.c-d", "ABCdef123", &"x".repeat(32)] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "",
            &"x".repeat(33),
            "with space",
            "émile",
            "a/b",
            "a@b",
            "名前です",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn username_key_ignores_case() {
        assert_eq!(Username::parse("Alice").unwrap().key(), "alice");
    }

    #[test]
    fn email_rules() {
        for ok in [
            "a@example.com",
            "first.last+tag@sub.example.co.uk",
            "O'Brien@example.ie",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        let long_local = format!("{}@example.com", "a".repeat(64));
        assert!(Email::parse(&long_local).is_ok());
        let too_long = format!("{}@{}.com", "a".repeat(64), "b".repeat(186));
        assert_eq!(too_long.len(), 255);
        assert!(Email::parse(&too_long).is_err());
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@[127.0.0.1]",
            "\"quoted\"@example.com",
            "a b@example.com",
            "a@example.com ",
            "Name <a@example.com>",
            "a@@example.com",
            "a@example.com.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn email_key_ignores_case() {
        assert_eq!(
            Email::parse("Alice@Example.COM").unwrap().key(),
            "alice@example.com"
        );
    }

    #[test]
    fn password_length_counts_characters() {
        assert!(Password::parse("short12").is_err());
        assert!(Password::parse("ünïcødé!").is_ok()); // 8 characters, more bytes
        assert!(Password::parse(&"é".repeat(128)).is_ok());
        assert!(Password::parse(&"é".repeat(129)).is_err());
    }

    #[test]
    fn common_passwords_are_refused_ignoring_case() {
        assert!(COMMON_PASSWORDS.len() >= 3000);
        for common in [
            "password",
            "12345678",
            "iloveyou",
            "PassWord1",
            "QWERTYUIOP",
        ] {
            let err = Password::parse(common).unwrap_err();
            assert!(err.contains("too common"), "{common}: {err}");
        }
        assert!(Password::parse("correct horse battery staple").is_ok());
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let p = Password::parse("a secret that is long").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn new_user_reports_every_bad_field() {
        let errors = NewUser::parse("x", "nope", "short").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["username", "email", "password"]);
        assert!(NewUser::parse("alice", "alice@example.com", "a fine long passphrase").is_ok());
    }

    #[test]
    fn user_id_is_a_ulid() {
        let id = UserId::generate();
        assert_eq!(id.as_str().len(), 26);
        assert_eq!(UserId::parse(id.as_str()), Some(id));
        assert_eq!(UserId::parse("not-a-ulid"), None);
    }

    #[test]
    fn login_name_key_lowercases() {
        assert_eq!(LoginName::Email("A@B.Com".into()).key(), "a@b.com");
        assert_eq!(LoginName::Username("Bob".into()).key(), "bob");
    }
}
