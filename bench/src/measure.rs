//! The measurements: bootstraps against the Runtime API harness, the raw
//! DynamoDB round trip, Argon2id, the login enumeration test, and requests
//! through the whole local stack.

use crate::Plan;
use crate::cases::{self, FLOOR, FUNCTIONS, Request, Seeds};
use crate::runtime_api::RuntimeApi;
use dev::{Result, fail, root};
use futures::StreamExt;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One repeat's figures for one function in the harness.
pub struct FunctionRun {
    pub init: Vec<Duration>,
    pub first: Vec<Duration>,
    pub warm: Vec<Duration>,
    pub rss_kib: u64,
}

pub struct Run {
    pub functions: HashMap<String, FunctionRun>,
    pub get_item: Vec<Duration>,
    pub bare_get_item: Vec<Duration>,
    pub send_message: Vec<Duration>,
    pub send_email: Vec<Duration>,
}

#[derive(Default)]
pub struct Enumeration {
    pub known: Vec<Duration>,
    pub known_wrong: Vec<Duration>,
    pub unknown: Vec<Duration>,
}

pub struct StackFigures {
    pub latencies: Vec<Duration>,
    pub wall: Duration,
}

/// (function, concurrency) → figures.
pub type ThroughStack = Vec<(String, usize, StackFigures)>;

pub struct Sizes {
    /// function → (bootstrap bytes, zip bytes)
    pub files: HashMap<String, (u64, u64)>,
}

/// The stack's queues. Nothing consumes them during the benchmark, and moto's
/// SendMessage slows down as a queue fills (about 8 ms to an empty queue, 60
/// ms at 2,000 messages), which real SQS does not: so they are purged before
/// each function that publishes and every `PURGE_EVERY` calls of one,
/// outside the timings.
#[derive(Clone)]
pub struct Queues {
    client: aws_sdk_sqs::Client,
    urls: Vec<String>,
}

pub const PURGE_EVERY: usize = 100;

impl Queues {
    pub async fn of_stack(client: aws_sdk_sqs::Client) -> Result<Self> {
        let listed = client
            .list_queues()
            .send()
            .await
            .map_err(|e| fail(format!("ListQueues: {e:?}")))?;
        let urls = listed.queue_urls().to_vec();
        if urls.is_empty() {
            return Err(fail("the stack has no queues"));
        }
        Ok(Self { client, urls })
    }

    pub async fn purge(&self) -> Result<()> {
        for url in &self.urls {
            self.client
                .purge_queue()
                .queue_url(url)
                .send()
                .await
                .map_err(|e| fail(format!("PurgeQueue {url}: {e:?}")))?;
        }
        Ok(())
    }
}

pub fn bootstrap(function: &str) -> PathBuf {
    root()
        .join("target/lambda")
        .join(function)
        .join("bootstrap")
}

pub fn sizes() -> Result<Sizes> {
    let mut files = HashMap::new();
    for function in cases::functions().chain([FLOOR]) {
        let size = |path: PathBuf| {
            std::fs::metadata(&path)
                .map(|m| m.len())
                .map_err(|e| fail(format!("{}: {e}", path.display())))
        };
        let binary = size(bootstrap(function))?;
        let zip = size(
            root()
                .join("target/lambda-zip")
                .join(function)
                .join("bootstrap.zip"),
        )?;
        files.insert(function.to_owned(), (binary, zip));
    }
    Ok(Sizes { files })
}

pub struct Harness {
    env: Vec<(String, String)>,
    queues: Queues,
    runtime: tokio::runtime::Handle,
    templates: HashMap<String, Value>,
    logs: PathBuf,
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmHWM:")
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
        })
        .unwrap_or(0)
}

struct Process {
    child: Child,
    logs: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(logs) = self.logs.take() {
            let _ = logs.join();
        }
    }
}

/// Copies a function's output into its log file in large writes. Lambda gives
/// a function a pipe, not a file: a write to a file under the project's tree
/// also wakes every inotify watcher of that tree, on the function's time.
fn drain(mut output: std::io::PipeReader, log: std::fs::File) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut log = std::io::BufWriter::with_capacity(1 << 16, log);
        let _ = std::io::copy(&mut output, &mut log);
        let _ = std::io::Write::flush(&mut log);
    })
}

