//! Every sample event in `events/` is accepted by its function: the events
//! are made real on the test stack (fixtures, tokens) and invoked through
//! cargo lambda watch, as `cargo lambda invoke --data-file` would.

use dev::events::{CONSUMER_FAILURES, expected_status, generate, invoke, read_all};
use serde_json::Value;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: this test runs against the local stack; run it with `make test`")
    })
}

/// Same keys at every level: generating may change values, never the shape.
fn same_shape(committed: &Value, generated: &Value, at: &str) {
    match (committed, generated) {
        (Value::Object(a), Value::Object(b)) => {
            let keys_a: Vec<_> = a.keys().collect();
            let keys_b: Vec<_> = b.keys().collect();
            assert_eq!(keys_a, keys_b, "keys at {at}");
            for (key, value) in a {
                same_shape(value, &b[key], &format!("{at}/{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "length at {at}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same_shape(x, y, &format!("{at}/{i}"));
            }
        }
        (a, b) => assert_eq!(
            std::mem::discriminant(a),
            std::mem::discriminant(b),
            "type at {at}"
        ),
    }
}

#[tokio::test]
async fn every_sample_event_is_accepted_by_its_function() {
    let api = env("FERROCART_API_URL");
    let dir = dev::root().join("events");
    let committed = read_all(&dir).unwrap();
    let generated = generate(&api, &dir).await.unwrap();
    let binaries: Vec<String> = std::fs::read_dir(dev::root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(generated.len(), binaries.len(), "one event per function");
    for (function, event) in &generated {
        same_shape(&committed[function], event, function);
        let answer = invoke(&api, function, event)
            .await
            .unwrap_or_else(|e| panic!("{function}: {e}"));
        match (function.as_str(), expected_status(function)) {
            (_, Some(status)) => {
                assert_eq!(answer["statusCode"], status, "{function} answered {answer}")
            }
            ("send-notification", None) => {
                let mut failed: Vec<&str> = answer["batchItemFailures"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{function} answered {answer}"))
                    .iter()
                    .filter_map(|f| f["itemIdentifier"].as_str())
                    .collect();
                failed.sort();
                assert_eq!(failed, CONSUMER_FAILURES, "{function} answered {answer}");
            }
            // The scheduled sweepers answer a summary of what they did.
            (_, None) => assert!(answer.is_object(), "{function} answered {answer}"),
        }
    }
}
