//! Wiring: the one place that reads the environment and builds clients.
//!
//! Each service's functions share one struct holding its clients and settings
//! ([`UsersApi`], [`CatalogApi`], [`OrdersApi`], ...), built once in `main`
//! with `from_env()`; nothing here waits on the network. Two wrappers add
//! what only some functions need: [`Listing`] (the cursor key of a list) and
//! [`Idempotent`] (the `Idempotency-Key` records of a create). The HTTP layer
//! receives these structs; it never builds a client or reads a variable.
//!
//! Every variable is named once below; the template, the local stack
//! (`Cargo.toml` metadata and `dev`) and `events/env.json` set the same
//! names. A missing or invalid variable fails init with its name.

use crate::auth::{PasswordHasher, TokenVerifier};
use crate::aws::transact::RetryPolicy;
use crate::aws::{
    EventQueue, IdempotencyStore, Mailer, NotificationsTable, OrdersTable, PaymentsTable,
    ProductsTable, RateLimits, SigningKeyStore, SimulatedCharges, UsersTable, sdk_config,
};
use crate::cursor::CursorKey;
use crate::domain::throttle::{self, LoginThrottle};
use crate::idempotency::Fingerprinter;
use crate::notifications::{Notifier, ShopUrl};
use crate::orders::{DEFAULT_EXPIRY_SECONDS, Orders};
use crate::payments::Payments;
use crate::payments::provider::Simulator;
use crate::refunds::Refunds;
use crate::sweepers::{ExpireOrders, ResendPaymentEvents};
use crate::users::Accounts;
use aws_types::SdkConfig;
use std::ops::Deref;

pub const USERS_TABLE: &str = "USERS_TABLE";
pub const PRODUCTS_TABLE: &str = "PRODUCTS_TABLE";
pub const CURSOR_SECRET: &str = "CURSOR_SECRET";
pub const ORDERS_TABLE: &str = "ORDERS_TABLE";
pub const ORDER_EXPIRY_SECONDS: &str = "ORDER_EXPIRY_SECONDS";
pub const PAYMENTS_TABLE: &str = "PAYMENTS_TABLE";
pub const EVENTS_QUEUE_URL: &str = "EVENTS_QUEUE_URL";
pub const PAYMENT_PROVIDER: &str = "PAYMENT_PROVIDER";
pub const PAYMENT_EVENT_GRACE_SECONDS: &str = "PAYMENT_EVENT_GRACE_SECONDS";
pub const NOTIFICATIONS_TABLE: &str = "NOTIFICATIONS_TABLE";
pub const SENDER_EMAIL: &str = "SENDER_EMAIL";
pub const SHOP_URL: &str = "SHOP_URL";
pub const IDEMPOTENCY_SECRET: &str = "IDEMPOTENCY_SECRET";
pub const IDEMPOTENCY_LOCK_SECONDS: &str = "IDEMPOTENCY_LOCK_SECONDS";
pub const JWT_PUBLIC_KEYS: &str = "JWT_PUBLIC_KEYS";
pub const JWT_SIGNING_KEY_SECRET: &str = "JWT_SIGNING_KEY_SECRET";
pub const JWT_ISSUER: &str = "JWT_ISSUER";
pub const JWT_AUDIENCE: &str = "JWT_AUDIENCE";
pub const LOGIN_BACKOFF_BASE_SECONDS: &str = "LOGIN_BACKOFF_BASE_SECONDS";
pub const LOGIN_BACKOFF_MAX_SECONDS: &str = "LOGIN_BACKOFF_MAX_SECONDS";
pub const LOGIN_MAX_FAILURES_PER_HOUR: &str = "LOGIN_MAX_FAILURES_PER_HOUR";
pub const PASSWORD_RESETS_PER_IP_PER_HOUR: &str = "PASSWORD_RESETS_PER_IP_PER_HOUR";
pub const DECLINES_PER_IP_PER_HOUR: &str = "DECLINES_PER_IP_PER_HOUR";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing environment variable {0}")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// An optional number with a default; a value that is set but not a number is an error.
pub fn number_or(name: &'static str, default: u64) -> Result<u64, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => {
            value.trim().parse().map_err(|_| ConfigError::Invalid {
                name,
                reason: format!("{value:?} is not a whole number"),
            })
        }
        _ => Ok(default),
    }
}