impl Harness {
    pub fn new(env: Vec<(String, String)>, queues: Queues) -> Result<Self> {
        let mut templates = HashMap::new();
        for (function, _) in FUNCTIONS {
            let path = root().join("events").join(format!("{function}.json"));
            let text = std::fs::read_to_string(&path)
                .map_err(|e| fail(format!("{}: {e}", path.display())))?;
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| fail(format!("{}: {e}", path.display())))?;
            templates.insert(function.to_owned(), value);
        }
        let logs = dev::local_dir().join("bench/functions");
        std::fs::create_dir_all(&logs).map_err(|e| fail(e.to_string()))?;
        Ok(Self {
            env,
            queues,
            runtime: tokio::runtime::Handle::current(),
            templates,
            logs,
        })
    }

    fn spawn(&self, function: &str, api: &RuntimeApi) -> Result<Process> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.logs.join(format!("{function}.log")))
            .map_err(|e| fail(e.to_string()))?;
        let (output, out) = std::io::pipe().map_err(|e| fail(e.to_string()))?;
        let err = out.try_clone().map_err(|e| fail(e.to_string()))?;
        let dir = bootstrap(function)
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default();
        let child = Command::new(bootstrap(function))
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LAMBDA_TASK_ROOT", &dir)
            .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function}"),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| fail(format!("starting {function}: {e}")))?;
        Ok(Process {
            child,
            logs: Some(drain(output, log)),
        })
    }

    fn event(&self, function: &str, seeds: &Seeds) -> Result<(Request, Vec<u8>)> {
        if function == FLOOR {
            return Ok((Request::Raw(Value::Null), b"{}".to_vec()));
        }
        let request = cases::request(function, seeds).map_err(fail)?;
        let template = self.templates.get(function).unwrap_or(&Value::Null);
        let event = cases::api_gateway_event(template, &request);
        let bytes = serde_json::to_vec(&event).map_err(|e| fail(e.to_string()))?;
        Ok((request, bytes))
    }

    fn check(function: &str, request: &Request, answer: &[u8]) -> Result<()> {
        if function == FLOOR {
            return if answer == br#"{"ok":true}"# {
                Ok(())
            } else {
                Err(fail(format!(
                    "the floor answered {}",
                    String::from_utf8_lossy(answer)
                )))
            };
        }
        cases::check(function, request, answer).map_err(fail)
    }

    fn invoke(
        &self,
        function: &str,
        api: &RuntimeApi,
        process: &mut Process,
        seeds: &Seeds,
    ) -> Result<Duration> {
        let (request, event) = self.event(function, seeds)?;
        let outcome = api
            .invoke(&mut process.child, event, Duration::from_secs(30))
            .map_err(|e| fail(format!("{function}: {e}")))?;
        if !outcome.ok {
            return Err(fail(format!(
                "{function} reported an error: {}",
                String::from_utf8_lossy(&outcome.body)
            )));
        }
        Self::check(function, &request, &outcome.body)?;
        Ok(outcome.elapsed)
    }

    /// A fresh process and its init time.
    fn start(&self, function: &str) -> Result<(RuntimeApi, Process, Duration)> {
        let api = RuntimeApi::start(function).map_err(|e| fail(e.to_string()))?;
        let spawned = Instant::now();
        let mut process = self.spawn(function, &api)?;
        let ready = api
            .wait_ready(&mut process.child, Duration::from_secs(20))
            .map_err(|e| {
                fail(format!(
                    "{function}: {e}; see {}",
                    self.logs.join(format!("{function}.log")).display()
                ))
            })?;
        Ok((api, process, ready.saturating_duration_since(spawned)))
    }

    /// Called from the harness's blocking context.
    fn purge(&self, function: &str) -> Result<()> {
        if !cases::publishes(function) {
            return Ok(());
        }
        self.runtime.block_on(self.queues.purge())
    }

    fn function(&self, function: &str, plan: &Plan, seeds: &Seeds) -> Result<FunctionRun> {
        let mut init = Vec::with_capacity(plan.cold);
        let mut first = Vec::with_capacity(plan.cold);
        self.purge(function)?;
        for _ in 0..plan.cold {
            let (api, mut process, took) = self.start(function)?;
            init.push(took);
            first.push(self.invoke(function, &api, &mut process, seeds)?);
        }
        let (api, mut process, _) = self.start(function)?;
        let mut warm = Vec::with_capacity(plan.warm);
        for i in 0..plan.warmup + plan.warm {
            if i % PURGE_EVERY == 0 {
                self.purge(function)?;
            }
            let took = self.invoke(function, &api, &mut process, seeds)?;
            if i >= plan.warmup {
                warm.push(took);
            }
        }
        let rss_kib = peak_rss_kib(process.child.id());
        Ok(FunctionRun {
            init,
            first,
            warm,
            rss_kib,
        })
    }

    pub fn run_all(&self, plan: &Plan, seeds: &Seeds) -> Result<HashMap<String, FunctionRun>> {
        let mut runs = HashMap::new();
        for function in [FLOOR].into_iter().chain(cases::functions()) {
            let run = self.function(function, plan, seeds)?;
            println!(
                "    {function:<22} init p50 {:>6.2} ms   first {:>6.2} ms   warm p50 {:>6.3} ms p99 {:>6.3} ms   RSS {:>5.1} MiB",
                ms(crate::report::percentile(&run.init, 50.0)),
                ms(crate::report::percentile(&run.first, 50.0)),
                ms(crate::report::percentile(&run.warm, 50.0)),
                ms(crate::report::percentile(&run.warm, 99.0)),
                run.rss_kib as f64 / 1024.0
            );
            runs.insert(function.to_owned(), run);
        }
        Ok(runs)
    }

    /// Login with known names (right and wrong password) and unknown names,
    /// interleaved on one warm process.
    pub fn enumeration(&self, seeds: &Seeds, known: &[String], plan: &Plan) -> Result<Enumeration> {
        let function = "login";
        let (api, mut process, _) = self.start(function)?;
        for _ in 0..5 {
            self.invoke(function, &api, &mut process, seeds)?;
        }
        let template = self.templates.get(function).unwrap_or(&Value::Null);
        let mut login = |name: &str, password: &str, expect: u16| -> Result<Duration> {
            let request = Request::Http {
                method: "POST",
                path: "/users/login".into(),
                query: Vec::new(),
                id: None,
                headers: Vec::new(),
                body: Some(serde_json::json!({"username": name, "password": password})),
                expect,
            };
            let event = serde_json::to_vec(&cases::api_gateway_event(template, &request))
                .map_err(|e| fail(e.to_string()))?;
            let outcome = api
                .invoke(&mut process.child, event, Duration::from_secs(30))
                .map_err(|e| fail(format!("login: {e}")))?;
            cases::check(function, &request, &outcome.body).map_err(fail)?;
            Ok(outcome.elapsed)
        };
        let mut result = Enumeration {
            known: Vec::new(),
            known_wrong: Vec::new(),
            unknown: Vec::new(),
        };
        for name in known.iter().take(plan.enumeration_names) {
            let unknown = format!("u{}", ulid::Ulid::new().to_string().to_lowercase());
            result.unknown.push(login(&unknown, cases::PASSWORD, 401)?);
            result.known.push(login(name, cases::PASSWORD, 200)?);
            result
                .known_wrong
                .push(login(name, "not the passphrase at all", 401)?);
        }
        Ok(result)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn product_key(
    product_id: &str,
) -> Result<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let id = shared::domain::ProductId::parse(product_id)
        .ok_or_else(|| fail(format!("{product_id} is not a product id")))?;
    Ok(shared::aws::products_table::key(&id))
}

