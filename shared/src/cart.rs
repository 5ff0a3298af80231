//! The server cart: read (priced from the catalogue now), set or remove a
//! line, empty it. Each change reads the cart, applies the domain's rules
//! and writes it back conditioned on the version it read: with `If-Match`
//! a stale version is `412`; without, a change that lost a race is applied
//! again on the newer cart, so none is lost.

use crate::Error;
use crate::FieldError;
use crate::aws::{Carts, ProductsTable};
use crate::domain::cart::{Cart, CartFull, PricedCart};
use crate::domain::{ProductId, Quantity, Timestamp, UserId};

/// Writes lost to concurrent changes before the cart gives up (`409`).
const ATTEMPTS: u32 = 12;

#[derive(Clone)]
pub struct CartService {
    pub carts: Carts,
    pub products: ProductsTable,
}

enum Change<'a> {
    Set(&'a ProductId, Quantity),
    Remove(&'a ProductId),
    Clear,
}

impl CartService {
    pub async fn get(&self, user: &UserId) -> Result<PricedCart, Error> {
        let cart = self.carts.get(user, Timestamp::now()).await?;
        self.priced(&cart).await
    }

    /// Sets the product's line to `quantity` units. An unknown or archived
    /// product is `422 unknown_product`; a 26th line `409 cart_full`.
    pub async fn set(
        &self,
        user: &UserId,
        product: &ProductId,
        quantity: Quantity,
        if_match: Option<u64>,
    ) -> Result<PricedCart, Error> {
        self.change(user, Change::Set(product, quantity), if_match)
            .await
    }

    /// Removes the product's line (no line: the cart as it is).
    pub async fn remove(
        &self,
        user: &UserId,
        product: &ProductId,
        if_match: Option<u64>,
    ) -> Result<PricedCart, Error> {
        self.change(user, Change::Remove(product), if_match).await
    }

    /// Empties the cart.
    pub async fn clear(&self, user: &UserId, if_match: Option<u64>) -> Result<(), Error> {
        self.change(user, Change::Clear, if_match).await.map(|_| ())
    }

    async fn change(
        &self,
        user: &UserId,
        change: Change<'_>,
        if_match: Option<u64>,
    ) -> Result<PricedCart, Error> {
        let product = match &change {
            Change::Set(id, _) => Some(self.products.get(id).await?.ok_or_else(|| unknown(id))?),
            _ => None,
        };
        for attempt in 0..ATTEMPTS {
            let now = Timestamp::now();
            let mut cart = self.carts.get(user, now).await?;
            if if_match.is_some_and(|v| v != cart.version) {
                return Err(Error::PreconditionFailed);
            }
            let changed = match (&change, &product) {
                (Change::Set(_, quantity), Some(product)) => {
                    cart.set(product, *quantity)
                        .map_err(|CartFull| Error::CartFull)?;
                    true
                }
                (Change::Remove(id), _) => cart.remove(id),
                (Change::Clear, _) => {
                    let had = !cart.lines.is_empty();
                    cart.lines.clear();
                    had
                }
                _ => return Err(Error::internal("changing a cart")("no product read")),
            };
            if !changed {
                return self.priced(&cart).await;
            }
            if self.carts.put(user, &cart, now).await? {
                cart.version += 1;
                cart.updated_at = Some(now);
                return self.priced(&cart).await;
            }
            if if_match.is_some() {
                return Err(Error::PreconditionFailed);
            }
            // Full jitter, doubling up to 320 ms: racing writers spread out.
            let ceiling = 10u64 << attempt.min(5);
            let wait = (ulid::Ulid::new().random() as u64) % ceiling;
            tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        }
        Err(Error::CartBusy)
    }

    async fn priced(&self, cart: &Cart) -> Result<PricedCart, Error> {
        let ids: Vec<ProductId> = cart.lines.iter().map(|l| l.product_id.clone()).collect();
        let catalogue = if ids.is_empty() {
            Default::default()
        } else {
            self.products.get_many(&ids).await?
        };
        Ok(cart.priced(&catalogue))
    }
}

fn unknown(id: &ProductId) -> Error {
    Error::UnknownProduct(vec![
        FieldError::new("product_id", "is not a product that can be ordered")
            .for_product(id.as_str()),
    ])
}
