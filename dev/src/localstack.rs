//! `make deploy-localstack`: `template.yaml` built and deployed to LocalStack
//! with samlocal (the `localstack` profile of samconfig.toml), the signing
//! key put into its secret, and the API URL printed. Needs a running
//! LocalStack (`docker compose -f localstack/compose.yaml up`).

use crate::{Result, fail, install, keys};
use std::process::Command;

pub const STACK_NAME: &str = "ferrocart-local";
pub const STAGE: &str = "local";

/// The deploy's parameter overrides in SAM's `Key="value"` form; values are
/// quoted because the public key set is JSON.
pub fn parameter_overrides(keys: &keys::LocalKeys) -> Vec<String> {
    [
        ("Stage", STAGE),
        ("Architecture", "x86_64"),
        ("TableDeletionProtection", "false"),
        ("JwtPublicKeys", keys.jwks.as_str()),
        ("CursorSecret", keys.cursor_secret.as_str()),
        ("IdempotencySecret", keys.idempotency_secret.as_str()),
    ]
    .iter()
    .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
    .collect()
}

fn samlocal(args: &[&str], endpoint: &str) -> Result<Command> {
    let mut command = install::sam_tool("samlocal")?;
    command
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1");
    Ok(command)
}

/// Runs samlocal with its output on the terminal.
fn run(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .status()
        .map_err(|e| fail(format!("samlocal {what}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(fail(format!("samlocal {what} failed ({status})")))
    }
}

pub async fn deploy() -> Result<()> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "http://localhost:4566".into());
    let keys = keys::ensure()?;
    println!("building for x86_64 and deploying {STACK_NAME} to {endpoint}");
    run(
        &mut samlocal(&["build", "--config-env", "localstack"], &endpoint)?,
        "build",
    )?;
    run(
        samlocal(&["deploy", "--config-env", "localstack"], &endpoint)?
            .arg("--parameter-overrides")
            .args(parameter_overrides(&keys)),
        "deploy",
    )?;

    // The secret is created empty by the stack; its value never passes through CloudFormation.
    let secrets = aws_sdk_secretsmanager::Client::new(&crate::stack::sdk_config(&endpoint)?);
    let value = serde_json::to_string(&keys.current).map_err(|e| fail(e.to_string()))?;
    crate::resources::put_secret(
        &secrets,
        &format!("ferrocart-{STAGE}/jwt-signing-key"),
        &value,
    )
    .await?;

    let outputs = samlocal(
        &[
            "list",
            "stack-outputs",
            "--stack-name",
            STACK_NAME,
            "--output",
            "json",
        ],
        &endpoint,
    )?
    .stderr(std::process::Stdio::inherit())
    .output()
    .map_err(|e| fail(format!("samlocal list stack-outputs: {e}")))?;
    if !outputs.status.success() {
        return Err(fail(format!(
            "samlocal list stack-outputs failed ({})",
            outputs.status
        )));
    }
    let outputs: serde_json::Value = serde_json::from_slice(&outputs.stdout)
        .map_err(|e| fail(format!("sam list stack-outputs: {e}")))?;
    let api = outputs
        .as_array()
        .and_then(|list| list.iter().find(|o| o["OutputKey"] == "ApiUrl"))
        .and_then(|o| o["OutputValue"].as_str())
        .ok_or_else(|| fail(format!("no ApiUrl among the stack outputs: {outputs}")))?;
    // LocalStack serves https://<id>.execute-api.<region>.amazonaws.com at this address.
    let local = api
        .strip_prefix("https://")
        .and_then(|host| host.split('.').next())
        .map(|id| format!("http://{id}.execute-api.localhost.localstack.cloud:4566"))
        .unwrap_or_else(|| api.to_owned());
    println!("deployed: {api}\nthrough LocalStack: {local}");
    Ok(())
}