/// Sends `count` GetItems, 8 at a time: a fresh DynamoDB Local JVM is markedly
/// slower for its first ~10⁴ requests.
pub async fn warm_dynamodb(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    product_id: &str,
    count: usize,
) -> Result<()> {
    let key = product_key(product_id)?;
    let failures = futures::stream::iter(0..count)
        .map(|_| {
            client
                .get_item()
                .table_name(table)
                .set_key(Some(key.clone()))
                .send()
        })
        .buffer_unordered(8)
        .filter(|r| std::future::ready(r.is_err()))
        .count()
        .await;
    if failures > 0 {
        return Err(fail(format!("{failures} warm-up GetItems failed")));
    }
    Ok(())
}

/// One GetItem round trip from the benchmark itself, `count` times in a row.
pub async fn raw_get_item(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    product_id: &str,
    count: usize,
) -> Result<Vec<Duration>> {
    let key = product_key(product_id)?;
    let mut took = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let out = client
            .get_item()
            .table_name(table)
            .set_key(Some(key.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| fail(format!("GetItem: {e:?}")))?;
        took.push(started.elapsed());
        if out.item().is_none() {
            return Err(fail("GetItem found no seeded product"));
        }
    }
    Ok(took)
}

/// The same consistent GetItem over a bare HTTP/1.1 keep-alive socket with
/// TCP_NODELAY: no SDK, no signing (DynamoDB Local reads only the access key),
/// one write a request. What is left is DynamoDB Local's own share of a read.
pub fn bare_get_item(
    endpoint_url: &str,
    table: &str,
    product_id: &str,
    count: usize,
) -> Result<Vec<Duration>> {
    use std::io::{Read, Write};
    let key: serde_json::Map<String, Value> = product_key(product_id)?
        .into_iter()
        .map(|(name, value)| match value.as_s() {
            Ok(text) => Ok((name, serde_json::json!({ "S": text }))),
            Err(_) => Err(fail(format!("key attribute {name} is not a string"))),
        })
        .collect::<Result<_>>()?;
    // The endpoint the SDK clients are given, so both rows talk to one server.
    let url = reqwest::Url::parse(endpoint_url)
        .map_err(|e| fail(format!("DynamoDB endpoint {endpoint_url}: {e}")))?;
    let endpoint = match (url.scheme(), url.host_str(), url.port_or_known_default()) {
        ("http", Some(host), Some(port)) => format!("{host}:{port}"),
        _ => {
            return Err(fail(format!(
                "DynamoDB endpoint {endpoint_url} is not plain http"
            )));
        }
    };
    let body =
        serde_json::json!({ "TableName": table, "Key": key, "ConsistentRead": true }).to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {endpoint}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDB_20120810.GetItem\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/dynamodb/aws4_request, \
         SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let io = |e: std::io::Error| fail(format!("bare GetItem to {endpoint}: {e}"));
    let mut socket = std::net::TcpStream::connect(&endpoint).map_err(io)?;
    socket.set_nodelay(true).map_err(io)?;
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(io)?;
    let mut buffer = vec![0u8; 1 << 16];
    let mut took = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        socket.write_all(request.as_bytes()).map_err(io)?;
        let mut filled = 0;
        // Where the body starts and how long it is, once the head is in.
        let mut framing: Option<(usize, usize)> = None;
        let head = loop {
            if let Some((head, length)) = framing
                && filled >= head + length
            {
                break head;
            }
            if filled == buffer.len() {
                return Err(fail("DynamoDB Local's answer is too large"));
            }
            let read = socket.read(&mut buffer[filled..]).map_err(io)?;
            if read == 0 {
                return Err(fail("DynamoDB Local closed the connection"));
            }
            filled += read;
            if framing.is_none()
                && let Some(end) = buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n")
            {
                let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .ok_or_else(|| fail("DynamoDB Local answered without a Content-Length"))?;
                framing = Some((end + 4, length));
            }
        };
        took.push(started.elapsed());
        let answer = &buffer[..filled];
        if !answer.starts_with(b"HTTP/1.1 200") || !answer[head..].starts_with(b"{\"Item\"") {
            return Err(fail(format!(
                "bare GetItem: {}",
                String::from_utf8_lossy(answer)
            )));
        }
    }
    Ok(took)
}

