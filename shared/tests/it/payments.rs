//! Payments against DynamoDB Local and moto's SQS: expired orders, the
//! outbox, and the crash-shaped tests of one charge per request.

use crate::common;

use aws_sdk_dynamodb::types::AttributeValue;
use common::{category, env, new_product, orders};
use shared::Error;
use shared::aws::simulated_charges::SimulatedCharge;
use shared::aws::{IdempotencyStore, PaymentsTable, RateLimits, SimulatedCharges};
use shared::catalog;
use shared::domain::payment::PaymentMethod;
use shared::domain::throttle::RateLimit;
use shared::domain::*;
use shared::idempotency::{Begin, Fingerprinter, IdempotencyKey, Scope};
use shared::payments::provider::Simulator;
use shared::payments::{Charged, Settled};
use std::time::Duration;

#[tokio::test]
async fn an_expired_order_cannot_be_paid() {
    let t = Checkout::with(common::copy_table(&env("PAYMENTS_TABLE")).await, 1).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let result = t.pay("pm_card_visa").await;
    assert!(matches!(result, Err(Error::OrderNotPayable)), "{result:?}");
    assert!(t.charges().await.is_empty(), "nothing charged");
}

/// A buyer with one open order, and a payments service whose table (its
/// payments, attempts and the simulator's charges) no other test shares, so
/// a sweep here settles only this test's attempts.
pub(crate) struct Checkout {
    pub(crate) payments: shared::payments::Payments<Simulator>,
    store: IdempotencyStore,
    pub(crate) orders: shared::orders::Orders,
    pub(crate) user: UserId,
    pub(crate) order: Order,
    key: IdempotencyKey,
}

impl Checkout {
    pub(crate) async fn new() -> Self {
        Self::in_table(common::copy_table(&env("PAYMENTS_TABLE")).await).await
    }

    /// Another buyer whose payments go to `table`.
    async fn in_table(table: String) -> Self {
        Self::with(table, 600).await
    }

    /// A buyer whose order expires after `expiry_seconds`.
    async fn with(table: String, expiry_seconds: i64) -> Self {
        let o = orders(expiry_seconds).await;
        let p = catalog::create(&o.products, new_product(&category(), "Once", 5))
            .await
            .unwrap();
        let users = common::users_table().await;
        let name = common::unique("once");
        let user = shared::users::register(
            &users,
            &shared::auth::PasswordHasher::new(),
            NewUser::parse(
                &name,
                &format!("{name}@example.com"),
                "a fine long passphrase",
            )
            .unwrap(),
        )
        .await
        .unwrap();
        let request = OrderRequest::parse(vec![LineRequest {
            product_id: p.id.clone(),
            quantity: Quantity::parse(2).unwrap(),
        }])
        .unwrap();
        let order = o
            .create(&user.id, &request, &crate::common::delivery(), None)
            .await
            .unwrap();
        let mut payments = shared::wiring::payments().unwrap();
        let client = payments.payments.client().clone();
        payments.payments = PaymentsTable::new(client.clone(), &table);
        payments.provider = Simulator {
            charges: SimulatedCharges::new(client.clone(), &table),
        };
        payments.limits = RateLimits::new(client.clone(), &table, "purge_at");
        payments.declines_per_ip = RateLimit {
            times: 3,
            window_seconds: 3600,
        };
        // A claim holds one second: long enough for a try, short enough to
        // stand for a function that died and a client that retried.
        let store = IdempotencyStore::new(client, &table, Fingerprinter::new(&[5; 32]).unwrap(), 1);
        Self {
            payments,
            store,
            orders: o,
            user: user.id,
            order,
            key: IdempotencyKey::parse(&ulid::Ulid::new().to_string()).unwrap(),
        }
    }

    /// One try of the request: claims the key (waiting out a dead try's
    /// lock) and pays.
    pub(crate) async fn pay(&self, token: &str) -> Result<Charged, Error> {
        self.pay_with(&self.key, token, "192.0.2.1").await
    }

    async fn pay_with(
        &self,
        key: &IdempotencyKey,
        token: &str,
        ip: &str,
    ) -> Result<Charged, Error> {
        let scope = Scope {
            caller: self.user.as_str(),
            method: "POST",
            route: "/payments",
        };
        let claim = loop {
            match self
                .store
                .begin(
                    &scope,
                    key,
                    token.as_bytes(),
                    Timestamp::now().unix_seconds(),
                )
                .await
                .unwrap()
            {
                Begin::Proceed(claim) => break claim,
                Begin::InProgress => tokio::time::sleep(Duration::from_millis(200)).await,
                other => panic!("{other:?}"),
            }
        };
        let method = PaymentMethod::parse(token).unwrap();
        self.payments
            .pay(
                &self.user,
                &self.order.id,
                &method,
                ip,
                (&self.store, &claim),
            )
            .await
    }

