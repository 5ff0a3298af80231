//! `cargo run -p dev -- <command>`: the local stack (see `make help`).

use clap::{Parser, Subcommand};
use dev::stack::{Options, Stack};
use dev::{Result, fail, install};
use std::process::ExitCode;

/// The local stack: emulators, the resources of template.yaml, every
/// function under cargo lambda watch, and the tools around them.
#[derive(Parser)]
#[command(name = "dev", arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The whole shop on http://127.0.0.1:9000 until Ctrl-C (make dev)
    Up,
    /// A private stack on other ports, `cargo test --workspace ARGS` against it, then stop (make test)
    Test {
        /// Passed to `cargo test --workspace`, e.g. `--locked` or `-p e2e --test it users::`
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Install the emulators, cargo-lambda and Schemathesis into .local/ and exit
    Install,
    /// Run the SAM CLI from its own venv in .local/ (e.g. `sam validate --lint`);
    /// `sam cfn-lint|shellcheck|samlocal ARGS` runs that program of the venv
    // `--help` goes to the program too: `dev help sam` is this text.
    #[command(disable_help_flag = true)]
    Sam {
        /// The program's arguments, its name first for cfn-lint, shellcheck or samlocal
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Print a new Ed25519 signing key (the secret's value) and its public JWK
    Keygen {
        /// The key id
        kid: String,
    },
    /// Print the mail the local stack sent through SES (make mail)
    Mail,
    /// Create the sample events' fixtures on the running stack and write
    /// their ids and fresh tokens into events/ (make events)
    Events,
    /// sam build and deploy to LocalStack at AWS_ENDPOINT_URL (default
    /// http://localhost:4566) with samlocal; prints the API URL
    DeployLocalstack,
}

/// clap takes a `--` that comes first as its own separator and drops it;
/// `dev test -- --nocapture` means `cargo test --workspace -- --nocapture`.
/// `raw` is what followed the subcommand's name on the command line.
fn pass_through(parsed: Vec<String>, raw: &[String]) -> Vec<String> {
    if raw.first().is_some_and(|a| a == "--") && parsed.len() + 1 == raw.len() {
        raw.to_vec()
    } else {
        parsed
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(2).collect();
    let result = match Cli::parse().command {
        Cmd::Up => up().await,
        Cmd::Test { args } => test(&pass_through(args, &raw)).await,
        Cmd::Install => install::stack(true)
            .and_then(|_| install::schemathesis())
            .map(|_| ExitCode::SUCCESS),
        Cmd::Sam { args } => sam(&pass_through(args, &raw)),
        Cmd::Keygen { kid } => keygen(&kid),
        Cmd::Mail => mail().await,
        Cmd::Events => events().await,
        Cmd::DeployLocalstack => dev::localstack::deploy().await.map(|_| ExitCode::SUCCESS),
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(line: &str) -> Cmd {
        let words: Vec<&str> = line.split_whitespace().collect();
        Cli::try_parse_from(&words).unwrap().command
    }

    /// What the subcommand passes on, as `main` computes it.
    fn passed(line: &str) -> Vec<String> {
        let raw: Vec<String> = line.split_whitespace().skip(2).map(String::from).collect();
        match parse(line) {
            Cmd::Test { args } | Cmd::Sam { args } => pass_through(args, &raw),
            _ => panic!("{line}: not a pass-through command"),
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn what_the_makefile_runs_parses() {
        assert!(matches!(parse("dev up"), Cmd::Up));
        assert!(matches!(parse("dev install"), Cmd::Install));
        assert!(matches!(parse("dev events"), Cmd::Events));
        assert!(matches!(parse("dev mail"), Cmd::Mail));
        assert!(matches!(
            parse("dev deploy-localstack"),
            Cmd::DeployLocalstack
        ));
        assert_eq!(passed("dev test --locked"), ["--locked"]);
        assert_eq!(
            passed("dev sam cfn-lint template.yaml --append-rules cfn_lint_serverless.rules"),
            [
                "cfn-lint",
                "template.yaml",
                "--append-rules",
                "cfn_lint_serverless.rules"
            ]
        );
        assert_eq!(
            passed("dev sam validate --lint --region us-east-1 --template-file template.yaml"),
            [
                "validate",
                "--lint",
                "--region",
                "us-east-1",
                "--template-file",
                "template.yaml"
            ]
        );
        assert_eq!(
            passed("dev sam build --parameter-overrides Architecture=x86_64"),
            ["build", "--parameter-overrides", "Architecture=x86_64"]
        );
        match parse("dev keygen k1") {
            Cmd::Keygen { kid } => assert_eq!(kid, "k1"),
            _ => panic!("keygen"),
        }
    }

    #[test]
    fn pass_through_arguments_arrive_as_given() {
        assert!(passed("dev test").is_empty());
        assert_eq!(passed("dev test -- --nocapture"), ["--", "--nocapture"]);
        assert_eq!(
            passed("dev test -p e2e --test it -- --exact users::x"),
            ["-p", "e2e", "--test", "it", "--", "--exact", "users::x"]
        );
        assert_eq!(passed("dev test -- -- x"), ["--", "--", "x"]);
        assert_eq!(passed("dev sam --help"), ["--help"]);
        assert_eq!(passed("dev sam build --help"), ["build", "--help"]);
        assert_eq!(passed("dev test -p dev --help"), ["-p", "dev", "--help"]);
        // First, it is this tool's help for `test`.
        let help = Cli::try_parse_from(["dev", "test", "--help"]).err();
        assert_eq!(
            help.map(|e| e.kind()),
            Some(clap::error::ErrorKind::DisplayHelp)
        );
    }

    #[test]
    fn a_wrong_command_line_is_a_usage_error() {
        for line in [
            "dev",
            "dev nope",
            "dev keygen",
            "dev keygen a b",
            "dev up extra",
        ] {
            let words: Vec<&str> = line.split_whitespace().collect();
            let error = match Cli::try_parse_from(&words) {
                Ok(_) => panic!("{line} parsed"),
                Err(error) => error,
            };
            // clap exits with 2 on these, as the hand-written parser did.
            assert_eq!(error.exit_code(), 2, "{line}: {error}");
        }
    }
}