/// SendMessage round trips to moto's SQS, one at a time, to a queue of the
/// benchmark's own (no consumer reads it): the emulator's share of every
/// function that publishes an event.
pub async fn raw_send_message(client: &aws_sdk_sqs::Client, count: usize) -> Result<Vec<Duration>> {
    let queue = client
        .create_queue()
        .queue_name("BenchReferenceQueue")
        .send()
        .await
        .map_err(|e| fail(format!("CreateQueue: {e:?}")))?;
    let url = queue
        .queue_url()
        .ok_or_else(|| fail("CreateQueue returned no URL"))?
        .to_owned();
    let mut took = Vec::with_capacity(count);
    for i in 0..count {
        let started = Instant::now();
        client
            .send_message()
            .queue_url(&url)
            .message_body(format!(r#"{{"reference":{i}}}"#))
            .send()
            .await
            .map_err(|e| fail(format!("SendMessage: {e:?}")))?;
        took.push(started.elapsed());
    }
    let _ = client.delete_queue().queue_url(&url).send().await;
    Ok(took)
}

/// SES SendEmail round trips to moto, one at a time, from the stack's
/// verified sender: the emulator's share of send-notification.
pub async fn raw_send_email(
    client: &aws_sdk_ses::Client,
    sender: &str,
    count: usize,
) -> Result<Vec<Duration>> {
    use aws_sdk_ses::types::{Body, Content, Destination, Message};
    let content = |text: &str| {
        Content::builder()
            .data(text)
            .build()
            .map_err(|e| fail(e.to_string()))
    };
    let message = Message::builder()
        .subject(content("Reference")?)
        .body(Body::builder().text(content("A reference mail.")?).build())
        .build();
    let mut took = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        client
            .send_email()
            .source(sender)
            .destination(
                Destination::builder()
                    .to_addresses("reference@ferrocart.local")
                    .build(),
            )
            .message(message.clone())
            .send()
            .await
            .map_err(|e| fail(format!("SendEmail: {e:?}")))?;
        took.push(started.elapsed());
    }
    Ok(took)
}

/// What each piece of a function's init costs, measured in this (release)
/// process with the functions' own environment: median of `count` each.
pub async fn init_pieces(
    env: &[(String, String)],
    count: usize,
) -> Result<Vec<(String, Duration)>> {
    fn median(mut took: Vec<Duration>) -> Duration {
        took.sort();
        took.get(took.len() / 2).copied().unwrap_or_default()
    }
    let var = |name: &str| {
        env.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| fail(format!("the function environment has no {name}")))
    };
    let sdk = shared::aws::sdk::from_variables(env.to_vec()).map_err(|e| fail(e.to_string()))?;
    // The median time to build a value, `count` times; each one is dropped
    // outside the timing.
    type Make<'a> = Box<dyn FnMut() -> Box<dyn std::any::Any> + 'a>;
    let build = |make: &mut dyn FnMut() -> Box<dyn std::any::Any>| {
        median(
            (0..count)
                .map(|_| {
                    let started = Instant::now();
                    let value = make();
                    let took = started.elapsed();
                    drop(value);
                    took
                })
                .collect(),
        )
    };
    let mut pieces = vec![(
        "SDK configuration, by hand (`shared::aws::sdk_config`)".to_owned(),
        build(&mut || Box::new(shared::aws::sdk::from_variables(env.to_vec()).ok())),
    )];

    let (jwks, issuer, audience) = (
        var("JWT_PUBLIC_KEYS")?,
        var("JWT_ISSUER")?,
        var("JWT_AUDIENCE")?,
    );
    let cursor = var("CURSOR_SECRET")?;
    let mut rest: [(&str, Make<'_>); 5] = [
        (
            "DynamoDB client",
            Box::new(|| Box::new(aws_sdk_dynamodb::Client::new(&sdk))),
        ),
        (
            "SQS client",
            Box::new(|| Box::new(aws_sdk_sqs::Client::new(&sdk))),
        ),
        (
            "SES client",
            Box::new(|| Box::new(aws_sdk_ses::Client::new(&sdk))),
        ),
        (
            "token verifier from JWT_PUBLIC_KEYS",
            Box::new(|| {
                Box::new(shared::auth::TokenVerifier::from_jwks(&jwks, &issuer, &audience).ok())
            }),
        ),
        (
            "cursor key from CURSOR_SECRET",
            Box::new(|| Box::new(shared::cursor::CursorKey::new(cursor.as_bytes()).ok())),
        ),
    ];
    for (what, make) in &mut rest {
        pieces.push(((*what).to_owned(), build(make.as_mut())));
    }
    Ok(pieces)
}

/// Argon2id hashes at the contract's parameters, in this (release) process.
pub fn argon2() -> Vec<Duration> {
    let hasher = shared::auth::PasswordHasher::new();
    (0..10)
        .map(|_| {
            let started = Instant::now();
            let _ = hasher.hash_blocking(cases::PASSWORD);
            started.elapsed()
        })
        .collect()
}

async fn stack_request(
    client: &reqwest::Client,
    base: &str,
    function: &str,
    seeds: &Seeds,
) -> Result<Duration> {
    let request = cases::request(function, seeds).map_err(fail)?;
    let started = Instant::now();
    match &request {
        Request::Http {
            method,
            path,
            query,
            headers,
            body,
            expect,
            ..
        } => {
            let method: reqwest::Method = method.parse().map_err(|_| fail("a method"))?;
            let mut builder = client.request(method, format!("{base}{path}")).query(query);
            for (k, v) in headers {
                builder = builder.header(*k, v);
            }
            if let Some(body) = body {
                builder = builder.json(body);
            }
            let response = builder
                .send()
                .await
                .map_err(|e| fail(format!("{function}: {e}")))?;
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            let took = started.elapsed();
            if status != *expect {
                return Err(fail(format!(
                    "{function} through the stack answered {status} (expected {expect}): {text}"
                )));
            }
            Ok(took)
        }
        Request::Raw(event) => {
            let response = client
                .post(format!(
                    "{base}/2015-03-31/functions/{function}/invocations"
                ))
                .json(event)
                .send()
                .await
                .map_err(|e| fail(format!("{function}: {e}")))?;
            let bytes = response.bytes().await.unwrap_or_default();
            let took = started.elapsed();
            cases::check(function, &request, &bytes).map_err(fail)?;
            Ok(took)
        }
    }
}

/// `count` requests from `concurrency` clients. A function that publishes
/// runs in chunks of `PURGE_EVERY` with the queues purged before each; the
/// wall time counts the requests only.
async fn load(
    client: &reqwest::Client,
    base: &str,
    function: &str,
    seeds: &Seeds,
    concurrency: usize,
    count: usize,
    queues: &Queues,
) -> Result<StackFigures> {
    let publishes = cases::publishes(function);
    let chunk = if publishes { PURGE_EVERY } else { count.max(1) };
    let mut figures = StackFigures {
        latencies: Vec::with_capacity(count),
        wall: Duration::ZERO,
    };
    let mut left = count;
    while left > 0 {
        let n = left.min(chunk);
        if publishes {
            queues.purge().await?;
        }
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let workers = (0..concurrency).map(|_| {
            let next = next.clone();
            async move {
                let mut took = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    took.push(stack_request(client, base, function, seeds).await?);
                }
                Ok::<_, dev::Failure>(took)
            }
        });
        for result in futures::future::join_all(workers).await {
            figures.latencies.extend(result?);
        }
        figures.wall += started.elapsed();
        left -= n;
    }
    Ok(figures)
}

