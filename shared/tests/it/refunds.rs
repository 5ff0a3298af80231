//! Refunds against DynamoDB Local and moto's SQS: partial and full, the sum
//! never above the payment and the restock never above the order under
//! concurrency, one refund at the provider across a crash, and the cancel
//! of a paid order racing its shipment.

use crate::common::env;
use crate::payments::Checkout;
use shared::Error;
use shared::aws::ProductsTable;
use shared::domain::payment::{Payment, PaymentStatus};
use shared::domain::refund::{
    Refund, RefundAmount, RefundReason, RefundRequest, RefundStatus, Restock,
};
use shared::domain::*;
use shared::payments::Charged;
use shared::payments::provider::Simulator;
use shared::refunds::Refunds;

/// A paid order of two units (2 × 1999 cents), and a refunds service on
/// the payments table only this test uses.
struct Paid {
    t: Checkout,
    refunds: Refunds<Simulator>,
    payment: Payment,
}

impl Paid {
    async fn new() -> Self {
        let t = Checkout::new().await;
        let Charged::Paid(payment) = t.pay("pm_card_visa").await.unwrap() else {
            panic!("paid");
        };
        let mut refunds = shared::wiring::refunds().unwrap();
        refunds.payments = t.payments.payments.clone();
        refunds.provider = t.payments.provider.clone();
        Self {
            t,
            refunds,
            payment,
        }
    }

    fn product(&self) -> &ProductId {
        &self.t.order.items[0].product_id
    }

    fn request(&self, amount: i64, restock: i64) -> RefundRequest {
        let restock = (restock > 0)
            .then(|| Restock {
                product_id: self.product().clone(),
                quantity: Quantity::parse(restock).unwrap(),
            })
            .into_iter()
            .collect();
        RefundRequest::new(
            RefundAmount::parse(amount).unwrap(),
            RefundReason::Damaged,
            None,
            restock,
        )
        .unwrap()
    }

    /// One request of its own (a new binding).
    async fn refund(&self, amount: i64, restock: i64) -> Result<Refund, Error> {
        let binding = ulid::Ulid::new().to_string();
        self.refund_as(&binding, amount, restock).await
    }

    async fn refund_as(&self, binding: &str, amount: i64, restock: i64) -> Result<Refund, Error> {
        self.refunds
            .refund(&self.payment.id, &self.request(amount, restock), binding)
            .await
    }

    async fn payment(&self) -> Payment {
        self.refunds
            .payments
            .get(&self.payment.id)
            .await
            .unwrap()
            .unwrap()
            .0
    }

    async fn order(&self) -> Order {
        self.t
            .orders
            .orders
            .get(&self.t.order.id)
            .await
            .unwrap()
            .unwrap()
    }

    async fn stock(&self) -> i64 {
        let products =
            ProductsTable::new(self.t.orders.orders.client().clone(), env("PRODUCTS_TABLE"));
        products
            .get(self.product())
            .await
            .unwrap()
            .unwrap()
            .stock
            .get()
    }

    /// What the simulator refunded of the charge, refund by refund.
    async fn provider_refunds(&self) -> Vec<i64> {
        self.refunds
            .provider
            .charges
            .refunds(self.payment.id.as_str())
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.amount_cents)
            .collect()
    }
}

