//! The account events' outbox ([`crate::aws::outbox`]): a link or a notice
//! to mail, put in the same transaction as the account change it reports.

use super::UsersTable;
use crate::Error;
use crate::aws::outbox::Outbox;
pub use crate::aws::outbox::Outboxed;
use crate::domain::Timestamp;
use aws_sdk_dynamodb::types::TransactWriteItem;

impl UsersTable {
    /// The outbox of the account events.
    pub fn outbox(&self) -> Outbox {
        Outbox::new(self.client.clone(), &self.table)
    }

    /// The put of `event` into a change's transaction.
    pub(super) fn outbox_put(&self, event: &Outboxed) -> Result<TransactWriteItem, Error> {
        self.outbox().put(event)
    }

    /// Removes a sent event. Idempotent.
    pub async fn event_sent(&self, id: &str) -> Result<(), Error> {
        self.outbox().sent(id).await
    }

    /// Up to `limit` events written before `before`, oldest first.
    pub async fn unsent_events(
        &self,
        before: Timestamp,
        limit: i32,
    ) -> Result<Vec<Outboxed>, Error> {
        self.outbox().unsent(before, limit).await
    }
}