pub async fn through_stack(
    base: &str,
    seeds: &Seeds,
    plan: &Plan,
    queues: &Queues,
) -> Result<ThroughStack> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(16)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let mut out = Vec::new();
    for function in cases::functions() {
        for concurrency in [1, 8] {
            // Warm-up at the same concurrency, so every instance has started.
            load(
                &client,
                base,
                function,
                seeds,
                concurrency,
                plan.stack_warmup,
                queues,
            )
            .await?;
            let figures = load(
                &client,
                base,
                function,
                seeds,
                concurrency,
                plan.stack_requests,
                queues,
            )
            .await?;
            println!(
                "    {function:<22} c={concurrency}  p50 {:>6.2} ms  p99 {:>6.2} ms  {:>6.0} req/s",
                ms(crate::report::percentile(&figures.latencies, 50.0)),
                ms(crate::report::percentile(&figures.latencies, 99.0)),
                figures.latencies.len() as f64 / figures.wall.as_secs_f64()
            );
            out.push((function.to_owned(), concurrency, figures));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_piece_of_init_is_timed() {
        let (_, jwk) = shared::auth::token::generate_key_pair("k1").unwrap();
        let env: Vec<(String, String)> = [
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "local".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "local".to_owned()),
            ("JWT_PUBLIC_KEYS", shared::auth::token::jwk_set(&[jwk])),
            ("JWT_ISSUER", "https://ferrocart.local".to_owned()),
            ("JWT_AUDIENCE", "ferrocart-api".to_owned()),
            ("CURSOR_SECRET", "x".repeat(32)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let pieces = init_pieces(&env, 3).await.unwrap();
        let names: Vec<&str> = pieces.iter().map(|(what, _)| what.as_str()).collect();
        assert_eq!(pieces.len(), 6, "{names:?}");
        assert!(names.contains(&"token verifier from JWT_PUBLIC_KEYS"));
        assert!(pieces.iter().all(|(_, took)| *took > Duration::ZERO));
        // A piece that failed to build would time almost nothing: the verifier
        // and the clients really were built.
        assert!(shared::auth::TokenVerifier::from_jwks(&env[3].1, &env[4].1, &env[5].1).is_ok());
    }
}
