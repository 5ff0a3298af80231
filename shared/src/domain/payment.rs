//! Payments: provider tokens (never card data), outcomes, and what a client sees.

pub use super::PaymentId;
use super::{Cents, Currency, OrderId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// A payment provider's token for a payment method (`pm_…`), as Stripe issues
/// them. Only its shape is checked here; the provider decides what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethod(String);
newtype!(text PaymentMethod);

impl PaymentMethod {
    pub fn parse(text: &str) -> Result<Self, String> {
        let valid = (4..=255).contains(&text.len())
            && text.starts_with("pm_")
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(
                "must be a payment method token from the payment provider, such as pm_card_visa"
                    .into(),
            )
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub brand: String,
    pub last4: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Succeeded,
    Failed,
    /// Succeeded, and some of it was refunded.
    PartiallyRefunded,
    /// Succeeded, and all of it was refunded.
    Refunded,
}

/// Why a provider declined a charge; the problem `code` of the `402`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineCode {
    CardDeclined,
    InsufficientFunds,
}

impl DeclineCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::CardDeclined => "card_declined",
            Self::InsufficientFunds => "insufficient_funds",
        }
    }
}

/// A payment as a client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub amount_cents: Cents,
    pub currency: Currency,
    pub status: PaymentStatus,
    pub failure_code: Option<DeclineCode>,
    pub card: Card,
    pub created_at: Timestamp,
    /// What its succeeded refunds gave back.
    #[serde(default)]
    pub refunded_cents: Cents,
    /// Its refunds, oldest first (not stored on the payment's own item).
    #[serde(default)]
    pub refunds: Vec<super::refund::Refund>,
}

impl Payment {
    /// The payment with its refunds, its status telling how much they gave back.
    pub fn with_refunds(mut self, refunds: Vec<super::refund::Refund>) -> Self {
        if self.status == PaymentStatus::Succeeded && self.refunded_cents.get() > 0 {
            self.status = if self.refunded_cents >= self.amount_cents {
                PaymentStatus::Refunded
            } else {
                PaymentStatus::PartiallyRefunded
            };
        }
        self.refunds = refunds;
        self
    }
}

/// The `payment.succeeded` event, as it goes on the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSucceeded {
    pub payment_id: PaymentId,
    pub order_id: OrderId,
    pub user_id: UserId,
    pub email: String,
    pub lines: Vec<super::OrderLine>,
    pub total_cents: Cents,
    pub currency: Currency,
}

/// The envelope every queued event has; `id` is the dedupe key downstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope<T> {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub time: Timestamp,
    pub data: T,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_methods_are_tokens_not_card_numbers() {
        for ok in [
            "pm_card_visa",
            "pm_card_chargeDeclinedInsufficientFunds",
            "pm_1NzXyz",
        ] {
            assert!(PaymentMethod::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "4242424242424242",
            "pm_",
            "card_visa",
            "pm_card visa",
            "",
            &format!("pm_{}", "x".repeat(253)),
        ] {
            assert!(PaymentMethod::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decline_codes_are_the_problem_codes() {
        assert_eq!(DeclineCode::CardDeclined.as_str(), "card_declined");
        assert_eq!(
            serde_json::to_value(DeclineCode::InsufficientFunds).unwrap(),
            "insufficient_funds"
        );
        assert_eq!(
            serde_json::to_value(PaymentStatus::Succeeded).unwrap(),
            "succeeded"
        );
    }
}