#[tokio::test]
async fn partial_refunds_add_up_to_the_payment_and_no_further() {
    let p = Paid::new().await;
    assert_eq!(p.payment.amount_cents.get(), 3998);
    let first = p.refund(1000, 0).await.unwrap();
    assert_eq!(first.status, RefundStatus::Succeeded);
    let payment = p.payment().await;
    assert_eq!(payment.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(payment.refunded_cents.get(), 1000);
    assert_eq!(payment.refunds, vec![first.clone()]);

    let refused = p.refund(2999, 0).await;
    assert!(
        matches!(
            refused,
            Err(Error::RefundExceedsPayment {
                refundable_cents: 2998
            })
        ),
        "{refused:?}"
    );
    p.refund(2998, 0).await.unwrap();
    let payment = p.payment().await;
    assert_eq!(payment.status, PaymentStatus::Refunded);
    assert_eq!(payment.refunded_cents.get(), 3998);
    assert_eq!(payment.refunds.len(), 2);
    assert_eq!(p.order().await.refunded_cents.get(), 3998);
    assert_eq!(p.provider_refunds().await.iter().sum::<i64>(), 3998);
    assert!(matches!(
        p.refund(1, 0).await,
        Err(Error::RefundExceedsPayment {
            refundable_cents: 0
        })
    ));
}

#[tokio::test]
async fn concurrent_refunds_never_add_up_to_more_than_the_payment() {
    let p = std::sync::Arc::new(Paid::new().await);
    // Ten refunds of 1,000 against 3,998: three fit.
    let tries = (0..10).map(|_| {
        let p = p.clone();
        tokio::spawn(async move { p.refund(1000, 0).await })
    });
    let mut succeeded = 0;
    for result in futures::future::join_all(tries).await {
        match result.unwrap() {
            Ok(refund) => {
                assert_eq!(refund.status, RefundStatus::Succeeded);
                succeeded += 1;
            }
            Err(Error::RefundExceedsPayment { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(succeeded, 3);
    assert_eq!(p.payment().await.refunded_cents.get(), 3000);
    assert_eq!(p.order().await.refunded_cents.get(), 3000);
    assert_eq!(p.provider_refunds().await, vec![1000; 3]);
}

#[tokio::test]
async fn concurrent_restocks_never_pass_the_units_ordered() {
    let p = std::sync::Arc::new(Paid::new().await);
    let before = p.stock().await;
    let tries = (0..6).map(|_| {
        let p = p.clone();
        tokio::spawn(async move { p.refund(100, 1).await })
    });
    let mut restocked = 0;
    for result in futures::future::join_all(tries).await {
        match result.unwrap() {
            Ok(_) => restocked += 1,
            Err(Error::Validation(errors)) => {
                assert!(errors[0].field.starts_with("restock"), "{errors:?}")
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(restocked, 2, "two units were ordered");
    assert_eq!(p.stock().await, before + 2);
    let refused = p.refund(100, 1).await;
    assert!(matches!(refused, Err(Error::Validation(_))), "{refused:?}");
}

#[tokio::test]
async fn a_refund_that_died_after_the_provider_refunds_once_whoever_finishes_it() {
    // The request's retry finishes one; the sweeper finishes another.
    for retried in [true, false] {
        let p = Paid::new().await;
        let binding = ulid::Ulid::new().to_string();
        shared::fault::arm("refunds.after_provider", p.t.order.id.as_str());
        let died = p.refund_as(&binding, 1500, 1).await;
        assert!(matches!(died, Err(Error::Internal { .. })), "{died:?}");
        assert_eq!(
            p.provider_refunds().await,
            vec![1500],
            "the provider refunded"
        );
        let pending = p.payment().await;
        assert_eq!(pending.refunds[0].status, RefundStatus::Pending);
        assert_eq!(pending.refunded_cents.get(), 0, "not settled yet");
        let stock = p.stock().await;

        let refund = if retried {
            p.refund_as(&binding, 1500, 1).await.unwrap()
        } else {
            let swept = p
                .refunds
                .settle_pending(Timestamp::now().plus_seconds(3600))
                .await
                .unwrap();
            assert_eq!(swept.succeeded, 1, "{swept:?}");
            // The request, retried after the sweep, answers the same refund.
            p.refund_as(&binding, 1500, 1).await.unwrap()
        };
        assert_eq!(refund.id, pending.refunds[0].id);
        assert_eq!(refund.status, RefundStatus::Succeeded);
        assert_eq!(p.provider_refunds().await, vec![1500], "refunded once");
        let payment = p.payment().await;
        assert_eq!(payment.refunded_cents.get(), 1500);
        assert_eq!(p.order().await.refunded_cents.get(), 1500);
        assert_eq!(p.stock().await, stock + 1, "restocked once");
        let swept = p
            .refunds
            .settle_pending(Timestamp::now().plus_seconds(3600))
            .await
            .unwrap();
        assert_eq!(swept.succeeded, 0, "nothing left pending");
    }
}

#[tokio::test]
async fn cancelling_a_paid_order_refunds_what_is_left_and_restocks_the_rest() {
    let p = Paid::new().await;
    let before = p.stock().await;
    p.refund(998, 1).await.unwrap();
    let cancelled =
        shared::refunds::cancel(&p.t.orders, &p.refunds, &p.t.user, false, &p.t.order.id)
            .await
            .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(cancelled.refunded_cents.get(), 3998);
    let payment = p.payment().await;
    assert_eq!(payment.status, PaymentStatus::Refunded);
    assert_eq!(payment.refunds[1].amount_cents.get(), 3000);
    assert_eq!(payment.refunds[1].reason, RefundReason::RequestedByCustomer);
    assert_eq!(p.stock().await, before + 2, "every unit back, once");
    let again =
        shared::refunds::cancel(&p.t.orders, &p.refunds, &p.t.user, false, &p.t.order.id).await;
    assert!(
        matches!(again, Err(Error::InvalidOrderState { .. })),
        "{again:?}"
    );
    // Another buyer cannot; an admin can (tested in e2e).
    let stranger = shared::refunds::cancel(
        &p.t.orders,
        &p.refunds,
        &UserId::generate(),
        false,
        &p.t.order.id,
    )
    .await;
    assert!(
        matches!(stranger, Err(Error::OrderNotFound)),
        "{stranger:?}"
    );
}

#[tokio::test]
async fn a_paid_order_is_either_shipped_or_cancelled_and_refunded_never_both() {
    for _ in 0..4 {
        let p = Paid::new().await;
        let fulfilments = shared::fulfilment::Fulfilments {
            orders: p.t.orders.orders.clone(),
            queue: p.refunds.queue.clone(),
        };
        let shipment = shared::fulfilment::Shipment {
            carrier: Carrier::parse("DHL").unwrap(),
            tracking_number: TrackingNumber::parse("JD0001").unwrap(),
            tracking_url: None,
        };
        let (shipped, cancelled) = tokio::join!(
            fulfilments.ship(&p.t.order.id, shipment),
            shared::refunds::cancel(&p.t.orders, &p.refunds, &p.t.user, false, &p.t.order.id),
        );
        let order = p.order().await;
        let payment = p.payment().await;
        match (shipped, cancelled) {
            (Ok(_), Err(Error::InvalidOrderState { .. })) => {
                assert_eq!(order.status, OrderStatus::Shipped);
                assert!(payment.refunds.is_empty());
            }
            (Err(Error::InvalidOrderState { .. }), Ok(_)) => {
                assert_eq!(order.status, OrderStatus::Cancelled);
                assert_eq!(payment.status, PaymentStatus::Refunded);
            }
            other => panic!("one winner: {other:?}"),
        }
    }
}
