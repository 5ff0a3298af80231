//! A minimal Lambda Runtime API (the `2018-06-01` endpoints a runtime client
//! calls), timing what Lambda itself reports: init ends at the first
//! `GET …/invocation/next`, a duration runs from handing the event out to
//! receiving the whole response. Every reply is one buffer in one write on a
//! socket with TCP_NODELAY, as the real service answers; otherwise the client's
//! next request waits on Nagle's algorithm and the figures lie.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Child;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const PREFIX: &str = "/2018-06-01/runtime";

/// One invocation's outcome.
pub struct Outcome {
    pub elapsed: Duration,
    /// `false` when the function called `/error`.
    pub ok: bool,
    pub body: Vec<u8>,
}

#[derive(Default)]
struct State {
    first_next: Option<Instant>,
    pending: Option<(String, Vec<u8>)>,
    handed_out: Option<(String, Instant)>,
    result: Option<Outcome>,
    init_error: Option<String>,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    function: String,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A handler thread that panicked leaves the data as it was; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct RuntimeApi {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    next_id: AtomicU64,
}

impl RuntimeApi {
    pub fn start(function: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            function: function.to_owned(),
        });
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.lock().stop {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let conn = accepting.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &conn);
                });
            }
        });
        Ok(Self {
            addr,
            shared,
            next_id: AtomicU64::new(1),
        })
    }

    /// Waits for the runtime's first `next` (the end of init); fails when the
    /// process exits, reports an init error, or `timeout` passes.
    pub fn wait_ready(&self, child: &mut Child, timeout: Duration) -> Result<Instant, String> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some(at) = state.first_next {
                return Ok(at);
            }
            if let Some(error) = &state.init_error {
                return Err(format!("init error: {error}"));
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("exited during init ({status})"));
            }
            if Instant::now() > deadline {
                return Err("no GET /invocation/next before the timeout".into());
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, Duration::from_millis(5))
                .map(|(s, _)| s)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// Hands `event` to the next `GET /invocation/next` and waits for the answer.
    pub fn invoke(
        &self,
        child: &mut Child,
        event: Vec<u8>,
        timeout: Duration,
    ) -> Result<Outcome, String> {
        let id = format!("bench-{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        state.result = None;
        state.pending = Some((id, event));
        self.shared.changed.notify_all();
        loop {
            if let Some(outcome) = state.result.take() {
                return Ok(outcome);
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("exited during an invocation ({status})"));
            }
            if Instant::now() > deadline {
                state.pending = None;
                return Err("no response before the timeout".into());
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, Duration::from_millis(20))
                .map(|(s, _)| s)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        // Wakes the accept loop so it sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Ok(None);
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("transfer-encoding")
                && value.eq_ignore_ascii_case("chunked")
            {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Some(Request { method, path, body }))
}

fn reply(stream: &mut TcpStream, status: &str, headers: &str, body: &[u8]) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    stream.write_all(&out)
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader)? {
        let path = request.path.strip_prefix(PREFIX).unwrap_or("");
        match (request.method.as_str(), path) {
            ("GET", "/invocation/next") => {
                let mut state = shared.lock();
                state.first_next.get_or_insert_with(Instant::now);
                shared.changed.notify_all();
                let (id, event) = loop {
                    if state.stop {
                        return Ok(());
                    }
                    if let Some(next) = state.pending.take() {
                        break next;
                    }
                    state = shared
                        .changed
                        .wait(state)
                        .unwrap_or_else(|e| e.into_inner());
                };
                let deadline = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis() + 30_000)
                    .unwrap_or_default();
                let headers = format!(
                    "lambda-runtime-aws-request-id: {id}\r\nlambda-runtime-deadline-ms: {deadline}\r\nlambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:{}\r\nlambda-runtime-trace-id: Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0\r\n",
                    shared.function
                );
                state.handed_out = Some((id, Instant::now()));
                drop(state);
                reply(&mut writer, "200 OK", &headers, &event)?;
            }
            ("POST", "/init/error") => {
                let mut state = shared.lock();
                state.init_error = Some(String::from_utf8_lossy(&request.body).into_owned());
                shared.changed.notify_all();
                drop(state);
                reply(&mut writer, "202 Accepted", "", br#"{"status":"OK"}"#)?;
            }
            ("POST", p) if p.starts_with("/invocation/") => {
                let received = Instant::now();
                let ok = p.ends_with("/response");
                if !ok && !p.ends_with("/error") {
                    reply(&mut writer, "404 Not Found", "", b"{}")?;
                    continue;
                }
                let mut state = shared.lock();
                let started = state.handed_out.take().map(|(_, at)| at);
                state.result = Some(Outcome {
                    elapsed: started.map(|at| received - at).unwrap_or_default(),
                    ok,
                    body: request.body,
                });
                shared.changed.notify_all();
                drop(state);
                reply(&mut writer, "202 Accepted", "", br#"{"status":"OK"}"#)?;
            }
            _ => reply(&mut writer, "404 Not Found", "", b"{}")?,
        }
    }
    Ok(())
}
