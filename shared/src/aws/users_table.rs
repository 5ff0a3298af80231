//! The users table: one item per user, one uniqueness item per unique value
//! (`USERNAME#…`, `EMAIL#…`) written in the same transaction, and the login
//! throttling counters (per subject and IP, per subject and hour). Generic
//! `pk`/`sk` keys; `expires_at` is the TTL attribute.

use super::transact::{RetryPolicy, Transaction, TransactionError};
use crate::Error;
use crate::auth::refresh::REFRESH_TOKEN_TTL_SECONDS;
use crate::domain::address::{Address, AddressBook};
use crate::domain::throttle::{LoginThrottle, Subject, hour_window};
use crate::domain::{Email, Role, Timestamp, User, UserId, Username};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

mod mailed;
mod outbox;
pub use mailed::MailedToken;
pub use outbox::Outboxed;

type Item = HashMap<String, AttributeValue>;

/// The items of a registration's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    User,
    Username,
    Email,
    /// An account event, in the outbox with the change it reports.
    Event,
}

/// How long throttling records outlive their last failure before TTL removes them.
const COUNTER_RETENTION_SECONDS: i64 = 24 * 3600;

#[derive(Clone)]
pub struct UsersTable {
    client: Client,
    table: String,
}

/// A user as stored, with the password hash that never leaves this layer's callers.
#[derive(Debug, Clone)]
pub struct StoredUser {
    pub user: User,
    pub password_hash: String,
    /// Unix milliseconds before which this user's tokens are cut off, where
    /// the contract checks `tokens_valid_after`.
    pub tokens_valid_after_ms: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct UserItem {
    pk: String,
    sk: String,
    id: UserId,
    username: Username,
    email: Email,
    role: Role,
    password_hash: String,
    #[serde(default)]
    email_verified: bool,
    created_at: Timestamp,
    /// Absent on items written before accounts could change.
    #[serde(default)]
    updated_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tokens_valid_after_ms: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct AddressBookItem {
    pk: String,
    sk: String,
    addresses: Vec<Address>,
    version: u64,
}

/// The one attribute other services may read of a user (their roles are
/// limited to it): the token cut-off.
#[derive(Deserialize)]
struct CutoffItem {
    #[serde(default)]
    tokens_valid_after_ms: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct UniqueItem {
    pk: String,
    sk: String,
    user_id: UserId,
}

#[derive(Deserialize, Default)]
struct PairItem {
    #[serde(default)]
    locked_until: Option<i64>,
}

/// Whether an attempt may check its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Yes; it is the pair's `n`-th consecutive attempt, counted already as
    /// a failure until it succeeds.
    Admitted(u64),
    /// No, not for this many seconds.
    Refused(u64),
}

/// A refresh token, by its digest. `used` flips once, at its rotation.
#[derive(Serialize, Deserialize)]
struct RefreshItem {
    pk: String,
    sk: String,
    family: String,
    user_id: UserId,
    used: bool,
    expires_at: i64,
}

/// One login's chain of refresh tokens; revoking it ends them all.
#[derive(Serialize, Deserialize)]
struct FamilyItem {
    pk: String,
    sk: String,
    revoked: bool,
    expires_at: i64,
}

/// A stored refresh token, as the sessions use case reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    pub family: String,
    pub user_id: UserId,
    pub used: bool,
    pub expires_at: i64,
}

/// The items of a session's transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionWrite {
    Family,
    Old,
    New,
}

#[derive(Deserialize, Default)]
struct HourItem {
    #[serde(default)]
    failures: u64,
}

/// The items of an e-mail change's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EmailWrite {
    New,
    Old,
    User,
    Event,
}

/// Why an e-mail change was not applied.
#[derive(Debug, PartialEq, Eq)]
pub enum ChangeEmailError {
    /// Another account has the new address.
    EmailTaken,
    /// The account's address changed meanwhile.
    Changed,
}

#[derive(Debug, PartialEq, Eq)]
pub enum CreateUserError {
    UsernameTaken,
    EmailTaken,
}

