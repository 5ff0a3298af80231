//! Products: the catalogue rules of the contract.

pub use super::ProductId;
use super::Timestamp;
use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 2000;
pub const PRICE_MIN: i64 = 1;
pub const PRICE_MAX: i64 = 100_000_000;
pub const STOCK_MAX: i64 = 1_000_000;
pub const CATEGORY_MAX: usize = 50;

/// 1–200 characters, not only white space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductName(String);
newtype!(text ProductName);

impl ProductName {
    pub fn parse(text: &str) -> Result<Self, String> {
        let len = text.chars().count();
        if !(1..=NAME_MAX).contains(&len) {
            return Err(format!("must be 1 to {NAME_MAX} characters long"));
        }
        if text.trim().is_empty() {
            return Err("must not be blank".into());
        }
        Ok(Self(text.to_owned()))
    }
}

/// 0–2000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);
newtype!(text Description);

impl Description {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().count() > DESCRIPTION_MAX {
            return Err(format!("must be at most {DESCRIPTION_MAX} characters long"));
        }
        Ok(Self(text.to_owned()))
    }
}

/// 1–50 of `[a-z0-9-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Category(String);
newtype!(text Category);

impl Category {
    pub fn parse(text: &str) -> Result<Self, String> {
        let len = text.chars().count();
        if !(1..=CATEGORY_MAX).contains(&len) {
            return Err(format!("must be 1 to {CATEGORY_MAX} characters long"));
        }
        if !text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err("may contain only a-z, 0-9 and '-'".into());
        }
        Ok(Self(text.to_owned()))
    }
}

/// ISO 4217; v1 accepts USD only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "USD")]
    Usd,
}

impl Currency {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "USD" => Ok(Self::Usd),
            _ => Err("must be \"USD\"".into()),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Usd => "USD",
        }
    }
}

/// A price in minor units: 1–100,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PriceCents(i64);
newtype!(int PriceCents);

impl PriceCents {
    pub fn parse(value: i64) -> Result<Self, String> {
        if (PRICE_MIN..=PRICE_MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(format!(
                "must be an integer from {PRICE_MIN} to {PRICE_MAX}"
            ))
        }
    }
}

/// Units in stock: never negative. An admin writes 0–1,000,000
/// ([`Stock::settable`]), but stock given back by a cancelled or expired
/// order is never refused, so a stored count may pass that maximum and must
/// still read back (`parse`, which serde uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stock(i64);
newtype!(int Stock);

impl Stock {
    pub fn parse(value: i64) -> Result<Self, String> {
        if value >= 0 {
            Ok(Self(value))
        } else {
            Err("must not be negative".into())
        }
    }

    /// A count an admin may set: 0–1,000,000.
    pub fn settable(value: i64) -> Result<Self, String> {
        if (0..=STOCK_MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(format!("must be an integer from 0 to {STOCK_MAX}"))
        }
    }
}

/// A signed change of stock, at most the whole range in either direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockDelta(i64);
newtype!(int StockDelta);

impl StockDelta {
    pub fn parse(value: i64) -> Result<Self, String> {
        if (-STOCK_MAX..=STOCK_MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(format!(
                "must be an integer from -{STOCK_MAX} to {STOCK_MAX}"
            ))
        }
    }
}

/// The version a product is at; its `ETag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Version(pub u64);

impl Version {
    /// A strong entity tag: `"3"`.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.0)
    }

    /// Parses an `If-Match` value naming one version (`"3"`, or `3`). Weak
    /// tags cannot match for a write (RFC 9110 §13.1.1), so they are refused.
    /// Comparison is strong (§8.8.3.2): only the exact tag we send matches,
    /// so `"03"` or `"+3"` is not version 3.
    pub fn from_if_match(header: &str) -> Option<Self> {
        let tag = header.trim();
        let tag = tag
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(tag);
        let canonical =
            tag.bytes().all(|b| b.is_ascii_digit()) && (tag == "0" || !tag.starts_with('0'));
        if !canonical {
            return None;
        }
        tag.parse().ok().map(Self)
    }
}

/// A product as a client sees it (plus its version, sent as `ETag`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    pub name: ProductName,
    pub description: Description,
    pub price_cents: PriceCents,
    pub currency: Currency,
    pub stock: Stock,
    pub category: Category,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(skip_serializing)]
    #[serde(default = "initial_version")]
    pub version: Version,
}

fn initial_version() -> Version {
    Version(1)
}

/// A new product that passed every rule.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub name: ProductName,
    pub description: Description,
    pub price_cents: PriceCents,
    pub currency: Currency,
    pub stock: Stock,
    pub category: Category,
}

impl NewProduct {
    pub fn into_product(self, id: ProductId, now: Timestamp) -> Product {
        Product {
            id,
            name: self.name,
            description: self.description,
            price_cents: self.price_cents,
            currency: self.currency,
            stock: self.stock,
            category: self.category,
            created_at: now,
            updated_at: now,
            version: Version(1),
        }
    }
}

/// How a `PATCH` changes stock: to an absolute count (needs `If-Match`) or by a delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockChange {
    Set(Stock),
    Adjust(StockDelta),
}

