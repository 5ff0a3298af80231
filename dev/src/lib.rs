//! The local stack, in one place: install the emulators into `.local/`, start
//! them, create what `template.yaml` declares, run every function under
//! `cargo lambda watch`, and stop it all again.

pub mod browser;
pub mod events;
pub mod install;
pub mod keys;
pub mod localstack;
pub mod poller;
pub mod procs;
pub mod resources;
pub mod stack;
pub mod template;

use std::path::{Path, PathBuf};

/// A step that failed, with what to look at.
#[derive(Debug)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

pub type Result<T, E = Failure> = std::result::Result<T, E>;

pub fn fail(message: impl Into<String>) -> Failure {
    Failure(message.into())
}

/// The workspace root (where `template.yaml` is).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A `cargo` command for a build of the workspace. `cargo run` gives this
/// tool (and the benchmark) the package's `CARGO_PKG_*` and
/// `CARGO_MANIFEST_*` variables, and ring's build script reruns when they
/// change: builds started from here and builds started by make would rebuild
/// ring and every crate above it in turn.
pub fn cargo() -> std::process::Command {
    let mut cargo =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo.current_dir(root());
    without_run_variables(&mut cargo);
    cargo
}

/// Removes the variables `cargo run` set for this program from `command`'s
/// environment (see [`cargo`]).
pub fn without_run_variables(command: &mut std::process::Command) {
    for (name, _) in std::env::vars_os() {
        if is_run_variable(&name.to_string_lossy()) {
            command.env_remove(name);
        }
    }
}

fn is_run_variable(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_MANIFEST_")
        || matches!(
            name,
            "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
        )
}

/// `.local/` under the root: everything installed or generated, git-ignored.
pub fn local_dir() -> PathBuf {
    root().join(".local")
}

/// The variables every local function gets, from `[workspace.metadata.lambda.env]`.
pub fn workspace_lambda_env() -> Result<Vec<(String, String)>> {
    let path = root().join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| fail(format!("reading {}: {e}", path.display())))?;
    let doc: toml::Table = text
        .parse()
        .map_err(|e| fail(format!("parsing {}: {e}", path.display())))?;
    let env = doc
        .get("workspace")
        .and_then(|w| w.get("metadata"))
        .and_then(|m| m.get("lambda"))
        .and_then(|l| l.get("env"))
        .and_then(|e| e.as_table())
        .ok_or_else(|| fail("Cargo.toml has no [workspace.metadata.lambda.env]"))?;
    Ok(env
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect())
}

/// Invokes `function` with `event` through cargo lambda watch's Lambda invoke
/// API (what `cargo lambda invoke --data-file` does); its answer, or the
/// function's error.
pub async fn invoke(
    api: &str,
    function: &str,
    event: &serde_json::Value,
) -> Result<serde_json::Value> {
    let response = reqwest::Client::new()
        .post(format!("{api}/2015-03-31/functions/{function}/invocations"))
        .json(event)
        .timeout(std::time::Duration::from_secs(60))
        .send()
        .await
        .map_err(|e| fail(format!("invoking {function}: {e}")))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| fail(format!("{function}: {e}")))?;
    let body: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| fail(format!("{function} answered {text}: {e}")))?;
    if status.is_success() && body.get("errorType").is_none() {
        Ok(body)
    } else {
        Err(fail(format!("{function} failed ({status}): {text}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_builds_do_not_inherit_what_cargo_run_set() {
        for name in ["CARGO_PKG_NAME", "CARGO_MANIFEST_DIR", "CARGO_CRATE_NAME"] {
            assert!(is_run_variable(name), "{name}");
        }
        // What the builds are configured with stays.
        for name in [
            "CARGO_HOME",
            "CARGO_BUILD_TARGET",
            "CARGO_TARGET_DIR",
            "CARGO",
        ] {
            assert!(!is_run_variable(name), "{name}");
        }
        // `cargo test` runs this with the package's variables set.
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let removed: Vec<_> = cargo()
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        assert!(removed.iter().any(|n| n == "CARGO_PKG_NAME"), "{removed:?}");
        assert!(
            removed.iter().any(|n| n == "CARGO_MANIFEST_DIR"),
            "{removed:?}"
        );
    }
}