fn user_key(id: &UserId) -> (String, String) {
    (format!("USER#{id}"), "USER".into())
}
/// One item holds a user's whole address book (at most ten), so every rule
/// over the book is checked in memory and stored in one conditional write.
fn address_book_key(id: &UserId) -> (String, String) {
    (format!("USER#{id}"), "ADDRESSES".into())
}
fn username_key(key: &str) -> (String, String) {
    (format!("USERNAME#{key}"), "USERNAME".into())
}
fn email_key(key: &str) -> (String, String) {
    (format!("EMAIL#{key}"), "EMAIL".into())
}
/// A throttling subject as the counters know it. An unknown name is kept as
/// a SHA-256 digest, so a name of any length fits DynamoDB's 2048-byte
/// partition key, and the counters hold no e-mail address.
fn subject_key(subject: &Subject) -> String {
    match subject {
        Subject::Account(id) => format!("ACCOUNT#{id}"),
        Subject::Unknown(name) => {
            format!("NAME#{}", crate::auth::opaque::sha256_hex(name.as_bytes()))
        }
    }
}
fn refresh_key(digest: &str) -> (String, String) {
    (format!("REFRESH#{digest}"), "REFRESH".into())
}
/// Families sit in their user's partition, so "sign out everywhere" is one query.
fn family_key(user: &UserId, family: &str) -> (String, String) {
    (format!("USER#{user}"), format!("FAMILY#{family}"))
}
fn pair_key(subject: &Subject, ip: &str) -> (String, String) {
    (
        format!("LOGINPAIR#{ip}#{}", subject_key(subject)),
        "PAIR".into(),
    )
}
fn hour_key(subject: &Subject, window: i64) -> (String, String) {
    (
        format!("LOGINHOURS#{}", subject_key(subject)),
        format!("HOUR#{window}"),
    )
}
/// The uniqueness item a login name would have. A name longer than any
/// account's cannot have one (and could overflow the key), so it reads the
/// item of the empty name, which never exists: the read, and its cost, stay.
fn login_marker(name: &crate::domain::LoginName) -> (String, String) {
    use crate::domain::LoginName;
    use crate::domain::user::{EMAIL_MAX, USERNAME_MAX};
    let fits = |text: &str, max: usize| text.chars().count() <= max;
    match name {
        LoginName::Username(text) if fits(text, USERNAME_MAX) => username_key(&name.key()),
        LoginName::Username(_) => username_key(""),
        LoginName::Email(text) if fits(text, EMAIL_MAX) => email_key(&name.key()),
        LoginName::Email(_) => email_key(""),
    }
}

fn key((pk, sk): (String, String)) -> Item {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk)),
        ("sk".to_string(), AttributeValue::S(sk)),
    ])
}

