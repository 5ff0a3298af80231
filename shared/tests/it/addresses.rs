//! The address book against DynamoDB Local: its rules hold under concurrent
//! changes (at most ten, exactly one default after concurrent switches, no
//! change lost).

use crate::common;

use common::users_table;
use shared::Error;
use shared::addresses;
use shared::domain::address::{
    AddressFields, AddressPatch, Country, Line, OptionalLine, PostalCode,
};
use shared::domain::{Timestamp, UserId};

fn fields(name: &str) -> AddressFields {
    AddressFields {
        name: Line::parse(name).unwrap(),
        line1: Line::parse("1 Main Street").unwrap(),
        line2: OptionalLine::default(),
        city: Line::parse("Springfield").unwrap(),
        region: OptionalLine::default(),
        postal_code: PostalCode::parse("12345").unwrap(),
        country: Country::parse("US").unwrap(),
        phone: None,
    }
}

/// A caller with a token issued now; no account item is needed for the book.
fn caller() -> (UserId, i64) {
    (UserId::generate(), Timestamp::now().unix_millis())
}

#[tokio::test]
async fn twenty_concurrent_adds_save_exactly_ten_and_lose_none_of_them() {
    let table = users_table().await;
    let (user, issued) = caller();
    let adds = (0..20).map(|i| {
        let (table, user) = (table.clone(), user.clone());
        tokio::spawn(async move {
            addresses::create(&table, (&user, issued), fields(&format!("n{i}")), false).await
        })
    });
    let mut saved = Vec::new();
    let mut full = 0;
    for outcome in futures::future::join_all(adds).await {
        match outcome.unwrap() {
            Ok(address) => saved.push(address.fields.name.as_str().to_owned()),
            Err(Error::AddressLimit) => full += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!((saved.len(), full), (10, 10));
    let stored = addresses::list(&table, &user).await.unwrap();
    let mut names: Vec<String> = stored
        .iter()
        .map(|a| a.fields.name.as_str().to_owned())
        .collect();
    names.sort();
    saved.sort();
    assert_eq!(names, saved, "every add that answered OK is stored");
    assert_eq!(stored.iter().filter(|a| a.is_default).count(), 1);
}

#[tokio::test]
async fn concurrent_default_switches_leave_exactly_one_default() {
    let table = users_table().await;
    let (user, issued) = caller();
    let mut ids = Vec::new();
    for i in 0..5 {
        let address = addresses::create(&table, (&user, issued), fields(&format!("n{i}")), false)
            .await
            .unwrap();
        ids.push(address.id);
    }
    let switches = ids.iter().cloned().map(|id| {
        let (table, user) = (table.clone(), user.clone());
        tokio::spawn(async move {
            let patch = AddressPatch {
                is_default: Some(true),
                ..AddressPatch::default()
            };
            addresses::update(&table, (&user, issued), &id, patch).await
        })
    });
    for outcome in futures::future::join_all(switches).await {
        outcome.unwrap().unwrap();
    }
    let stored = addresses::list(&table, &user).await.unwrap();
    assert_eq!(stored.len(), 5);
    assert_eq!(stored.iter().filter(|a| a.is_default).count(), 1);
}

#[tokio::test]
async fn another_users_address_is_not_found() {
    let table = users_table().await;
    let (owner, issued) = caller();
    let (other, _) = caller();
    let address = addresses::create(&table, (&owner, issued), fields("mine"), false)
        .await
        .unwrap();
    let theirs = addresses::delete(&table, (&other, issued), &address.id).await;
    assert!(matches!(theirs, Err(Error::AddressNotFound)), "{theirs:?}");
    assert_eq!(addresses::list(&table, &owner).await.unwrap().len(), 1);
}
