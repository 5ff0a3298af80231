//! Payment providers behind one interface. The built-in simulator knows
//! Stripe's test tokens; a Stripe adapter implements the same trait and is
//! picked by `PAYMENT_PROVIDER`, without touching the use case.

use crate::Error;
use crate::domain::Cents;
use crate::domain::payment::{Card, DeclineCode, PaymentMethod};
use std::future::Future;

/// A charge as the provider sees it.
#[derive(Debug, Clone)]
pub struct ChargeRequest<'a> {
    pub method: &'a PaymentMethod,
    pub amount_cents: Cents,
    pub currency: &'a str,
    /// The provider's own idempotency key (the payment id).
    pub idempotency_key: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded {
        card: Card,
        reference: String,
    },
    Declined {
        card: Card,
        code: DeclineCode,
    },
    /// The provider does not know this payment method.
    UnknownMethod,
}

pub trait PaymentProvider: Send + Sync {
    fn charge(
        &self,
        request: &ChargeRequest<'_>,
    ) -> impl Future<Output = Result<ChargeOutcome, Error>> + Send;
    /// Gives a succeeded charge back (when its order could not be paid after all).
    fn refund(&self, reference: &str) -> impl Future<Output = Result<(), Error>> + Send;
}

/// Stripe's test tokens, answered locally.
#[derive(Debug, Clone, Copy, Default)]
pub struct Simulator;

fn card(brand: &str, last4: &str) -> Card {
    Card {
        brand: brand.into(),
        last4: last4.into(),
    }
}

impl PaymentProvider for Simulator {
    async fn charge(&self, request: &ChargeRequest<'_>) -> Result<ChargeOutcome, Error> {
        let reference = format!("sim_{}", request.idempotency_key);
        Ok(match request.method.as_str() {
            "pm_card_visa" => ChargeOutcome::Succeeded {
                card: card("visa", "4242"),
                reference,
            },
            "pm_card_mastercard" => ChargeOutcome::Succeeded {
                card: card("mastercard", "4444"),
                reference,
            },
            "pm_card_chargeDeclined" => ChargeOutcome::Declined {
                card: card("visa", "0002"),
                code: DeclineCode::CardDeclined,
            },
            "pm_card_chargeDeclinedInsufficientFunds" => ChargeOutcome::Declined {
                card: card("visa", "9995"),
                code: DeclineCode::InsufficientFunds,
            },
            _ => ChargeOutcome::UnknownMethod,
        })
    }

    async fn refund(&self, _reference: &str) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn charge(token: &str) -> ChargeOutcome {
        let method = PaymentMethod::parse(token).unwrap();
        Simulator
            .charge(&ChargeRequest {
                method: &method,
                amount_cents: Cents::parse(100).unwrap(),
                currency: "USD",
                idempotency_key: "k",
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_simulator_knows_the_four_test_tokens() {
        assert_eq!(
            charge("pm_card_visa").await,
            ChargeOutcome::Succeeded {
                card: card("visa", "4242"),
                reference: "sim_k".into()
            }
        );
        assert!(
            matches!(charge("pm_card_mastercard").await, ChargeOutcome::Succeeded { card, .. } if card.last4 == "4444")
        );
        assert!(matches!(
            charge("pm_card_chargeDeclined").await,
            ChargeOutcome::Declined {
                code: DeclineCode::CardDeclined,
                ..
            }
        ));
        assert!(matches!(
            charge("pm_card_chargeDeclinedInsufficientFunds").await,
            ChargeOutcome::Declined {
                code: DeclineCode::InsufficientFunds,
                ..
            }
        ));
        assert_eq!(charge("pm_card_amex").await, ChargeOutcome::UnknownMethod);
    }
}
