//! Shipping options: the shop's list (the active ones for shoppers, every
//! one for an admin, filtered by country), and the admin's create, replace
//! and delete. Orders keep a copy of the option they ship with, so a change
//! here never rewrites an order.

use crate::Error;
use crate::aws::ShippingOptions;
use crate::aws::shipping_options::PutRefused;
use crate::domain::Version;
use crate::domain::address::Country;
use crate::domain::shipping::{ShippingOption, ShippingOptionId};

#[derive(Clone)]
pub struct Shipping {
    pub options: ShippingOptions,
}

impl Shipping {
    /// The options serving `country` (all countries when `None`), by id;
    /// inactive ones only with `inactive`.
    pub async fn list(
        &self,
        country: Option<&Country>,
        inactive: bool,
    ) -> Result<Vec<ShippingOption>, Error> {
        Ok(self
            .options
            .list()
            .await?
            .into_iter()
            .map(|(option, _)| option)
            .filter(|o| inactive || o.active)
            .filter(|o| country.is_none_or(|c| o.serves(c)))
            .collect())
    }

    /// Creates or replaces an option. With `if_match`, only over that
    /// version (`412` otherwise); without, over whatever is stored, retried
    /// if another put wins the race.
    pub async fn put(
        &self,
        option: &ShippingOption,
        if_match: Option<Version>,
    ) -> Result<Version, Error> {
        for _ in 0..3 {
            match self.options.put(option, if_match).await? {
                Ok(version) => return Ok(version),
                Err(PutRefused::Full) => return Err(Error::TooManyShippingOptions),
                Err(PutRefused::Stale) if if_match.is_some() => {
                    return Err(Error::PreconditionFailed);
                }
                Err(PutRefused::Stale) => continue,
            }
        }
        Err(Error::PreconditionFailed)
    }

    pub async fn delete(&self, id: &ShippingOptionId) -> Result<(), Error> {
        if self.options.delete(id).await? {
            Ok(())
        } else {
            Err(Error::ShippingOptionNotFound)
        }
    }
}
