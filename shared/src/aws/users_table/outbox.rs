//! The account events' outbox ([`crate::aws::outbox`]): a link or a notice
//! to mail, put in the same transaction as the account change it reports.

use super::UsersTable;
use crate::Error;
use crate::aws::outbox::Outbox;
pub use crate::aws::outbox::Outboxed;
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
}
