//! The products table adapter and the catalogue use cases against DynamoDB Local.

use crate::common;

use common::{category, new_product, products_table};
use shared::Error;
use shared::aws::products_table::UpdateRefused;
use shared::catalog;
use shared::domain::*;
use std::collections::BTreeSet;

fn delta(d: i64) -> ProductPatch {
    ProductPatch {
        stock: Some(StockChange::Adjust(StockDelta::parse(d).unwrap())),
        ..Default::default()
    }
}

#[tokio::test]
async fn create_get_update_archive() {
    let table = products_table().await;
    let c = category();
    let created = catalog::create(&table, new_product(&c, "Mug", 5))
        .await
        .unwrap();
    assert_eq!(created.version, Version(1));
    assert_eq!(catalog::get(&table, &created.id).await.unwrap(), created);

    let patch = ProductPatch {
        name: Some(ProductName::parse("Big Mug").unwrap()),
        price_cents: Some(PriceCents::parse(2500).unwrap()),
        ..Default::default()
    };
    let updated = catalog::update(&table, &created.id, patch, None)
        .await
        .unwrap();
    assert_eq!(updated.name.as_str(), "Big Mug");
    assert_eq!(updated.price_cents.get(), 2500);
    assert_eq!(updated.version, Version(2));
    assert!(updated.updated_at >= created.updated_at);
    assert_eq!(updated.created_at, created.created_at);

    catalog::archive(&table, &created.id).await.unwrap();
    assert!(matches!(
        catalog::get(&table, &created.id).await,
        Err(Error::ProductNotFound)
    ));
    assert!(matches!(
        catalog::archive(&table, &created.id).await,
        Err(Error::ProductNotFound)
    ));
    assert!(matches!(
        catalog::update(&table, &created.id, delta(1), None).await,
        Err(Error::ProductNotFound)
    ));
    let (listed, _) = table.list_category(&c, 100, None).await.unwrap();
    assert!(
        listed.is_empty(),
        "archived products leave the category index"
    );
    assert!(matches!(
        catalog::get(&table, &ProductId::generate()).await,
        Err(Error::ProductNotFound)
    ));
}

#[tokio::test]
async fn absolute_stock_needs_a_current_version() {
    let table = products_table().await;
    let p = catalog::create(&table, new_product(&category(), "Kettle", 10))
        .await
        .unwrap();
    let set = |n| ProductPatch {
        stock: Some(StockChange::Set(Stock::parse(n).unwrap())),
        ..Default::default()
    };
    assert!(matches!(
        catalog::update(&table, &p.id, set(3), None).await,
        Err(Error::PreconditionRequired)
    ));
    let taken = catalog::update(&table, &p.id, delta(-2), None)
        .await
        .unwrap();
    assert_eq!(taken.stock.get(), 8);
    // The version the admin read is stale: the decrement must not be lost.
    assert!(matches!(
        catalog::update(&table, &p.id, set(3), Some(p.version)).await,
        Err(Error::PreconditionFailed)
    ));
    let set_now = catalog::update(&table, &p.id, set(3), Some(taken.version))
        .await
        .unwrap();
    assert_eq!(set_now.stock.get(), 3);
}

#[tokio::test]
async fn stock_deltas_keep_stock_in_range() {
    let table = products_table().await;
    let p = catalog::create(&table, new_product(&category(), "Lamp", 2))
        .await
        .unwrap();
    match catalog::update(&table, &p.id, delta(-3), None).await {
        Err(Error::InsufficientStock(errors)) => {
            assert_eq!(errors[0].product_id.as_deref(), Some(p.id.as_str()));
            assert_eq!(errors[0].field, "stock_delta");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        table
            .update(&p.id, &delta(1_000_000), None, Timestamp::now())
            .await
            .unwrap(),
        Err(UpdateRefused::StockOverflow)
    ));
    assert_eq!(
        catalog::update(&table, &p.id, delta(-2), None)
            .await
            .unwrap()
            .stock
            .get(),
        0
    );
    assert_eq!(
        catalog::get(&table, &p.id).await.unwrap().version,
        Version(2)
    );
}

