//! The data the measured requests hit, created through the local stack's HTTP
//! API as any client would: a customer, the local admin's token, a product
//! with plenty of stock, an order, its payment, a notification, and the known
//! names for the login enumeration test. The pools of items that some writes
//! use up are copies of the seeded order and product, written straight to the
//! tables through the adapters the functions use, so they are the items the
//! API writes; through the API, their ~11,700 requests took about a minute.

use crate::Plan;
use crate::cases::{PASSWORD, Seeds, order_body, product_body};
use dev::{Result, fail};
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Mutex;

pub struct Seeded {
    pub seeds: Seeds,
    /// Registered usernames (password `PASSWORD`) nobody else logs in with.
    pub known: Vec<String>,
}

struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        idempotency: bool,
        body: Option<&Value>,
        expect: u16,
    ) -> Result<Value> {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if idempotency {
            request = request.header("idempotency-key", ulid::Ulid::new().to_string());
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| fail(format!("{method} {path}: {e}")))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if status != expect {
            return Err(fail(format!(
                "{method} {path} answered {status} (expected {expect}): {text}"
            )));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn register(&self, name: &str) -> Result<Value> {
        let body =
            json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD});
        self.call(
            reqwest::Method::POST,
            "/users/register",
            None,
            false,
            Some(&body),
            201,
        )
        .await
    }

    async fn login(&self, name: &str, password: &str) -> Result<Value> {
        let body = json!({"username": name, "password": password});
        self.call(
            reqwest::Method::POST,
            "/users/login",
            None,
            false,
            Some(&body),
            200,
        )
        .await
    }
}

fn text(value: &Value, pointer: &str) -> Result<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| fail(format!("no {pointer} in {value}")))
}

/// The tables the pools are written to.
pub struct Tables {
    pub orders: shared::aws::OrdersTable,
    pub products: shared::aws::ProductsTable,
}

/// `size` pending copies of the seeded order (two pools) and `size` copies of
/// the seeded product with one item in stock.
async fn pools(
    tables: &Tables,
    order_id: &str,
    product_id: &str,
    size: usize,
) -> Result<[VecDeque<String>; 3]> {
    use shared::domain::{OrderId, ProductId, product::ProductName, product::Stock};
    let order_id = OrderId::parse(order_id).ok_or_else(|| fail("the seeded order id"))?;
    let product_id = ProductId::parse(product_id).ok_or_else(|| fail("the seeded product id"))?;
    let order = tables
        .orders
        .get(&order_id)
        .await
        .map_err(|e| fail(format!("reading the seeded order: {e}")))?
        .ok_or_else(|| fail("the seeded order is not in the table"))?;
    let product = tables
        .products
        .get(&product_id)
        .await
        .map_err(|e| fail(format!("reading the seeded product: {e}")))?
        .ok_or_else(|| fail("the seeded product is not in the table"))?;
    // The seeded order has been paid since; a copy is the order as it was
    // created (and as long from expiry: the run ends long before it).
    let orders = &tables.orders;
    let new_order = |_| {
        let mut copy = order.clone();
        copy.id = OrderId::generate();
        copy.status = shared::domain::OrderStatus::PendingPayment;
        copy.payment_id = None;
        copy.updated_at = copy.created_at;
        async move {
            let put = orders
                .put_new(&copy)
                .map_err(|e| fail(format!("an order item: {e}")))?;
            orders
                .client()
                .transact_write_items()
                .transact_items(put)
                .send()
                .await
                .map_err(|e| fail(format!("writing a pooled order: {e:?}")))?;
            Ok::<_, dev::Failure>(copy.id.to_string())
        }
    };
    let mut to_cancel = futures::stream::iter(0..2 * size)
        .map(new_order)
        .buffer_unordered(16)
        .try_collect::<VecDeque<String>>()
        .await?;
    let to_pay = to_cancel.split_off(size);
    let stock = Stock::parse(1).map_err(fail)?;
    let to_archive = futures::stream::iter(0..size)
        .map(|i| {
            let mut copy = product.clone();
            copy.id = ProductId::generate();
            copy.stock = stock;
            async move {
                copy.name = ProductName::parse(&format!("Archived Mug {i}")).map_err(fail)?;
                let created = tables
                    .products
                    .create(&copy)
                    .await
                    .map_err(|e| fail(format!("writing a pooled product: {e}")))?;
                if !created {
                    return Err(fail(format!("product {} exists already", copy.id)));
                }
                Ok(copy.id.to_string())
            }
        })
        .buffer_unordered(16)
        .try_collect::<VecDeque<String>>()
        .await?;
    Ok([to_cancel, to_pay, to_archive])
}

