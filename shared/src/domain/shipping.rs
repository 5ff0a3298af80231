//! Shipping options: what a parcel to a country costs, and the subtotal
//! from which it ships free. Named by the admin (`standard`, `express`).

use super::Cents;
use super::address::Country;
use super::order::printable;
use serde::{Deserialize, Serialize};

/// An option's id, chosen by the admin: 1 to 50 of `a-z`, `0-9` and `-`,
/// starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShippingOptionId(String);
newtype!(text ShippingOptionId);

impl ShippingOptionId {
    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = (1..=50).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err("must be 1 to 50 of a-z, 0-9 and -, starting with a letter or digit".into())
        }
    }
}

/// What the shopper reads: 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingName(String);
newtype!(text ShippingName);

impl ShippingName {
    pub fn parse(text: &str) -> Result<Self, String> {
        printable(text, 100).map(|t| Self(t.to_owned()))
    }
}

/// The most a parcel may cost: the catalogue's highest price.
pub const AMOUNT_MAX: i64 = super::product::PRICE_MAX;
/// How many options the shop keeps at most.
pub const MAX_OPTIONS: usize = 50;
/// How many countries one option names at most (every ISO 3166-1 code).
pub const MAX_COUNTRIES: usize = 250;

/// A postage amount: 0 (free) to [`AMOUNT_MAX`] cents.
pub fn amount(value: i64) -> Result<Cents, String> {
    if (0..=AMOUNT_MAX).contains(&value) {
        Cents::parse(value)
    } else {
        Err(format!("must be 0 to {AMOUNT_MAX} cents"))
    }
}

/// The subtotal from which a parcel ships free: 1 cent or more.
pub fn threshold(value: i64) -> Result<Cents, String> {
    if (1..=super::refund::MAX_CENTS).contains(&value) {
        Cents::parse(value)
    } else {
        Err(format!("must be 1 to {} cents", super::refund::MAX_CENTS))
    }
}

/// The countries an option serves: 1 or more, each once, in the order given.
pub fn countries(codes: Vec<Country>) -> Result<Vec<Country>, String> {
    if codes.is_empty() {
        return Err("must name at least one country".into());
    }
    for (i, code) in codes.iter().enumerate() {
        if codes[..i].contains(code) {
            return Err(format!("names {} twice", code.as_str()));
        }
    }
    Ok(codes)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingOption {
    pub id: ShippingOptionId,
    pub name: ShippingName,
    pub countries: Vec<Country>,
    pub amount_cents: Cents,
    pub free_over_cents: Option<Cents>,
    pub active: bool,
}

impl ShippingOption {
    pub fn serves(&self, country: &Country) -> bool {
        self.countries.contains(country)
    }

    /// What the parcel costs for items worth `subtotal`: nothing once they
    /// reach `free_over_cents`.
    pub fn cost(&self, subtotal: Cents) -> Cents {
        match self.free_over_cents {
            Some(free) if subtotal >= free => Cents::ZERO,
            _ => self.amount_cents,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(free: Option<i64>) -> ShippingOption {
        ShippingOption {
            id: ShippingOptionId::parse("standard").unwrap(),
            name: ShippingName::parse("Standard").unwrap(),
            countries: vec![Country::parse("US").unwrap()],
            amount_cents: amount(499).unwrap(),
            free_over_cents: free.map(|f| threshold(f).unwrap()),
            active: true,
        }
    }

    #[test]
    fn ids_are_slugs() {
        for ok in ["standard", "express-2", "0day"] {
            assert!(ShippingOptionId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x", "Express", "a b", "é", &"a".repeat(51)] {
            assert!(ShippingOptionId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_parcel_ships_free_from_the_threshold_on() {
        let o = option(Some(5000));
        assert_eq!(o.cost(Cents::parse(4999).unwrap()).get(), 499);
        assert_eq!(o.cost(Cents::parse(5000).unwrap()).get(), 0);
        assert_eq!(
            option(None).cost(Cents::parse(1_000_000).unwrap()).get(),
            499
        );
    }

    #[test]
    fn countries_are_named_once() {
        let us = Country::parse("US").unwrap();
        assert!(countries(vec![]).is_err());
        assert!(countries(vec![us.clone(), us.clone()]).is_err());
        assert_eq!(countries(vec![us.clone()]), Ok(vec![us]));
    }
}
