//! The domain newtypes alone: each constructor accepts exactly what the
//! contract allows, an accepted value survives its serde round trip (the form
//! it is stored and answered in) unchanged, and nothing panics.

#![no_main]

use arbitrary::Arbitrary;
use ferrocart_fuzz::*;
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::domain::notification::{Channel, MessageText, Subject, escape_html, format_usd};
use shared::domain::payment::PaymentMethod;
use shared::domain::product::{PRICE_MAX, PRICE_MIN, STOCK_MAX};
use shared::domain::{
    Category, Currency, Description, Email, LoginName, OrderId, Password, PaymentId, PriceCents,
    ProductId, ProductName, Quantity, Stock, StockDelta, Timestamp, UserId, Username, Version,
};
use shared::idempotency::{IdempotencyKey, KEY_MAX};
use std::fmt::Debug;

#[derive(Arbitrary, Debug)]
enum Input {
    Username(String),
    Email(String),
    Password(String),
    LoginName(String),
    ProductName(String),
    Description(String),
    Category(String),
    Currency(String),
    Price(i64),
    Stock(i64),
    StockDelta(i64),
    Quantity(i64),
    Id(String),
    PaymentMethod(String),
    Subject(String),
    Message(String),
    Channel(String),
    Timestamp(String),
    UnixSeconds(i64),
    Shift(i64, i64),
    IfMatch(String),
    IdempotencyKey(String),
    Money(i64),
    Html(String),
}

/// Stored and answered as JSON: deserialising the serialised value gives it back.
fn serde_round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) -> Value {
    let json = serde_json::to_value(value).expect("a domain value serialises");
    let back: T = serde_json::from_value(json.clone()).expect("its JSON deserialises");
    assert_eq!(&back, value);
    json
}

/// A text newtype: accepted iff the contract's rule holds, stored as the
/// very string that was sent, and deserialising a string checks the rule too.
fn text<T, E: Debug>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, E>,
    as_str: impl Fn(&T) -> &str,
    check: impl Fn(&T),
) where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let parsed = parse(text);
    let from_json = serde_json::from_value::<T>(Value::String(text.to_owned()));
    assert_eq!(parsed.is_ok(), from_json.is_ok(), "{text:?}");
    if let Ok(value) = parsed {
        check(&value);
        assert_eq!(as_str(&value), text);
        assert_eq!(serde_round_trip(&value), Value::String(text.to_owned()));
        assert_eq!(parse(as_str(&value)).ok(), Some(value));
    }
}

/// An integer newtype: accepted iff inside `range`, stored as the number.
fn number<T, E: Debug>(
    n: i64,
    range: std::ops::RangeInclusive<i64>,
    parse: impl Fn(i64) -> Result<T, E>,
    get: impl Fn(&T) -> i64,
) where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let parsed = parse(n);
    assert_eq!(parsed.is_ok(), range.contains(&n), "{n}");
    assert_eq!(
        serde_json::from_value::<T>(n.into()).is_ok(),
        parsed.is_ok(),
        "{n}"
    );
    if let Ok(value) = parsed {
        assert_eq!(get(&value), n);
        assert_eq!(serde_round_trip(&value), Value::from(n));
    }
}

fn id<T>(s: &str, parse: impl Fn(&str) -> Option<T>, as_str: impl Fn(&T) -> &str)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let parsed = parse(s);
    // A ULID: 26 Crockford base-32 characters, any case, at most 128 bits
    // (so the first is 0-7).
    const CROCKFORD: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let rule = s.len() == 26
        && s.bytes()
            .all(|b| CROCKFORD.contains(b.to_ascii_uppercase() as char))
        && (b'0'..=b'7').contains(&s.as_bytes()[0]);
    assert_eq!(parsed.is_some(), rule, "{s:?}");
    assert_eq!(
        serde_json::from_value::<T>(Value::String(s.to_owned())).ok(),
        parsed
    );
    if let Some(value) = parsed {
        check_id(as_str(&value));
        assert!(
            as_str(&value).eq_ignore_ascii_case(s),
            "{s:?} became {}",
            as_str(&value)
        );
        serde_round_trip(&value);
        assert_eq!(parse(as_str(&value)), Some(value));
    }
}

fn timestamp(t: Timestamp) {
    let text = t.to_string();
    // 2026-11-23T14:34:59.123Z: RFC 3339, UTC, milliseconds.
    let b = text.as_bytes();
    assert_eq!(b.len(), 24, "{text}");
    for (i, c) in b.iter().enumerate() {
        match i {
            4 | 7 => assert_eq!(*c, b'-', "{text}"),
            10 => assert_eq!(*c, b'T', "{text}"),
            13 | 16 => assert_eq!(*c, b':', "{text}"),
            19 => assert_eq!(*c, b'.', "{text}"),
            23 => assert_eq!(*c, b'Z', "{text}"),
            _ => assert!(c.is_ascii_digit(), "{text}"),
        }
    }
    assert_eq!(Timestamp::parse(&text), Some(t), "{text}");
    assert_eq!(serde_round_trip(&t), Value::String(text));
    assert_eq!(
        Timestamp::from_unix(t.unix_seconds()).map(|u| u.unix_seconds()),
        Some(t.unix_seconds())
    );
}

