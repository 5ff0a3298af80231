//! Opaque list cursors: a position in a DynamoDB listing, HMAC-SHA256-signed
//! and bound to the route, its filters and (for per-user lists) the caller.
//! A forged, edited or foreign cursor fails to open: `400 invalid_cursor`.

use crate::Error;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::hmac;
use std::collections::BTreeMap;

/// Where a listing resumes: DynamoDB's `LastEvaluatedKey`, as strings.
pub type Position = BTreeMap<String, String>;

/// What a cursor is valid for.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub route: &'a str,
    pub filters: &'a [(&'a str, &'a str)],
    pub caller: Option<&'a str>,
}

pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Clone)]
pub struct CursorKey(hmac::Key);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(***)")
    }
}

impl CursorKey {
    /// A key from configuration: at least 32 bytes of secret.
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the cursor secret must be at least {MIN_SECRET_BYTES} bytes"
            ));
        }
        Ok(Self(hmac::Key::new(hmac::HMAC_SHA256, secret)))
    }

    fn signed_input(scope: &Scope, payload: &str) -> Vec<u8> {
        // JSON keeps the parts unambiguous: no separator can be smuggled in.
        serde_json::to_vec(&("v1", scope.route, scope.filters, scope.caller, payload))
            .unwrap_or_default()
    }

    pub fn seal(&self, scope: &Scope, position: &Position) -> String {
        let payload = B64.encode(serde_json::to_vec(position).unwrap_or_default());
        let tag = hmac::sign(&self.0, &Self::signed_input(scope, &payload));
        format!("{payload}.{}", B64.encode(tag.as_ref()))
    }

    pub fn open(&self, scope: &Scope, cursor: &str) -> Result<Position, Error> {
        let invalid = || Error::InvalidCursor;
        let (payload, tag) = cursor.split_once('.').ok_or_else(invalid)?;
        let tag = B64.decode(tag).map_err(|_| invalid())?;
        hmac::verify(&self.0, &Self::signed_input(scope, payload), &tag).map_err(|_| invalid())?;
        let json = B64.decode(payload).map_err(|_| invalid())?;
        serde_json::from_slice(&json).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: Scope = Scope {
        route: "GET /products",
        filters: &[("category", "kitchen")],
        caller: None,
    };

    fn key() -> CursorKey {
        CursorKey::new(&[7u8; 32]).unwrap()
    }

    fn position() -> Position {
        Position::from([
            ("pk".to_owned(), "PRODUCT#1".to_owned()),
            ("sk".to_owned(), "PRODUCT".to_owned()),
        ])
    }

    #[test]
    fn round_trips_within_its_scope() {
        let cursor = key().seal(&ROUTE, &position());
        assert_eq!(key().open(&ROUTE, &cursor).unwrap(), position());
    }

    #[test]
    fn refuses_other_routes_filters_callers_and_keys() {
        let cursor = key().seal(&ROUTE, &position());
        let other_route = Scope {
            route: "GET /orders",
            ..ROUTE
        };
        let other_filter = Scope {
            filters: &[("category", "garden")],
            ..ROUTE
        };
        let no_filter = Scope {
            filters: &[],
            ..ROUTE
        };
        let caller = Scope {
            caller: Some("u1"),
            ..ROUTE
        };
        for scope in [other_route, other_filter, no_filter, caller] {
            assert!(
                matches!(key().open(&scope, &cursor), Err(Error::InvalidCursor)),
                "{scope:?}"
            );
        }
        let other_key = CursorKey::new(&[8u8; 32]).unwrap();
        assert!(matches!(
            other_key.open(&ROUTE, &cursor),
            Err(Error::InvalidCursor)
        ));
    }

    #[test]
    fn refuses_edits_and_garbage() {
        let cursor = key().seal(&ROUTE, &position());
        let (payload, tag) = cursor.split_once('.').unwrap();
        let mut edited = position();
        edited.insert("pk".into(), "PRODUCT#2".into());
        let forged_payload = B64.encode(serde_json::to_vec(&edited).unwrap());
        for bad in [
            format!("{forged_payload}.{tag}"),
            format!("{payload}.{}", B64.encode([0u8; 32])),
            format!("{payload}x.{tag}"),
            payload.to_owned(),
            String::new(),
            ".".into(),
            "%%%.%%%".into(),
            "a.b.c".into(),
        ] {
            assert!(
                matches!(key().open(&ROUTE, &bad), Err(Error::InvalidCursor)),
                "{bad}"
            );
        }
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(CursorKey::new(b"too short").is_err());
    }
}