/// A variable that must hold a secret of some minimum size, checked by `parse`.
fn secret<T>(
    name: &'static str,
    parse: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Result<T, ConfigError> {
    parse(required(name)?.as_bytes()).map_err(|reason| ConfigError::Invalid { name, reason })
}

/// The verifier of access tokens: the public key set, issuer and audience.
fn verifier() -> Result<TokenVerifier, ConfigError> {
    let jwks = required(JWT_PUBLIC_KEYS)?;
    TokenVerifier::from_jwks(&jwks, &required(JWT_ISSUER)?, &required(JWT_AUDIENCE)?).map_err(|e| {
        ConfigError::Invalid {
            name: JWT_PUBLIC_KEYS,
            reason: e.to_string(),
        }
    })
}

fn dynamodb(sdk: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(sdk)
}

fn users_table(sdk: &SdkConfig) -> Result<UsersTable, ConfigError> {
    Ok(UsersTable::new(dynamodb(sdk), required(USERS_TABLE)?))
}

fn products_table(sdk: &SdkConfig) -> Result<ProductsTable, ConfigError> {
    Ok(ProductsTable::new(dynamodb(sdk), required(PRODUCTS_TABLE)?))
}

fn notifications_table(sdk: &SdkConfig) -> Result<NotificationsTable, ConfigError> {
    Ok(NotificationsTable::new(
        dynamodb(sdk),
        required(NOTIFICATIONS_TABLE)?,
    ))
}

/// The queue every domain event goes through.
fn event_queue(sdk: &SdkConfig) -> Result<EventQueue, ConfigError> {
    Ok(EventQueue::new(
        aws_sdk_sqs::Client::new(sdk),
        required(EVENTS_QUEUE_URL)?,
    ))
}

/// `GET /health`: the table it pings.
pub struct HealthApi {
    pub users: UsersTable,
}

impl HealthApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            users: users_table(&sdk_config()?)?,
        })
    }
}

/// Registration and the caller's own account.
pub struct UsersApi {
    pub users: UsersTable,
    pub hasher: PasswordHasher,
    pub verifier: TokenVerifier,
}

impl UsersApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            users: users_table(&sdk_config()?)?,
            hasher: PasswordHasher::new(),
            verifier: verifier()?,
        })
    }
}

/// Login: the only service that signs tokens, so the only one given the
/// signing key's secret (its role alone may read it).
pub struct SessionsApi {
    pub users: UsersTable,
    pub hasher: PasswordHasher,
    pub throttle: LoginThrottle,
    pub keys: SigningKeyStore,
}

impl SessionsApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        let sdk = sdk_config()?;
        let throttle = login_throttle()?;
        let keys = SigningKeyStore::new(
            aws_sdk_secretsmanager::Client::new(&sdk),
            required(JWT_SIGNING_KEY_SECRET)?,
            required(JWT_ISSUER)?,
            required(JWT_AUDIENCE)?,
        );
        Ok(Self {
            users: users_table(&sdk)?,
            hasher: PasswordHasher::new(),
            throttle,
            keys,
        })
    }
}

/// The account's changes that mail something: registration, verification
/// links, password change and reset.
pub struct AccountApi {
    pub accounts: Accounts,
    pub verifier: TokenVerifier,
}

impl AccountApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        let sdk = sdk_config()?;
        Ok(Self {
            accounts: Accounts {
                users: users_table(&sdk)?,
                hasher: PasswordHasher::new(),
                throttle: login_throttle()?,
                queue: event_queue(&sdk)?,
                resets_per_ip: resets_per_ip()?,
            },
            verifier: verifier()?,
        })
    }
}

/// How many reset requests one source IP may make in a sliding hour.
fn resets_per_ip() -> Result<throttle::RateLimit, ConfigError> {
    hourly_limit(
        PASSWORD_RESETS_PER_IP_PER_HOUR,
        throttle::DEFAULT_RESETS_PER_IP_PER_HOUR,
    )
}

/// How many declined payments one source IP may have in a sliding hour.
fn declines_per_ip() -> Result<throttle::RateLimit, ConfigError> {
    hourly_limit(
        DECLINES_PER_IP_PER_HOUR,
        throttle::DEFAULT_DECLINES_PER_IP_PER_HOUR,
    )
}

