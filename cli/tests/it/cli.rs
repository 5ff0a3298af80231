//! The `ferrocart` command against the local stack's DynamoDB Local.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn ferrocart(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrocart"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stack() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok()
            || std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "these tests need the local stack; run them with `make test`"
    );
}

#[test]
fn seed_twice_adds_nothing_the_second_time() {
    stack();
    let first = ferrocart(&["seed"], "");
    assert!(first.status.success(), "{}", text(&first));
    let second = ferrocart(&["seed"], "");
    assert!(second.status.success(), "{}", text(&second));
    assert!(
        text(&second).contains("0 products created, 36 already there"),
        "{}",
        text(&second)
    );
    assert!(
        text(&second).contains("shipping options: 0 created, 2 already there"),
        "{}",
        text(&second)
    );
}

#[test]
fn create_admin_reads_the_password_from_stdin_and_refuses_duplicates() {
    stack();
    let name = format!("adm{}", ulid::Ulid::new().to_string().to_lowercase());
    let email = format!("{name}@example.com");
    let created = ferrocart(
        &["create-admin", "--username", &name, "--email", &email],
        "an admin passphrase\n",
    );
    assert!(created.status.success(), "{}", text(&created));
    assert!(text(&created).contains("created admin"));

    let again = ferrocart(
        &[
            "create-admin",
            "--username",
            &name,
            "--email",
            "other@example.com",
        ],
        "an admin passphrase\n",
    );
    assert!(!again.status.success());
    assert!(
        text(&again).contains("username is taken"),
        "{}",
        text(&again)
    );
}

#[test]
fn validation_failures_name_the_field() {
    stack();
    let out = ferrocart(
        &["create-admin", "--username", "x", "--email", "nope"],
        "password\n",
    );
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains("username:") && t.contains("email:") && t.contains("password:"),
        "{t}"
    );
}

#[test]
fn a_missing_table_and_an_unreachable_endpoint_are_clear_errors() {
    stack();
    let out = ferrocart(&["seed", "--products-table", "NoSuchTable"], "");
    assert!(!out.status.success());
    assert!(
        text(&out).contains("table NoSuchTable does not exist"),
        "{}",
        text(&out)
    );

    let out = Command::new(env!("CARGO_BIN_EXE_ferrocart"))
        .args(["seed"])
        .env("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("cannot reach http://127.0.0.1:9"),
        "{}",
        text(&out)
    );
}

#[test]
fn no_table_name_is_a_clear_error_and_help_lists_the_commands() {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrocart"))
        .arg("seed")
        .env_remove("PRODUCTS_TABLE")
        .env_remove("FERROCART_STACK")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("no products table"), "{}", text(&out));
    let help = Command::new(env!("CARGO_BIN_EXE_ferrocart"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let t = text(&help);
    assert!(
        t.contains("create-admin") && t.contains("seed") && t.contains("--stack"),
        "{t}"
    );
}

#[test]
fn the_sample_events_name_the_first_seeded_product() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/get-product.json");
    let event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        event["pathParameters"]["id"],
        ops::seed::product_id(0).as_str()
    );
    assert!(ops::seed::CATALOG.len() >= 30);
    let categories: std::collections::BTreeSet<_> =
        ops::seed::CATALOG.iter().map(|p| p.0).collect();
    assert!(categories.len() >= 5);
}

#[test]
fn dlq_list_and_redrive_run_against_the_queues() {
    stack();
    let list = ferrocart(&["dlq", "list"], "");
    assert!(list.status.success(), "{}", text(&list));
    assert!(
        text(&list).contains("messages in the dead-letter queue"),
        "{}",
        text(&list)
    );
    let redrive = ferrocart(&["dlq", "redrive"], "");
    assert!(redrive.status.success(), "{}", text(&redrive));
    assert!(
        text(&redrive).contains("sent back to the queue"),
        "{}",
        text(&redrive)
    );
    let no_url = Command::new(env!("CARGO_BIN_EXE_ferrocart"))
        .args(["dlq", "list"])
        .env_remove("EVENTS_DLQ_URL")
        .env_remove("FERROCART_STACK")
        .output()
        .unwrap();
    assert!(!no_url.status.success());
    assert!(text(&no_url).contains("--dlq-url"), "{}", text(&no_url));
}
