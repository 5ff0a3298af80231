//! The HTTP routes of `template.yaml`, of the local router in `Cargo.toml` and
//! of `openapi.yaml` are one set; every function has its crate and its
//! sample event; the local stack sets every variable the template does.

use dev::template::Template;
use dev::{root, workspace_lambda_env};
use std::collections::{BTreeMap, BTreeSet};

const NOT_FOUND: &str = "not-found";
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fn template() -> Template {
    Template::load(&root().join("template.yaml")).unwrap()
}

/// (method, path) → binary, from the template's HttpApi events.
fn template_routes() -> BTreeMap<(String, String), String> {
    let t = template();
    let binaries: BTreeMap<String, String> = t.function_binaries().into_iter().collect();
    t.routes()
        .into_iter()
        .map(|(route, function)| (route, binaries[&function].clone()))
        .collect()
}

/// (method, path) → binary, from `[workspace.metadata.lambda.watch.router]`.
fn router_routes() -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    let router = doc["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .unwrap();
    let mut routes = BTreeMap::new();
    for (path, target) in router {
        match target {
            toml::Value::String(function) => {
                routes.insert(("ANY".to_owned(), path.clone()), function.clone());
            }
            toml::Value::Array(entries) => {
                for entry in entries {
                    let method = entry["method"].as_str().unwrap().to_owned();
                    let function = entry["function"].as_str().unwrap().to_owned();
                    routes.insert((method, path.clone()), function);
                }
            }
            other => panic!("router entry {path}: {other:?}"),
        }
    }
    routes
}

fn openapi_routes() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(root().join("openapi.yaml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().unwrap() {
        for (method, _) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap().to_uppercase();
            if METHODS.contains(&method.as_str()) {
                routes.insert((method, path.as_str().unwrap().to_owned()));
            }
        }
    }
    routes
}

/// A greedy path parameter as each spells it, API Gateway `{path+}` and the
/// watch router `{*path}`, as OpenAPI does: `{path}`.
fn greedy_as_plain(path: &str) -> String {
    path.replace("{*", "{").replace("+}", "}")
}

#[test]
fn template_router_and_openapi_serve_the_same_routes() {
    let template = template_routes();
    let router = router_routes();
    let served =
        |routes: &BTreeMap<(String, String), String>| -> BTreeMap<(String, String), String> {
            routes
                .iter()
                .filter(|(_, f)| f.as_str() != NOT_FOUND)
                .map(|((method, path), f)| ((method.clone(), greedy_as_plain(path)), f.clone()))
                .collect()
        };
    assert_eq!(
        served(&template),
        served(&router),
        "template.yaml vs the watch router"
    );
    let spec = openapi_routes();
    let keys: BTreeSet<_> = served(&template).into_keys().collect();
    assert_eq!(keys, spec, "template.yaml vs openapi.yaml");
}

#[test]
fn unserved_methods_and_paths_fall_through_to_not_found() {
    let template = template_routes();
    assert_eq!(
        template
            .get(&("ANY".to_owned(), "$default".to_owned()))
            .map(String::as_str),
        Some(NOT_FOUND),
        "template.yaml needs the $default route on not-found"
    );
    let router = router_routes();
    // `/` is the storefront's: its other methods are on not-found like any
    // served path's (the loop below checks them).
    assert_eq!(
        router
            .get(&("ANY".to_owned(), "/{*path}".to_owned()))
            .map(String::as_str),
        Some(NOT_FOUND),
        "/{{*path}}"
    );
    // A path the router knows answers every other method with not-found, as
    // API Gateway sends it to $default.
    let paths: BTreeSet<&String> = router
        .keys()
        .filter(|(m, _)| m != "ANY")
        .map(|(_, p)| p)
        .collect();
    for path in paths {
        for method in METHODS {
            assert!(
                router.contains_key(&(method.to_owned(), path.clone())),
                "{method} {path} is not routed"
            );
        }
    }
}

#[test]
fn every_function_has_a_crate_and_a_sample_event() {
    for (function, binary) in template().function_binaries() {
        let manifest = root().join("functions").join(&binary).join("Cargo.toml");
        assert!(manifest.exists(), "{function}: no {}", manifest.display());
        let event = root().join("events").join(format!("{binary}.json"));
        let text = std::fs::read_to_string(&event)
            .unwrap_or_else(|_| panic!("{function}: no {}", event.display()));
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", event.display()));
    }
}

#[test]
fn local_stack_sets_every_variable_the_template_sets() {
    let t = template();
    let local: BTreeMap<String, String> = workspace_lambda_env().unwrap().into_iter().collect();
    let tables: BTreeSet<String> = t
        .tables()
        .unwrap()
        .into_iter()
        .map(|t| t.logical_id)
        .collect();
    // Set by `dev` at start, because they depend on the stack.
    let from_dev = [
        "JWT_PUBLIC_KEYS",
        "CURSOR_SECRET",
        "IDEMPOTENCY_SECRET",
        "ORDER_EXPIRY_SECONDS",
        "SENDER_EMAIL",
        "SHOP_URL",
    ];
    for (function, _) in t.function_binaries() {
        for (name, value) in t.function_env(&function) {
            if from_dev.contains(&name.as_str()) || name.ends_with("_QUEUE_URL") {
                continue;
            }
            let local_value = local.get(&name).unwrap_or_else(|| {
                panic!("{function} sets {name}; [workspace.metadata.lambda.env] does not")
            });
            if tables.contains(&value) {
                assert_eq!(
                    local_value, &value,
                    "{name}: the local table is named after its logical id"
                );
            }
        }
    }
}

/// The template's resources as text, by logical id (lines indented by two
/// spaces start one).
fn resource_blocks() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let resources = &text[text.find("\nResources:\n").expect("a Resources section")..];
    let mut blocks = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in resources.lines().skip(2) {
        let starts = line
            .strip_prefix("  ")
            .filter(|l| !l.starts_with(' '))
            .and_then(|l| l.strip_suffix(':'));
        if starts.is_some() || (!line.is_empty() && !line.starts_with(' ')) {
            blocks.extend(current.take());
        }
        if let Some(name) = starts {
            current = Some((name.to_owned(), String::new()));
        } else if let Some((_, block)) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    blocks.extend(current);
    blocks
}

/// Only the functions that issue tokens (login and refresh) may read the
/// signing key: their roles alone grant `secretsmanager:GetSecretValue`.
#[test]
fn only_the_token_issuing_roles_can_read_the_signing_key() {
    let blocks = resource_blocks();
    let readers: BTreeSet<&str> = blocks
        .iter()
        .filter(|(_, block)| block.contains("secretsmanager:GetSecretValue"))
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(readers, BTreeSet::from(["LoginRole", "RefreshTokenRole"]));
    for (function, role) in [
        ("LoginFunction", "LoginRole"),
        ("RefreshTokenFunction", "RefreshTokenRole"),
    ] {
        assert!(
            blocks[function].contains(&format!("Role: !GetAtt {role}.Arn")),
            "{function}"
        );
    }
    assert!(blocks.len() > 100, "{} resources read", blocks.len());
}