/// A sliding hourly limit read from `name`: 1 to 1,000 (each use is a slot
/// of one item).
fn hourly_limit(name: &'static str, default: u64) -> Result<throttle::RateLimit, ConfigError> {
    let times = number_or(name, default)?;
    if !(1..=1000).contains(&times) {
        return Err(ConfigError::Invalid {
            name,
            reason: format!("{times} is not between 1 and 1000"),
        });
    }
    Ok(throttle::RateLimit {
        times: times as usize,
        window_seconds: 3600,
    })
}

/// The login throttle's settings, shared by login and the routes that ask
/// for the current password.
fn login_throttle() -> Result<LoginThrottle, ConfigError> {
    Ok(LoginThrottle {
        backoff_base_seconds: number_or(
            LOGIN_BACKOFF_BASE_SECONDS,
            throttle::DEFAULT_BACKOFF_BASE_SECONDS,
        )?,
        backoff_max_seconds: number_or(
            LOGIN_BACKOFF_MAX_SECONDS,
            throttle::DEFAULT_BACKOFF_MAX_SECONDS,
        )?,
        max_failures_per_name_per_hour: number_or(
            LOGIN_MAX_FAILURES_PER_HOUR,
            throttle::DEFAULT_MAX_FAILURES_PER_NAME_PER_HOUR,
        )?,
        ..LoginThrottle::default()
    })
}

/// The catalogue: public reads, admin writes.
pub struct CatalogApi {
    pub products: ProductsTable,
    pub verifier: TokenVerifier,
}

impl CatalogApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            products: products_table(&sdk_config()?)?,
            verifier: verifier()?,
        })
    }
}

/// The orders service, as its functions and the expiry sweep use it.
pub fn orders() -> Result<Orders, ConfigError> {
    let client = dynamodb(&sdk_config()?);
    Ok(Orders {
        orders: OrdersTable::new(client.clone(), required(ORDERS_TABLE)?),
        products: ProductsTable::new(client, required(PRODUCTS_TABLE)?),
        expiry_seconds: number_or(ORDER_EXPIRY_SECONDS, DEFAULT_EXPIRY_SECONDS as u64)? as i64,
        retry: RetryPolicy::default(),
    })
}

pub struct OrdersApi {
    pub orders: Orders,
    /// Read for the token cut-off and the saved addresses (`POST /orders`).
    pub users: UsersTable,
    /// The shipping options an order picks from.
    pub shipping: crate::aws::ShippingOptions,
    /// The carts a checkout orders and empties.
    pub carts: crate::aws::Carts,
    pub verifier: TokenVerifier,
}

impl OrdersApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        let sdk = sdk_config()?;
        Ok(Self {
            orders: orders()?,
            users: users_table(&sdk)?,
            shipping: crate::aws::ShippingOptions::new(dynamodb(&sdk), required(ORDERS_TABLE)?),
            carts: crate::aws::Carts::new(dynamodb(&sdk), required(ORDERS_TABLE)?),
            verifier: verifier()?,
        })
    }
}

/// Shipping and delivery (admin): the orders table and the events queue.
pub struct FulfilmentApi {
    pub fulfilments: crate::fulfilment::Fulfilments,
    pub verifier: TokenVerifier,
}

impl FulfilmentApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        let sdk = sdk_config()?;
        Ok(Self {
            fulfilments: crate::fulfilment::Fulfilments {
                orders: OrdersTable::new(dynamodb(&sdk), required(ORDERS_TABLE)?),
                queue: event_queue(&sdk)?,
            },
            verifier: verifier()?,
        })
    }
}

/// The provider `PAYMENT_PROVIDER` names; only the simulator is built in,
/// keeping its charges in the payments table.
fn provider(client: &aws_sdk_dynamodb::Client) -> Result<Simulator, ConfigError> {
    match std::env::var(PAYMENT_PROVIDER).as_deref() {
        Ok("simulator") | Err(_) => Ok(Simulator {
            charges: SimulatedCharges::new(client.clone(), required(PAYMENTS_TABLE)?),
        }),
        Ok(other) => Err(ConfigError::Invalid {
            name: PAYMENT_PROVIDER,
            reason: format!("{other:?} is not a provider this build has (simulator)"),
        }),
    }
}