/// A `PATCH`: any subset of the writable fields, at least one.
#[derive(Debug, Clone, Default)]
pub struct ProductPatch {
    pub name: Option<ProductName>,
    pub description: Option<Description>,
    pub price_cents: Option<PriceCents>,
    pub currency: Option<Currency>,
    pub category: Option<Category>,
    pub stock: Option<StockChange>,
}

impl ProductPatch {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.price_cents.is_none()
            && self.currency.is_none()
            && self.category.is_none()
            && self.stock.is_none()
    }

    /// An absolute stock could overwrite a concurrent order: it needs `If-Match`.
    pub fn needs_if_match(&self) -> bool {
        matches!(self.stock, Some(StockChange::Set(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(ProductName::parse("Espresso cup").is_ok());
        assert!(ProductName::parse(&"n".repeat(200)).is_ok());
        assert!(ProductName::parse(&"é".repeat(200)).is_ok());
        for bad in ["", "   ", &"n".repeat(201)] {
            assert!(ProductName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn descriptions() {
        assert!(Description::parse("").is_ok());
        assert!(Description::parse(&"d".repeat(2000)).is_ok());
        assert!(Description::parse(&"d".repeat(2001)).is_err());
    }

    #[test]
    fn categories() {
        for ok in ["a", "kitchen", "home-office", "size-42", &"c".repeat(50)] {
            assert!(Category::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Kitchen",
            "home office",
            "home_office",
            "café",
            &"c".repeat(51),
        ] {
            assert!(Category::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn currency_is_usd_only() {
        assert_eq!(Currency::parse("USD"), Ok(Currency::Usd));
        for bad in ["usd", "EUR", ""] {
            assert!(Currency::parse(bad).is_err());
        }
    }

    #[test]
    fn numbers_and_their_ranges() {
        assert!(PriceCents::parse(1).is_ok() && PriceCents::parse(100_000_000).is_ok());
        assert!(
            PriceCents::parse(0).is_err()
                && PriceCents::parse(100_000_001).is_err()
                && PriceCents::parse(-5).is_err()
        );
        assert!(Stock::settable(0).is_ok() && Stock::settable(1_000_000).is_ok());
        assert!(Stock::settable(-1).is_err() && Stock::settable(1_000_001).is_err());
        // What restocks leave above the admin's maximum still reads back.
        assert!(Stock::parse(1_000_100).is_ok() && Stock::parse(-1).is_err());
        assert!(StockDelta::parse(-1_000_000).is_ok() && StockDelta::parse(1_000_000).is_ok());
        assert!(StockDelta::parse(1_000_001).is_err() && StockDelta::parse(-1_000_001).is_err());
    }

    #[test]
    fn etags_and_if_match() {
        assert_eq!(Version(7).etag(), "\"7\"");
        assert_eq!(Version::from_if_match("\"7\""), Some(Version(7)));
        assert_eq!(Version::from_if_match(" 7 "), Some(Version(7)));
        for bad in ["W/\"7\"", "*", "\"x\"", "", "\"7"] {
            assert_eq!(Version::from_if_match(bad), None, "{bad}");
        }
        assert_eq!(Version::from_if_match("\"0\""), Some(Version(0)));
    }

    /// Found by fuzzing (domain_values): `055` matched version 55, though
    /// the only tag ever sent for it is `"55"`.
    #[test]
    fn if_match_compares_strongly() {
        for other in ["055", "\"055\"", "+55", "\"+55\"", "00", "\"\""] {
            assert_eq!(Version::from_if_match(other), None, "{other}");
        }
        assert_eq!(Version::from_if_match("55"), Some(Version(55)));
    }

    #[test]
    fn product_ids_are_ulids() {
        let id = ProductId::generate();
        assert_eq!(ProductId::parse(id.as_str()), Some(id));
        assert_eq!(ProductId::parse("../etc"), None);
    }

    #[test]
    fn patches() {
        assert!(ProductPatch::default().is_empty());
        let set = ProductPatch {
            stock: Some(StockChange::Set(Stock::parse(3).unwrap())),
            ..Default::default()
        };
        assert!(set.needs_if_match());
        let adjust = ProductPatch {
            stock: Some(StockChange::Adjust(StockDelta::parse(-3).unwrap())),
            ..Default::default()
        };
        assert!(!adjust.needs_if_match() && !adjust.is_empty());
    }

    #[test]
    fn product_json_has_the_contract_fields_and_no_version() {
        let now = Timestamp::parse("2026-11-23T14:00:00Z").unwrap();
        let p = NewProduct {
            name: ProductName::parse("Mug").unwrap(),
            description: Description::default(),
            price_cents: PriceCents::parse(1250).unwrap(),
            currency: Currency::Usd,
            stock: Stock::parse(4).unwrap(),
            category: Category::parse("kitchen").unwrap(),
        }
        .into_product(ProductId::generate(), now);
        let json = serde_json::to_value(&p).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "category",
                "created_at",
                "currency",
                "description",
                "id",
                "name",
                "price_cents",
                "stock",
                "updated_at"
            ]
        );
        assert_eq!(json["currency"], "USD");
        assert_eq!(json["price_cents"], 1250);
    }
}
