//! Orders: what a client may ask for, how an order is priced (its lines from
//! the catalogue, its postage from the shipping option), and the states it
//! moves through (`pending_payment` → `paid` → `shipped` → `delivered`, or
//! `cancelled` | `expired`).

pub use super::OrderId;
use super::address::AddressFields;
use super::shipping::{ShippingName, ShippingOption, ShippingOptionId};
use super::{Cents, Currency, PriceCents, Product, ProductId, ProductName, Timestamp, UserId};
use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

pub const MAX_LINES: usize = 25;
pub const MAX_QUANTITY: i64 = 100;
/// Orders one account may hold unpaid at once: stock held without paying
/// is bounded, so one account cannot hold all of a product.
pub const MAX_OPEN_ORDERS: i64 = 5;

/// 1–100 units of one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(i64);
newtype!(int Quantity);

impl Quantity {
    pub fn parse(value: i64) -> Result<Self, String> {
        if (1..=MAX_QUANTITY).contains(&value) {
            Ok(Self(value))
        } else {
            Err(format!("must be an integer from 1 to {MAX_QUANTITY}"))
        }
    }
}

/// One line as the client asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRequest {
    pub product_id: ProductId,
    pub quantity: Quantity,
}

/// 1–25 lines, no product twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    lines: Vec<LineRequest>,
}

impl OrderRequest {
    /// Checks the line rules; field names point into the body (`items[2].product_id`).
    pub fn parse(lines: Vec<LineRequest>) -> Result<Self, Vec<FieldError>> {
        if lines.is_empty() || lines.len() > MAX_LINES {
            return Err(vec![FieldError::new(
                "items",
                format!("must have 1 to {MAX_LINES} lines"),
            )]);
        }
        let mut seen = HashSet::new();
        let duplicates: Vec<FieldError> = lines
            .iter()
            .enumerate()
            .filter(|(_, line)| !seen.insert(line.product_id.clone()))
            .map(|(i, line)| {
                FieldError::new(
                    format!("items[{i}].product_id"),
                    "names a product an earlier line already has",
                )
                .for_product(line.product_id.as_str())
            })
            .collect();
        if duplicates.is_empty() {
            Ok(Self { lines })
        } else {
            Err(duplicates)
        }
    }

    pub fn lines(&self) -> &[LineRequest] {
        &self.lines
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Shipped,
    Delivered,
    Cancelled,
    Expired,
}

impl OrderStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }

    pub const ALL: [Self; 6] = [
        Self::PendingPayment,
        Self::Paid,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::Expired,
    ];

    /// A status by its name, as `?status=` names it.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Only a pending order can be paid, cancelled or expire.
    pub fn is_open(&self) -> bool {
        matches!(self, Self::PendingPayment)
    }
}

/// The parcel service an order left with, as the admin names it: 1 to 50
/// characters, no control characters, not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carrier(String);
newtype!(text Carrier);

impl Carrier {
    pub fn parse(text: &str) -> Result<Self, String> {
        printable(text, 50).map(|t| Self(t.to_owned()))
    }
}

/// The carrier's number for the parcel: 1 to 100 characters, no control
/// characters, not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingNumber(String);
newtype!(text TrackingNumber);

impl TrackingNumber {
    pub fn parse(text: &str) -> Result<Self, String> {
        printable(text, 100).map(|t| Self(t.to_owned()))
    }
}

/// Where the buyer follows the parcel: an `https://` URL of at most 500
/// visible ASCII characters (so it can never be a `javascript:` link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingUrl(String);
newtype!(text TrackingUrl);

impl TrackingUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let host = text.strip_prefix("https://").unwrap_or_default();
        if text.len() > 500
            || host.is_empty()
            || host.starts_with('/')
            || !text.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err("must be an https:// URL of at most 500 characters".into());
        }
        Ok(Self(text.to_owned()))
    }
}

pub(crate) fn printable(text: &str, max: usize) -> Result<&str, String> {
    let count = text.chars().count();
    if count == 0 || count > max || text.trim().is_empty() || text.chars().any(char::is_control) {
        return Err(format!(
            "must be 1 to {max} characters, not blank, without control characters"
        ));
    }
    Ok(text)
}

/// How an order reached the buyer: set when it ships, completed when it is
/// delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fulfilment {
    pub carrier: Carrier,
    pub tracking_number: TrackingNumber,
    pub tracking_url: Option<TrackingUrl>,
    pub shipped_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: ProductId,
    pub name: ProductName,
    pub unit_price_cents: PriceCents,
    pub quantity: Quantity,
    pub line_total_cents: Cents,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub user_id: UserId,
    pub status: OrderStatus,
    pub items: Vec<OrderLine>,
    pub total_cents: Cents,
    pub currency: Currency,
    pub payment_id: Option<String>,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// `null` until the order ships; absent on orders stored before.
    #[serde(default)]
    pub fulfilment: Option<Fulfilment>,
    /// What the order's refunds gave back.
    #[serde(default)]
    pub refunded_cents: Cents,
    /// The lines' total; `total_cents` is this plus `shipping_cents`.
    /// Orders stored before shipping read their total here.
    #[serde(default)]
    pub subtotal_cents: Cents,
    #[serde(default)]
    pub shipping_cents: Cents,
    /// A copy of where it ships; `null` on orders stored before shipping.
    #[serde(default)]
    pub shipping_address: Option<AddressFields>,
    /// The option it ships with, as it was named then.
    #[serde(default)]
    pub shipping_option: Option<ShippingChoice>,
}

