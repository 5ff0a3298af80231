//! Helpers for the tests that run against the local stack's emulators
//! (`make test` starts them and sets the environment).

use shared::aws::{ProductsTable, UsersTable};

/// A variable the local stack sets; missing means the tests were not started by `make test`.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: these tests run against the local stack; run them with `make test`"
        )
    })
}

pub async fn users_table() -> UsersTable {
    let sdk = shared::aws::sdk_config().expect("the SDK configuration");
    UsersTable::new(aws_sdk_dynamodb::Client::new(&sdk), env("USERS_TABLE"))
}

/// A name no other test uses: each test works in its own key space.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", ulid::Ulid::new().to_string().to_lowercase())
}

pub fn event(name: &str) -> serde_json::Value {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub async fn products_table() -> ProductsTable {
    let sdk = shared::aws::sdk_config().expect("the SDK configuration");
    ProductsTable::new(aws_sdk_dynamodb::Client::new(&sdk), env("PRODUCTS_TABLE"))
}

/// A category no other test uses.
pub fn category() -> shared::domain::Category {
    shared::domain::Category::parse(&unique("c-")).unwrap()
}

pub fn new_product(
    category: &shared::domain::Category,
    name: &str,
    stock: i64,
) -> shared::domain::NewProduct {
    use shared::domain::*;
    NewProduct {
        name: ProductName::parse(name).unwrap(),
        description: Description::parse("made for tests").unwrap(),
        price_cents: PriceCents::parse(1999).unwrap(),
        currency: Currency::Usd,
        stock: Stock::parse(stock).unwrap(),
        category: category.clone(),
    }
}

/// A token signed with the local stack's current key, as login would issue it.
pub fn token(role: shared::domain::Role) -> String {
    let path = format!("{}/current.json", env("FERROCART_KEYS_DIR"));
    let key: shared::auth::SigningKey = serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
    )
    .unwrap();
    shared::auth::TokenSigner::new(&key, &env("JWT_ISSUER"), &env("JWT_AUDIENCE"))
        .unwrap()
        .issue(
            &shared::domain::UserId::generate(),
            role,
            shared::domain::Timestamp::now(),
        )
        .unwrap()
}

pub async fn orders(expiry_seconds: i64) -> shared::orders::Orders {
    let sdk = shared::aws::sdk_config().expect("the SDK configuration");
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    shared::orders::Orders {
        orders: shared::aws::OrdersTable::new(client.clone(), env("ORDERS_TABLE")),
        products: shared::aws::ProductsTable::new(client, env("PRODUCTS_TABLE")),
        expiry_seconds,
        retry: Default::default(),
    }
}

/// A new, empty table with the schema of the stack's table `source` (keys,
/// indexes, billing), for a test whose work must not meet other tests' items.
pub async fn copy_table(source: &str) -> String {
    use aws_sdk_dynamodb::types::{BillingMode, GlobalSecondaryIndex, KeySchemaElement};
    let sdk = shared::aws::sdk_config().expect("the SDK configuration");
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let described = client
        .describe_table()
        .table_name(source)
        .send()
        .await
        .unwrap();
    let table = described.table.unwrap();
    let name = unique(&format!("{source}-copy-"));
    let keys = |schema: &[KeySchemaElement]| schema.to_vec();
    let indexes: Vec<GlobalSecondaryIndex> = table
        .global_secondary_indexes()
        .iter()
        .map(|gsi| {
            GlobalSecondaryIndex::builder()
                .index_name(gsi.index_name().unwrap())
                .set_key_schema(Some(keys(gsi.key_schema())))
                .set_projection(gsi.projection().cloned())
                .build()
                .unwrap()
        })
        .collect();
    client
        .create_table()
        .table_name(&name)
        .set_attribute_definitions(Some(table.attribute_definitions().to_vec()))
        .set_key_schema(Some(keys(table.key_schema())))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    name
}

/// Mails moto accepted for `recipient`.
pub async fn mails_to(recipient: &str) -> Vec<serde_json::Value> {
    let url = format!("{}/moto-api/data.json", env("AWS_ENDPOINT_URL_SES"));
    let data: serde_json::Value = reqwest_get(&url).await;
    data["ses"]["Message"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["destinations"]["ToAddresses"][0] == recipient)
        .cloned()
        .collect()
}

async fn reqwest_get(url: &str) -> serde_json::Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// A delivery to a UK address by a free option, as `orders::delivery`
/// makes one: for tests that place orders in process (their totals are
/// their lines').
pub fn delivery() -> shared::domain::order::Delivery {
    use shared::domain::address::{AddressFields, Country, Line, OptionalLine, PostalCode};
    use shared::domain::shipping::{self, ShippingName, ShippingOption, ShippingOptionId};
    shared::domain::order::Delivery {
        address: AddressFields {
            name: Line::parse("Ada Lovelace").unwrap(),
            line1: Line::parse("12 St James's Square").unwrap(),
            line2: OptionalLine::parse("").unwrap(),
            city: Line::parse("London").unwrap(),
            region: OptionalLine::parse("").unwrap(),
            postal_code: PostalCode::parse("SW1Y 4JH").unwrap(),
            country: Country::parse("GB").unwrap(),
            phone: None,
        },
        option: ShippingOption {
            id: ShippingOptionId::parse("in-process").unwrap(),
            name: ShippingName::parse("Free, in process").unwrap(),
            countries: vec![Country::parse("GB").unwrap()],
            amount_cents: shipping::amount(0).unwrap(),
            free_over_cents: None,
            active: true,
        },
    }
}
