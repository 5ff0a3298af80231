//! Starting and stopping a whole local stack: emulators, resources from the
//! template, keys, functions under `cargo lambda watch`.

use crate::procs::Procs;
use crate::template::Template;
use crate::{Result, fail, install, keys, local_dir, resources, root, workspace_lambda_env};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub const SENDER_EMAIL: &str = "orders@ferrocart.local";
pub const ADMIN_USERNAME: &str = "admin";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const DEFAULT_ADMIN_PASSWORD: &str = "local-admin-password";

/// The local admin's password: `FERROCART_ADMIN_PASSWORD`, else the default.
pub fn admin_password() -> String {
    std::env::var("FERROCART_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_ADMIN_PASSWORD.to_owned())
}

/// Which stack, on which ports. `dev` and `test` differ so `make test` can run
/// while `make dev` serves.
pub struct Options {
    /// Its directory under `.local/`.
    pub name: String,
    pub dynamodb_port: u16,
    pub moto_port: u16,
    pub api_port: u16,
    /// Keep DynamoDB Local's data in `.local/<name>/dynamodb` between runs.
    pub persist: bool,
    /// Rebuild and restart a function when its code changes.
    pub hot_reload: bool,
    /// Instances per function `cargo lambda watch` may run at once.
    pub concurrency: u32,
    /// Extra variables for every function (e.g. a short login back-off for tests).
    pub function_env: Vec<(String, String)>,
    /// Template parameters the local stack sets (e.g. a short visibility timeout).
    pub parameters: Vec<(String, String)>,
    /// How often the scheduled functions run (EventBridge's `rate(1 minute)` when deployed).
    pub schedule_every: Duration,
    /// Install Schemathesis too and name it to the clients (`make test` runs it).
    pub schemathesis: bool,
    /// Build and run the functions with the release profile (the benchmark).
    pub release: bool,
    /// Extra variables for the cargo builds (e.g. the target and flags of
    /// `cargo lambda build`, so the same artifacts are reused).
    pub cargo_env: Vec<(String, String)>,
    /// Feed the events queue to its consumer, as Lambda's event source
    /// mapping does. The benchmark turns it off so the consumer does not run
    /// beside what it measures.
    pub consume_queue: bool,
    /// Extra environment of the moto server.
    pub moto_env: Vec<(String, String)>,
}

fn port(var: &str, default: u16) -> u16 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Options {
    pub fn dev() -> Self {
        Self {
            name: "dev".into(),
            dynamodb_port: port("FERROCART_DYNAMODB_PORT", 8000),
            moto_port: port("FERROCART_MOTO_PORT", 5000),
            api_port: port("FERROCART_API_PORT", 9000),
            persist: true,
            hot_reload: true,
            concurrency: 4,
            function_env: Vec::new(),
            schedule_every: Duration::from_secs(10),
            schemathesis: false,
            parameters: vec![("EventsVisibilityTimeout".into(), "10".into())],
            release: false,
            cargo_env: Vec::new(),
            consume_queue: true,
            moto_env: Vec::new(),
        }
    }

    pub fn test() -> Self {
        Self {
            // Another name lets a second test stack run beside the first.
            name: std::env::var("FERROCART_TEST_NAME").unwrap_or_else(|_| "test".into()),
            dynamodb_port: port("FERROCART_TEST_DYNAMODB_PORT", 8100),
            moto_port: port("FERROCART_TEST_MOTO_PORT", 5100),
            api_port: port("FERROCART_TEST_API_PORT", 9100),
            persist: false,
            hot_reload: false,
            concurrency: 8,
            // Seconds instead of minutes, so the throttling tests can wait a lock out.
            function_env: vec![
                ("LOGIN_BACKOFF_BASE_SECONDS".into(), "2".into()),
                ("LOGIN_BACKOFF_MAX_SECONDS".into(), "8".into()),
                // The outbox test waits for the sweeper; no need to wait a minute.
                ("PAYMENT_EVENT_GRACE_SECONDS".into(), "1".into()),
                // Every test and Schemathesis ask for resets from 127.0.0.1.
                ("PASSWORD_RESETS_PER_IP_PER_HOUR".into(), "500".into()),
                // And every declined test payment comes from there too.
                ("DECLINES_PER_IP_PER_HOUR".into(), "500".into()),
            ],
            schedule_every: Duration::from_secs(2),
            schemathesis: true,
            // Seconds, so a failing message reaches the DLQ within a test.
            parameters: vec![("EventsVisibilityTimeout".into(), "2".into())],
            release: false,
            cargo_env: Vec::new(),
            consume_queue: true,
            moto_env: Vec::new(),
        }
    }
}

pub struct Stack {
    procs: Procs,
    scheduler: tokio::task::JoinHandle<()>,
    poller: tokio::task::JoinHandle<()>,
    pub dir: PathBuf,
    pub api_url: String,
    /// What a client of this stack needs: endpoints, region, credentials,
    /// table names, key material locations.
    pub client_env: Vec<(String, String)>,
    pub describe: Vec<String>,
}

struct Endpoints {
    dynamodb: String,
    moto: String,
    external: bool,
}

fn check_port_free(port: u16, what: &str, var: &str) -> Result<()> {
    TcpListener::bind(("127.0.0.1", port)).map(drop).map_err(|_| {
        fail(format!(
            "port {port} for {what} is in use (another `make dev` or `make test`?); stop it or set {var}"
        ))
    })
}

fn step(n: u32, total: u32, what: &str) {
    println!("[{n}/{total}] {what}");
}

async fn wait_for<F, Fut>(
    what: &str,
    log: &str,
    timeout: Duration,
    procs: &mut Procs,
    mut probe: F,
) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if probe().await {
            return Ok(());
        }
        procs.check()?;
        if Instant::now() > deadline {
            return Err(fail(format!(
                "{what} did not answer within {}s; see {log}",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// An SDK configuration for an emulator at `endpoint`, with dummy credentials.
pub fn sdk_config(endpoint: &str) -> Result<aws_types::SdkConfig> {
    let local = [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_ENDPOINT_URL", endpoint),
    ]
    .map(|(name, value)| (name.to_owned(), value.to_owned()));
    // An emulator that stops answering one request must not stall the stack:
    // time the attempt out and let the SDK retry on a fresh connection.
    let timeouts = aws_types::sdk_config::TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(30))
        .build();
    let config = shared::aws::sdk::from_variables(local)
        .map_err(|e| fail(format!("the local SDK configuration: {e}")))?;
    Ok(config.to_builder().timeout_config(timeouts).build())
}

impl Stack {
    pub async fn start(options: &Options) -> Result<Self> {
        let root = root();
        let dir = local_dir().join(&options.name);
        std::fs::create_dir_all(&dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
        let mut procs = Procs::new(dir.join("pids"));
        let external = std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|v| !v.trim().is_empty());
        let total = 7;

        step(1, total, "install what is missing into .local/");
        let installed = install::stack(external.is_none())?;
        let schemathesis = options
            .schemathesis
            .then(install::schemathesis)
            .transpose()?;
        // The test stack's suite drives the storefront in a real browser.
        if options.schemathesis {
            install::browser()?;
            install::axe()?;
        }

        let endpoints = match &external {
            Some(url) => {
                step(
                    2,
                    total,
                    &format!("use the services at AWS_ENDPOINT_URL={url} (no emulators started)"),
                );
                Endpoints {
                    dynamodb: url.clone(),
                    moto: url.clone(),
                    external: true,
                }
            }
            None => {
                step(2, total, "start DynamoDB Local and moto");
                check_port_free(
                    options.dynamodb_port,
                    "DynamoDB Local",
                    "FERROCART_DYNAMODB_PORT",
                )?;
                check_port_free(options.moto_port, "moto", "FERROCART_MOTO_PORT")?;
                let jar_dir = installed
                    .dynamodb_jar
                    .parent()
                    .unwrap_or(&root)
                    .to_path_buf();
                let class_path = std::env::join_paths([
                    installed.dynamodb_jar.as_path(),
                    installed.dynamodb_launcher.as_path(),
                ])
                .map_err(|e| fail(format!("DynamoDB Local's class path: {e}")))?;
                // Not `-jar`: DynamoDB Local alone listens on every interface.
                // IPv4 sockets only, so the listener is 127.0.0.1 itself rather
                // than its IPv4-mapped IPv6 form.
                let mut java = Command::new("java");
                java.arg("-Xmx1g")
                    .arg("-Djava.net.preferIPv4Stack=true")
                    .arg(format!(
                        "-Djava.library.path={}",
                        jar_dir.join("DynamoDBLocal_lib").display()
                    ))
                    .arg("-cp")
                    .arg(class_path)
                    .arg(install::DYNAMODB_LAUNCHER)
                    .args(["-sharedDb", "-port", &options.dynamodb_port.to_string()]);
                if options.persist {
                    let data = dir.join("dynamodb");
                    std::fs::create_dir_all(&data)
                        .map_err(|e| fail(format!("{}: {e}", data.display())))?;
                    java.arg("-dbPath").arg(&data);
                } else {
                    java.arg("-inMemory");
                }
                java.current_dir(&dir);
                procs.spawn(
                    "DynamoDB Local",
                    "DynamoDBLocal",
                    &mut java,
                    &dir.join("dynamodb.log"),
                )?;
                procs.spawn(
                    "moto",
                    "moto_server",
                    Command::new(installed.venv_bin.join("moto_server"))
                        .args(["-H", "127.0.0.1", "-p", &options.moto_port.to_string()])
                        .envs(options.moto_env.iter().map(|(k, v)| (k, v))),
                    &dir.join("moto.log"),
                )?;
                Endpoints {
                    dynamodb: format!("http://127.0.0.1:{}", options.dynamodb_port),
                    moto: format!("http://127.0.0.1:{}", options.moto_port),
                    external: false,
                }
            }
        };

        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config(&endpoints.dynamodb)?);
        let sqs = aws_sdk_sqs::Client::new(&sdk_config(&endpoints.moto)?);
        let ses = aws_sdk_ses::Client::new(&sdk_config(&endpoints.moto)?);
        let secrets = aws_sdk_secretsmanager::Client::new(&sdk_config(&endpoints.moto)?);
        let dynamodb_log = dir.join("dynamodb.log").display().to_string();
        wait_for(
            "DynamoDB",
            &dynamodb_log,
            Duration::from_secs(60),
            &mut procs,
            || async { dynamodb.list_tables().send().await.is_ok() },
        )
        .await?;
        let moto_log = dir.join("moto.log").display().to_string();
        wait_for(
            "SQS/SES/Secrets Manager",
            &moto_log,
            Duration::from_secs(60),
            &mut procs,
            || async { sqs.list_queues().send().await.is_ok() },
        )
        .await?;

        step(3, total, "create the tables and queues of template.yaml");
        let mut template =
            Template::load(&root.join("template.yaml")).map_err(|e| fail(e.to_string()))?;
        for (name, value) in &options.parameters {
            template.set_parameter(name, value.clone());
        }
        let queue_urls = resources::create_all(&template, &dynamodb, &sqs).await?;
        resources::verify_sender(&ses, SENDER_EMAIL).await?;
        println!("  SES sender {SENDER_EMAIL} verified");

        step(4, total, "token keys and the signing key secret");
        let keys = keys::ensure()?;
        let lambda_env = workspace_lambda_env()?;
        let secret_name = lambda_env
            .iter()
            .find(|(k, _)| k == "JWT_SIGNING_KEY_SECRET")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| fail("Cargo.toml lambda env has no JWT_SIGNING_KEY_SECRET"))?;
        let secret = serde_json::to_string(&keys.current).map_err(|e| fail(e.to_string()))?;
        resources::put_secret(&secrets, &secret_name, &secret).await?;
        println!("  secret {secret_name} holds key {}", keys.current.kid);

        step(5, total, "the local admin and the demo catalogue");
        let table_name = |var: &str| {
            lambda_env
                .iter()
                .find(|(k, _)| k == var)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| fail(format!("Cargo.toml lambda env has no {var}")))
        };
        let users = shared::aws::UsersTable::new(dynamodb.clone(), table_name("USERS_TABLE")?);
        match ops::create_admin(&users, ADMIN_USERNAME, ADMIN_EMAIL, &admin_password()).await {
            Ok(_) => println!("  admin {ADMIN_USERNAME} created"),
            Err(shared::Error::UsernameTaken | shared::Error::EmailTaken) => {
                println!("  admin {ADMIN_USERNAME} exists")
            }
            Err(e) => return Err(fail(format!("creating the local admin: {e}"))),
        }
        let products =
            shared::aws::ProductsTable::new(dynamodb.clone(), table_name("PRODUCTS_TABLE")?);
        let seeded = ops::seed::seed(&products)
            .await
            .map_err(|e| fail(format!("seeding the demo catalogue: {e}")))?;
        println!(
            "  demo catalogue: {} products created, {} already there",
            seeded.created, seeded.present
        );
        let shipping =
            shared::aws::ShippingOptions::new(dynamodb.clone(), table_name("ORDERS_TABLE")?);
        let seeded = ops::seed::seed_shipping(&shipping)
            .await
            .map_err(|e| fail(format!("seeding the shipping options: {e}")))?;
        println!(
            "  shipping options: {} created, {} already there",
            seeded.created, seeded.present
        );

        // What the functions get beyond Cargo.toml's static settings.
        let mut function_env: Vec<(String, String)> = if endpoints.external {
            vec![("AWS_ENDPOINT_URL".into(), endpoints.dynamodb.clone())]
        } else {
            vec![
                (
                    "AWS_ENDPOINT_URL_DYNAMODB".into(),
                    endpoints.dynamodb.clone(),
                ),
                ("AWS_ENDPOINT_URL_SQS".into(), endpoints.moto.clone()),
                ("AWS_ENDPOINT_URL_SES".into(), endpoints.moto.clone()),
                (
                    "AWS_ENDPOINT_URL_SECRETS_MANAGER".into(),
                    endpoints.moto.clone(),
                ),
            ]
        };
        function_env.push(("JWT_PUBLIC_KEYS".into(), keys.jwks.clone()));
        function_env.push(("CURSOR_SECRET".into(), keys.cursor_secret.clone()));
        function_env.push(("IDEMPOTENCY_SECRET".into(), keys.idempotency_secret.clone()));
        function_env.push(("SENDER_EMAIL".into(), SENDER_EMAIL.into()));
        // The links in mails lead to this stack's storefront.
        function_env.push((
            "SHOP_URL".into(),
            format!("http://127.0.0.1:{}", options.api_port),
        ));
        for (id, url) in &queue_urls {
            function_env.push((format!("{}_URL", screaming(id)), url.clone()));
        }
        function_env.extend(options.function_env.iter().cloned());

        step(6, total, "build every function");
        let binaries: Vec<String> = template
            .function_binaries()
            .into_iter()
            .map(|(_, bin)| bin)
            .collect();
        let build_log = dir.join("build.log");
        let mut cargo = crate::cargo();
        cargo
            .envs(options.cargo_env.iter().map(|(k, v)| (k, v)))
            .arg("build");
        if options.release {
            cargo.arg("--release");
        }
        for bin in &binaries {
            cargo.args(["--bin", bin]);
        }
        println!(
            "  cargo build {} binaries (log: {})",
            binaries.len(),
            build_log.display()
        );
        let out = std::fs::File::create(&build_log).map_err(|e| fail(e.to_string()))?;
        let err = out.try_clone().map_err(|e| fail(e.to_string()))?;
        let status = cargo
            .stdout(out)
            .stderr(err)
            .status()
            .map_err(|e| fail(format!("cargo build: {e}")))?;
        if !status.success() {
            return Err(fail(format!(
                "building the functions failed; see {}",
                build_log.display()
            )));
        }

        step(7, total, "run the functions under cargo lambda watch");
        check_port_free(options.api_port, "the API", "FERROCART_API_PORT")?;
        let path = format!(
            "{}:{}",
            installed.venv_bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut watch = crate::cargo();
        watch
            .env("PATH", path)
            .envs(function_env.iter().map(|(k, v)| (k, v)))
            .args([
                "lambda",
                "watch",
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
            ])
            .arg(options.api_port.to_string())
            .arg("--concurrency")
            .arg(options.concurrency.to_string())
            .envs(options.cargo_env.iter().map(|(k, v)| (k, v)));
        if options.release {
            watch.arg("--release");
        }
        if !options.hot_reload {
            watch.arg("--ignore-changes");
        }
        let functions_log = dir.join("functions.log");
        procs.spawn("cargo lambda watch", "lambda", &mut watch, &functions_log)?;
        let api_url = format!("http://127.0.0.1:{}", options.api_port);
        warm(&api_url, &functions_log.display().to_string(), &mut procs).await?;
        let scheduler = tokio::spawn(run_schedules(
            api_url.clone(),
            options.schedule_every,
            dir.join("schedules.log"),
        ));

        let mut client_env: Vec<(String, String)> = lambda_env;
        client_env.extend(function_env);
        client_env.push(("FERROCART_API_URL".into(), api_url.clone()));
        client_env.push((
            "FERROCART_KEYS_DIR".into(),
            keys::dir().display().to_string(),
        ));
        client_env.push(("FERROCART_STACK_DIR".into(), dir.display().to_string()));
        if let Some(st) = &schemathesis {
            client_env.push(("FERROCART_SCHEMATHESIS".into(), st.display().to_string()));
        }

        client_env.push(("FERROCART_ADMIN_USERNAME".into(), ADMIN_USERNAME.into()));
        client_env.push(("FERROCART_ADMIN_PASSWORD".into(), admin_password()));
        let mut describe = vec![
            format!("  the shop                          {api_url}/"),
            format!(
                "  API                               {api_url}   (functions log: {})",
                functions_log.display()
            ),
            format!("  its OpenAPI description           {api_url}/openapi.yaml"),
        ];
        if !endpoints.external {
            describe.push(format!(
                "  DynamoDB Local                    {}   (log: {dynamodb_log})",
                endpoints.dynamodb
            ));
            describe.push(format!(
                "  moto: SQS, SES, Secrets Manager   {}   (log: {moto_log})",
                endpoints.moto
            ));
            describe.push(format!(
                "  mail sent through SES             {}/moto-api/data.json",
                endpoints.moto
            ));
        } else {
            describe.push(format!(
                "  AWS services                      {}",
                endpoints.dynamodb
            ));
        }
        describe.push(format!(
            "  admin (local stack only)          username {ADMIN_USERNAME}, password {}",
            if std::env::var("FERROCART_ADMIN_PASSWORD").is_ok_and(|p| !p.is_empty()) {
                "from FERROCART_ADMIN_PASSWORD"
            } else {
                DEFAULT_ADMIN_PASSWORD
            }
        ));
        describe.push(format!(
            "  scheduled functions               {} every {} s   (log: {})",
            SCHEDULED.join(", "),
            options.schedule_every.as_secs(),
            dir.join("schedules.log").display()
        ));
        let queue_url = queue_urls
            .get(CONSUMED_QUEUE)
            .cloned()
            .ok_or_else(|| fail(format!("template.yaml declares no {CONSUMED_QUEUE}")))?;
        let poller = if options.consume_queue {
            describe.push(format!(
                "  queue poller                      {CONSUMED_QUEUE} -> {CONSUMER}   (log: {})",
                dir.join("poller.log").display()
            ));
            tokio::spawn(crate::poller::run(
                sqs.clone(),
                queue_url,
                api_url.clone(),
                CONSUMER.to_owned(),
                dir.join("poller.log"),
            ))
        } else {
            tokio::spawn(async {})
        };
        Ok(Self {
            procs,
            scheduler,
            poller,
            dir,
            api_url,
            client_env,
            describe,
        })
    }

    /// An error if any process of the stack has exited.
    pub fn check(&mut self) -> Result<()> {
        self.procs.check()
    }

    pub fn stop(mut self) {
        self.scheduler.abort();
        self.poller.abort();
        self.procs.stop_all();
    }
}

/// The queue Lambda's event source mapping feeds to the consumer when deployed.
pub const CONSUMED_QUEUE: &str = "EventsQueue";
pub const CONSUMER: &str = "send-notification";

/// The functions EventBridge runs on a schedule when deployed.
pub const SCHEDULED: [&str; 2] = ["expire-orders", "resend-payment-events"];

/// Invokes `function` through cargo lambda watch's Lambda invoke API with the
/// sample scheduled event; returns its answer.
pub async fn invoke(api: &str, function: &str) -> Result<serde_json::Value> {
    let path = root().join("events").join(format!("{function}.json"));
    let event = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .ok_or_else(|| fail(format!("events/{function}.json is not a JSON event")))?;
    crate::invoke(api, function, &event).await
}

/// Runs the scheduled functions every `every`, as EventBridge would, writing
/// each outcome to `log`.
async fn run_schedules(api: String, every: Duration, log: PathBuf) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .ok();
    loop {
        tokio::time::sleep(every).await;
        for function in SCHEDULED {
            let outcome = match invoke(&api, function).await {
                Ok(answer) => format!("{function}: {answer}"),
                Err(error) => format!("{function}: {error}"),
            };
            if let Some(f) = file.as_mut() {
                let _ = writeln!(f, "{outcome}");
            }
        }
    }
}

/// `EventsQueue` → `EVENTS_QUEUE`.
pub fn screaming(id: &str) -> String {
    let mut out = String::new();
    for (i, c) in id.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Sends each function a request it answers without side effects, so its
/// first real caller does not wait for a cold start; checks the answers.
async fn warm(api: &str, log: &str, procs: &mut Procs) -> Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    const NO_PRODUCT: &str = "/products/00000000000000000000000000";
    const NO_ORDER: &str = "/orders/00000000000000000000000000";
    let probes: [(&str, &str, Option<&str>, u16); 20] = [
        ("GET", "/health", None, 200),
        ("GET", "/", None, 200),
        ("POST", "/users/register", Some("{}"), 422),
        ("POST", "/users/login", Some("{}"), 422),
        ("GET", "/users/me", None, 401),
        ("GET", "/products?limit=1", None, 200),
        ("GET", NO_PRODUCT, None, 404),
        ("POST", "/products", Some("{}"), 401),
        ("PATCH", NO_PRODUCT, Some("{}"), 401),
        ("DELETE", NO_PRODUCT, None, 401),
        ("GET", "/orders", None, 401),
        ("POST", "/orders", Some("{}"), 401),
        ("GET", NO_ORDER, None, 401),
        (
            "POST",
            "/orders/00000000000000000000000000/cancel",
            None,
            401,
        ),
        ("POST", "/payments", Some("{}"), 401),
        ("GET", "/payments/00000000000000000000000000", None, 401),
        ("GET", "/notifications", None, 401),
        ("POST", "/notifications", Some("{}"), 401),
        (
            "GET",
            "/notifications/00000000000000000000000000",
            None,
            401,
        ),
        ("GET", "/no/such/route", None, 404),
    ];
    for (method, path, body, expected) in probes {
        let url = format!("{api}{path}");
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let mut request = client.request(method.parse().map_err(|_| fail("method"))?, &url);
            if let Some(body) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(body);
            }
            match request.send().await {
                Ok(response) if response.status().as_u16() == expected => break,
                Ok(response) if !response.status().is_server_error() => {
                    return Err(fail(format!(
                        "{method} {path} answered {} (expected {expected}); see {log}",
                        response.status()
                    )));
                }
                _ => {}
            }
            procs.check()?;
            if Instant::now() > deadline {
                return Err(fail(format!(
                    "{method} {path} did not answer {expected} in time; see {log}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        println!("  {method} {path} -> {expected}");
    }
    for function in SCHEDULED {
        let answer = invoke(api, function).await?;
        println!("  invoke {function} -> {answer}");
    }
    let answer =
        crate::poller::invoke_consumer(api, CONSUMER, &serde_json::json!({"Records": []})).await?;
    println!("  invoke {CONSUMER} (empty batch) -> {answer:?}");
    Ok(())
}