#[tokio::test]
async fn concurrent_stock_changes_lose_nothing() {
    let table = products_table().await;
    let p = catalog::create(&table, new_product(&category(), "Tent", 100))
        .await
        .unwrap();
    let changes = (0..80).map(|i| {
        let (table, id) = (table.clone(), p.id.clone());
        tokio::spawn(async move {
            catalog::update(&table, &id, delta(if i % 8 < 5 { 1 } else { -1 }), None).await
        })
    });
    for result in futures::future::join_all(changes).await {
        result.unwrap().unwrap();
    }
    let after = catalog::get(&table, &p.id).await.unwrap();
    assert_eq!(after.stock.get(), 100 + 50 - 30);
    assert_eq!(after.version, Version(81));
}

#[tokio::test]
async fn concurrent_if_match_writers_exactly_one_wins() {
    let table = products_table().await;
    let p = catalog::create(&table, new_product(&category(), "Chair", 10))
        .await
        .unwrap();
    let writers = (0..10).map(|i| {
        let (table, id, version) = (table.clone(), p.id.clone(), p.version);
        tokio::spawn(async move {
            let set = ProductPatch {
                stock: Some(StockChange::Set(Stock::parse(i).unwrap())),
                ..Default::default()
            };
            catalog::update(&table, &id, set, Some(version)).await
        })
    });
    let results: Vec<_> = futures::future::join_all(writers)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(Error::PreconditionFailed)))
    );
}

async fn walk_category(
    table: &shared::aws::ProductsTable,
    c: &Category,
    page: i32,
) -> Vec<ProductId> {
    let mut seen = Vec::new();
    let mut position = None;
    loop {
        let (items, next) = table.list_category(c, page, position).await.unwrap();
        assert!(items.len() as i32 <= page);
        seen.extend(items.into_iter().map(|p| p.id));
        match next {
            Some(next) => position = Some(next),
            None => return seen,
        }
    }
}

#[tokio::test]
async fn category_pages_have_no_duplicates_and_no_gaps_while_products_are_added() {
    let table = products_table().await;
    let c = category();
    let mut ids = BTreeSet::new();
    for i in 0..23 {
        ids.insert(
            catalog::create(&table, new_product(&c, &format!("Item {i}"), 1))
                .await
                .unwrap()
                .id,
        );
    }
    for page in [1, 7, 23, 100] {
        let seen = walk_category(&table, &c, page).await;
        assert_eq!(seen.len(), ids.len(), "page size {page}");
        assert_eq!(
            seen.iter().cloned().collect::<BTreeSet<_>>(),
            ids,
            "page size {page}"
        );
        // Newest first.
        assert!(seen.windows(2).all(|w| w[0] > w[1]));
    }

    // Products added during a walk: everything that existed before is seen
    // exactly once; nothing is seen twice.
    let adder = {
        let (table, c) = (table.clone(), c.clone());
        tokio::spawn(async move {
            let mut added = Vec::new();
            for i in 0..10 {
                added.push(
                    catalog::create(&table, new_product(&c, &format!("Late {i}"), 1))
                        .await
                        .unwrap()
                        .id,
                );
            }
            added
        })
    };
    let seen = walk_category(&table, &c, 3).await;
    let added = adder.await.unwrap();
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates");
    assert!(ids.is_subset(&unique), "no gaps");
    assert!(
        unique
            .iter()
            .all(|id| ids.contains(id) || added.contains(id))
    );
}

#[tokio::test]
async fn the_full_listing_skips_archived_products_and_repeats_nothing() {
    let table = products_table().await;
    let c = category();
    let mut mine = BTreeSet::new();
    for i in 0..12 {
        let p = catalog::create(&table, new_product(&c, &format!("Scan {i}"), 1))
            .await
            .unwrap();
        if i % 3 == 0 {
            catalog::archive(&table, &p.id).await.unwrap();
        } else {
            mine.insert(p.id);
        }
    }
    for page in [5, 100] {
        let mut seen = Vec::new();
        let mut position = None;
        loop {
            let (items, next) = catalog::list(&table, None, page, position).await.unwrap();
            assert!(items.len() as i32 <= page);
            seen.extend(items.into_iter().map(|p| (p.id, p.category)));
            match next {
                Some(next) => position = Some(next),
                None => break,
            }
        }
        let ids: BTreeSet<_> = seen.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(ids.len(), seen.len(), "no duplicates at page size {page}");
        let of_mine: BTreeSet<_> = seen
            .iter()
            .filter(|(_, cat)| *cat == c)
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(of_mine, mine, "page size {page}");
    }
}