/// An order's copy of its shipping option: the id and the name it had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingChoice {
    pub id: ShippingOptionId,
    pub name: ShippingName,
}

/// Where the buyer asks an order to go: a new address or a saved one, and
/// the shipping option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingRequest {
    pub destination: Destination,
    pub option: ShippingOptionId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    New(AddressFields),
    Saved(super::AddressId),
}

/// A shipping request made good: the address and the option as they are
/// now (active, and serving the address's country).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub address: AddressFields,
    pub option: ShippingOption,
}

/// Why a request cannot be priced: the products that are missing or archived.
#[derive(Debug, PartialEq, Eq)]
pub struct UnknownProducts(pub Vec<(usize, ProductId)>);

impl Order {
    /// Prices the request from the catalogue as it is now (`find` returns the
    /// active product, if any). Integer minor units throughout: 25 lines of
    /// 100 units at the highest price stay far inside `i64`.
    pub fn price(
        id: OrderId,
        user_id: UserId,
        request: &OrderRequest,
        find: impl Fn(&ProductId) -> Option<Product>,
        delivery: &Delivery,
        now: Timestamp,
        expires_after_seconds: i64,
    ) -> Result<Self, UnknownProducts> {
        let mut unknown = Vec::new();
        let mut items = Vec::new();
        for (i, line) in request.lines().iter().enumerate() {
            match find(&line.product_id) {
                Some(product) => items.push(OrderLine {
                    product_id: product.id,
                    name: product.name,
                    unit_price_cents: product.price_cents,
                    quantity: line.quantity,
                    line_total_cents: Cents::line(product.price_cents, line.quantity),
                }),
                None => unknown.push((i, line.product_id.clone())),
            }
        }
        if !unknown.is_empty() {
            return Err(UnknownProducts(unknown));
        }
        let subtotal: Cents = items.iter().map(|l| l.line_total_cents).sum();
        let shipping = delivery.option.cost(subtotal);
        Ok(Self {
            id,
            user_id,
            status: OrderStatus::PendingPayment,
            total_cents: Cents::parse(subtotal.get() + shipping.get()).unwrap_or(subtotal),
            subtotal_cents: subtotal,
            shipping_cents: shipping,
            shipping_address: Some(delivery.address.clone()),
            shipping_option: Some(ShippingChoice {
                id: delivery.option.id.clone(),
                name: delivery.option.name.clone(),
            }),
            items,
            currency: Currency::Usd,
            payment_id: None,
            expires_at: now.plus_seconds(expires_after_seconds),
            created_at: now,
            updated_at: now,
            fulfilment: None,
            refunded_cents: Cents::ZERO,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::{Category, Description, Stock, Version};

    pub(crate) fn delivery(amount: i64, free: Option<i64>) -> Delivery {
        use crate::domain::address::{Country, Line, OptionalLine, PostalCode};
        use crate::domain::shipping::{amount as cents, threshold};
        Delivery {
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
                id: ShippingOptionId::parse("standard").unwrap(),
                name: ShippingName::parse("Standard").unwrap(),
                countries: vec![Country::parse("GB").unwrap()],
                amount_cents: cents(amount).unwrap(),
                free_over_cents: free.map(|f| threshold(f).unwrap()),
                active: true,
            },
        }
    }

    fn line(id: &ProductId, q: i64) -> LineRequest {
        LineRequest {
            product_id: id.clone(),
            quantity: Quantity::parse(q).unwrap(),
        }
    }

    fn product(id: &ProductId, price: i64) -> Product {
        let now = Timestamp::now();
        Product {
            id: id.clone(),
            name: ProductName::parse("Thing").unwrap(),
            description: Description::default(),
            price_cents: PriceCents::parse(price).unwrap(),
            currency: Currency::Usd,
            stock: Stock::parse(10).unwrap(),
            category: Category::parse("c").unwrap(),
            created_at: now,
            updated_at: now,
            version: Version(1),
        }
    }

    #[test]
    fn quantities() {
        assert!(Quantity::parse(1).is_ok() && Quantity::parse(100).is_ok());
        assert!(
            Quantity::parse(0).is_err()
                && Quantity::parse(101).is_err()
                && Quantity::parse(-1).is_err()
        );
    }

    #[test]
    fn line_rules() {
        let a = ProductId::generate();
        let b = ProductId::generate();
        assert!(OrderRequest::parse(vec![]).is_err());
        let many: Vec<_> = (0..26).map(|_| line(&ProductId::generate(), 1)).collect();
        assert_eq!(OrderRequest::parse(many).unwrap_err()[0].field, "items");
        let ok: Vec<_> = (0..25).map(|_| line(&ProductId::generate(), 1)).collect();
        assert!(OrderRequest::parse(ok).is_ok());
        let dup = OrderRequest::parse(vec![line(&a, 1), line(&b, 2), line(&a, 3)]).unwrap_err();
        assert_eq!(dup.len(), 1);
        assert_eq!(dup[0].field, "items[2].product_id");
        assert_eq!(dup[0].product_id.as_deref(), Some(a.as_str()));
    }

    #[test]
    fn prices_from_the_catalogue_in_minor_units() {
        let (a, b) = (ProductId::generate(), ProductId::generate());
        let request = OrderRequest::parse(vec![line(&a, 3), line(&b, 1)]).unwrap();
        let now = Timestamp::now();
        let order = Order::price(
            OrderId::generate(),
            UserId::generate(),
            &request,
            |id| Some(product(id, if *id == a { 1999 } else { 100_000_000 })),
            &delivery(499, Some(5000)),
            now,
            1800,
        )
        .unwrap();
        assert_eq!(order.items[0].line_total_cents.get(), 5997);
        assert_eq!(order.total_cents.get(), 5997 + 100_000_000);
        assert_eq!(order.status, OrderStatus::PendingPayment);
        assert_eq!(order.expires_at, now.plus_seconds(1800));
        assert_eq!(order.payment_id, None);
    }

    #[test]
    fn unknown_products_are_named() {
        let (a, b) = (ProductId::generate(), ProductId::generate());
        let request = OrderRequest::parse(vec![line(&a, 1), line(&b, 1)]).unwrap();
        let err = Order::price(
            OrderId::generate(),
            UserId::generate(),
            &request,
            |id| (*id == a).then(|| product(id, 5)),
            &delivery(499, Some(5000)),
            Timestamp::now(),
            60,
        )
        .unwrap_err();
        assert_eq!(err, UnknownProducts(vec![(1, b)]));
    }

    #[test]
    fn the_largest_order_does_not_overflow() {
        let lines: Vec<_> = (0..25).map(|_| line(&ProductId::generate(), 100)).collect();
        let request = OrderRequest::parse(lines).unwrap();
        let order = Order::price(
            OrderId::generate(),
            UserId::generate(),
            &request,
            |id| Some(product(id, 100_000_000)),
            &delivery(499, Some(5000)),
            Timestamp::now(),
            60,
        )
        .unwrap();
        assert_eq!(order.total_cents.get(), 25 * 100 * 100_000_000);
    }

    #[test]
    fn only_pending_orders_are_open() {
        assert!(OrderStatus::PendingPayment.is_open());
        for s in [
            OrderStatus::Paid,
            OrderStatus::Cancelled,
            OrderStatus::Expired,
        ] {
            assert!(!s.is_open());
        }
        assert_eq!(
            serde_json::to_value(OrderStatus::PendingPayment).unwrap(),
            "pending_payment"
        );
    }

    #[test]
    fn fulfilment_values() {
        assert!(Carrier::parse("DHL Express").is_ok());
        assert!(TrackingNumber::parse("1Z 999 AA1 0123456784").is_ok());
        for bad in ["", "   ", "tab\tinside", &"c".repeat(51)] {
            assert!(Carrier::parse(bad).is_err(), "{bad:?}");
        }
        assert!(TrackingNumber::parse(&"n".repeat(101)).is_err());
        assert!(TrackingUrl::parse("https://track.example/1Z999").is_ok());
        for bad in [
            "http://track.example",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://a b",
            &format!("https://{}", "a".repeat(500)),
        ] {
            assert!(TrackingUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn postage_is_added_to_the_lines_until_they_reach_the_free_threshold() {
        let a = ProductId::generate();
        let request = OrderRequest::parse(vec![line(&a, 2)]).unwrap();
        let priced = |free| {
            Order::price(
                OrderId::generate(),
                UserId::generate(),
                &request,
                |id| Some(product(id, 1999)),
                &delivery(499, free),
                Timestamp::now(),
                60,
            )
            .unwrap()
        };
        let paying = priced(Some(5000));
        assert_eq!(
            (
                paying.subtotal_cents.get(),
                paying.shipping_cents.get(),
                paying.total_cents.get()
            ),
            (3998, 499, 4497)
        );
        let free = priced(Some(3998));
        assert_eq!(
            (free.shipping_cents.get(), free.total_cents.get()),
            (0, 3998)
        );
        assert_eq!(free.shipping_option.unwrap().id.as_str(), "standard");
        assert_eq!(free.shipping_address.unwrap().country.as_str(), "GB");
    }
}