pub async fn seed(base: &str, tables: &Tables, plan: &Plan) -> Result<Seeded> {
    let api = Api {
        client: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| fail(e.to_string()))?,
        base: base.to_owned(),
    };
    let stamp = ulid::Ulid::new().to_string().to_lowercase();
    let username = format!("bench_{}", &stamp[..20]);
    let user = api.register(&username).await?;
    let user_id = text(&user, "/id")?;
    let email = text(&user, "/email")?;
    let user_token = text(&api.login(&username, PASSWORD).await?, "/access_token")?;
    let admin_token = text(
        &api.login(dev::stack::ADMIN_USERNAME, &dev::stack::admin_password())
            .await?,
        "/access_token",
    )?;
    use reqwest::Method;
    let product = api
        .call(
            Method::POST,
            "/products",
            Some(&admin_token),
            false,
            // Room below the maximum (1,000,000) for what the pooled orders'
            // cancellations and update-product's calls give back.
            Some(&product_body("Bench Mug", 500_000)),
            201,
        )
        .await?;
    let product_id = text(&product, "/id")?;
    let order = api
        .call(
            Method::POST,
            "/orders",
            Some(&user_token),
            false,
            Some(&order_body(&product_id)),
            201,
        )
        .await?;
    let order_id = text(&order, "/id")?;
    let payment = api
        .call(
            Method::POST,
            "/payments",
            Some(&user_token),
            true,
            Some(&json!({"order_id": order_id, "payment_method": "pm_card_visa"})),
            201,
        )
        .await?;
    let payment_id = text(&payment, "/id")?;
    // A payment large enough for every create-refund call to refund a cent.
    let vault = api
        .call(
            Method::POST,
            "/products",
            Some(&admin_token),
            false,
            Some(&json!({"name": "Bench Vault", "price_cents": 100_000_000, "currency": "USD", "stock": 100, "category": "bench"})),
            201,
        )
        .await?;
    let vault_order = api
        .call(
            Method::POST,
            "/orders",
            Some(&user_token),
            false,
            Some(&crate::cases::order_of(
                json!([{"product_id": text(&vault, "/id")?, "quantity": 100}]),
            )),
            201,
        )
        .await?;
    let refund_payment = api
        .call(
            Method::POST,
            "/payments",
            Some(&user_token),
            true,
            Some(
                &json!({"order_id": text(&vault_order, "/id")?, "payment_method": "pm_card_visa"}),
            ),
            201,
        )
        .await?;
    let refund_payment_id = text(&refund_payment, "/id")?;
    let notification = api
        .call(
            Method::POST,
            "/notifications",
            Some(&admin_token),
            false,
            Some(&json!({"channel": "email", "recipient": email, "subject": "Seeded", "message": "For the benchmark."})),
            202,
        )
        .await?;
    let notification_id = text(&notification, "/id")?;

    let size = if crate::cases::POOLED
        .iter()
        .any(|f| crate::cases::selected(f))
    {
        plan.pool_size()
    } else {
        0
    };
    println!("  pools: {size} orders to cancel, {size} to pay, {size} products to archive");
    let [to_cancel, to_pay, to_archive] = pools(tables, &order_id, &product_id, size).await?;
    let api = &api;
    println!(
        "  {} known names for the login enumeration test",
        plan.enumeration_names
    );
    let names = if crate::cases::selected("login") {
        plan.enumeration_names
    } else {
        0
    };
    let known = futures::stream::iter(0..names)
        .map(|i| {
            let name = format!("k{i}_{}", &stamp[..20]);
            async move { api.register(&name).await.map(|_| name) }
        })
        .buffer_unordered(4)
        .try_collect::<Vec<String>>()
        .await?;
    // An account holds at most five unpaid orders: create-order's requests
    // take turns over enough accounts of their own.
    let buyers = if crate::cases::selected("create-order") {
        plan.pool_size() / shared::domain::order::MAX_OPEN_ORDERS as usize + 1
    } else {
        0
    };
    println!("  {buyers} accounts for create-order");
    let buyers = futures::stream::iter(0..buyers)
        .map(|i| {
            let name = format!("b{i}_{}", &stamp[..20]);
            async move {
                api.register(&name).await?;
                text(&api.login(&name, PASSWORD).await?, "/access_token")
            }
        })
        .buffer_unordered(4)
        .try_collect::<Vec<String>>()
        .await?;
    Ok(Seeded {
        seeds: Seeds {
            buyers,
            next_buyer: Default::default(),
            username,
            user_id,
            email,
            user_token,
            admin_token,
            product_id,
            order_id,
            payment_id,
            refund_payment_id,
            notification_id,
            pools: [
                Mutex::new(to_cancel),
                Mutex::new(to_pay),
                Mutex::new(to_archive),
            ],
        },
        known,
    })
}
