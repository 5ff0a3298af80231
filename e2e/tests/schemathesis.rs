//! Schemathesis generates requests from `openapi.yaml` and checks every answer
//! of the running API against it: no 5xx, only documented status codes and
//! content types, and bodies that match their schemas. It runs twice, as a
//! customer and as the admin, over every operation, following the spec's
//! links (create a product → order it → pay, and so on).

use e2e::{admin_token, api, login, register};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";
/// Test cases per operation and phase; the coverage and stateful phases add theirs.
const MAX_EXAMPLES: &str = "40";
/// One worker per run: Hypothesis parses lambda sources with `ast`, which
/// CPython 3.11 (the machine's Python) does not do safely from several threads
/// ("AST constructor recursion depth mismatch"). The two runs go at once instead.
const WORKERS: &str = "1";
const SEED: &str = "20261123";
/// Requests both runs must send together, and each run to every operation.
const MIN_TOTAL: usize = 1000;
const MIN_PER_OPERATION: usize = 10;
const TIME_LIMIT: Duration = Duration::from_secs(300);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e/ is in the workspace")
        .to_path_buf()
}

/// (method, path template) of every operation in `openapi.yaml`.
fn operations() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("openapi.yaml")).expect("openapi.yaml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("openapi.yaml is YAML");
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        for (method, _) in item.as_mapping().expect("a path item") {
            let method = method.as_str().unwrap_or_default().to_uppercase();
            if ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                operations.push((method, path.as_str().unwrap_or_default().to_owned()));
            }
        }
    }
    operations
}

/// Whether a concrete request path is an instance of `template` (`{id}` matches one segment).
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}') && !p.is_empty()))
}

/// Requests per operation in a HAR file; requests no operation describes count under `other`.
fn count_requests(har: &Path, operations: &[(String, String)]) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(har).unwrap_or_else(|e| panic!("{}: {e}", har.display()));
    let doc: Value = serde_json::from_str(&text).expect("a HAR document");
    let mut counts: BTreeMap<String, usize> = operations
        .iter()
        .map(|(m, p)| (format!("{m} {p}"), 0))
        .collect();
    for entry in doc["log"]["entries"].as_array().expect("HAR entries") {
        let method = entry["request"]["method"].as_str().unwrap_or_default();
        let url = entry["request"]["url"].as_str().unwrap_or_default();
        let path = url
            .strip_prefix(&api())
            .unwrap_or(url)
            .split(['?', '#'])
            .next()
            .unwrap_or_default();
        // A concrete path can fit two templates only if one is literal, so try those first.
        let mut candidates: Vec<_> = operations
            .iter()
            .filter(|(m, t)| m == method && matches(t, path))
            .collect();
        candidates.sort_by_key(|(_, t)| t.matches('{').count());
        let key = candidates
            .first()
            .map(|(m, t)| format!("{m} {t}"))
            .unwrap_or_else(|| "other".to_owned());
        *counts.entry(key).or_default() += 1;
    }
    counts
}

struct Outcome {
    name: &'static str,
    success: bool,
    output: String,
    counts: BTreeMap<String, usize>,
}

async fn run(name: &'static str, token: String, st: String) -> Outcome {
    let dir = PathBuf::from(std::env::var("FERROCART_STACK_DIR").expect("make test sets it"))
        .join("schemathesis")
        .join(name);
    std::fs::create_dir_all(&dir).expect("a report directory");
    let har = dir.join("requests.har");
    let _ = std::fs::remove_file(&har);
    let child = tokio::process::Command::new(&st)
        // Hypothesis keeps its files out of the tree.
        .current_dir(&dir)
        .env("PYTHONPATH", root().join("e2e"))
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .arg("run")
        .arg(root().join("openapi.yaml"))
        .args(["--url", &api()])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", CHECKS])
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--seed", SEED])
        .arg("--generation-deterministic")
        .args(["--workers", WORKERS])
        .args(["--request-timeout", "30"])
        .args(["--report", "har"])
        .arg("--report-har-path")
        .arg(&har)
        .arg("--no-color")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(TIME_LIMIT, child)
        .await
        .unwrap_or_else(|_| panic!("schemathesis ({name}) ran longer than {TIME_LIMIT:?}"))
        .unwrap_or_else(|e| panic!("cannot run {st}: {e}"));
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let counts = if har.exists() {
        count_requests(&har, &operations())
    } else {
        BTreeMap::new()
    };
    Outcome {
        name,
        success: out.status.success(),
        output,
        counts,
    }
}

#[test]
fn path_templates_match_one_segment_each() {
    assert!(matches("/orders/{id}", "/orders/01ABC"));
    assert!(matches("/orders/{id}/cancel", "/orders/x/cancel"));
    assert!(!matches("/orders/{id}", "/orders/"));
    assert!(!matches("/orders/{id}", "/orders/a/b"));
    assert!(!matches("/orders", "/orders/a"));
}

#[tokio::test]
async fn the_api_conforms_to_openapi_yaml() {
    let st = std::env::var("FERROCART_SCHEMATHESIS")
        .expect("FERROCART_SCHEMATHESIS is not set: run the end-to-end tests with `make test`");
    let (name, _) = register().await;
    let customer = login(&name).await;
    let admin = admin_token().await;
    let started = Instant::now();
    let (as_customer, as_admin) = tokio::join!(
        run("customer", customer, st.clone()),
        run("admin", admin, st)
    );
    let elapsed = started.elapsed();
    let operations = operations();
    let mut total = 0;
    let mut report = format!("schemathesis, both runs at once: {elapsed:.0?}\n");
    for outcome in [&as_customer, &as_admin] {
        let sent: usize = outcome.counts.values().sum();
        total += sent;
        report.push_str(&format!("{}: {sent} requests\n", outcome.name));
        for (operation, n) in &outcome.counts {
            report.push_str(&format!("  {n:>5}  {operation}\n"));
        }
    }
    report.push_str(&format!("total: {total} requests\n"));
    println!("{report}");
    for outcome in [&as_customer, &as_admin] {
        assert!(
            outcome.success,
            "schemathesis as {} found problems:\n{}",
            outcome.name, outcome.output
        );
        for (method, path) in &operations {
            let n = outcome
                .counts
                .get(&format!("{method} {path}"))
                .copied()
                .unwrap_or(0);
            assert!(
                n >= MIN_PER_OPERATION,
                "as {}, {method} {path} got only {n} requests\n{report}",
                outcome.name
            );
        }
    }
    assert!(total >= MIN_TOTAL, "only {total} requests\n{report}");
}
