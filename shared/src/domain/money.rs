//! Money: integer minor units (cents) in a type of its own, so an amount
//! cannot be mixed up with a count or a stock level. Never floating point.

use super::{PriceCents, Quantity};

/// An amount of money in minor units; never negative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cents(i64);
newtype!(int Cents);

impl Cents {
    pub const ZERO: Self = Self(0);

    pub fn parse(value: i64) -> Result<Self, String> {
        if value >= 0 {
            Ok(Self(value))
        } else {
            Err("must not be negative".into())
        }
    }

    /// A line's total: the unit price times the quantity. Prices and
    /// quantities are bounded far inside `i64`.
    pub fn line(unit: PriceCents, quantity: Quantity) -> Self {
        Self(unit.get() * quantity.get())
    }
}

impl From<PriceCents> for Cents {
    fn from(price: PriceCents) -> Self {
        Self(price.get())
    }
}

impl std::iter::Sum for Cents {
    fn sum<I: Iterator<Item = Self>>(amounts: I) -> Self {
        Self(amounts.map(|c| c.0).sum())
    }
}