/// The payments service: its table, the orders and users it reads, the
/// event queue and the provider.
pub fn payments() -> Result<Payments<Simulator>, ConfigError> {
    let sdk = sdk_config()?;
    let client = dynamodb(&sdk);
    Ok(Payments {
        payments: PaymentsTable::new(client.clone(), required(PAYMENTS_TABLE)?),
        orders: OrdersTable::new(client.clone(), required(ORDERS_TABLE)?),
        users: UsersTable::new(client.clone(), required(USERS_TABLE)?),
        queue: event_queue(&sdk)?,
        provider: provider(&client)?,
        retry: RetryPolicy::default(),
        limits: RateLimits::new(client, required(PAYMENTS_TABLE)?, "purge_at"),
        declines_per_ip: declines_per_ip()?,
    })
}

pub struct PaymentsApi {
    pub payments: Payments<Simulator>,
    pub verifier: TokenVerifier,
}

impl PaymentsApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            payments: payments()?,
            verifier: verifier()?,
        })
    }
}

/// The admin's notifications and the caller's own.
pub struct NotificationsApi {
    pub table: NotificationsTable,
    pub queue: EventQueue,
    pub verifier: TokenVerifier,
}

impl NotificationsApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        let sdk = sdk_config()?;
        Ok(Self {
            table: notifications_table(&sdk)?,
            queue: event_queue(&sdk)?,
            verifier: verifier()?,
        })
    }
}

impl Notifier {
    /// The queue consumer: the table, SES with the configured sender, and
    /// where the tokens it mails are stored and lead.
    pub fn from_env() -> Result<Self, ConfigError> {
        let sdk = sdk_config()?;
        let shop_url =
            ShopUrl::parse(&required(SHOP_URL)?).map_err(|reason| ConfigError::Invalid {
                name: SHOP_URL,
                reason,
            })?;
        Ok(Self {
            table: notifications_table(&sdk)?,
            mailer: Mailer::new(aws_sdk_ses::Client::new(&sdk), required(SENDER_EMAIL)?),
            users: users_table(&sdk)?,
            shop_url,
        })
    }
}

impl ExpireOrders {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(orders()?))
    }
}

impl ResendPaymentEvents {
    pub fn from_env() -> Result<Self, ConfigError> {
        let sdk = sdk_config()?;
        let client = dynamodb(&sdk);
        Ok(Self {
            payments: PaymentsTable::new(client.clone(), required(PAYMENTS_TABLE)?),
            users: users_table(&sdk)?,
            orders: OrdersTable::new(client.clone(), required(ORDERS_TABLE)?),
            queue: event_queue(&sdk)?,
            provider: provider(&client)?,
            refunds: refunds()?,
            grace_seconds: number_or(PAYMENT_EVENT_GRACE_SECONDS, 60)? as i64,
        })
    }
}

/// The refunds service: the payments it refunds, the orders and stock they
/// move, the events queue for their mail, and the provider.
pub fn refunds() -> Result<Refunds<Simulator>, ConfigError> {
    let sdk = sdk_config()?;
    let client = dynamodb(&sdk);
    Ok(Refunds {
        payments: PaymentsTable::new(client.clone(), required(PAYMENTS_TABLE)?),
        orders: OrdersTable::new(client.clone(), required(ORDERS_TABLE)?),
        products: ProductsTable::new(client.clone(), required(PRODUCTS_TABLE)?),
        queue: event_queue(&sdk)?,
        provider: provider(&client)?,
        retry: RetryPolicy::default(),
    })
}

/// `POST /payments/{id}/refunds` (admin).
pub struct RefundsApi {
    pub refunds: Refunds<Simulator>,
    pub verifier: TokenVerifier,
}

impl RefundsApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            refunds: refunds()?,
            verifier: verifier()?,
        })
    }

    /// Its idempotency records are the payments table's.
    pub fn idempotent(self) -> Result<Idempotent<Self>, ConfigError> {
        Idempotent::from_env(self)
    }
}

impl KeepsIdempotencyRecords for RefundsApi {
    fn records_table(&self) -> (&aws_sdk_dynamodb::Client, &str) {
        (self.refunds.payments.client(), self.refunds.payments.name())
    }
}

/// `POST /orders/{id}/cancel`: a pending order closes, a paid one is refunded.
pub struct CancelApi {
    pub orders: Orders,
    pub refunds: Refunds<Simulator>,
    pub verifier: TokenVerifier,
}

