//! Addresses: a user's address book under the contract's field rules, at
//! most ten, at most one default. The book is one value changed in memory
//! and stored whole with its version, so "at most ten" and "one default"
//! hold by construction and a concurrent change is a version conflict.

use super::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

pub const MAX_ADDRESSES: usize = 10;
const LINE_MAX: usize = 100;
const POSTAL_CODE_MAX: usize = 20;
const PHONE_MAX: usize = 30;

pub use super::AddressId;

/// A line that must say something: 1–100 characters, not only white space
/// (`name`, `line1`, `city`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line(String);
newtype!(text Line);

impl Line {
    pub fn parse(text: &str) -> Result<Self, String> {
        let len = text.chars().count();
        if !(1..=LINE_MAX).contains(&len) {
            return Err(format!("must be 1 to {LINE_MAX} characters long"));
        }
        if text.trim().is_empty() {
            return Err("must not be blank".into());
        }
        Ok(Self(text.to_owned()))
    }
}

/// A line that may be empty: 0–100 characters (`line2`, `region`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OptionalLine(String);
newtype!(text OptionalLine);

impl OptionalLine {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().count() > LINE_MAX {
            return Err(format!("must be at most {LINE_MAX} characters long"));
        }
        Ok(Self(text.to_owned()))
    }
}

/// 1–20 of `[A-Za-z0-9 -]`, not only spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalCode(String);
newtype!(text PostalCode);

impl PostalCode {
    pub fn parse(text: &str) -> Result<Self, String> {
        let len = text.chars().count();
        if !(1..=POSTAL_CODE_MAX).contains(&len) {
            return Err(format!("must be 1 to {POSTAL_CODE_MAX} characters long"));
        }
        if !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            return Err("may hold only letters, digits, spaces and -".into());
        }
        if text.trim().is_empty() {
            return Err("must not be blank".into());
        }
        Ok(Self(text.to_owned()))
    }
}

static COUNTRIES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    include_str!("countries.txt")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .flat_map(str::split_whitespace)
        .collect()
});

/// Every code [`Country`] takes, sorted.
pub fn country_codes() -> &'static [&'static str] {
    &COUNTRIES
}

/// An ISO 3166-1 alpha-2 code, in capitals, from the shipped list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country(String);
newtype!(text Country);

impl Country {
    pub fn parse(text: &str) -> Result<Self, String> {
        if COUNTRIES.binary_search(&text).is_ok() {
            Ok(Self(text.to_owned()))
        } else {
            Err("must be an ISO 3166-1 alpha-2 country code in capitals, such as US".into())
        }
    }
}

/// 0–30 of `[0-9 +()-]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Phone(String);
newtype!(text Phone);

impl Phone {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().count() > PHONE_MAX {
            return Err(format!("must be at most {PHONE_MAX} characters long"));
        }
        if !text
            .chars()
            .all(|c| c.is_ascii_digit() || " +()-".contains(c))
        {
            return Err("may hold only digits, spaces and + ( ) -".into());
        }
        Ok(Self(text.to_owned()))
    }
}

/// The fields a client writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressFields {
    pub name: Line,
    pub line1: Line,
    pub line2: OptionalLine,
    pub city: Line,
    pub region: OptionalLine,
    pub postal_code: PostalCode,
    pub country: Country,
    pub phone: Option<Phone>,
}

/// What a client sees of an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub id: AddressId,
    #[serde(flatten)]
    pub fields: AddressFields,
    pub is_default: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A `PATCH`: any subset of the fields; `phone: null` removes the phone.
#[derive(Debug, Clone, Default)]
pub struct AddressPatch {
    pub name: Option<Line>,
    pub line1: Option<Line>,
    pub line2: Option<OptionalLine>,
    pub city: Option<Line>,
    pub region: Option<OptionalLine>,
    pub postal_code: Option<PostalCode>,
    pub country: Option<Country>,
    pub phone: Option<Option<Phone>>,
    pub is_default: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    #[error("an account holds at most {MAX_ADDRESSES} addresses")]
    Full,
    #[error("no such address")]
    NotFound,
}

/// A user's addresses, oldest first, with the version they were read at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressBook {
    pub addresses: Vec<Address>,
    /// 0 for a book never stored.
    pub version: u64,
}

impl AddressBook {
    /// Adds an address; the first one is the default whatever is asked,
    /// and a new default clears the old one.
    pub fn add(
        &mut self,
        fields: AddressFields,
        is_default: bool,
        now: Timestamp,
    ) -> Result<Address, BookError> {
        if self.addresses.len() >= MAX_ADDRESSES {
            return Err(BookError::Full);
        }
        let is_default = is_default || self.addresses.is_empty();
        if is_default {
            self.clear_default(now);
        }
        let address = Address {
            id: AddressId::generate(),
            fields,
            is_default,
            created_at: now,
            updated_at: now,
        };
        self.addresses.push(address.clone());
        Ok(address)
    }

