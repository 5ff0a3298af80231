//! `make bench`: builds the deployable release bootstraps, starts the local
//! stack, and measures every function: cold start against a minimal Runtime
//! API, warm latency, memory, size, and latency through the whole local stack,
//! and the storefront's catalogue page in headless Chromium. Writes the
//! figures into BENCHMARKS.md.

mod cases;
mod measure;
mod report;
mod runtime_api;
mod seed;
mod storefront;

use dev::stack::{Options, Stack};
use dev::{Result, fail, root};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// Iteration counts. The defaults keep `make bench` on a clean clone (its
/// release build included) inside 15 minutes on 2 cores: one repeat of the
/// harness takes about 3 minutes there, so three (their medians) are an
/// option, `FERROCART_BENCH_REPEATS=3`.
pub struct Plan {
    pub repeats: usize,
    pub cold: usize,
    pub warmup: usize,
    pub warm: usize,
    pub stack_warmup: usize,
    pub stack_requests: usize,
    pub enumeration_names: usize,
    pub dynamodb_warmup: usize,
    /// SQS SendMessage and SES SendEmail round trips to moto per repeat.
    pub moto_references: usize,
    /// Timed loads of the catalogue in one browser, after `storefront_warmup`.
    pub storefront: usize,
    pub storefront_warmup: usize,
    /// Loads in a fresh profile each, the first one's transfer included.
    pub storefront_cold: usize,
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Plan {
    fn from_env() -> Self {
        Self {
            repeats: env_number("FERROCART_BENCH_REPEATS", 1).max(1),
            cold: env_number("FERROCART_BENCH_COLD", 30),
            warmup: 50,
            warm: env_number("FERROCART_BENCH_WARM", 1000),
            stack_warmup: 24,
            stack_requests: env_number("FERROCART_BENCH_STACK", 200),
            enumeration_names: 50,
            dynamodb_warmup: 10_000,
            moto_references: 200,
            storefront: env_number("FERROCART_BENCH_STOREFRONT", 30).max(1),
            storefront_warmup: 5,
            storefront_cold: 5,
        }
    }

    /// Items one pooled function uses up over the whole run.
    fn pool_size(&self) -> usize {
        self.repeats * (self.cold + self.warmup + self.warm)
            + 2 * self.stack_warmup
            + self.stack_requests * 3
            + 16
    }
}

/// The target and flags `cargo lambda build` passes to cargo (as `--config`;
/// panic=abort is in `[profile.release]` already). The local stack's release
/// build and `cargo lambda watch` get the same through the environment, so all
/// of them reuse one build of the functions and their dependencies.
pub fn cargo_env() -> Vec<(String, String)> {
    let host = Command::new("rustc")
        .arg("-vV")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        })
        .unwrap_or_else(|| "x86_64-unknown-linux-gnu".into());
    let mut env = vec![("CARGO_BUILD_TARGET".to_owned(), host.clone())];
    if host.starts_with("x86_64") {
        env.push((
            "CARGO_BUILD_RUSTFLAGS".to_owned(),
            "-C target-cpu=haswell".to_owned(),
        ));
    }
    env
}

