//! List cursors: an arbitrary string never opens (`400 invalid_cursor`, never
//! a panic); a sealed position opens to itself within its scope only, is
//! safe in a query string, and any one-character edit breaks it.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use shared::Error;
use shared::cursor::{CursorKey, MIN_SECRET_BYTES, Position, Scope};
use std::sync::LazyLock;

static KEY: LazyLock<CursorKey> =
    LazyLock::new(|| CursorKey::new(&[7u8; MIN_SECRET_BYTES]).expect("key"));

#[derive(Arbitrary, Debug)]
struct OwnedScope {
    route: String,
    filters: Vec<(String, String)>,
    caller: Option<String>,
}

#[derive(Arbitrary, Debug)]
enum Input {
    Open {
        cursor: String,
        scope: OwnedScope,
    },
    Seal {
        position: Position,
        scope: OwnedScope,
        other: OwnedScope,
        edit: (u16, char),
    },
    Secret(Vec<u8>),
}

fn with_scope<T>(s: &OwnedScope, f: impl FnOnce(&Scope) -> T) -> T {
    let filters: Vec<(&str, &str)> = s
        .filters
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    f(&Scope {
        route: &s.route,
        filters: &filters,
        caller: s.caller.as_deref(),
    })
}

fn same_scope(a: &OwnedScope, b: &OwnedScope) -> bool {
    a.route == b.route && a.filters == b.filters && a.caller == b.caller
}

fn invalid(result: Result<Position, Error>, what: &str) {
    match result {
        Err(Error::InvalidCursor) => {}
        other => panic!("{what}: expected invalid_cursor, got {other:?}"),
    }
}

fuzz_target!(|input: Input| {
    match input {
        Input::Open { cursor, scope } => {
            with_scope(&scope, |s| invalid(KEY.open(s, &cursor), "a forged cursor"));
        }
        Input::Seal {
            position,
            scope,
            other,
            edit: (at, ch),
        } => {
            let cursor = with_scope(&scope, |s| KEY.seal(s, &position));
            assert!(
                cursor
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')),
                "a cursor needs no escaping in a query string: {cursor}"
            );
            let opened = with_scope(&scope, |s| KEY.open(s, &cursor));
            assert_eq!(opened.ok().as_ref(), Some(&position), "round trip");
            if !same_scope(&scope, &other) {
                with_scope(&other, |s| invalid(KEY.open(s, &cursor), "another scope"));
            }
            let mut chars: Vec<char> = cursor.chars().collect();
            let i = usize::from(at) % chars.len();
            if chars[i] != ch {
                chars[i] = ch;
                let edited: String = chars.into_iter().collect();
                with_scope(&scope, |s| {
                    invalid(KEY.open(s, &edited), "an edited cursor")
                });
            }
        }
        Input::Secret(bytes) => {
            assert_eq!(
                CursorKey::new(&bytes).is_ok(),
                bytes.len() >= MIN_SECRET_BYTES
            );
        }
    }
});
