//! CONTRIBUTING.md's "How to add an endpoint" stays true: every function
//! crate has its template entry and sample event (and, for a route, its router
//! entry and OpenAPI operation: `consistency` checks those sets are one), its
//! `main.rs` is the nine lines the guide shows, and the files the guide names
//! exist.

use dev::root;
use dev::template::Template;
use std::collections::BTreeSet;

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn function_crates() -> BTreeSet<String> {
    std::fs::read_dir(root().join("functions"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_function_crate_is_deployed_and_has_a_sample_event() {
    let template = Template::load(&root().join("template.yaml")).unwrap();
    let deployed: BTreeSet<String> = template
        .function_binaries()
        .into_iter()
        .map(|(_, binary)| binary)
        .collect();
    for function in function_crates() {
        assert!(
            deployed.contains(&function),
            "functions/{function} has no function in template.yaml"
        );
        assert!(
            root()
                .join("events")
                .join(format!("{function}.json"))
                .exists(),
            "functions/{function} has no events/{function}.json"
        );
    }
}

#[test]
fn every_main_is_at_most_nine_lines() {
    for function in function_crates() {
        let path = format!("functions/{function}/src/main.rs");
        let lines = read(&path).lines().count();
        assert!(
            lines <= 9,
            "{path} has {lines} lines; CONTRIBUTING.md promises 9"
        );
    }
}

/// The `main.rs` the guide shows is a real one with the handler renamed.
#[test]
fn the_guides_main_is_the_shape_every_function_has() {
    let guide = read("CONTRIBUTING.md");
    let blocks: Vec<String> = guide
        .split("```rust\n")
        .skip(1)
        .filter_map(|rest| rest.split("  ```").next())
        .map(|block| {
            block
                .lines()
                .map(|line| line.strip_prefix("  ").unwrap_or(line))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    let main = blocks
        .iter()
        .find(|b| b.contains("async fn main"))
        .expect("CONTRIBUTING.md shows a main.rs");
    let real = read("functions/get-order/src/main.rs");
    assert_eq!(
        main.replace("orders::receipt", "orders::get").trim_end(),
        real.trim_end(),
        "CONTRIBUTING.md's main.rs has drifted from functions/get-order"
    );
}

#[test]
fn the_files_the_guide_names_exist() {
    let guide = read("CONTRIBUTING.md");
    for path in [
        "shared/src/domain/newtype.rs",
        "shared/src/wiring.rs",
        "shared/src/http/problem.rs",
        "shared/src/orders.rs",
        "template.yaml",
        "openapi.yaml",
        "docs/api.md",
        "Cargo.toml",
        "dev/tests/it/contributing.rs",
    ] {
        assert!(
            guide.contains(path),
            "CONTRIBUTING.md no longer names {path}"
        );
        assert!(
            root().join(path).exists(),
            "CONTRIBUTING.md names {path}, which is gone"
        );
    }
    for dir in [
        "shared/tests/it/",
        "e2e/tests/it/",
        "shared/src/aws/",
        "shared/src/http/",
    ] {
        assert!(
            root().join(dir).is_dir(),
            "CONTRIBUTING.md names {dir}, which is gone"
        );
    }
}
