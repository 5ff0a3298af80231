//! The users table: one item per user, one uniqueness item per unique value
//! (`USERNAME#…`, `EMAIL#…`) written in the same transaction, and the login
//! throttling counters. Generic `pk`/`sk` keys; `expires_at` is the TTL attribute.

use super::transact::{RetryPolicy, Transaction, TransactionError};
use crate::Error;
use crate::domain::throttle::{LoginCounters, hour_window};
use crate::domain::{Email, Role, Timestamp, User, UserId, Username};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// The items of a registration's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    User,
    Username,
    Email,
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
    created_at: Timestamp,
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
    failures: u64,
    #[serde(default)]
    locked_until: Option<i64>,
}

#[derive(Deserialize, Default)]
struct HourItem {
    #[serde(default)]
    failures: u64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum CreateUserError {
    UsernameTaken,
    EmailTaken,
}

fn user_key(id: &UserId) -> (String, String) {
    (format!("USER#{id}"), "USER".into())
}
fn username_key(key: &str) -> (String, String) {
    (format!("USERNAME#{key}"), "USERNAME".into())
}
fn email_key(key: &str) -> (String, String) {
    (format!("EMAIL#{key}"), "EMAIL".into())
}
/// A login name as the throttling counters know it: a SHA-256 digest, so a
/// name of any length fits DynamoDB's 2048-byte partition key, and the
/// counters hold no e-mail address.
fn name_digest(name_key: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, name_key.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
fn pair_key(name_key: &str, ip: &str) -> (String, String) {
    (
        format!("LOGINPAIR#{ip}#{}", name_digest(name_key)),
        "PAIR".into(),
    )
}
fn hour_key(name_key: &str, window: i64) -> (String, String) {
    (
        format!("LOGINNAME#{}", name_digest(name_key)),
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
        let (pk, sk) = user_key(&user.id);
        let record = UserItem {
            pk,
            sk,
            id: user.id.clone(),
            username: user.username.clone(),
            email: user.email.clone(),
            role: user.role,
            password_hash: password_hash.to_owned(),
            created_at: user.created_at,
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
                        created_at: record.created_at,
                    },
                    password_hash: record.password_hash,
                })
            })
            .transpose()
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

    /// The pair's consecutive failures and lock, and the name's failures this hour.
    pub async fn login_counters(
        &self,
        name_key: &str,
        ip: &str,
        now: Timestamp,
    ) -> Result<LoginCounters, Error> {
        let (pair, hour) = tokio::join!(
            self.get(pair_key(name_key, ip)),
            self.get(hour_key(name_key, hour_window(now)))
        );
        let pair: PairItem = match pair? {
            Some(item) => serde_dynamo::from_item(item)
                .map_err(Error::internal("decoding a login counter"))?,
            None => PairItem::default(),
        };
        let hour: HourItem = match hour? {
            Some(item) => serde_dynamo::from_item(item)
                .map_err(Error::internal("decoding a login counter"))?,
            None => HourItem::default(),
        };
        Ok(LoginCounters {
            pair_failures: pair.failures,
            pair_locked_until: pair.locked_until,
            name_failures_this_hour: hour.failures,
        })
    }

    /// Counts one failure for the pair and for the name's hour, atomically
    /// (`ADD`), and returns the pair's new count of consecutive failures.
    pub async fn record_login_failure(
        &self,
        name_key: &str,
        ip: &str,
        now: Timestamp,
    ) -> Result<u64, Error> {
        let window = hour_window(now);
        let pair = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pair_key(name_key, ip))))
            .update_expression("ADD failures :one SET expires_at = :ttl")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N((now.unix_seconds() + COUNTER_RETENTION_SECONDS).to_string()),
            )
            .return_values(ReturnValue::UpdatedNew)
            .send();
        let hour = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(hour_key(name_key, window))))
            .update_expression("ADD failures :one SET expires_at = :ttl")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N(((window + 2) * 3600).to_string()),
            )
            .send();
        let (pair, hour) = tokio::join!(pair, hour);
        hour.map_err(Error::internal("counting a login failure"))?;
        let pair = pair.map_err(Error::internal("counting a login failure"))?;
        let failures = pair
            .attributes()
            .and_then(|a| a.get("failures"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        Ok(failures)
    }

    /// Refuses the pair until `until` (epoch seconds).
    pub async fn lock_login_pair(&self, name_key: &str, ip: &str, until: i64) -> Result<(), Error> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pair_key(name_key, ip))))
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

    /// A successful login clears the pair's consecutive failures.
    pub async fn reset_login_pair(&self, name_key: &str, ip: &str) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pair_key(name_key, ip))))
            .send()
            .await
            .map_err(Error::internal("resetting a login pair"))?;
        Ok(())
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
                let key = login.key();
                for (pk, _) in [pair_key(&key, ip), hour_key(&key, 1), login_marker(&login)] {
                    assert!(pk.len() <= PARTITION_KEY_MAX_BYTES, "{} bytes", pk.len());
                }
            }
        }
    }

    #[test]
    fn counters_are_per_name_ignoring_nothing_but_case() {
        let a = LoginName::Email("Ada@Example.com".into()).key();
        let b = LoginName::Email("ada@example.com".into()).key();
        let c = LoginName::Email("ada@example.org".into()).key();
        assert_eq!(pair_key(&a, "1.2.3.4"), pair_key(&b, "1.2.3.4"));
        assert_ne!(pair_key(&a, "1.2.3.4"), pair_key(&c, "1.2.3.4"));
        assert_ne!(pair_key(&a, "1.2.3.4"), pair_key(&a, "1.2.3.5"));
        assert_eq!(hour_key(&a, 7), hour_key(&b, 7));
        assert_ne!(hour_key(&a, 7), hour_key(&c, 7));
        assert!(!pair_key(&a, "1.2.3.4").0.contains("ada"));
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
