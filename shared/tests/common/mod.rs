//! Helpers for the tests that run against the local stack's emulators
//! (`make test` starts them and sets the environment).
#![allow(dead_code)]

use shared::aws::UsersTable;

/// A variable the local stack sets; missing means the tests were not started by `make test`.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: these tests run against the local stack; run them with `make test`"
        )
    })
}

pub async fn users_table() -> UsersTable {
    let sdk = shared::aws::sdk_config().await;
    UsersTable::new(aws_sdk_dynamodb::Client::new(&sdk), env("USERS_TABLE"))
}

/// A name no other test uses: each test works in its own key space.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", ulid::Ulid::new().to_string().to_lowercase())
}

pub fn event(name: &str) -> serde_json::Value {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}
