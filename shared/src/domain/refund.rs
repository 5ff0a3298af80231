//! Refunds: money given back on a succeeded payment, in full or in part,
//! with the stock it returns. The amounts are checked here; that the
//! refunds of a payment never add up to more than it is the payments
//! table's conditional reservation.

use super::order::printable;
use super::{Cents, OrderId, PaymentId, ProductId, Quantity, Timestamp};
use serde::{Deserialize, Serialize};

pub use super::id::RefundId;

/// Why the shop gave the money back, as Stripe names the reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundReason {
    RequestedByCustomer,
    Damaged,
    NotDelivered,
    Other,
}

impl RefundReason {
    pub const ALL: [Self; 4] = [
        Self::RequestedByCustomer,
        Self::Damaged,
        Self::NotDelivered,
        Self::Other,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RequestedByCustomer => "requested_by_customer",
            Self::Damaged => "damaged",
            Self::NotDelivered => "not_delivered",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| {
                "must be one of requested_by_customer, damaged, not_delivered, other".into()
            })
    }
}

/// The admin's note on a refund: 1 to 500 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundNote(String);
newtype!(text RefundNote);

impl RefundNote {
    pub fn parse(text: &str) -> Result<Self, String> {
        printable(text, 500).map(|t| Self(t.to_owned()))
    }
}

/// More than any order can cost (25 lines of 100 at the highest price).
pub const MAX_CENTS: i64 = 25 * 100 * super::product::PRICE_MAX;

/// A refund's amount: at least one cent (a payment's amount bounds it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RefundAmount(i64);
newtype!(int RefundAmount);

impl RefundAmount {
    pub fn parse(value: i64) -> Result<Self, String> {
        if (1..=MAX_CENTS).contains(&value) {
            Ok(Self(value))
        } else {
            Err(format!("must be 1 to {} cents", MAX_CENTS))
        }
    }

    pub fn cents(&self) -> Cents {
        Cents::parse(self.0).unwrap_or(Cents::ZERO)
    }
}

/// Units of one ordered product a refund puts back in stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restock {
    pub product_id: ProductId,
    pub quantity: Quantity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// The provider was asked and has not answered for sure; the sweeper asks again.
    Pending,
    Succeeded,
    /// The provider refused: the amount is free to refund again.
    Failed,
}

/// A refund as a client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: RefundId,
    pub payment_id: PaymentId,
    pub order_id: OrderId,
    pub amount_cents: Cents,
    pub reason: RefundReason,
    pub status: RefundStatus,
    pub created_at: Timestamp,
}

/// What an admin asks for: `POST /payments/{id}/refunds`. No product twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub amount: RefundAmount,
    pub reason: RefundReason,
    pub note: Option<RefundNote>,
    pub restock: Vec<Restock>,
}

impl RefundRequest {
    /// `Err` names the index of a product listed twice.
    pub fn new(
        amount: RefundAmount,
        reason: RefundReason,
        note: Option<RefundNote>,
        restock: Vec<Restock>,
    ) -> Result<Self, usize> {
        for (i, line) in restock.iter().enumerate() {
            if restock[..i].iter().any(|l| l.product_id == line.product_id) {
                return Err(i);
            }
        }
        Ok(Self {
            amount,
            reason,
            note,
            restock,
        })
    }
}

/// The `refund.succeeded` event: what the buyer's mail says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundSucceeded {
    pub refund_id: RefundId,
    pub order_id: OrderId,
    pub user_id: super::UserId,
    pub amount_cents: Cents,
    pub currency: super::Currency,
    /// The order is cancelled by this refund.
    pub cancels_order: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_stripes() {
        for reason in RefundReason::ALL {
            assert_eq!(RefundReason::parse(reason.as_str()), Ok(reason));
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
        assert!(RefundReason::parse("fraudulent").is_err());
    }

    #[test]
    fn an_amount_is_at_least_a_cent() {
        assert!(RefundAmount::parse(0).is_err());
        assert!(RefundAmount::parse(-5).is_err());
        assert_eq!(RefundAmount::parse(1).unwrap().get(), 1);
    }

    #[test]
    fn a_product_restocked_twice_is_refused() {
        let id = ProductId::generate();
        let line = |q| Restock {
            product_id: id.clone(),
            quantity: Quantity::parse(q).unwrap(),
        };
        let amount = RefundAmount::parse(100).unwrap();
        let twice = RefundRequest::new(amount, RefundReason::Other, None, vec![line(1), line(2)]);
        assert_eq!(twice, Err(1));
    }
}
