//! The orders use cases against DynamoDB Local: transactions that never
//! oversell, cancel, expiry, races, idempotency.

use crate::common;

use common::{category, env, new_product, orders};
use futures::StreamExt;
use shared::Error;
use shared::aws::IdempotencyStore;
use shared::catalog;
use shared::domain::*;
use shared::idempotency::{Begin, Fingerprinter, IdempotencyKey, Recorded, Scope};
use shared::orders::Orders;
use std::time::{Duration, Instant};

async fn product(o: &Orders, stock: i64) -> Product {
    catalog::create(&o.products, new_product(&category(), "Order me", stock))
        .await
        .unwrap()
}

fn request(lines: &[(&ProductId, i64)]) -> OrderRequest {
    OrderRequest::parse(
        lines
            .iter()
            .map(|(id, q)| LineRequest {
                product_id: (*id).clone(),
                quantity: Quantity::parse(*q).unwrap(),
            })
            .collect(),
    )
    .unwrap()
}

/// A sweep's time limit that no test reaches.
fn soon() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

async fn stock(o: &Orders, id: &ProductId) -> i64 {
    o.products.get_many(std::slice::from_ref(id)).await.unwrap()[id]
        .stock
        .get()
}

#[tokio::test]
async fn an_order_takes_its_stock_and_is_priced_from_the_catalogue() {
    let o = orders(1800).await;
    let (a, b) = (product(&o, 5).await, product(&o, 3).await);
    let user = UserId::generate();
    let order = o
        .create(
            &user,
            &request(&[(&a.id, 2), (&b.id, 3)]),
            &crate::common::delivery(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::PendingPayment);
    assert_eq!(order.total_cents.get(), 1999 * 5);
    assert_eq!(order.items[0].name, a.name);
    assert_eq!((stock(&o, &a.id).await, stock(&o, &b.id).await), (3, 0));
    assert_eq!(o.get(&user, false, &order.id).await.unwrap(), order);
    assert!(matches!(
        o.get(&UserId::generate(), false, &order.id).await,
        Err(Error::OrderNotFound)
    ));
    assert_eq!(
        o.get(&UserId::generate(), true, &order.id)
            .await
            .unwrap()
            .id,
        order.id
    );
    // Taking stock bumps the product's version, so a stale If-Match fails.
    assert_eq!(
        catalog::get(&o.products, &a.id).await.unwrap().version,
        Version(2)
    );
}

#[tokio::test]
async fn short_and_unknown_lines_leave_nothing_behind() {
    let o = orders(1800).await;
    let (a, b, c) = (
        product(&o, 5).await,
        product(&o, 1).await,
        product(&o, 0).await,
    );
    let user = UserId::generate();
    match o
        .create(
            &user,
            &request(&[(&a.id, 2), (&b.id, 2), (&c.id, 1)]),
            &crate::common::delivery(),
            None,
        )
        .await
    {
        Err(Error::InsufficientStock(errors)) => {
            let ids: Vec<_> = errors
                .iter()
                .map(|e| e.product_id.clone().unwrap())
                .collect();
            assert_eq!(ids, [b.id.to_string(), c.id.to_string()]);
            assert_eq!(errors[0].field, "items[1].quantity");
            // Read from the products the cancelled transaction returned.
            assert_eq!(errors[0].message, "only 1 in stock");
            assert_eq!(errors[1].message, "only 0 in stock");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        stock(&o, &a.id).await,
        5,
        "a failed transaction takes nothing"
    );
    catalog::archive(&o.products, &b.id).await.unwrap();
    let ghost = ProductId::generate();
    match o
        .create(
            &user,
            &request(&[(&a.id, 1), (&b.id, 1), (&ghost, 1)]),
            &crate::common::delivery(),
            None,
        )
        .await
    {
        Err(Error::UnknownProduct(errors)) => {
            let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
            assert_eq!(fields, ["items[1].product_id", "items[2].product_id"]);
        }
        other => panic!("{other:?}"),
    }
    let (mine, _) = o.list(&user, 100, None).await.unwrap();
    assert!(mine.is_empty());
}

#[tokio::test]
async fn cancel_gives_stock_back_once_and_only_for_the_owner() {
    let o = orders(1800).await;
    let p = product(&o, 4).await;
    let user = UserId::generate();
    let order = o
        .create(
            &user,
            &request(&[(&p.id, 3)]),
            &crate::common::delivery(),
            None,
        )
        .await
        .unwrap();
    assert!(matches!(
        o.cancel(&UserId::generate(), &order.id).await,
        Err(Error::OrderNotFound)
    ));
    let cancelled = o.cancel(&user, &order.id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(stock(&o, &p.id).await, 4);
    assert!(matches!(
        o.cancel(&user, &order.id).await,
        Err(Error::InvalidOrderState { .. })
    ));
    assert_eq!(stock(&o, &p.id).await, 4);
    assert_eq!(
        o.get(&user, false, &order.id).await.unwrap().status,
        OrderStatus::Cancelled
    );
}

#[tokio::test]
async fn archived_products_take_their_stock_back_and_stay_archived() {
    let o = orders(1800).await;
    let p = product(&o, 2).await;
    let user = UserId::generate();
    let order = o
        .create(
            &user,
            &request(&[(&p.id, 2)]),
            &crate::common::delivery(),
            None,
        )
        .await
        .unwrap();
    catalog::archive(&o.products, &p.id).await.unwrap();
    o.cancel(&user, &order.id).await.unwrap();
    assert!(matches!(
        catalog::get(&o.products, &p.id).await,
        Err(Error::ProductNotFound)
    ));
}

#[tokio::test]
async fn lists_are_per_user_and_newest_first() {
    let o = orders(1800).await;
    let p = product(&o, 10).await;
    let user = UserId::generate();
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            o.create(
                &user,
                &request(&[(&p.id, 1)]),
                &crate::common::delivery(),
                None,
            )
            .await
            .unwrap()
            .id,
        );
        // Ids are time-ordered to the millisecond.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    o.create(
        &UserId::generate(),
        &request(&[(&p.id, 1)]),
        &crate::common::delivery(),
        None,
    )
    .await
    .unwrap();
    let (first, next) = o.list(&user, 3, None).await.unwrap();
    let (rest, end) = o.list(&user, 3, next).await.unwrap();
    assert!(end.is_none() || o.list(&user, 3, end).await.unwrap().0.is_empty());
    let listed: Vec<_> = first.into_iter().chain(rest).map(|o| o.id).collect();
    ids.reverse();
    assert_eq!(listed, ids);
}

#[tokio::test]
async fn due_orders_expire_and_give_their_stock_back() {
    let o = orders(1).await;
    let p = product(&o, 3).await;
    let user = UserId::generate();
    let order = o
        .create(
            &user,
            &request(&[(&p.id, 3)]),
            &crate::common::delivery(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(stock(&o, &p.id).await, 0);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // The local stack's own sweeper may get there first; either way it expires once.
    o.expire_due(Timestamp::now(), soon()).await.unwrap();
    let after = o.get(&user, false, &order.id).await.unwrap();
    assert_eq!(after.status, OrderStatus::Expired);
    assert_eq!(stock(&o, &p.id).await, 3);
    assert!(matches!(
        o.cancel(&user, &order.id).await,
        Err(Error::InvalidOrderState { .. })
    ));
    o.expire_due(Timestamp::now(), soon()).await.unwrap();
    assert_eq!(stock(&o, &p.id).await, 3);
}

/// A backlog of due orders drains in one run, not one page a minute: 600
/// due orders in a table of their own (the stack's own sweeper never sees
/// them), then one run with the time limit a scheduled run has.
#[tokio::test]
async fn one_sweep_drains_a_backlog_of_due_orders() {
    let mut o = orders(0).await;
    o.orders = shared::aws::OrdersTable::new(
        o.orders.client().clone(),
        common::copy_table(&env("ORDERS_TABLE")).await,
    );
    const BACKLOG: usize = 600;
    let p = product(&o, BACKLOG as i64).await;
    let placed = futures::stream::iter(0..BACKLOG)
        .map(|_| {
            let o = o.clone();
            let id = p.id.clone();
            async move {
                o.create(
                    &UserId::generate(),
                    &request(&[(&id, 1)]),
                    &crate::common::delivery(),
                    None,
                )
                .await
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    assert!(placed.iter().all(Result::is_ok));
    assert_eq!(stock(&o, &p.id).await, 0);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // A run out of time still takes one page of each shard, and says more is left.
    let late = o
        .expire_due(Timestamp::now(), Instant::now())
        .await
        .unwrap();
    assert!(late.unfinished, "{late:?}");
    assert!(late.expired > 0 && late.expired <= 400, "{late:?}");
    // One run with the time a scheduled run has drains the rest.
    let sweep = o
        .expire_due(Timestamp::now(), Instant::now() + Duration::from_secs(50))
        .await
        .unwrap();
    assert_eq!(
        (late.expired + sweep.expired, sweep.failed, sweep.unfinished),
        (BACKLOG as u32, 0, false),
        "{sweep:?}"
    );
    assert_eq!(stock(&o, &p.id).await, BACKLOG as i64);
}

#[tokio::test]
async fn orders_not_yet_due_do_not_expire() {
    let o = orders(1800).await;
    let p = product(&o, 1).await;
    let user = UserId::generate();
    let order = o
        .create(
            &user,
            &request(&[(&p.id, 1)]),
            &crate::common::delivery(),
            None,
        )
        .await
        .unwrap();
    o.expire_due(Timestamp::now(), soon()).await.unwrap();
    assert_eq!(
        o.get(&user, false, &order.id).await.unwrap().status,
        OrderStatus::PendingPayment
    );
}

/// Of many concurrent orders of one account, five are placed; a cancel and
/// an expiry each give a place back, so the account orders again.
#[tokio::test]
async fn one_account_holds_at_most_five_unpaid_orders_under_concurrency() {
    let o = orders(1800).await;
    let p = product(&o, 100).await;
    let user = UserId::generate();
    let attempts = (0..20).map(|_| {
        let (o, user, id) = (o.clone(), user.clone(), p.id.clone());
        async move {
            o.create(
                &user,
                &request(&[(&id, 1)]),
                &crate::common::delivery(),
                None,
            )
            .await
        }
    });
    let outcomes = futures::future::join_all(attempts).await;
    let placed: Vec<&Order> = outcomes.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(placed.len(), 5, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(Error::TooManyOpenOrders))),
        "{outcomes:?}"
    );
    assert_eq!(stock(&o, &p.id).await, 95, "refused orders take no stock");
    assert!(matches!(
        o.create(
            &user,
            &request(&[(&p.id, 1)]),
            &crate::common::delivery(),
            None
        )
        .await,
        Err(Error::TooManyOpenOrders)
    ));
    o.cancel(&user, &placed[0].id).await.unwrap();
    o.create(
        &user,
        &request(&[(&p.id, 1)]),
        &crate::common::delivery(),
        None,
    )
    .await
    .unwrap();
    assert!(matches!(
        o.create(
            &user,
            &request(&[(&p.id, 1)]),
            &crate::common::delivery(),
            None
        )
        .await,
        Err(Error::TooManyOpenOrders)
    ));

    // Expiry gives places back too.
    let brief = orders(1).await;
    let buyer = UserId::generate();
    for _ in 0..5 {
        brief
            .create(
                &buyer,
                &request(&[(&p.id, 1)]),
                &crate::common::delivery(),
                None,
            )
            .await
            .unwrap();
    }
    assert!(matches!(
        brief
            .create(
                &buyer,
                &request(&[(&p.id, 1)]),
                &crate::common::delivery(),
                None
            )
            .await,
        Err(Error::TooManyOpenOrders)
    ));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    brief.expire_due(Timestamp::now(), soon()).await.unwrap();
    brief
        .create(
            &buyer,
            &request(&[(&p.id, 1)]),
            &crate::common::delivery(),
            None,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn cancel_racing_expiry_has_exactly_one_winner() {
    let o = orders(1).await;
    let p = product(&o, 40).await;
    let mut placed = Vec::new();
    for _ in 0..20 {
        // A buyer each: one account holds at most five unpaid orders.
        let user = UserId::generate();
        placed.push(
            o.create(
                &user,
                &request(&[(&p.id, 2)]),
                &crate::common::delivery(),
                None,
            )
            .await
            .unwrap(),
        );
    }
    assert_eq!(stock(&o, &p.id).await, 0);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let cancels = placed.iter().map(|order| {
        let (o, user, id) = (o.clone(), order.user_id.clone(), order.id.clone());
        tokio::spawn(async move { o.cancel(&user, &id).await })
    });
    let sweeper = {
        let o = o.clone();
        tokio::spawn(async move { o.expire_due(Timestamp::now(), soon()).await })
    };
    let cancel_results: Vec<_> = futures::future::join_all(cancels)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    sweeper.await.unwrap().unwrap();
    o.expire_due(Timestamp::now(), soon()).await.unwrap();
    let mut cancelled = 0;
    for (order, result) in placed.iter().zip(&cancel_results) {
        let now = o.get(&order.user_id, false, &order.id).await.unwrap();
        match result {
            Ok(_) => {
                cancelled += 1;
                assert_eq!(now.status, OrderStatus::Cancelled);
            }
            Err(Error::InvalidOrderState { .. }) => assert_eq!(now.status, OrderStatus::Expired),
            Err(other) => panic!("{other:?}"),
        }
    }
    // Whoever won each order, its stock came back exactly once.
    assert_eq!(
        stock(&o, &p.id).await,
        40,
        "{cancelled} cancelled, the rest expired"
    );
}

#[tokio::test]
async fn concurrent_orders_never_oversell() {
    let o = orders(1800).await;
    let p = product(&o, 10).await;
    let attempts = (0..40).map(|_| {
        let (o, id) = (o.clone(), p.id.clone());
        tokio::spawn(async move {
            o.create(
                &UserId::generate(),
                &request(&[(&id, 1)]),
                &crate::common::delivery(),
                None,
            )
            .await
        })
    });
    let results: Vec<_> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 10);
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(Error::InsufficientStock(_))))
    );
    assert_eq!(stock(&o, &p.id).await, 0);
}

#[tokio::test]
async fn an_idempotency_key_makes_one_order_under_concurrent_retries() {
    let o = orders(1800).await;
    let p = product(&o, 10).await;
    let store = IdempotencyStore::new(
        o.orders.client().clone(),
        env("ORDERS_TABLE"),
        Fingerprinter::new(&[9; 32]).unwrap(),
        10,
    );
    let user = UserId::generate();
    let key = IdempotencyKey::parse(&ulid::Ulid::new().to_string()).unwrap();
    let body = br#"{"items":[{"product_id":"x","quantity":2}]}"#;
    let attempts = (0..8).map(|_| {
        let (o, store, user, key, id) = (
            o.clone(),
            store.clone(),
            user.clone(),
            key.clone(),
            p.id.clone(),
        );
        tokio::spawn(async move {
            let scope = Scope {
                caller: user.as_str(),
                method: "POST",
                route: "/orders",
            };
            match store
                .begin(&scope, &key, body, Timestamp::now().unix_seconds())
                .await
                .unwrap()
            {
                Begin::Proceed(claim) => Some(
                    o.create(
                        &user,
                        &request(&[(&id, 2)]),
                        &crate::common::delivery(),
                        Some((&store, &claim)),
                    )
                    .await
                    .unwrap(),
                ),
                Begin::InProgress | Begin::Replay(_) => None,
                Begin::Mismatch => panic!("same body"),
            }
        })
    });
    let made: Vec<_> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .filter_map(|r| r.unwrap())
        .collect();
    assert_eq!(made.len(), 1);
    assert_eq!(stock(&o, &p.id).await, 8, "stock taken once");

    // A later retry replays the stored answer; another body is a mismatch.
    let scope = Scope {
        caller: user.as_str(),
        method: "POST",
        route: "/orders",
    };
    match store
        .begin(&scope, &key, body, Timestamp::now().unix_seconds())
        .await
        .unwrap()
    {
        // The order itself is the recorded outcome: the HTTP layer answers
        // it with the same `201` (the order handler test replays it).
        Begin::Replay(Recorded::Outcome(stored)) => {
            let replayed: Order = serde_json::from_str(&stored).unwrap();
            assert_eq!(replayed, made[0]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        store
            .begin(&scope, &key, b"{}", Timestamp::now().unix_seconds())
            .await
            .unwrap(),
        Begin::Mismatch
    ));
    // The same key from another caller is another key.
    let other = Scope {
        caller: "someone-else",
        ..scope
    };
    assert!(matches!(
        store
            .begin(&other, &key, body, Timestamp::now().unix_seconds())
            .await
            .unwrap(),
        Begin::Proceed(_)
    ));
}

#[tokio::test]
async fn an_abandoned_claim_expires_after_its_lock() {
    let o = orders(1800).await;
    let store = IdempotencyStore::new(
        o.orders.client().clone(),
        env("ORDERS_TABLE"),
        Fingerprinter::new(&[3; 32]).unwrap(),
        1,
    );
    let key = IdempotencyKey::parse(&ulid::Ulid::new().to_string()).unwrap();
    let scope = Scope {
        caller: "u",
        method: "POST",
        route: "/orders",
    };
    let now = Timestamp::now().unix_seconds();
    assert!(matches!(
        store.begin(&scope, &key, b"{}", now).await.unwrap(),
        Begin::Proceed(_)
    ));
    // The first request died: while locked, retries wait; after, one proceeds.
    assert!(matches!(
        store.begin(&scope, &key, b"{}", now).await.unwrap(),
        Begin::InProgress
    ));
    assert!(matches!(
        store.begin(&scope, &key, b"{}", now + 2).await.unwrap(),
        Begin::Proceed(_)
    ));
    assert!(matches!(
        store.begin(&scope, &key, b"{ }", now + 4).await.unwrap(),
        Begin::Mismatch
    ));
    // Records older than 24 hours (from the claim taken at now + 2) are gone,
    // whatever DynamoDB's TTL has done.
    assert!(matches!(
        store
            .begin(&scope, &key, b"{ }", now + 2 + 24 * 3600)
            .await
            .unwrap(),
        Begin::Proceed(_)
    ));
}

/// The admin's queue over its own table: each status a partition, merged
/// newest first, paged by the last id shown, "more" exactly when more exist.
#[tokio::test]
async fn the_admin_queue_pages_each_status_and_all_of_them_newest_first() {
    let mut o = orders(600).await;
    o.orders = shared::aws::OrdersTable::new(
        o.orders.client().clone(),
        common::copy_table(&env("ORDERS_TABLE")).await,
    );
    let p = product(&o, 10).await;
    let mut placed = Vec::new();
    for _ in 0..5 {
        let user = UserId::generate();
        let order = o
            .create(
                &user,
                &request(&[(&p.id, 1)]),
                &crate::common::delivery(),
                None,
            )
            .await
            .unwrap();
        placed.push((user, order.id));
    }
    // Oldest first in `placed`; cancel the second and the fourth.
    for i in [1, 3] {
        o.cancel(&placed[i].0, &placed[i].1).await.unwrap();
    }
    let ids = |orders: &[Order]| orders.iter().map(|o| o.id.clone()).collect::<Vec<_>>();
    let id = |i: usize| placed[i].1.clone();

    let (pending, next) = o
        .list_all(Some(OrderStatus::PendingPayment), 10, None)
        .await
        .unwrap();
    assert_eq!((ids(&pending), next), (vec![id(4), id(2), id(0)], None));
    let (cancelled, _) = o
        .list_all(Some(OrderStatus::Cancelled), 10, None)
        .await
        .unwrap();
    assert_eq!(ids(&cancelled), vec![id(3), id(1)]);
    assert!(
        o.list_all(Some(OrderStatus::Paid), 10, None)
            .await
            .unwrap()
            .0
            .is_empty()
    );

    // Every order, two a page: 4 3 | 2 1 | 0, the last page saying it is the last.
    let mut pages = Vec::new();
    let mut start = None;
    loop {
        let (page, next) = o.list_all(None, 2, start).await.unwrap();
        pages.push(ids(&page));
        match next {
            Some(position) => start = Some(position),
            None => break,
        }
    }
    assert_eq!(
        pages,
        vec![vec![id(4), id(3)], vec![id(2), id(1)], vec![id(0)]]
    );
    // Exactly a page left: no empty page after it.
    let (page, next) = o
        .list_all(Some(OrderStatus::Cancelled), 2, None)
        .await
        .unwrap();
    assert_eq!((page.len(), next), (2, None));
}
