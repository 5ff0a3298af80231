//! Single-use tokens the shop mails (`VERIFY#<sha256>`, `RESET#<sha256>`,
//! each with the account and the address it was mailed to, and a TTL), and
//! the sliding rate limits of the routes that mail them (`LIMIT#…`, see
//! [`RateLimits`]). A token
//! is consumed by deleting it, conditioned on its expiry, in the same
//! transaction that applies it; the account's update is conditioned on the
//! address still being the one the token was mailed to.

use super::{Outboxed, UsersTable, key, user_key};
use crate::Error;
use crate::aws::RateLimits;
use crate::aws::transact::{RetryPolicy, Transaction, TransactionError};
use crate::domain::throttle::RateLimit;
use crate::domain::user::TokenPurpose;
use crate::domain::{Email, Timestamp, UserId};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct MailedTokenItem {
    pk: String,
    sk: String,
    user_id: UserId,
    email: Email,
    expires_at: i64,
}

/// A stored mailed token: whose, for which address, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailedToken {
    pub user_id: UserId,
    pub email: Email,
    pub expires_at: i64,
}

fn token_key(purpose: TokenPurpose, digest: &str) -> (String, String) {
    let prefix = match purpose {
        TokenPurpose::VerifyEmail => "VERIFY",
        TokenPurpose::ResetPassword => "RESET",
    };
    (format!("{prefix}#{digest}"), prefix.to_owned())
}

/// The items of a token's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenWrite {
    Token,
    User,
    Event,
}

impl UsersTable {
    /// Stores a freshly drawn token's digest for `user` and `email`.
    pub async fn store_mailed_token(
        &self,
        purpose: TokenPurpose,
        digest: &str,
        user: &UserId,
        email: &Email,
        now: Timestamp,
    ) -> Result<(), Error> {
        let (pk, sk) = token_key(purpose, digest);
        let item = MailedTokenItem {
            pk,
            sk,
            user_id: user.clone(),
            email: email.clone(),
            expires_at: now.unix_seconds() + purpose.ttl_seconds(),
        };
        let item = serde_dynamo::to_item(&item).map_err(Error::internal("encoding a token"))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(Error::internal("storing a mailed token"))?;
        Ok(())
    }

    /// The token with this digest, unless it expired or was used.
    pub async fn live_mailed_token(
        &self,
        purpose: TokenPurpose,
        digest: &str,
        now: Timestamp,
    ) -> Result<Option<MailedToken>, Error> {
        let Some(item) = self.get(token_key(purpose, digest)).await? else {
            return Ok(None);
        };
        let item: MailedTokenItem =
            serde_dynamo::from_item(item).map_err(Error::internal("decoding a token"))?;
        Ok(
            (item.expires_at > now.unix_seconds()).then_some(MailedToken {
                user_id: item.user_id,
                email: item.email,
                expires_at: item.expires_at,
            }),
        )
    }

    /// Consumes a verification token and marks the address verified, in one
    /// transaction; `false` if the token was used meanwhile, has expired, or
    /// the account's address is no longer the one it was mailed to.
    pub async fn verify_email(
        &self,
        digest: &str,
        token: &MailedToken,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let update = Update::builder()
            .update_expression("SET email_verified = :true, updated_at = :now")
            .expression_attribute_values(":true", AttributeValue::Bool(true));
        self.consume(TokenPurpose::VerifyEmail, digest, token, update, now, &[])
            .await
    }

    /// Consumes a reset token, stores the new hash and cuts off every token
    /// issued before `now` (every refresh family with it), in one
    /// transaction. The link reached the account's address, so the address
    /// is verified too. `false` as for [`Self::verify_email`].
    pub async fn reset_password(
        &self,
        digest: &str,
        token: &MailedToken,
        new_hash: &str,
        now: Timestamp,
        events: &[Outboxed],
    ) -> Result<bool, Error> {
        let update = Update::builder()
            .update_expression(
                "SET password_hash = :hash, tokens_valid_after_ms = :cutoff, \
                 email_verified = :true, updated_at = :now",
            )
            .expression_attribute_values(":hash", AttributeValue::S(new_hash.to_owned()))
            .expression_attribute_values(
                ":cutoff",
                AttributeValue::N(now.unix_millis().to_string()),
            )
            .expression_attribute_values(":true", AttributeValue::Bool(true));
        self.consume(
            TokenPurpose::ResetPassword,
            digest,
            token,
            update,
            now,
            events,
        )
        .await
    }

    /// The token's delete and the account's `update`, in one transaction.
    async fn consume(
        &self,
        purpose: TokenPurpose,
        digest: &str,
        token: &MailedToken,
        update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
        now: Timestamp,
        events: &[Outboxed],
    ) -> Result<bool, Error> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(token_key(purpose, digest))))
            .condition_expression("expires_at > :now")
            .expression_attribute_values(":now", AttributeValue::N(now.unix_seconds().to_string()))
            .build()
            .map_err(Error::internal("building a token's use"))?;
        let update = update
            .table_name(&self.table)
            .set_key(Some(key(user_key(&token.user_id))))
            .condition_expression("email = :email")
            .expression_attribute_values(":email", AttributeValue::S(token.email.as_str().into()))
            .expression_attribute_values(":now", AttributeValue::S(now.to_string()))
            .build()
            .map_err(Error::internal("building a token's use"))?;
        let mut transaction = Transaction::default();
        transaction
            .add(
                TokenWrite::Token,
                TransactWriteItem::builder().delete(delete).build(),
            )
            .add(
                TokenWrite::User,
                TransactWriteItem::builder().update(update).build(),
            );
        for event in events {
            transaction.add(TokenWrite::Event, self.outbox_put(event)?);
        }
        match transaction
            .run(&self.client, None, &RetryPolicy::default())
            .await
        {
            Ok(()) => Ok(true),
            Err(TransactionError::Cancelled(c))
                if c.condition_failed(&TokenWrite::Token)
                    || c.condition_failed(&TokenWrite::User) =>
            {
                Ok(false)
            }
            Err(error) => Err(Error::internal("using a mailed token")(error)),
        }
    }

    /// Takes one use of the sliding `limit` named `name`: `Ok(())`, or the
    /// seconds until a use is free. See [`RateLimit`].
    pub async fn take_rate_limit(
        &self,
        name: &str,
        limit: RateLimit,
        now: Timestamp,
    ) -> Result<Result<(), u64>, Error> {
        let limits = RateLimits::new(self.client.clone(), &self.table, "expires_at");
        Ok(limits.take(name, limit, now).await?.map(|_| ()))
    }
}
