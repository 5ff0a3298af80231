//! Payment providers behind one interface. The built-in simulator knows
//! Stripe's test tokens; a Stripe adapter implements the same trait and is
//! picked by `PAYMENT_PROVIDER`, without touching the use case.

use crate::Error;
use crate::aws::SimulatedCharges;
use crate::aws::simulated_charges::SimulatedCharge;
use crate::domain::payment::{Card, DeclineCode, PaymentMethod};
use crate::domain::{Cents, Timestamp};
use std::future::Future;

/// A charge as the provider sees it.
#[derive(Debug, Clone)]
pub struct ChargeRequest<'a> {
    pub method: &'a PaymentMethod,
    pub amount_cents: Cents,
    pub currency: &'a str,
    /// The provider's own idempotency key: the payment id our idempotency
    /// record holds, the same for every retry of one request.
    pub idempotency_key: &'a str,
    /// What the charge is for (the order), as the provider shows it.
    pub description: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded {
        card: Card,
        /// The provider's name for the charge, which its refunds quote.
        reference: String,
        amount_cents: Cents,
    },
    Declined {
        card: Card,
        code: DeclineCode,
    },
    /// The provider does not know this payment method.
    UnknownMethod,
}

/// A provider charges at most once per idempotency key: a charge sent again
/// under its key answers what the first did.
pub trait PaymentProvider: Send + Sync {
    fn charge(
        &self,
        request: &ChargeRequest<'_>,
    ) -> impl Future<Output = Result<ChargeOutcome, Error>> + Send;
    /// What a charge sent under `idempotency_key` ended as, if the provider
    /// received it (to settle an attempt whose function died).
    fn retrieve(
        &self,
        idempotency_key: &str,
    ) -> impl Future<Output = Result<Option<ChargeOutcome>, Error>> + Send;
    /// Gives `amount_cents` of a succeeded charge back, once per
    /// idempotency key: a refund sent again under its key answers what the
    /// first did. `Err` is an answer that may or may not have refunded (a
    /// timeout, a `5xx`): ask again under the same key to know.
    fn refund(
        &self,
        request: &RefundRequest<'_>,
    ) -> impl Future<Output = Result<RefundOutcome, Error>> + Send;
}

/// A refund as the provider sees it.
#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    /// The charge, as the provider named it when it succeeded.
    pub reference: &'a str,
    pub amount_cents: Cents,
    /// The refund's id, or for a charge given back whole, the payment's.
    pub idempotency_key: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundOutcome {
    Succeeded,
    /// The provider refused (nothing left to refund, not its charge).
    Failed,
}

/// Stripe's test tokens, answered without a network, with the charges kept
/// in the payments table ([`SimulatedCharges`]) as a real provider keeps them.
#[derive(Clone)]
pub struct Simulator {
    pub charges: SimulatedCharges,
}

fn card(brand: &str, last4: &str) -> Card {
    Card {
        brand: brand.into(),
        last4: last4.into(),
    }
}

/// What each test token does: the card, and the decline if it declines.
fn simulate(method: &PaymentMethod) -> Option<(Card, Option<DeclineCode>)> {
    Some(match method.as_str() {
        "pm_card_visa" => (card("visa", "4242"), None),
        "pm_card_mastercard" => (card("mastercard", "4444"), None),
        "pm_card_chargeDeclined" => (card("visa", "0002"), Some(DeclineCode::CardDeclined)),
        "pm_card_chargeDeclinedInsufficientFunds" => {
            (card("visa", "9995"), Some(DeclineCode::InsufficientFunds))
        }
        _ => return None,
    })
}

const REFERENCE_PREFIX: &str = "sim_";

fn outcome(charge: SimulatedCharge) -> ChargeOutcome {
    match charge.declined {
        Some(code) => ChargeOutcome::Declined {
            card: charge.card,
            code,
        },
        None => ChargeOutcome::Succeeded {
            amount_cents: Cents::parse(charge.amount_cents).unwrap_or(Cents::ZERO),
            card: charge.card,
            reference: format!("{REFERENCE_PREFIX}{}", charge.key),
        },
    }
}

impl PaymentProvider for Simulator {
    async fn charge(&self, request: &ChargeRequest<'_>) -> Result<ChargeOutcome, Error> {
        let Some((card, declined)) = simulate(request.method) else {
            return Ok(ChargeOutcome::UnknownMethod);
        };
        let amount_cents = request.amount_cents.get();
        let charged = self
            .charges
            .record(SimulatedCharge {
                key: request.idempotency_key.to_owned(),
                description: request.description.to_owned(),
                amount_cents,
                currency: request.currency.to_owned(),
                card,
                declined,
                refunded_cents: 0,
                created_at: Timestamp::now(),
            })
            .await?;
        // Like Stripe's `idempotency_error`: one key, one set of parameters.
        if charged.amount_cents != amount_cents || charged.currency != request.currency {
            return Err(Error::internal("charging")(
                "the idempotency key was used for another amount",
            ));
        }
        Ok(outcome(charged))
    }

    async fn retrieve(&self, idempotency_key: &str) -> Result<Option<ChargeOutcome>, Error> {
        Ok(self.charges.get(idempotency_key).await?.map(outcome))
    }

    async fn refund(&self, request: &RefundRequest<'_>) -> Result<RefundOutcome, Error> {
        let Some(charge) = request.reference.strip_prefix(REFERENCE_PREFIX) else {
            return Ok(RefundOutcome::Failed);
        };
        let refunded = self
            .charges
            .refund(
                charge,
                request.idempotency_key,
                request.amount_cents.get(),
                Timestamp::now(),
            )
            .await?;
        Ok(if refunded {
            RefundOutcome::Succeeded
        } else {
            RefundOutcome::Failed
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simulated(token: &str) -> Option<(Card, Option<DeclineCode>)> {
        simulate(&PaymentMethod::parse(token).unwrap())
    }

    #[test]
    fn the_simulator_knows_the_four_test_tokens() {
        assert_eq!(
            simulated("pm_card_visa"),
            Some((card("visa", "4242"), None))
        );
        assert_eq!(
            simulated("pm_card_mastercard"),
            Some((card("mastercard", "4444"), None))
        );
        assert_eq!(
            simulated("pm_card_chargeDeclined"),
            Some((card("visa", "0002"), Some(DeclineCode::CardDeclined)))
        );
        assert_eq!(
            simulated("pm_card_chargeDeclinedInsufficientFunds"),
            Some((card("visa", "9995"), Some(DeclineCode::InsufficientFunds)))
        );
        assert_eq!(simulated("pm_card_amex"), None);
    }
}
