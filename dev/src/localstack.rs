//! `make deploy-localstack`: `template.yaml` built and deployed to LocalStack
//! with samlocal (the `localstack` profile of samconfig.toml), the signing
//! key put into its secret, and the API URL printed. Needs a running
//! LocalStack (`docker compose -f localstack/compose.yaml up`).

use crate::{Result, fail, install, keys, root};
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

fn samlocal(args: &[&str], extra: &[String], endpoint: &str) -> Result<std::process::Output> {
    let sam_bin = install::sam()?;
    let stack_bin = install::stack(false)?.venv_bin;
    let path = std::env::join_paths([stack_bin, sam_bin.clone()].into_iter().chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .map_err(|e| fail(format!("PATH: {e}")))?;
    let output = Command::new(sam_bin.join("samlocal"))
        .current_dir(root())
        .args(args)
        .args(extra)
        .env("PATH", path)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("SAM_CLI_TELEMETRY", "0")
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| fail(format!("samlocal: {e}")))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(fail(format!(
            "samlocal {} failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout)
        )))
    }
}

pub async fn deploy() -> Result<()> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "http://localhost:4566".into());
    let keys = keys::ensure()?;
    println!("building for x86_64 and deploying {STACK_NAME} to {endpoint}");
    samlocal(&["build", "--config-env", "localstack"], &[], &endpoint)?;
    let mut overrides = vec!["--parameter-overrides".to_owned()];
    overrides.extend(parameter_overrides(&keys));
    samlocal(
        &["deploy", "--config-env", "localstack"],
        &overrides,
        &endpoint,
    )?;

    // The secret is created empty by the stack; its value never passes through CloudFormation.
    let secrets = aws_sdk_secretsmanager::Client::new(&crate::stack::sdk_config(&endpoint).await);
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
        &[],
        &endpoint,
    )?;
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
