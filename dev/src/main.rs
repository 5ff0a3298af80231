//! `cargo run -p dev -- <command>`: the local stack (see `make help`).

use dev::stack::{Options, Stack};
use dev::{Result, fail, install};
use std::process::ExitCode;

const USAGE: &str = "usage: dev <command>

  up          the whole shop on http://127.0.0.1:9000 until Ctrl-C (make dev)
  test [ARGS] a private stack on other ports, `cargo test --workspace ARGS` against it, then stop (make test)
  install     install the emulators, cargo-lambda and Schemathesis into .local/ and exit
  sam [ARGS]  run the SAM CLI from its own venv in .local/ (e.g. `sam validate --lint`);
              `sam cfn-lint|shellcheck|samlocal ARGS` runs that program of the venv
  keygen KID  print a new Ed25519 signing key (the secret's value) and its public JWK
  mail        print the mail the local stack sent through SES (make mail)
  events      create the sample events' fixtures on the running stack and write
              their ids and fresh tokens into events/ (make events)
  deploy-localstack
              sam build and deploy to LocalStack at AWS_ENDPOINT_URL (default
              http://localhost:4566) with samlocal; prints the API URL";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("up") => up().await,
        Some("test") => test(&args[1..]).await,
        Some("install") => install::stack(true)
            .and_then(|_| install::schemathesis())
            .map(|_| ExitCode::SUCCESS),
        Some("sam") => sam(&args[1..]),
        Some("keygen") if args.len() == 2 => keygen(&args[1]),
        Some("mail") => mail().await,
        Some("events") => events().await,
        Some("deploy-localstack") => dev::localstack::deploy().await.map(|_| ExitCode::SUCCESS),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::FAILURE
        }
    }
}

async fn wait_for_signal() -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| fail(e.to_string()))?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    Ok(())
}

async fn up() -> Result<ExitCode> {
    let stack = Stack::start(&Options::dev()).await?;
    println!("\nferrocart is ready:");
    for line in &stack.describe {
        println!("{line}");
    }
    println!("Press Ctrl-C to stop.");
    let mut stack = stack;
    let outcome = tokio::select! {
        r = wait_for_signal() => r,
        r = async {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                stack.check()?;
            }
        } => r,
    };
    println!("\nstopping…");
    stack.stop();
    outcome.map(|_| ExitCode::SUCCESS)
}

async fn test(args: &[String]) -> Result<ExitCode> {
    let stack = Stack::start(&Options::test()).await?;
    println!("\nrunning the tests against {}", stack.api_url);
    let child = tokio::process::Command::from(dev::cargo())
        .args(["test", "--workspace"])
        .args(args)
        .envs(stack.client_env.iter().map(|(k, v)| (k, v)))
        .kill_on_drop(true)
        .spawn();
    let outcome = match child {
        Ok(mut child) => tokio::select! {
            status = child.wait() => status.map_err(|e| fail(format!("cargo test: {e}"))),
            // Interrupted: stop the tests and the stack rather than leave them running.
            signal = wait_for_signal() => {
                let _ = child.kill().await;
                signal.and(Err(fail("interrupted")))
            }
        },
        Err(e) => Err(fail(format!("cargo test: {e}"))),
    };
    stack.stop();
    let status = outcome?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs `sam ARGS`, or `cfn-lint|shellcheck|samlocal ARGS`, from the SAM CLI's venv.
fn sam(args: &[String]) -> Result<ExitCode> {
    let (program, args) = match args.split_first() {
        Some((first, rest)) if TOOLS.contains(&first.as_str()) => (first.as_str(), rest),
        _ => ("sam", args),
    };
    let status = install::sam_tool(program)?
        .args(args)
        .status()
        .map_err(|e| fail(format!("{program}: {e}")))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Programs `dev sam` runs by name instead of `sam`.
const TOOLS: &[&str] = &["sam", "cfn-lint", "shellcheck", "samlocal"];

fn keygen(kid: &str) -> Result<ExitCode> {
    let (key, jwk) =
        shared::auth::token::generate_key_pair(kid).map_err(|e| fail(e.to_string()))?;
    let secret = serde_json::to_string(&key).map_err(|e| fail(e.to_string()))?;
    println!("# The signing key secret's value (keep it secret):\n{secret}\n");
    println!("# The public JWK, for the JwtPublicKeys key set:\n{jwk}");
    Ok(ExitCode::SUCCESS)
}

/// The mail moto's SES accepted, newest last.
async fn mail() -> Result<ExitCode> {
    let port = std::env::var("FERROCART_MOTO_PORT").unwrap_or_else(|_| "5000".into());
    let url = format!("http://127.0.0.1:{port}/moto-api/data.json");
    let data: serde_json::Value = reqwest::get(&url)
        .await
        .map_err(|e| fail(format!("{url}: {e} (is `make dev` running?)")))?
        .json()
        .await
        .map_err(|e| fail(format!("{url}: {e}")))?;
    let mails = data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for m in &mails {
        println!("From:    {}", m["source"].as_str().unwrap_or_default());
        println!("To:      {}", m["destinations"]["ToAddresses"]);
        println!("Subject: {}", m["subject"].as_str().unwrap_or_default());
        println!(
            "\n{}\n{}",
            m["body"].as_str().unwrap_or_default(),
            "-".repeat(72)
        );
    }
    println!("{} mails sent", mails.len());
    Ok(ExitCode::SUCCESS)
}

/// `make events`: the sample events, valid against the running `make dev` stack.
async fn events() -> Result<ExitCode> {
    let api = std::env::var("FERROCART_API_URL").unwrap_or_else(|_| {
        let port = std::env::var("FERROCART_API_PORT").unwrap_or_else(|_| "9000".into());
        format!("http://127.0.0.1:{port}")
    });
    for path in dev::events::write(&api).await? {
        println!("wrote {path}");
    }
    println!(
        "tokens are valid for the stack's keys until they expire; invoke with e.g.\n  \
         cargo lambda invoke -A 127.0.0.1 get-product --data-file events/get-product.json"
    );
    Ok(ExitCode::SUCCESS)
}
