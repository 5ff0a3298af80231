//! A shopper's cart: up to 25 lines of 1 to 100 units. It takes no stock
//! and holds no price: it is priced from the catalogue each time it is
//! read. Each line remembers the name and price it was added at, only to
//! show a line whose product has left the catalogue.

use super::{Cents, Currency, PriceCents, Product, ProductId, ProductName, Quantity, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const MAX_LINES: usize = 25;
/// A cart is kept this long after its last change.
pub const KEPT_SECONDS: i64 = 60 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub product_id: ProductId,
    pub quantity: Quantity,
    pub name: ProductName,
    pub unit_price_cents: PriceCents,
}

/// The cart as stored. `version` counts its changes (0: never written).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cart {
    pub lines: Vec<CartLine>,
    pub version: u64,
    pub updated_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartFull;

impl Cart {
    /// Sets the product's line to `quantity`, adding it at the end if new.
    pub fn set(&mut self, product: &Product, quantity: Quantity) -> Result<(), CartFull> {
        let line = CartLine {
            product_id: product.id.clone(),
            quantity,
            name: product.name.clone(),
            unit_price_cents: product.price_cents,
        };
        let full = self.lines.len() >= MAX_LINES;
        match self.lines.iter_mut().find(|l| l.product_id == product.id) {
            Some(existing) => *existing = line,
            None if full => return Err(CartFull),
            None => self.lines.push(line),
        }
        Ok(())
    }

    /// Removes the product's line; `false` if it had none.
    pub fn remove(&mut self, product: &ProductId) -> bool {
        let before = self.lines.len();
        self.lines.retain(|l| &l.product_id != product);
        self.lines.len() != before
    }

    /// The cart as a client sees it, priced from `catalogue` (the active
    /// products): a line is available when its product is listed and has
    /// the units; the subtotal counts the available lines.
    pub fn priced(&self, catalogue: &HashMap<ProductId, Product>) -> PricedCart {
        let items: Vec<PricedLine> = self
            .lines
            .iter()
            .map(|line| match catalogue.get(&line.product_id) {
                Some(product) => PricedLine {
                    product_id: line.product_id.clone(),
                    name: product.name.clone(),
                    unit_price_cents: product.price_cents,
                    quantity: line.quantity,
                    line_total_cents: Cents::line(product.price_cents, line.quantity),
                    available: product.stock.get() >= line.quantity.get(),
                },
                None => PricedLine {
                    product_id: line.product_id.clone(),
                    name: line.name.clone(),
                    unit_price_cents: line.unit_price_cents,
                    quantity: line.quantity,
                    line_total_cents: Cents::line(line.unit_price_cents, line.quantity),
                    available: false,
                },
            })
            .collect();
        PricedCart {
            subtotal_cents: items
                .iter()
                .filter(|l| l.available)
                .map(|l| l.line_total_cents)
                .sum(),
            items,
            currency: Currency::Usd,
            version: self.version,
            updated_at: self.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PricedLine {
    pub product_id: ProductId,
    pub name: ProductName,
    pub unit_price_cents: PriceCents,
    pub quantity: Quantity,
    pub line_total_cents: Cents,
    pub available: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PricedCart {
    pub items: Vec<PricedLine>,
    pub subtotal_cents: Cents,
    pub currency: Currency,
    pub version: u64,
    /// `null` for a cart never written.
    pub updated_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Category, Description, Stock, Version};

    fn product(price: i64, stock: i64) -> Product {
        let now = Timestamp::now();
        Product {
            id: ProductId::generate(),
            name: ProductName::parse("Cup").unwrap(),
            description: Description::parse("").unwrap(),
            price_cents: PriceCents::parse(price).unwrap(),
            currency: Currency::Usd,
            stock: Stock::parse(stock).unwrap(),
            category: Category::parse("kitchen").unwrap(),
            created_at: now,
            updated_at: now,
            version: Version(1),
        }
    }

    #[test]
    fn a_cart_is_priced_now_and_short_or_gone_lines_are_unavailable() {
        let (cup, mug, gone) = (product(500, 10), product(800, 1), product(300, 5));
        let mut cart = Cart::default();
        cart.set(&cup, Quantity::parse(2).unwrap()).unwrap();
        cart.set(&mug, Quantity::parse(3).unwrap()).unwrap();
        cart.set(&gone, Quantity::parse(1).unwrap()).unwrap();
        let mut cheaper = cup.clone();
        cheaper.price_cents = PriceCents::parse(450).unwrap();
        let catalogue = HashMap::from([(cup.id.clone(), cheaper), (mug.id.clone(), mug.clone())]);
        let priced = cart.priced(&catalogue);
        let available: Vec<bool> = priced.items.iter().map(|l| l.available).collect();
        assert_eq!(available, [true, false, false]);
        assert_eq!(priced.items[0].line_total_cents.get(), 900, "today's price");
        assert_eq!(
            priced.items[2].unit_price_cents.get(),
            300,
            "as it was added"
        );
        assert_eq!(priced.subtotal_cents.get(), 900);
    }

    #[test]
    fn a_cart_holds_25_lines_and_setting_a_line_again_replaces_it() {
        let mut cart = Cart::default();
        let first = product(100, 1);
        for i in 0..MAX_LINES {
            let p = if i == 0 {
                first.clone()
            } else {
                product(100, 1)
            };
            cart.set(&p, Quantity::parse(1).unwrap()).unwrap();
        }
        assert_eq!(
            cart.set(&product(100, 1), Quantity::parse(1).unwrap()),
            Err(CartFull)
        );
        cart.set(&first, Quantity::parse(7).unwrap()).unwrap();
        assert_eq!(cart.lines[0].quantity.get(), 7);
        assert!(cart.remove(&first.id));
        assert!(!cart.remove(&first.id));
        assert_eq!(cart.lines.len(), MAX_LINES - 1);
    }
}