/// Where the run's time went, in order.
#[derive(Default)]
pub struct Phases(pub Vec<(&'static str, Duration)>);

impl Phases {
    fn done(&mut self, what: &'static str, since: Instant) {
        let took = since.elapsed();
        println!("  ({what}: {:.0} s)", took.as_secs_f64());
        self.0.push((what, took));
    }
}

fn took_ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn port(var: &str, default: u16) -> u16 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn options() -> Options {
    Options {
        name: "bench".into(),
        dynamodb_port: port("FERROCART_BENCH_DYNAMODB_PORT", 8200),
        moto_port: port("FERROCART_BENCH_MOTO_PORT", 5200),
        api_port: port("FERROCART_BENCH_API_PORT", 9200),
        persist: false,
        hot_reload: false,
        concurrency: 8,
        function_env: Vec::new(),
        parameters: Vec::new(),
        // The schedules would run beside the measurements; the benchmark invokes them itself.
        schedule_every: Duration::from_secs(24 * 3600),
        schemathesis: false,
        release: true,
        cargo_env: cargo_env(),
        consume_queue: false,
        // Real SQS allows one PurgeQueue a minute; the benchmark purges more
        // often (see `measure::Queues`).
        moto_env: vec![(
            "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR".into(),
            "false".into(),
        )],
    }
}

/// Builds every function and the floor with `cargo lambda build --release`
/// into `target/lambda/<fn>/bootstrap`, then their zips into `target/lambda-zip/`.
/// `--compiler cargo` rather than the default zig: zig as C compiler and linker
/// changes the build environment of ring's C code, so the local stack (which
/// builds with plain cargo) would compile every dependency a second time; the
/// Rust code, the flags and the profile are the same either way.
fn build(venv_bin: &std::path::Path) -> Result<Duration> {
    let started = Instant::now();
    let log_dir = dev::local_dir().join("bench");
    std::fs::create_dir_all(&log_dir).map_err(|e| fail(e.to_string()))?;
    let path = format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (extra, log) in [
        (vec![], "lambda-build.log"),
        (
            vec![
                "--output-format",
                "zip",
                "--lambda-dir",
                "target/lambda-zip",
            ],
            "zip.log",
        ),
    ] {
        let log = log_dir.join(log);
        let out = std::fs::File::create(&log).map_err(|e| fail(e.to_string()))?;
        let err = out.try_clone().map_err(|e| fail(e.to_string()))?;
        let mut cargo = dev::cargo();
        cargo
            .env("PATH", &path)
            // cargo-lambda passes the flags itself; given in the environment
            // as well (make sets them for this process), they would reach
            // rustc twice, and a different command line is a second build of
            // every crate.
            .envs(cargo_env())
            .env_remove("CARGO_BUILD_RUSTFLAGS")
            .args(["lambda", "build", "--release", "--compiler", "cargo"])
            .args(&extra);
        for function in cases::functions() {
            cargo.args(["--bin", function]);
        }
        cargo.args(["--bin", cases::FLOOR]);
        println!(
            "  cargo lambda build --release {} (log: {})",
            extra.join(" "),
            log.display()
        );
        let status = cargo
            .stdout(out)
            .stderr(err)
            .status()
            .map_err(|e| fail(format!("cargo lambda build: {e}")))?;
        if !status.success() {
            return Err(fail(format!(
                "cargo lambda build failed; see {}",
                log.display()
            )));
        }
    }
    Ok(started.elapsed())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let started = Instant::now();
    let plan = Plan::from_env();
    let machine = report::Machine::collect();
    println!("bench: {}", machine.summary());

    println!("[bench 1/8] install what is missing, build the release bootstraps");
    let installed = dev::install::stack(true)?;
    let build_time = build(&installed.venv_bin)?;
    println!("  built in {:.0} s", build_time.as_secs_f64());
    let mut phases = Phases::default();
    phases.done("install and `cargo lambda build`", started);

    println!("[bench 2/8] the local stack (release functions)");
    let phase = Instant::now();
    let stack = Stack::start(&options()).await?;
    phases.done("start the local stack", phase);
    let outcome = measure_all(&stack, &plan, machine, build_time, phases, started).await;
    stack.stop();
    let results = outcome?;
    if let Some(only) = cases::only() {
        println!(
            "\nmeasured {} alone in {:.0} s; BENCHMARKS.md left as it is",
            only.join(", "),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let path = root().join("BENCHMARKS.md");
    report::write(&path, &results)?;
    println!(
        "\nwrote {} in {:.0} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn measure_all(
    stack: &Stack,
    plan: &Plan,
    machine: report::Machine,
    build_time: Duration,
    mut phases: Phases,
    started: Instant,
) -> Result<report::Results> {
    let env = |name: &str| {
        stack
            .client_env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| fail(format!("the stack sets no {name}")))
    };
    let dynamodb_endpoint = env("AWS_ENDPOINT_URL_DYNAMODB")?;
    let dynamodb = aws_sdk_dynamodb::Client::new(&dev::stack::sdk_config(&dynamodb_endpoint)?);
    let moto = dev::stack::sdk_config(&env("AWS_ENDPOINT_URL_SQS")?)?;
    let sqs = aws_sdk_sqs::Client::new(&moto);
    let ses = aws_sdk_ses::Client::new(&moto);
    let sender = env("SENDER_EMAIL")?;
    let products_table = env("PRODUCTS_TABLE")?;

    // Before the seeding: the catalogue is then the stack's demo catalogue, as
    // a shopper sees it, not the benchmark's pools of copies.
    let storefront = if cases::selected("storefront") {
        println!(
            "[bench 3/8] the storefront in headless Chromium: {} cold loads (fresh profile each), {} warm (after {} warm-up)",
            plan.storefront_cold, plan.storefront, plan.storefront_warmup
        );
        let phase = Instant::now();
        let figures = storefront::measure(&stack.api_url, plan).await?;
        phases.done("the storefront in headless Chromium", phase);
        Some(figures)
    } else {
        println!("[bench 3/8] the storefront: not selected");
        None
    };

    println!(
        "[bench 4/8] seed a user, a product, an order, a payment, a notification, and the pools"
    );
    let phase = Instant::now();
    let tables = seed::Tables {
        orders: shared::aws::OrdersTable::new(dynamodb.clone(), env("ORDERS_TABLE")?),
        products: shared::aws::ProductsTable::new(dynamodb.clone(), products_table.clone()),
    };
    let seeds = seed::seed(&stack.api_url, &tables, plan).await?;
    phases.done("seed", phase);

    println!(
        "[bench 5/8] warm DynamoDB Local up ({} GetItems)",
        plan.dynamodb_warmup
    );
    let phase = Instant::now();
    measure::warm_dynamodb(
        &dynamodb,
        &products_table,
        &seeds.seeds.product_id,
        plan.dynamodb_warmup,
    )
    .await?;
    phases.done("warm DynamoDB Local up", phase);

    // What a deployed function gets from its configuration: the stack's
    // function environment, without the client-only settings.
    let function_env: Vec<(String, String)> = stack
        .client_env
        .iter()
        .filter(|(k, _)| !k.starts_with("FERROCART_"))
        .cloned()
        .collect();

    println!(
        "[bench 6/8] the Runtime API harness: {} repeats of {} cold starts and {} warm invocations per function",
        plan.repeats, plan.cold, plan.warm
    );
    let queues = measure::Queues::of_stack(sqs.clone()).await?;
    let harness = measure::Harness::new(function_env.clone(), queues.clone())?;
    let phase = Instant::now();
    let mut runs = Vec::new();
    for repeat in 0..plan.repeats {
        println!("  repeat {}/{}", repeat + 1, plan.repeats);
        let get_item = measure::raw_get_item(
            &dynamodb,
            &products_table,
            &seeds.seeds.product_id,
            plan.warm,
        )
        .await?;
        let bare_get_item = tokio::task::block_in_place(|| {
            measure::bare_get_item(
                &dynamodb_endpoint,
                &products_table,
                &seeds.seeds.product_id,
                plan.warm,
            )
        })?;
        let send_message = measure::raw_send_message(&sqs, plan.moto_references).await?;
        let send_email = measure::raw_send_email(&ses, &sender, plan.moto_references).await?;
        for (what, took) in [
            ("raw GetItem", &get_item),
            ("bare GetItem", &bare_get_item),
            ("raw SendMessage", &send_message),
            ("raw SendEmail", &send_email),
        ] {
            println!(
                "    {what:<22} p50 {:>6.3} ms   p99 {:>6.3} ms",
                took_ms(report::percentile(took, 50.0)),
                took_ms(report::percentile(took, 99.0))
            );
        }
        let seeds_ref = &seeds.seeds;
        let functions = tokio::task::block_in_place(|| harness.run_all(plan, seeds_ref))?;
        runs.push(measure::Run {
            functions,
            get_item,
            bare_get_item,
            send_message,
            send_email,
        });
    }
    phases.done("the Runtime API harness, all repeats", phase);
    let phase = Instant::now();
    let argon2 = tokio::task::block_in_place(measure::argon2);
    let init_pieces = measure::init_pieces(&function_env, 200).await?;
    for (what, took) in &init_pieces {
        println!(
            "    init piece: {what}: {:.3} ms",
            took.as_secs_f64() * 1000.0
        );
    }
    let enumeration = if cases::selected("login") {
        tokio::task::block_in_place(|| harness.enumeration(&seeds.seeds, &seeds.known, plan))?
    } else {
        measure::Enumeration::default()
    };

    phases.done("Argon2id, init pieces, login enumeration", phase);

    println!(
        "[bench 7/8] through the local stack: {} requests at 1 and at 8 concurrent clients",
        plan.stack_requests
    );
    let phase = Instant::now();
    let through_stack = measure::through_stack(&stack.api_url, &seeds.seeds, plan, &queues).await?;
    phases.done("through the local stack", phase);

    println!("[bench 8/8] report");
    let sizes = measure::sizes()?;
    Ok(report::Results {
        machine,
        plan_text: format!(
            "{} repeats; each: {} cold starts and {} warm invocations (after {} warm-up) per function; \
             through the stack {} requests per concurrency level (after {} warm-up); \
             DynamoDB Local warmed with {} GetItems; the storefront {} cold loads and {} warm (after {} warm-up)",
            plan.repeats,
            plan.cold,
            plan.warm,
            plan.warmup,
            plan.stack_requests,
            plan.stack_warmup,
            plan.dynamodb_warmup,
            plan.storefront_cold,
            plan.storefront,
            plan.storefront_warmup
        ),
        runs,
        argon2,
        init_pieces,
        enumeration,
        through_stack,
        storefront,
        sizes,
        build_time,
        phases: phases.0,
        total_time: started.elapsed(),
        load_after: report::load(),
    })
}
