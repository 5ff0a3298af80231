//! The address book: list, add, change and remove the caller's addresses.
//!
//! The book is one item, read, changed in memory under the domain's rules
//! (at most ten, at most one default) and written back conditioned on the
//! version it was read at. Of concurrent changes each applies on its own
//! version, so none is lost and no rule is broken by a race.

use crate::Error;
use crate::aws::UsersTable;
use crate::domain::address::{
    Address, AddressBook, AddressFields, AddressId, AddressPatch, BookError,
};
use crate::domain::{Timestamp, UserId};
use crate::users::ensure_current;

/// Conflicts a change retries before answering `409`: more than a person
/// with a few tabs can cause. Between two, a jittered back-off spreads
/// concurrent writers out, so each retry is likely to find the book still.
const ATTEMPTS: u32 = 10;

/// The caller's addresses, oldest first.
pub async fn list(table: &UsersTable, user: &UserId) -> Result<Vec<Address>, Error> {
    Ok(table.address_book(user).await?.addresses)
}

/// Adds an address (the first one is the default).
pub async fn create(
    table: &UsersTable,
    (user, issued_at_ms): (&UserId, i64),
    fields: AddressFields,
    is_default: bool,
) -> Result<Address, Error> {
    ensure_current(table, user, issued_at_ms).await?;
    change(table, user, |book, now| {
        book.add(fields.clone(), is_default, now)
    })
    .await
}

/// Changes some fields of an address, or which one is the default.
pub async fn update(
    table: &UsersTable,
    (user, issued_at_ms): (&UserId, i64),
    id: &AddressId,
    patch: AddressPatch,
) -> Result<Address, Error> {
    ensure_current(table, user, issued_at_ms).await?;
    change(table, user, |book, now| book.update(id, patch.clone(), now)).await
}

/// Removes an address.
pub async fn delete(
    table: &UsersTable,
    (user, issued_at_ms): (&UserId, i64),
    id: &AddressId,
) -> Result<(), Error> {
    ensure_current(table, user, issued_at_ms).await?;
    change(table, user, |book, _| book.remove(id)).await
}

/// Reads the book, applies `edit`, and stores it if nobody stored another
/// version meanwhile; otherwise reads it again.
async fn change<T>(
    table: &UsersTable,
    user: &UserId,
    mut edit: impl FnMut(&mut AddressBook, Timestamp) -> Result<T, BookError>,
) -> Result<T, Error> {
    let backoff = crate::aws::transact::RetryPolicy::default();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(backoff.delay(attempt)).await;
        }
        let mut book = table.address_book(user).await?;
        let outcome = edit(&mut book, Timestamp::now()).map_err(|e| match e {
            BookError::Full => Error::AddressLimit,
            BookError::NotFound => Error::AddressNotFound,
        })?;
        if table.store_address_book(user, &book).await? {
            return Ok(outcome);
        }
    }
    Err(Error::EditConflict)
}