impl UsersTable {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.table
    }

    /// Writes the user and its two uniqueness items in one transaction, each
    /// conditional on not existing: concurrent registrations of one name or
    /// address cannot both succeed.
    pub async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
    ) -> Result<Result<(), CreateUserError>, Error> {
        self.create_user_with(user, password_hash, &[]).await
    }

    /// [`Self::create_user`], with `events` put in the outbox by the same
    /// transaction.
    pub async fn create_user_with(
        &self,
        user: &User,
        password_hash: &str,
        events: &[Outboxed],
    ) -> Result<Result<(), CreateUserError>, Error> {
        let (pk, sk) = user_key(&user.id);
        let record = UserItem {
            pk,
            sk,
            id: user.id.clone(),
            username: user.username.clone(),
            email: user.email.clone(),
            role: user.role,
            password_hash: password_hash.to_owned(),
            email_verified: user.email_verified,
            created_at: user.created_at,
            updated_at: Some(user.updated_at),
            tokens_valid_after_ms: None,
        };
        let unique = |(pk, sk): (String, String)| UniqueItem {
            pk,
            sk,
            user_id: user.id.clone(),
        };
        let mut transaction = Transaction::default();
        transaction
            .add(Write::User, super::put_new(&self.table, &record)?)
            .add(
                Write::Username,
                super::put_new(&self.table, &unique(username_key(&user.username.key())))?,
            )
            .add(
                Write::Email,
                super::put_new(&self.table, &unique(email_key(&user.email.key())))?,
            );
        for event in events {
            transaction.add(Write::Event, self.outbox_put(event)?);
        }
        match transaction
            .run(&self.client, None, &RetryPolicy::default())
            .await
        {
            Ok(()) => Ok(Ok(())),
            Err(TransactionError::Cancelled(c)) if c.condition_failed(&Write::Username) => {
                Ok(Err(CreateUserError::UsernameTaken))
            }
            Err(TransactionError::Cancelled(c)) if c.condition_failed(&Write::Email) => {
                Ok(Err(CreateUserError::EmailTaken))
            }
            Err(error) => Err(Error::internal("writing a new user")(error)),
        }
    }

    async fn get(&self, key_parts: (String, String)) -> Result<Option<Item>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(key_parts)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("reading the users table"))?;
        Ok(out.item)
    }

    pub async fn get_user(&self, id: &UserId) -> Result<Option<StoredUser>, Error> {
        self.get(user_key(id))
            .await?
            .map(|item| {
                let record: UserItem =
                    serde_dynamo::from_item(item).map_err(Error::internal("decoding a user"))?;
                Ok(StoredUser {
                    user: User {
                        id: record.id,
                        username: record.username,
                        email: record.email,
                        role: record.role,
                        email_verified: record.email_verified,
                        created_at: record.created_at,
                        updated_at: record.updated_at.unwrap_or(record.created_at),
                    },
                    password_hash: record.password_hash,
                    tokens_valid_after_ms: record.tokens_valid_after_ms,
                })
            })
            .transpose()
    }

    /// The user's saved addresses alone: the read the orders service makes
    /// of the address book (its role may read no other attribute).
    pub async fn saved_addresses(&self, user: &UserId) -> Result<Vec<Address>, Error> {
        #[derive(Deserialize)]
        struct Saved {
            #[serde(default)]
            addresses: Vec<Address>,
        }
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(address_book_key(user))))
            .projection_expression("addresses")
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("reading saved addresses"))?;
        match out.item {
            Some(item) => {
                let saved: Saved = serde_dynamo::from_item(item)
                    .map_err(Error::internal("decoding saved addresses"))?;
                Ok(saved.addresses)
            }
            None => Ok(Vec::new()),
        }
    }

    /// The user's token cut-off alone (`None` for none, or no such user):
    /// the one read the orders and payments services make of this table.
    pub async fn tokens_valid_after(&self, id: &UserId) -> Result<Option<i64>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(user_key(id))))
            .projection_expression("tokens_valid_after_ms")
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::internal("reading a user's token cut-off"))?;
        match out.item {
            Some(item) => {
                let cutoff: CutoffItem = serde_dynamo::from_item(item)
                    .map_err(Error::internal("decoding a token cut-off"))?;
                Ok(cutoff.tokens_valid_after_ms)
            }
            None => Ok(None),
        }
    }

    /// Replaces the password hash if it is still `old_hash` (so two changes
    /// at once cannot both apply), and in the same write cuts off every token
    /// issued before `now`: access tokens where it is checked, and every
    /// refresh family started before it.
    /// `events` go into the outbox in the same transaction.
    pub async fn change_password(
        &self,
        user: &UserId,
        old_hash: &str,
        new_hash: &str,
        now: Timestamp,
        events: &[Outboxed],
    ) -> Result<bool, Error> {
        use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_key(user))))
            .update_expression(
                "SET password_hash = :new, tokens_valid_after_ms = :cutoff, updated_at = :now",
            )
            .condition_expression("password_hash = :old")
            .expression_attribute_values(":new", AttributeValue::S(new_hash.to_owned()))
            .expression_attribute_values(":old", AttributeValue::S(old_hash.to_owned()))
            .expression_attribute_values(
                ":cutoff",
                AttributeValue::N(now.unix_millis().to_string()),
            )
            .expression_attribute_values(":now", AttributeValue::S(now.to_string()))
            .build()
            .map_err(Error::internal("building a password change"))?;
        let mut transaction = Transaction::default();
        transaction.add(
            Write::User,
            TransactWriteItem::builder().update(update).build(),
        );
        for event in events {
            transaction.add(Write::Event, self.outbox_put(event)?);
        }
        match transaction
            .run(&self.client, None, &RetryPolicy::default())
            .await
        {
            Ok(()) => Ok(true),
            Err(TransactionError::Cancelled(c)) if c.condition_failed(&Write::User) => Ok(false),
            Err(error) => Err(Error::internal("changing a password")(error)),
        }
    }

    /// Moves the account to a new address in one transaction: the new
    /// uniqueness item (refused if taken), the old one deleted, the user's
    /// `email` set with `email_verified` false, conditioned on the address
    /// still being `old` (so of two changes at once, one applies).
    pub async fn change_email(
        &self,
        user: &UserId,
        old: &Email,
        new: &Email,
        now: Timestamp,
        events: &[Outboxed],
    ) -> Result<Result<(), ChangeEmailError>, Error> {
        use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
        let (pk, sk) = email_key(&new.key());
        let claim = UniqueItem {
            pk,
            sk,
            user_id: user.clone(),
        };
        let release = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(email_key(&old.key()))))
            .condition_expression("user_id = :me")
            .expression_attribute_values(":me", AttributeValue::S(user.to_string()))
            .build()
            .map_err(Error::internal("building an e-mail change"))?;
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_key(user))))
            .update_expression("SET email = :new, email_verified = :false, updated_at = :now")
            .condition_expression("email = :old")
            .expression_attribute_values(":new", AttributeValue::S(new.as_str().into()))
            .expression_attribute_values(":old", AttributeValue::S(old.as_str().into()))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", AttributeValue::S(now.to_string()))
            .build()
            .map_err(Error::internal("building an e-mail change"))?;
        let mut transaction = Transaction::default();
        transaction
            .add(EmailWrite::New, super::put_new(&self.table, &claim)?)
            .add(
                EmailWrite::Old,
                TransactWriteItem::builder().delete(release).build(),
            )
            .add(
                EmailWrite::User,
                TransactWriteItem::builder().update(update).build(),
            );
        for event in events {
            transaction.add(EmailWrite::Event, self.outbox_put(event)?);
        }
        match transaction
            .run(&self.client, None, &RetryPolicy::default())
            .await
        {
            Ok(()) => Ok(Ok(())),
            Err(TransactionError::Cancelled(c)) if c.condition_failed(&EmailWrite::New) => {
                Ok(Err(ChangeEmailError::EmailTaken))
            }
            Err(TransactionError::Cancelled(c))
                if c.condition_failed(&EmailWrite::User)
                    || c.condition_failed(&EmailWrite::Old) =>
            {
                Ok(Err(ChangeEmailError::Changed))
            }
            Err(error) => Err(Error::internal("changing an e-mail address")(error)),
        }
    }

    /// The user's address book (empty, version 0, if never stored).
    pub async fn address_book(&self, user: &UserId) -> Result<AddressBook, Error> {
        match self.get(address_book_key(user)).await? {
            Some(item) => {
                let stored: AddressBookItem = serde_dynamo::from_item(item)
                    .map_err(Error::internal("decoding an address book"))?;
                Ok(AddressBook {
                    addresses: stored.addresses,
                    version: stored.version,
                })
            }
            None => Ok(AddressBook::default()),
        }
    }

    /// Stores the book if it is still at the version it was read at; `false`
    /// when another change stored a newer one first.
    pub async fn store_address_book(
        &self,
        user: &UserId,
        book: &AddressBook,
    ) -> Result<bool, Error> {
        let (pk, sk) = address_book_key(user);
        let item = AddressBookItem {
            pk,
            sk,
            addresses: book.addresses.clone(),
            version: book.version + 1,
        };
        let item =
            serde_dynamo::to_item(&item).map_err(Error::internal("encoding an address book"))?;
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let put = if book.version == 0 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("version = :read")
                .expression_attribute_values(":read", AttributeValue::N(book.version.to_string()))
        };
        let stored = put.send().await;
        super::unless_refused(stored, "storing an address book").map(|out| out.is_some())
    }

    /// The account a login name points to. Always two reads, found or not, so
    /// an unknown name costs what a known one does.
    pub async fn find_by_login(
        &self,
        name: &crate::domain::LoginName,
    ) -> Result<Option<StoredUser>, Error> {
        let user_id = match self.get(login_marker(name)).await? {
            Some(item) => {
                let unique: UniqueItem = serde_dynamo::from_item(item)
                    .map_err(Error::internal("decoding a uniqueness item"))?;
                Some(unique.user_id)
            }
            None => None,
        };
        match user_id {
            Some(id) => self.get_user(&id).await,
            None => {
                self.get((String::from("USER#"), String::from("USER")))
                    .await?;
                Ok(None)
            }
        }
    }

    /// Admits one attempt of `subject` from `ip`, or refuses it, in atomic
    /// steps so that concurrent attempts cannot all pass one check:
    ///
    /// 1. the sliding hour: one `ADD` to this window's count, conditional on
    ///    the room the previous window leaves;
    /// 2. the pair: one `ADD` to its consecutive count while it is under the
    ///    lock threshold; past it, only once the lock has run out, and the
    ///    same write holds the pair locked while the password is checked.
    ///
    /// An admitted attempt is counted as a failure; `login_succeeded` takes
    /// it back.
    pub async fn admit_login(
        &self,
        subject: &Subject,
        ip: &str,
        throttle: &LoginThrottle,
        now: Timestamp,
    ) -> Result<Admission, Error> {
        if let Some(wait) = self.admit_hour(subject, throttle, now).await? {
            return Ok(Admission::Refused(wait));
        }
        let admission = self.admit_pair(subject, ip, throttle, now).await?;
        if let Admission::Refused(_) = admission {
            // No password is checked: the hour does not count it.
            self.add_to_hour(subject, now, -1).await?;
        }
        Ok(admission)
    }

    /// `Some(wait)` when the sliding hour has no room for another failure.
    async fn admit_hour(
        &self,
        subject: &Subject,
        throttle: &LoginThrottle,
        now: Timestamp,
    ) -> Result<Option<u64>, Error> {
        let window = hour_window(now);
        let previous = self.hour_failures(subject, window - 1).await?;
        let allowance = throttle.hour_allowance(previous, now);
        if allowance == 0 {
            let current = self.hour_failures(subject, window).await?;
            return Ok(Some(throttle.hour_retry_after(previous, current, now)));
        }
        let counted = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(hour_key(subject, window))))
            .update_expression("ADD failures :one SET expires_at = :ttl")
            .condition_expression("attribute_not_exists(failures) OR failures < :allowance")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":allowance", AttributeValue::N(allowance.to_string()))
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N(((window + 2) * 3600).to_string()),
            )
            .send()
            .await;
        match super::unless_refused(counted, "counting a login attempt")? {
            Some(_) => Ok(None),
            None => {
                let current = self.hour_failures(subject, window).await?;
                Ok(Some(throttle.hour_retry_after(previous, current, now)))
            }
        }
    }

    async fn hour_failures(&self, subject: &Subject, window: i64) -> Result<u64, Error> {
        let item: HourItem = match self.get(hour_key(subject, window)).await? {
            Some(item) => serde_dynamo::from_item(item)
                .map_err(Error::internal("decoding a login counter"))?,
            None => HourItem::default(),
        };
        Ok(item.failures)
    }

    async fn add_to_hour(&self, subject: &Subject, now: Timestamp, n: i64) -> Result<(), Error> {
        let window = hour_window(now);
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(hour_key(subject, window))))
            .update_expression("ADD failures :n SET expires_at = :ttl")
            .expression_attribute_values(":n", AttributeValue::N(n.to_string()))
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N(((window + 2) * 3600).to_string()),
            )
            .send()
            .await
            .map_err(Error::internal("counting a login attempt"))?;
        Ok(())
    }

    async fn admit_pair(
        &self,
        subject: &Subject,
        ip: &str,
        throttle: &LoginThrottle,
        now: Timestamp,
    ) -> Result<Admission, Error> {
        let now_s = now.unix_seconds();
        let ttl = AttributeValue::N((now_s + COUNTER_RETENTION_SECONDS).to_string());
        let count = |update: &str, condition: &str| {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(pair_key(subject, ip))))
                .update_expression(update)
                .condition_expression(condition)
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":ttl", ttl.clone())
                .return_values(ReturnValue::UpdatedNew)
        };
        // Under the threshold: count it.
        let under = count(
            "ADD failures :one SET expires_at = :ttl",
            "attribute_not_exists(failures) OR failures < :limit",
        )
        .expression_attribute_values(
            ":limit",
            AttributeValue::N(throttle.failures_before_lock.to_string()),
        )
        .send()
        .await;
        let mut counted = super::unless_refused(under, "counting a login attempt")?;
        if counted.is_none() {
            // Past it: only after the lock, which this write takes again for
            // as long as the password check may last (the shortest lock); a
            // failure then sets the real one.
            let hold = now_s + throttle.backoff_base_seconds as i64;
            let after_lock = count(
                "ADD failures :one SET locked_until = :hold, expires_at = :ttl",
                "locked_until <= :now",
            )
            .expression_attribute_values(":hold", AttributeValue::N(hold.to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now_s.to_string()))
            .send()
            .await;
            counted = super::unless_refused(after_lock, "counting a login attempt")?;
        }
        match counted {
            Some(out) => Ok(Admission::Admitted(
                out.attributes()
                    .and_then(|a| a.get("failures"))
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1),
            )),
            None => {
                let pair: PairItem = match self.get(pair_key(subject, ip)).await? {
                    Some(item) => serde_dynamo::from_item(item)
                        .map_err(Error::internal("decoding a login counter"))?,
                    None => PairItem::default(),
                };
                // No lock yet: an attempt past the threshold is still being checked.
                let until = pair
                    .locked_until
                    .unwrap_or(now_s + throttle.backoff_base_seconds as i64);
                Ok(Admission::Refused((until - now_s).max(1) as u64))
            }
        }
    }

    /// Refuses the pair until `until` (epoch seconds), after a failure past
    /// the threshold.
    pub async fn lock_login_pair(
        &self,
        subject: &Subject,
        ip: &str,
        until: i64,
    ) -> Result<(), Error> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pair_key(subject, ip))))
            .update_expression("SET locked_until = :until, expires_at = :ttl")
            .expression_attribute_values(":until", AttributeValue::N(until.to_string()))
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N((until + COUNTER_RETENTION_SECONDS).to_string()),
            )
            .send()
            .await
            .map_err(Error::internal("locking a login pair"))?;
        Ok(())
    }

    /// A successful login clears the pair and takes its attempt back from
    /// the hour.
    pub async fn login_succeeded(
        &self,
        subject: &Subject,
        ip: &str,
        now: Timestamp,
    ) -> Result<(), Error> {
        let pair = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pair_key(subject, ip))))
            .send();
        let (pair, hour) = tokio::join!(pair, self.add_to_hour(subject, now, -1));
        pair.map_err(Error::internal("resetting a login pair"))?;
        hour
    }

    /// A new family with its first refresh token (at login).
    pub async fn start_session(
        &self,
        user: &UserId,
        family: &str,
        digest: &str,
        now: Timestamp,
    ) -> Result<(), Error> {
        let expires_at = now.unix_seconds() + REFRESH_TOKEN_TTL_SECONDS;
        let (pk, sk) = family_key(user, family);
        let family_item = FamilyItem {
            pk,
            sk,
            revoked: false,
            expires_at,
        };
        let (pk, sk) = refresh_key(digest);
        let token = RefreshItem {
            pk,
            sk,
            family: family.to_owned(),
            user_id: user.clone(),
            used: false,
            expires_at,
        };
        let mut transaction = Transaction::default();
        transaction
            .add(
                SessionWrite::Family,
                super::put_new(&self.table, &family_item)?,
            )
            .add(SessionWrite::New, super::put_new(&self.table, &token)?);
        transaction
            .run(&self.client, None, &RetryPolicy::default())
            .await
            .map_err(Error::internal("starting a session"))
    }

    /// The refresh token with this digest, if one was ever issued and TTL has
    /// not removed it yet.
    pub async fn find_refresh(&self, digest: &str) -> Result<Option<RefreshRecord>, Error> {
        self.get(refresh_key(digest))
            .await?
            .map(|item| {
                let item: RefreshItem = serde_dynamo::from_item(item)
                    .map_err(Error::internal("decoding a refresh token"))?;
                Ok(RefreshRecord {
                    family: item.family,
                    user_id: item.user_id,
                    used: item.used,
                    expires_at: item.expires_at,
                })
            })
            .transpose()
    }

    /// Replaces `old` by a new token of its family, in one transaction: the
    /// old one is marked used only if it was not, the family only if it is
    /// not revoked, so of concurrent presentations of one token exactly one
    /// wins. `false` for every loser.
    pub async fn rotate_refresh(
        &self,
        old_digest: &str,
        old: &RefreshRecord,
        new_digest: &str,
        now: Timestamp,
    ) -> Result<bool, Error> {
        use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
        let now_s = now.unix_seconds();
        let expires_at = now_s + REFRESH_TOKEN_TTL_SECONDS;
        let update = |key_parts: (String, String), expression: &str, condition: &str| {
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(key_parts)))
                .update_expression(expression)
                .condition_expression(condition)
                .expression_attribute_values(":false", AttributeValue::Bool(false))
        };
        let spend = update(
            refresh_key(old_digest),
            "SET used = :true",
            "used = :false AND expires_at > :now",
        )
        .expression_attribute_values(":true", AttributeValue::Bool(true))
        .expression_attribute_values(":now", AttributeValue::N(now_s.to_string()))
        .build()
        .map_err(Error::internal("building a rotation"))?;
        let extend = update(
            family_key(&old.user_id, &old.family),
            "SET expires_at = :ttl",
            "revoked = :false",
        )
        .expression_attribute_values(":ttl", AttributeValue::N(expires_at.to_string()))
        .build()
        .map_err(Error::internal("building a rotation"))?;
        let (pk, sk) = refresh_key(new_digest);
        let token = RefreshItem {
            pk,
            sk,
            family: old.family.clone(),
            user_id: old.user_id.clone(),
            used: false,
            expires_at,
        };
        let mut transaction = Transaction::default();
        transaction
            .add(
                SessionWrite::Old,
                TransactWriteItem::builder().update(spend).build(),
            )
            .add(
                SessionWrite::Family,
                TransactWriteItem::builder().update(extend).build(),
            )
            .add(SessionWrite::New, super::put_new(&self.table, &token)?);
        match transaction
            .run(&self.client, None, &RetryPolicy::default())
            .await
        {
            Ok(()) => Ok(true),
            Err(TransactionError::Cancelled(c))
                if c.condition_failed(&SessionWrite::Old)
                    || c.condition_failed(&SessionWrite::Family) =>
            {
                Ok(false)
            }
            Err(error) => Err(Error::internal("rotating a refresh token")(error)),
        }
    }

    /// Ends a family: none of its tokens rotates again. Idempotent.
    pub async fn revoke_family(&self, user: &UserId, family: &str) -> Result<(), Error> {
        let revoked = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(family_key(user, family))))
            .update_expression("SET revoked = :true")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .send()
            .await;
        super::unless_condition_failed(revoked, "revoking a session")
    }

    /// Ends every family of `user` and marks the moment: tokens issued
    /// before it are refused where the contract checks `tokens_valid_after`.
    pub async fn revoke_all_sessions(&self, user: &UserId, now: Timestamp) -> Result<(), Error> {
        self.revoke_families(user).await?;
        let marked = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_key(user))))
            .update_expression("SET tokens_valid_after_ms = :cutoff")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(
                ":cutoff",
                AttributeValue::N(now.unix_millis().to_string()),
            )
            .send()
            .await;
        super::unless_condition_failed(marked, "marking a user's tokens")
    }

    /// Revokes every family of `user`. After a password change the cut-off
    /// already refuses them; this is the clean-up that makes it explicit.
    pub async fn revoke_families(&self, user: &UserId) -> Result<(), Error> {
        let (pk, _) = user_key(user);
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :family)")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .expression_attribute_values(":family", AttributeValue::S("FAMILY#".into()))
                .projection_expression("sk")
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::internal("listing sessions"))?;
            for item in page.items() {
                if let Some(family) = item
                    .get("sk")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|sk| sk.strip_prefix("FAMILY#"))
                {
                    self.revoke_family(user, family).await?;
                }
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(());
            }
        }
    }

    /// A cheap read that proves the table answers (for `/health`).
    pub async fn ping(&self) -> Result<(), Error> {
        self.get((String::from("HEALTH"), String::from("HEALTH")))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LoginName;
    use crate::domain::user::LOGIN_FIELD_MAX;

    /// DynamoDB refuses a partition key over 2048 bytes (a 500 before this held).
    const PARTITION_KEY_MAX_BYTES: usize = 2048;

    #[test]
    fn every_key_of_the_longest_login_name_fits_a_partition_key() {
        let ip = "2001:0db8:85a3:0000:0000:8a2e:0370:7334";
        for name in [
            "\u{1F600}".repeat(LOGIN_FIELD_MAX),
            "\u{0130}".repeat(LOGIN_FIELD_MAX),
        ] {
            for login in [
                LoginName::Username(name.clone()),
                LoginName::Email(name.clone()),
            ] {
                let unknown = Subject::Unknown(login.key());
                for (pk, _) in [
                    pair_key(&unknown, ip),
                    hour_key(&unknown, 1),
                    login_marker(&login),
                ] {
                    assert!(pk.len() <= PARTITION_KEY_MAX_BYTES, "{} bytes", pk.len());
                }
            }
        }
    }

    #[test]
    fn counters_of_unknown_names_are_per_name_ignoring_nothing_but_case() {
        let unknown = |email: &str| Subject::Unknown(LoginName::Email(email.into()).key());
        let (a, b, c) = (
            unknown("Ada@Example.com"),
            unknown("ada@example.com"),
            unknown("ada@example.org"),
        );
        assert_eq!(pair_key(&a, "1.2.3.4"), pair_key(&b, "1.2.3.4"));
        assert_ne!(pair_key(&a, "1.2.3.4"), pair_key(&c, "1.2.3.4"));
        assert_ne!(pair_key(&a, "1.2.3.4"), pair_key(&a, "1.2.3.5"));
        assert_eq!(hour_key(&a, 7), hour_key(&b, 7));
        assert_ne!(hour_key(&a, 7), hour_key(&c, 7));
        assert!(!pair_key(&a, "1.2.3.4").0.contains("ada"));
        let account = Subject::Account(UserId::generate());
        assert_ne!(pair_key(&account, "1.2.3.4"), pair_key(&a, "1.2.3.4"));
    }

    #[test]
    fn names_that_fit_an_account_are_looked_up_as_they_are() {
        assert_eq!(
            login_marker(&LoginName::Username("Ada_L".into())).0,
            "USERNAME#ada_l"
        );
        assert_eq!(
            login_marker(&LoginName::Email("Ada@Example.com".into())).0,
            "EMAIL#ada@example.com"
        );
        assert_eq!(
            login_marker(&LoginName::Username("x".repeat(33))).0,
            "USERNAME#"
        );
    }
}
