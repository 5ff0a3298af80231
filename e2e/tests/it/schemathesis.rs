//! Schemathesis generates requests from `openapi.yaml` and checks every answer
//! of the running API against it: no 5xx, only documented status codes,
//! content types and headers, and bodies that match their schemas. It runs
//! twice at once, as a customer and as the admin, over every operation, in all
//! four phases (the spec's examples, boundary and negative values, random
//! fuzzing, and chains of calls along the spec's links: create a product,
//! order it, pay or be declined, read the payment). Settings are in
//! `e2e/schemathesis.toml`, hooks in `e2e/schemathesis_hooks.py`; the venv is
//! installed by `dev` (`.local/schemathesis-venv`). Generation is
//! deterministic; the chains depend on the ids the API hands out.

use e2e::{admin_token, api, client, get, login, post, register, send};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance";
/// One worker per run: Hypothesis parses lambda sources with `ast`, which
/// CPython 3.11 (the machine's Python) does not do safely from several threads
/// ("AST constructor recursion depth mismatch"). The two runs go at once instead.
const WORKERS: &str = "1";
const SEED: &str = "20261123";
/// Requests both runs must send to the operations together, and each run to
/// every operation that takes input (one without gets a few).
const MIN_TOTAL: usize = 1000;
const MIN_PER_OPERATION: usize = 10;
const TIME_LIMIT: Duration = Duration::from_secs(300);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e/ is in the workspace")
        .to_path_buf()
}

struct Operation {
    method: String,
    path: String,
    /// Whether it has parameters or a body for Schemathesis to generate.
    takes_input: bool,
}

impl Operation {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Every operation in `openapi.yaml`.
fn operations() -> Vec<Operation> {
    let text = std::fs::read_to_string(root().join("openapi.yaml")).expect("openapi.yaml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("openapi.yaml is YAML");
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        for (method, operation) in item.as_mapping().expect("a path item") {
            let method = method.as_str().unwrap_or_default().to_uppercase();
            if ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                let takes_input = item.get("parameters").is_some()
                    || operation.get("parameters").is_some()
                    || operation.get("requestBody").is_some();
                operations.push(Operation {
                    method,
                    path: path.as_str().unwrap_or_default().to_owned(),
                    takes_input,
                });
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

/// Requests no operation describes: Schemathesis also tries the methods a
/// path does not serve (`404 route_not_found`).
const OTHER: &str = "(methods no route serves)";

/// Requests per operation in a HAR file.
fn count_requests(har: &Path, operations: &[Operation]) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(har).unwrap_or_else(|e| panic!("{}: {e}", har.display()));
    let doc: Value = serde_json::from_str(&text).expect("a HAR document");
    let mut counts: BTreeMap<String, usize> = operations.iter().map(|o| (o.name(), 0)).collect();
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
            .filter(|o| o.method == method && matches(&o.path, path))
            .collect();
        candidates.sort_by_key(|o| o.path.matches('{').count());
        let key = candidates
            .first()
            .map(|o| o.name())
            .unwrap_or_else(|| OTHER.to_owned());
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

async fn run(
    name: &'static str,
    token: String,
    st: String,
    protected: String,
    throwaway: String,
) -> Outcome {
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
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("FERROCART_PROTECTED_PRODUCTS", protected)
        .env("FERROCART_SCHEMATHESIS_TOKEN", token)
        .env("FERROCART_THROWAWAY_TOKEN", throwaway)
        .arg("--config-file")
        .arg(root().join("e2e/schemathesis.toml"))
        .arg("run")
        .arg(root().join("openapi.yaml"))
        .args(["--url", &api()])
        .args(["--checks", CHECKS])
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

/// Every active product and its stock, page by page.
async fn catalogue() -> BTreeMap<String, i64> {
    let mut products = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/products?limit=100&cursor={c}"),
            None => "/products?limit=100".to_owned(),
        };
        let page = get(&path, None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        for item in page.body["items"].as_array().expect("items") {
            let id = item["id"].as_str().expect("an id").to_owned();
            products.insert(id, item["stock"].as_i64().expect("a stock"));
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return products,
        }
    }
}

/// The products that were there before the runs are all still there (the
/// runs archive and change only what they create), and get back the stock
/// the runs' orders took, so the tests after this one find the catalogue as it was;
/// the shipping options the runs wrote are deleted.
async fn restore(before: &BTreeMap<String, i64>, admin: &str) {
    // The shipping options the runs wrote (see the hooks).
    for i in 0..4 {
        let gone = send(
            client()
                .delete(format!("{}/shipping-options/schemathesis-{i}", api()))
                .bearer_auth(admin),
        )
        .await;
        assert!([204, 404].contains(&gone.status), "{}", gone.text);
    }
    for (id, stock) in before {
        let now = get(&format!("/products/{id}"), None).await;
        assert_eq!(now.status, 200, "product {id} is gone: {}", now.text);
        let taken = stock - now.body["stock"].as_i64().expect("a stock");
        if taken > 0 {
            let answer = send(
                client()
                    .patch(format!("{}/products/{id}", api()))
                    .bearer_auth(admin)
                    .json(&json!({ "stock_delta": taken })),
            )
            .await;
            assert_eq!(answer.status, 200, "{}", answer.text);
        }
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
    // Signs out in the runs' stead (see schemathesis.toml).
    let (throwaway, _) = register().await;
    let throwaway = login(&throwaway).await;
    // The account the spec's examples name, so its login examples succeed.
    let example = post(
        "/users/register",
        &json!({"username": "ada_lovelace", "email": "ada@example.com", "password": "analytical engine 1843"}),
    )
    .await;
    assert!([201, 409].contains(&example.status), "{}", example.text);
    let before = catalogue().await;
    let started = Instant::now();
    let protected = before.keys().cloned().collect::<Vec<_>>().join(",");
    let (as_customer, as_admin) = tokio::join!(
        run(
            "customer",
            customer,
            st.clone(),
            protected.clone(),
            throwaway.clone()
        ),
        run("admin", admin.clone(), st, protected, throwaway)
    );
    let elapsed = started.elapsed();
    let operations = operations();
    let mut total = 0;
    let mut report = format!("schemathesis, both runs at once: {elapsed:.0?}\n");
    for outcome in [&as_customer, &as_admin] {
        let sent: usize = outcome
            .counts
            .iter()
            .filter(|(operation, _)| *operation != OTHER)
            .map(|(_, n)| n)
            .sum();
        total += sent;
        report.push_str(&format!(
            "as {}: {sent} requests to the operations\n",
            outcome.name
        ));
        for (operation, n) in &outcome.counts {
            report.push_str(&format!("  {n:>5}  {operation}\n"));
        }
    }
    report.push_str(&format!("total: {total} requests to the operations\n"));
    println!("{report}");
    restore(&before, &admin).await;
    for outcome in [&as_customer, &as_admin] {
        assert!(
            outcome.success,
            "schemathesis as {} found problems:\n{}",
            outcome.name, outcome.output
        );
        for operation in &operations {
            let n = outcome.counts.get(&operation.name()).copied().unwrap_or(0);
            let floor = if operation.takes_input {
                MIN_PER_OPERATION
            } else {
                1
            };
            assert!(
                n >= floor,
                "as {}, {} got only {n} requests\n{report}",
                outcome.name,
                operation.name()
            );
        }
    }
    assert!(total >= MIN_TOTAL, "only {total} requests\n{report}");
}
