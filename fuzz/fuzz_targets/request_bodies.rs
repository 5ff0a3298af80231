//! Every endpoint's JSON body through the parser its handler uses. An
//! accepted body holds only values inside the contract's limits, holds them
//! verbatim, and parses again to the same value from its wire form; a refused
//! one is a client error with a problem document.

#![no_main]

use ferrocart_fuzz::*;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use shared::Error;
use shared::http::{notifications, orders, payments, products, users};

/// Parses `body` with `parse`; if accepted, checks it, compares it with what
/// was sent (`expected`, from the sent object) and parses its wire form again.
fn round_trip<T>(
    sent: Option<&Value>,
    parse: impl Fn(&[u8]) -> Result<T, Error>,
    check: impl Fn(&T),
    wire: impl Fn(&T) -> Value,
    expected: impl Fn(&Value) -> Value,
    body: &[u8],
) {
    let Some(value) = accepted(parse(body)) else {
        return;
    };
    check(&value);
    let form = wire(&value);
    let sent = sent.expect("an accepted body is a JSON object");
    assert_eq!(form, expected(sent), "not verbatim");
    let again = parse(form.to_string().as_bytes()).expect("the wire form of a value parses");
    assert_eq!(wire(&again), form, "round trip");
}

fn same(v: &Value) -> Value {
    v.clone()
}

fuzz_target!(|body: &[u8]| {
    let sent: Option<Value> = serde_json::from_slice(body).ok();
    let sent = sent.as_ref();

    round_trip(
        sent,
        |b| users::register_body(&json_request(b)),
        check_new_user,
        new_user_json,
        same,
        body,
    );
    round_trip(
        sent,
        |b| users::login_body(&json_request(b)),
        |(name, password)| check_login(name, password),
        |(name, password)| login_json(name, password),
        same,
        body,
    );
    round_trip(
        sent,
        |b| products::create_body(&json_request(b)),
        check_new_product,
        new_product_json,
        |v| {
            // `description` is optional and defaults to empty.
            let mut v = v.clone();
            if let Some(o) = v.as_object_mut() {
                o.entry("description").or_insert_with(|| "".into());
            }
            v
        },
        body,
    );
    round_trip(
        sent,
        |b| products::patch_body(&json_request(b)),
        check_patch,
        patch_json,
        same,
        body,
    );
    round_trip(
        sent,
        |b| orders::order_request(&json_request(b)),
        check_order,
        order_json,
        |v| {
            let mut v = v.clone();
            if let Some(items) = v["items"].as_array_mut() {
                for item in items {
                    item["product_id"] = canonical_id(&item["product_id"]);
                }
            }
            v
        },
        body,
    );
    round_trip(
        sent,
        |b| payments::payment_body(&json_request(b)),
        |(order_id, method)| {
            check_id(order_id.as_str());
            check_payment_method(method);
        },
        |(order_id, method)| payment_json(order_id.as_str(), method),
        |v| {
            let mut v = v.clone();
            v["order_id"] = canonical_id(&v["order_id"]);
            v
        },
        body,
    );
    round_trip(
        sent,
        |b| notifications::enqueue_body(&json_request(b)),
        check_notification,
        notification_json,
        same,
        body,
    );
});