    /// A try under a key of its own, as each new attempt of a shopper is.
    async fn attempt(&self, token: &str, ip: &str) -> Result<Charged, Error> {
        let key = IdempotencyKey::parse(&ulid::Ulid::new().to_string()).unwrap();
        self.pay_with(&key, token, ip).await
    }

    /// Every charge the simulator made for the order.
    async fn charges(&self) -> Vec<SimulatedCharge> {
        let out = self
            .payments
            .payments
            .client()
            .scan()
            .table_name(self.payments.payments.name())
            .filter_expression("begins_with(pk, :c) AND description = :order")
            .expression_attribute_values(":c", AttributeValue::S("SIMCHARGE#".into()))
            .expression_attribute_values(":order", AttributeValue::S(self.order.id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        out.items()
            .iter()
            .map(|item| serde_dynamo::from_item(item.clone()).unwrap())
            .collect()
    }

    async fn sweep(&self, before: Timestamp) -> Settled {
        shared::payments::settle_abandoned(&self.payments.payments, &self.payments.provider, before)
            .await
            .unwrap()
    }

    fn crash_after_the_charge(&self) {
        shared::fault::arm("payments.after_charge", self.order.id.as_str());
    }
}

fn later() -> Timestamp {
    Timestamp::now().plus_seconds(3600)
}

#[tokio::test]
async fn a_payment_that_died_after_the_charge_charges_once_when_retried() {
    let t = Checkout::new().await;
    t.crash_after_the_charge();
    let died = t.pay("pm_card_visa").await;
    assert!(matches!(died, Err(Error::Internal { .. })), "{died:?}");
    assert_eq!(
        t.charges().await.len(),
        1,
        "the provider charged before the crash"
    );

    let Charged::Paid(payment) = t.pay("pm_card_visa").await.unwrap() else {
        panic!("the retry pays");
    };
    let charges = t.charges().await;
    assert_eq!(
        charges.len(),
        1,
        "the retry charged under the same key: {charges:?}"
    );
    assert_eq!(charges[0].key, payment.id.as_str());
    assert!(!charges[0].refunded());
    let order = t.orders.get(&t.user, false, &t.order.id).await.unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
    // The commit deleted the attempt: a sweep has nothing to give back.
    assert_eq!(t.sweep(later()).await, Settled::default());
    assert!(!t.charges().await[0].refunded());
}

#[tokio::test]
async fn a_decline_that_died_before_its_record_is_declined_again_without_a_new_charge() {
    let t = Checkout::new().await;
    t.crash_after_the_charge();
    assert!(t.pay("pm_card_chargeDeclined").await.is_err());
    let Charged::Declined { code, payment_id } = t.pay("pm_card_chargeDeclined").await.unwrap()
    else {
        panic!("declined");
    };
    assert_eq!(code.as_str(), "card_declined");
    let charges = t.charges().await;
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0].key, payment_id.as_str());
    assert_eq!(t.sweep(later()).await, Settled::default());
}

#[tokio::test]
async fn an_abandoned_charge_is_given_back_by_the_sweeper_and_a_later_retry_charges_anew() {
    let t = Checkout::new().await;
    t.crash_after_the_charge();
    assert!(t.pay("pm_card_visa").await.is_err());
    // Within the grace period the function might still run: left alone.
    let grace = shared::sweepers::ATTEMPT_GRACE_SECONDS;
    assert_eq!(
        t.sweep(Timestamp::now().plus_seconds(-grace)).await,
        Settled::default()
    );
    assert!(!t.charges().await[0].refunded());

    let swept = t.sweep(later()).await;
    assert_eq!(swept.refunded, 1, "{swept:?}");
    let charges = t.charges().await;
    assert_eq!(charges.len(), 1);
    assert!(charges[0].refunded(), "the abandoned charge was given back");
    assert_eq!(
        t.sweep(later()).await,
        Settled::default(),
        "given back once"
    );

    // The buyer tries again with the same key: a new charge, the only one kept.
    let Charged::Paid(payment) = t.pay("pm_card_visa").await.unwrap() else {
        panic!("paid");
    };
    let charges = t.charges().await;
    assert_eq!(charges.len(), 2);
    let kept: Vec<_> = charges.iter().filter(|c| !c.refunded()).collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].key, payment.id.as_str());
}

#[tokio::test]
async fn a_charge_whose_order_was_cancelled_before_the_retry_is_given_back() {
    let t = Checkout::new().await;
    t.crash_after_the_charge();
    assert!(t.pay("pm_card_visa").await.is_err());
    t.orders.cancel(&t.user, &t.order.id).await.unwrap();
    let retried = t.pay("pm_card_visa").await;
    assert!(
        matches!(retried, Err(Error::OrderNotPayable)),
        "{retried:?}"
    );
    assert_eq!(t.sweep(later()).await.refunded, 1);
    let charges = t.charges().await;
    assert_eq!(charges.len(), 1);
    assert!(charges[0].refunded(), "no money kept for a cancelled order");
}