    /// Applies a patch; `is_default: true` moves the default here,
    /// `false` leaves the book without one.
    pub fn update(
        &mut self,
        id: &AddressId,
        patch: AddressPatch,
        now: Timestamp,
    ) -> Result<Address, BookError> {
        let index = self
            .addresses
            .iter()
            .position(|a| &a.id == id)
            .ok_or(BookError::NotFound)?;
        if patch.is_default == Some(true) {
            self.clear_default(now);
        }
        let address = &mut self.addresses[index];
        let f = &mut address.fields;
        let p = patch;
        if let Some(v) = p.name {
            f.name = v;
        }
        if let Some(v) = p.line1 {
            f.line1 = v;
        }
        if let Some(v) = p.line2 {
            f.line2 = v;
        }
        if let Some(v) = p.city {
            f.city = v;
        }
        if let Some(v) = p.region {
            f.region = v;
        }
        if let Some(v) = p.postal_code {
            f.postal_code = v;
        }
        if let Some(v) = p.country {
            f.country = v;
        }
        if let Some(v) = p.phone {
            f.phone = v;
        }
        if let Some(v) = p.is_default {
            address.is_default = v;
        }
        address.updated_at = now;
        Ok(address.clone())
    }

    /// Removes an address; removing the default leaves none.
    pub fn remove(&mut self, id: &AddressId) -> Result<(), BookError> {
        let before = self.addresses.len();
        self.addresses.retain(|a| &a.id != id);
        if self.addresses.len() == before {
            Err(BookError::NotFound)
        } else {
            Ok(())
        }
    }

    fn clear_default(&mut self, now: Timestamp) {
        for address in self.addresses.iter_mut().filter(|a| a.is_default) {
            address.is_default = false;
            address.updated_at = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str) -> AddressFields {
        AddressFields {
            name: Line::parse(name).unwrap(),
            line1: Line::parse("1 Main Street").unwrap(),
            line2: OptionalLine::default(),
            city: Line::parse("Springfield").unwrap(),
            region: OptionalLine::default(),
            postal_code: PostalCode::parse("12345").unwrap(),
            country: Country::parse("US").unwrap(),
            phone: None,
        }
    }

    #[test]
    fn the_shipped_country_list_is_the_249_codes_sorted() {
        assert_eq!(COUNTRIES.len(), 249);
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]));
        for ok in ["US", "GB", "DE", "JP", "ZW", "AX"] {
            assert!(Country::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["us", "UK", "XX", "USA", "", "U", "EU"] {
            assert!(Country::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_rules() {
        assert!(Line::parse("").is_err());
        assert!(Line::parse("   ").is_err());
        assert!(Line::parse(&"é".repeat(100)).is_ok());
        assert!(Line::parse(&"é".repeat(101)).is_err());
        assert!(OptionalLine::parse("").is_ok());
        assert!(OptionalLine::parse(&"x".repeat(101)).is_err());
        assert!(PostalCode::parse("SW1A 1AA").is_ok());
        assert!(PostalCode::parse("12345-6789").is_ok());
        for bad in ["", " ", "12_34", "1234<", &"1".repeat(21)] {
            assert!(PostalCode::parse(bad).is_err(), "{bad}");
        }
        assert!(Phone::parse("").is_ok());
        assert!(Phone::parse("+1 (555) 010-0199").is_ok());
        assert!(Phone::parse("555 CALL").is_err());
        assert!(Phone::parse(&"1".repeat(31)).is_err());
    }

    #[test]
    fn at_most_ten_and_at_most_one_default() {
        let now = Timestamp::now();
        let mut book = AddressBook::default();
        let first = book.add(fields("first"), false, now).unwrap();
        assert!(first.is_default, "the first address is the default");
        let second = book.add(fields("second"), true, now).unwrap();
        let defaults = |book: &AddressBook| book.addresses.iter().filter(|a| a.is_default).count();
        assert_eq!(defaults(&book), 1);
        assert!(book.addresses[1].is_default);
        book.update(
            &first.id,
            AddressPatch {
                is_default: Some(true),
                ..Default::default()
            },
            now,
        )
        .unwrap();
        assert_eq!(defaults(&book), 1);
        assert!(book.addresses[0].is_default);
        book.update(
            &first.id,
            AddressPatch {
                is_default: Some(false),
                ..Default::default()
            },
            now,
        )
        .unwrap();
        assert_eq!(defaults(&book), 0);
        for i in 2..MAX_ADDRESSES {
            book.add(fields(&format!("a{i}")), false, now).unwrap();
        }
        assert_eq!(
            book.add(fields("eleventh"), false, now),
            Err(BookError::Full)
        );
        book.remove(&second.id).unwrap();
        assert_eq!(book.remove(&second.id), Err(BookError::NotFound));
        assert!(book.add(fields("tenth again"), false, now).is_ok());
        let missing = AddressId::generate();
        assert_eq!(
            book.update(&missing, AddressPatch::default(), now)
                .map(|_| ()),
            Err(BookError::NotFound)
        );
    }
}
