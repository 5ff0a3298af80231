//! Payments against DynamoDB Local and moto's SQS: expired orders, the outbox.

use crate::common;

use common::{category, env, new_product, orders};
use shared::Error;
use shared::aws::IdempotencyStore;
use shared::catalog;
use shared::domain::payment::PaymentMethod;
use shared::domain::*;
use shared::idempotency::{Begin, Fingerprinter, IdempotencyKey, Scope};
use std::time::Duration;

#[tokio::test]
async fn an_expired_order_cannot_be_paid() {
    let o = orders(1).await;
    let p = catalog::create(&o.products, new_product(&category(), "Late", 1))
        .await
        .unwrap();
    // A real user: the payment reads the buyer's e-mail address.
    let users = common::users_table().await;
    let name = common::unique("late");
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
        quantity: Quantity::parse(1).unwrap(),
    }])
    .unwrap();
    let order = o.create(&user.id, &request, None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let payments = shared::wiring::payments().unwrap();
    let store = IdempotencyStore::new(
        payments.payments.client().clone(),
        env("PAYMENTS_TABLE"),
        Fingerprinter::new(&[5; 32]).unwrap(),
        10,
    );
    let key = IdempotencyKey::parse(&ulid::Ulid::new().to_string()).unwrap();
    let scope = Scope {
        caller: user.id.as_str(),
        method: "POST",
        route: "/payments",
    };
    let Begin::Proceed(claim) = store
        .begin(&scope, &key, b"{}", Timestamp::now().unix_seconds())
        .await
        .unwrap()
    else {
        panic!("a fresh key");
    };
    let method = PaymentMethod::parse("pm_card_visa").unwrap();
    let result = payments
        .pay(&user.id, &order.id, &method, (&store, &claim))
        .await;
    assert!(matches!(result, Err(Error::OrderNotPayable)), "{result:?}");
}