#[tokio::test]
async fn an_unknown_payment_method_leaves_no_attempt() {
    let t = Checkout::new().await;
    let refused = t.pay("pm_card_amex").await;
    assert!(matches!(refused, Err(Error::Validation(_))), "{refused:?}");
    assert!(t.charges().await.is_empty());
    assert_eq!(t.sweep(later()).await, Settled::default());
}

fn refused(outcome: &Result<Charged, Error>) -> bool {
    matches!(outcome, Err(Error::TooManyAttempts { retry_after_secs }) if (1..=3600).contains(retry_after_secs))
}

/// Card testing: a parallel burst gets no more declines through than five
/// in a row would, and then every attempt waits, whatever the card.
#[tokio::test]
async fn a_burst_of_declines_gets_five_through_and_then_every_attempt_waits() {
    let t = Checkout::new().await;
    let ips: Vec<String> = (0..20).map(|i| format!("192.0.2.{}", 10 + i)).collect();
    let burst =
        futures::future::join_all(ips.iter().map(|ip| t.attempt("pm_card_chargeDeclined", ip)))
            .await;
    let declined = burst
        .iter()
        .filter(|o| matches!(o, Ok(Charged::Declined { .. })))
        .count();
    let waiting = burst.iter().filter(|o| refused(o)).count();
    assert_eq!((declined, waiting), (5, 15), "{burst:?}");
    // Refused while the five were in flight: a second; after: the hour.
    assert!(burst.iter().all(|o| !matches!(o, Err(Error::TooManyAttempts { retry_after_secs }) if !(*retry_after_secs == 1 || *retry_after_secs > 3000))), "{burst:?}");
    assert_eq!(
        t.charges().await.len(),
        5,
        "a refused attempt charges nothing"
    );
    assert!(refused(&t.attempt("pm_card_visa", "192.0.2.99").await));
    let order = t.orders.get(&t.user, false, &t.order.id).await.unwrap();
    assert_eq!(order.status, OrderStatus::PendingPayment);
}

#[tokio::test]
async fn only_declines_count_against_the_limit() {
    let t = Checkout::new().await;
    for i in 0..4 {
        let ip = format!("192.0.2.{i}");
        assert!(matches!(
            t.attempt("pm_card_chargeDeclined", &ip).await,
            Ok(Charged::Declined { .. })
        ));
    }
    // Refusals that charge nothing give their use back.
    for i in 0..3 {
        let ip = format!("192.0.2.{}", 50 + i);
        assert!(matches!(
            t.attempt("pm_card_amex", &ip).await,
            Err(Error::Validation(_))
        ));
    }
    assert!(matches!(
        t.attempt("pm_card_chargeDeclined", "192.0.2.60").await,
        Ok(Charged::Declined { .. })
    ));
    assert!(refused(
        &t.attempt("pm_card_chargeDeclined", "192.0.2.61").await
    ));
}

#[tokio::test]
async fn declines_from_one_address_count_across_accounts() {
    // This test's limit per address is three (the stack's default is twenty).
    let a = Checkout::new().await;
    let b = Checkout::in_table(a.payments.payments.name().to_owned()).await;
    let ip = "198.51.100.7";
    for t in [&a, &a, &b] {
        assert!(matches!(
            t.attempt("pm_card_chargeDeclined", ip).await,
            Ok(Charged::Declined { .. })
        ));
    }
    assert!(refused(&b.attempt("pm_card_chargeDeclined", ip).await));
    assert!(refused(&a.attempt("pm_card_visa", ip).await));
    // The same buyer from elsewhere still pays.
    assert!(matches!(
        a.attempt("pm_card_visa", "198.51.100.8").await,
        Ok(Charged::Paid(_))
    ));
}

/// An attempt holds its place while its outcome is unknown, so a sixth at
/// once waits a second; none of them declining, none of them counts.
#[tokio::test]
async fn attempts_in_flight_hold_their_place_and_only_declines_stay() {
    let t = Checkout::new().await;
    let ips: Vec<String> = (0..12).map(|i| format!("203.0.113.{i}")).collect();
    let burst = futures::future::join_all(ips.iter().map(|ip| t.attempt("pm_card_amex", ip))).await;
    for outcome in &burst {
        match outcome {
            Err(Error::Validation(_)) => {}
            Err(Error::TooManyAttempts { retry_after_secs }) => assert_eq!(*retry_after_secs, 1),
            other => panic!("{other:?}"),
        }
    }
    assert!(
        burst
            .iter()
            .filter(|o| matches!(o, Err(Error::Validation(_))))
            .count()
            >= 5
    );
    // Every use was given back: five declines still fit.
    for i in 0..5 {
        let ip = format!("203.0.113.{}", 50 + i);
        assert!(matches!(
            t.attempt("pm_card_chargeDeclined", &ip).await,
            Ok(Charged::Declined { .. })
        ));
    }
    assert!(refused(
        &t.attempt("pm_card_chargeDeclined", "203.0.113.99").await
    ));
}