impl CancelApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            orders: orders()?,
            refunds: refunds()?,
            verifier: verifier()?,
        })
    }
}

/// The caller's cart, in the orders table, priced from the products table.
pub struct CartApi {
    pub cart: crate::cart::CartService,
    pub verifier: TokenVerifier,
}

impl CartApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        let client = dynamodb(&sdk_config()?);
        Ok(Self {
            cart: crate::cart::CartService {
                carts: crate::aws::Carts::new(client.clone(), required(ORDERS_TABLE)?),
                products: ProductsTable::new(client, required(PRODUCTS_TABLE)?),
            },
            verifier: verifier()?,
        })
    }
}

/// The shipping options, in the orders table.
pub struct ShippingApi {
    pub shipping: crate::shipping::Shipping,
    pub verifier: TokenVerifier,
}

impl ShippingApi {
    pub fn from_env() -> Result<Self, ConfigError> {
        let client = dynamodb(&sdk_config()?);
        Ok(Self {
            shipping: crate::shipping::Shipping {
                options: crate::aws::ShippingOptions::new(client, required(ORDERS_TABLE)?),
            },
            verifier: verifier()?,
        })
    }
}

/// A service whose function lists: with the key its cursors are sealed with.
pub struct Listing<S> {
    pub service: S,
    pub cursors: CursorKey,
}

impl<S> Listing<S> {
    pub fn from_env(service: S) -> Result<Self, ConfigError> {
        Ok(Self {
            service,
            cursors: secret(CURSOR_SECRET, CursorKey::new)?,
        })
    }
}

/// A service whose function creates under an `Idempotency-Key`, with the
/// records it keeps in its own table.
pub struct Idempotent<S> {
    pub service: S,
    pub store: IdempotencyStore,
}

/// The table a service keeps its idempotency records in.
pub trait KeepsIdempotencyRecords {
    fn records_table(&self) -> (&aws_sdk_dynamodb::Client, &str);
}

impl KeepsIdempotencyRecords for OrdersApi {
    fn records_table(&self) -> (&aws_sdk_dynamodb::Client, &str) {
        (self.orders.orders.client(), self.orders.orders.name())
    }
}

impl KeepsIdempotencyRecords for PaymentsApi {
    fn records_table(&self) -> (&aws_sdk_dynamodb::Client, &str) {
        (
            self.payments.payments.client(),
            self.payments.payments.name(),
        )
    }
}

impl<S: KeepsIdempotencyRecords> Idempotent<S> {
    pub fn from_env(service: S) -> Result<Self, ConfigError> {
        let fingerprints = secret(IDEMPOTENCY_SECRET, Fingerprinter::new)?;
        let lock = number_or(IDEMPOTENCY_LOCK_SECONDS, 10)? as i64;
        let (client, table) = service.records_table();
        let store = IdempotencyStore::new(client.clone(), table, fingerprints, lock);
        Ok(Self { service, store })
    }
}

impl<S> Deref for Listing<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.service
    }
}

impl<S> Deref for Idempotent<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.service
    }
}

impl CatalogApi {
    /// For `GET /products`.
    pub fn listing(self) -> Result<Listing<Self>, ConfigError> {
        Listing::from_env(self)
    }
}

impl OrdersApi {
    /// For `GET /orders`.
    pub fn listing(self) -> Result<Listing<Self>, ConfigError> {
        Listing::from_env(self)
    }

    /// For `POST /orders`.
    pub fn idempotent(self) -> Result<Idempotent<Self>, ConfigError> {
        Idempotent::from_env(self)
    }
}

impl PaymentsApi {
    /// For `POST /payments`.
    pub fn idempotent(self) -> Result<Idempotent<Self>, ConfigError> {
        Idempotent::from_env(self)
    }
}

impl NotificationsApi {
    /// For `GET /notifications`.
    pub fn listing(self) -> Result<Listing<Self>, ConfigError> {
        Listing::from_env(self)
    }
}

/// The storefront: the embedded site, fingerprinted once at init. It reads
/// no variable and calls no service.
pub struct StorefrontApi {
    pub site: crate::storefront::Site,
}

impl StorefrontApi {
    pub fn new() -> Self {
        Self {
            site: crate::storefront::Site::new(),
        }
    }
}

impl Default for StorefrontApi {
    fn default() -> Self {
        Self::new()
    }
}