fuzz_target!(|input: Input| {
    match input {
        Input::Username(s) => text(&s, Username::parse, Username::as_str, check_username),
        Input::Email(s) => {
            text(&s, Email::parse, Email::as_str, check_email);
            if let Ok(e) = Email::parse(&s) {
                assert_eq!(e.key(), s.to_lowercase());
            }
        }
        Input::Password(s) => {
            if let Ok(p) = Password::parse(&s) {
                check_password(&p);
                assert_eq!(p.expose(), s);
            } else {
                let n = chars(&s);
                assert!(!(8..=128).contains(&n) || shared::domain::user::is_common_password(&s));
            }
        }
        Input::LoginName(s) => {
            for name in [LoginName::Username(s.clone()), LoginName::Email(s.clone())] {
                assert_eq!(name.key(), s.to_lowercase());
            }
        }
        Input::ProductName(s) => text(
            &s,
            ProductName::parse,
            ProductName::as_str,
            check_product_name,
        ),
        Input::Description(s) => text(
            &s,
            Description::parse,
            Description::as_str,
            check_description,
        ),
        Input::Category(s) => text(&s, Category::parse, Category::as_str, check_category),
        Input::Currency(s) => {
            assert_eq!(Currency::parse(&s).is_ok(), s == "USD");
            assert_eq!(
                serde_json::from_value::<Currency>(Value::String(s.clone())).is_ok(),
                s == "USD"
            );
            if let Ok(c) = Currency::parse(&s) {
                assert_eq!(serde_round_trip(&c), Value::String(c.code().into()));
            }
        }
        Input::Price(n) => number(n, PRICE_MIN..=PRICE_MAX, PriceCents::parse, PriceCents::get),
        Input::Stock(n) => {
            // Stored stock may pass what an admin can set (restocks).
            number(n, 0..=i64::MAX, Stock::parse, Stock::get);
            assert_eq!(Stock::settable(n).is_ok(), (0..=STOCK_MAX).contains(&n), "{n}");
        }
        Input::StockDelta(n) => {
            let parsed = StockDelta::parse(n);
            assert_eq!(parsed.is_ok(), (-STOCK_MAX..=STOCK_MAX).contains(&n), "{n}");
            if let Ok(d) = parsed {
                assert_eq!(d.get(), n);
            }
        }
        Input::Quantity(n) => number(n, 1..=100, Quantity::parse, Quantity::get),
        Input::Id(s) => {
            id(&s, UserId::parse, UserId::as_str);
            id(&s, ProductId::parse, ProductId::as_str);
            id(&s, OrderId::parse, OrderId::as_str);
            id(&s, PaymentId::parse, PaymentId::as_str);
        }
        Input::PaymentMethod(s) => {
            let rule = (4..=255).contains(&s.len())
                && s.starts_with("pm_")
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            let parsed = PaymentMethod::parse(&s);
            assert_eq!(parsed.is_ok(), rule, "{s:?}");
            if let Ok(m) = parsed {
                check_payment_method(&m);
                assert_eq!(m.as_str(), s);
            }
        }
        Input::Subject(s) => {
            if let Ok(subject) = Subject::parse(&s) {
                check_subject(&subject);
                assert_eq!(subject.as_str(), s);
                serde_round_trip(&subject);
            }
        }
        Input::Message(s) => {
            if let Ok(m) = MessageText::parse(&s) {
                check_message(&m);
                assert_eq!(m.as_str(), s);
                serde_round_trip(&m);
            }
        }
        Input::Channel(s) => assert_eq!(Channel::parse(&s).is_ok(), s == "email"),
        Input::Timestamp(s) => {
            if let Some(t) = Timestamp::parse(&s) {
                timestamp(t);
            }
            // Stored records are read with the same rule.
            let _ = serde_json::from_value::<Timestamp>(Value::String(s));
        }
        Input::UnixSeconds(n) => {
            if let Some(t) = Timestamp::from_unix(n) {
                assert_eq!(t.unix_seconds(), n);
                timestamp(t);
            }
        }
        Input::Shift(start, by) => {
            if let Some(t) = Timestamp::from_unix(start) {
                let moved = t.plus_seconds(by);
                timestamp(moved);
                if let Some(exact) = start.checked_add(by).and_then(Timestamp::from_unix) {
                    assert_eq!(moved.unix_seconds(), exact.unix_seconds());
                }
            }
        }
        Input::IfMatch(s) => {
            if let Some(v) = Version::from_if_match(&s) {
                // Strong comparison (RFC 9110 §8.8.3.2): only the tag we sent, quoted or bare.
                let tag = v.etag();
                let bare = tag.trim_matches('"');
                let sent = s.trim();
                assert!(sent == tag || sent == bare, "{s:?} matched {tag}");
                assert_eq!(Version::from_if_match(&tag), Some(v));
            }
        }
        Input::IdempotencyKey(s) => {
            let rule = (1..=KEY_MAX).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic());
            let parsed = IdempotencyKey::parse(&s);
            assert_eq!(parsed.is_ok(), rule, "{s:?}");
            if let Ok(k) = parsed {
                assert_eq!(k.as_str(), s);
            }
        }
        Input::Money(cents) => {
            // `$1,234.56`: back to the same number of cents.
            let text = format_usd(cents);
            let negative = text.starts_with('-');
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            let (dollars, minor) = text.rsplit_once('.').expect("a decimal point");
            assert_eq!(minor.len(), 2, "{text}");
            assert!(dollars.trim_start_matches('-').starts_with('$'), "{text}");
            let magnitude: u128 = digits.parse().expect("digits");
            let back = if negative {
                -(magnitude as i128)
            } else {
                magnitude as i128
            };
            assert_eq!(back, i128::from(cents), "{text}");
            assert_eq!(negative, cents < 0, "{text}");
        }
        Input::Html(s) => {
            let escaped = escape_html(&s);
            assert!(!escaped.contains(['<', '>', '"', '\'']), "{escaped}");
            let back = escaped
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            assert_eq!(back, s);
        }
    }
});
