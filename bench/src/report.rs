//! The figures as BENCHMARKS.md tables, with each target met or missed. The
//! generated part sits between two markers; the rest of the file (the
//! analysis, the before/after records) is kept as it is.

use crate::cases::{FLOOR, FUNCTIONS, Kind};
use crate::measure::{Enumeration, Run, Sizes, ThroughStack};
use crate::storefront::Storefront;
use dev::{Result, fail, root};
use std::fmt::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const BEGIN: &str = "<!-- bench:begin (written by `make bench`; edit outside these markers) -->";
const END: &str = "<!-- bench:end -->";

pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub load_before: String,
    pub kernel: String,
    pub rustc: String,
    pub commit: String,
    pub date: String,
}

pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn command(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

impl Machine {
    pub fn collect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let dirty = !command("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty();
        let commit = format!(
            "{}{}",
            command("git", &["rev-parse", "--short=12", "HEAD"]),
            if dirty {
                " (with uncommitted changes)"
            } else {
                ""
            }
        );
        let date = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Self {
            cores,
            cpu,
            load_before: load(),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            rustc: command("rustc", &["-V"]),
            commit,
            date,
        }
    }

    pub fn summary(&self) -> String {
        format!(
            "{} cores, {}, load {}, commit {}",
            self.cores, self.cpu, self.load_before, self.commit
        )
    }
}

pub struct Results {
    pub machine: Machine,
    pub plan_text: String,
    pub runs: Vec<Run>,
    pub argon2: Vec<Duration>,
    pub init_pieces: Vec<(String, Duration)>,
    pub enumeration: Enumeration,
    pub through_stack: ThroughStack,
    /// None when `FERROCART_BENCH_ONLY` leaves the browser phase out.
    pub storefront: Option<Storefront>,
    pub sizes: Sizes,
    pub build_time: Duration,
    pub phases: Vec<(&'static str, Duration)>,
    pub total_time: Duration,
    pub load_after: String,
}

/// Nearest-rank percentile.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median_f64(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One function's figures: each statistic per repeat, then the median of the repeats.
#[derive(Default, Clone)]
pub struct Row {
    pub init_p50: f64,
    pub init_p90: f64,
    pub init_max: f64,
    pub first_p50: f64,
    pub warm_p50: f64,
    pub warm_p90: f64,
    pub warm_p99: f64,
    pub rss_mib: f64,
}

fn row(runs: &[Run], function: &str) -> Row {
    let stat = |f: &dyn Fn(&crate::measure::FunctionRun) -> f64| {
        median_f64(
            runs.iter()
                .filter_map(|r| r.functions.get(function))
                .map(f)
                .collect(),
        )
    };
    Row {
        init_p50: stat(&|r| ms(percentile(&r.init, 50.0))),
        init_p90: stat(&|r| ms(percentile(&r.init, 90.0))),
        init_max: stat(&|r| ms(percentile(&r.init, 100.0))),
        first_p50: stat(&|r| ms(percentile(&r.first, 50.0))),
        warm_p50: stat(&|r| ms(percentile(&r.warm, 50.0))),
        warm_p90: stat(&|r| ms(percentile(&r.warm, 90.0))),
        warm_p99: stat(&|r| ms(percentile(&r.warm, 99.0))),
        rss_mib: stat(&|r| r.rss_kib as f64 / 1024.0),
    }
}

fn mark(ok: bool) -> &'static str {
    if ok { "✅" } else { "❌" }
}

const MIB: f64 = 1024.0 * 1024.0;
/// The storefront's budget is in KB of 1,000 bytes, as browsers' tools count.
const KB: f64 = 1000.0;
const STOREFRONT_KB: f64 = 150.0;
const STOREFRONT_MS: f64 = 500.0;

fn storefront(out: &mut String, s: &Storefront) {
    let _ = writeln!(
        out,
        "### Storefront: the catalogue page `GET /` in headless Chromium, 1280×900\n"
    );
    let _ = writeln!(
        out,
        "First load, in a fresh profile: `transferSize` (`encodedBodySize` where that is 0) of the navigation and every resource, once the first product is on screen and 1 s later (the pictures are lazy: Chromium fetches those in or near the viewport only). The 150 KB goal counts the page's files and the API's JSON.\n"
    );
    let _ = writeln!(out, "| part | files | bytes | KB |\n|---|---:|---:|---:|");
    let mut line = |what: &str, files: usize, bytes: u64| {
        let _ = writeln!(
            out,
            "| {what} | {files} | {bytes} | {:.1} |",
            bytes as f64 / KB
        );
    };
    for (part, (files, bytes)) in s
        .first_load
        .0
        .iter()
        .filter(|(p, _)| **p != crate::storefront::Part::Json)
    {
        line(part.label(), *files, *bytes);
    }
    let (page_files, page_bytes) = s.first_load.page();
    let (json_files, json_bytes) = s.first_load.json();
    line("**the page's files**", page_files, page_bytes);
    line(
        crate::storefront::Part::Json.label(),
        json_files,
        json_bytes,
    );
    line(
        "**total, what the goal counts**",
        page_files + json_files,
        s.first_load.total(),
    );
    let _ = writeln!(
        out,
        "\nNavigation to the first product on screen (the page's `first-product` mark, ms since navigation start):\n"
    );
    let _ = writeln!(
        out,
        "| loads | count | p50 | p90 | max |\n|---|---:|---:|---:|---:|"
    );
    for (what, samples) in [
        ("warm: one browser, its cache kept", &s.warm),
        ("cold: a fresh profile each", &s.cold),
    ] {
        let _ = writeln!(
            out,
            "| {what} | {} | {:.1} | {:.1} | {:.1} |",
            samples.len(),
            ms(percentile(samples, 50.0)),
            ms(percentile(samples, 90.0)),
            ms(percentile(samples, 100.0))
        );
    }
    out.push('\n');
}

pub fn write(path: &Path, results: &Results) -> Result<()> {
    let generated = render(results);
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let text = match (existing.find(BEGIN), existing.find(END)) {
        (Some(begin), Some(end)) if begin < end => format!(
            "{}{}{}",
            &existing[..begin],
            generated,
            &existing[end + END.len()..]
        ),
        _ => format!("# Benchmarks\n\n{generated}\n"),
    };
    std::fs::write(path, text).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    let summary = dev::local_dir().join("bench/summary.md");
    let _ = std::fs::write(&summary, render(results));
    Ok(())
}

fn render(r: &Results) -> String {
    let mut out = String::new();
    let m = &r.machine;
    let rows: Vec<(&str, Kind, Row)> = [(FLOOR, Kind::Floor)]
        .into_iter()
        .chain(FUNCTIONS)
        .map(|(f, k)| (f, k, row(&r.runs, f)))
        .collect();
    let reference = |pick: fn(&crate::measure::Run) -> &Vec<Duration>| {
        let figures: Vec<[f64; 3]> = r
            .runs
            .iter()
            .map(|run| [50.0, 90.0, 99.0].map(|p| ms(percentile(pick(run), p))))
            .collect();
        [0, 1, 2].map(|i| median_f64(figures.iter().map(|g| g[i]).collect()))
    };
    let get_item = reference(|run| &run.get_item);
    let bare_get_item = reference(|run| &run.bare_get_item);
    let send_message = reference(|run| &run.send_message);
    let send_email = reference(|run| &run.send_email);
    let stack = |function: &str, concurrency: usize| {
        r.through_stack
            .iter()
            .find(|(f, c, _)| f == function && *c == concurrency)
            .map(|(_, _, s)| {
                (
                    ms(percentile(&s.latencies, 50.0)),
                    ms(percentile(&s.latencies, 99.0)),
                    s.latencies.len() as f64 / s.wall.as_secs_f64().max(1e-9),
                )
            })
    };
    let size = |function: &str| {
        r.sizes
            .files
            .get(function)
            .map(|(b, z)| (*b as f64 / MIB, *z as f64 / MIB))
            .unwrap_or_default()
    };

    let _ = writeln!(out, "{BEGIN}\n");
    let _ = writeln!(out, "## Latest run\n");
    let _ = writeln!(
        out,
        "- machine: {} cores, {}, Linux {}; load average {} before, {} after\n- commit {}, {}, {}\n- {}\n- release build (cargo lambda build --release, both passes) {:.0} s; whole run {:.0} s ({})\n- {}; compare rows of one run only\n",
        m.cores,
        m.cpu,
        m.kernel,
        m.load_before,
        r.load_after,
        m.commit,
        m.date,
        m.rustc,
        r.plan_text,
        r.build_time.as_secs_f64(),
        r.total_time.as_secs_f64(),
        r.phases
            .iter()
            .map(|(what, took)| format!("{what} {:.0} s", took.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", "),
        if r.runs.len() > 1 {
            "every figure below is the median of the repeats' figures"
        } else {
            "one repeat (`FERROCART_BENCH_REPEATS=3` reports the medians of three)"
        }
    );

    let _ = writeln!(
        out,
        "### Cold start and warm latency (Runtime API harness), ms\n"
    );
    let _ = writeln!(
        out,
        "Init: spawning the process until its first `GET /invocation/next`. First: the first invocation after init. Warm: handing the event out until the whole response is in, on one process.\n"
    );
    let _ = writeln!(
        out,
        "| function | kind | init p50 | init p90 | init max | first | warm p50 | warm p90 | warm p99 | max RSS MiB |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (function, kind, row) in &rows {
        let _ = writeln!(
            out,
            "| {function} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} | {:.3} | {:.1} |",
            kind.label(),
            row.init_p50,
            row.init_p90,
            row.init_max,
            row.first_p50,
            row.warm_p50,
            row.warm_p90,
            row.warm_p99,
            row.rss_mib
        );
    }
    for (what, figures) in [
        (
            "raw DynamoDB Local GetItem (consistent) from the benchmark",
            get_item,
        ),
        (
            "the same GetItem over a bare HTTP socket (no SDK, no signing)",
            bare_get_item,
        ),
        ("raw moto SQS SendMessage from the benchmark", send_message),
        ("raw moto SES SendEmail from the benchmark", send_email),
    ] {
        let _ = writeln!(
            out,
            "| {what} | reference | | | | | {:.3} | {:.3} | {:.3} | |",
            figures[0], figures[1], figures[2]
        );
    }
    out.push('\n');

    let _ = writeln!(
        out,
        "### Through the whole local stack (client → cargo lambda watch → function → DynamoDB Local / moto), ms\n"
    );
    let _ = writeln!(
        out,
        "| function | 1 client p50 | p99 | req/s | 8 clients p50 | p99 | req/s |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for (function, _) in FUNCTIONS {
        let one = stack(function, 1).unwrap_or_default();
        let eight = stack(function, 8).unwrap_or_default();
        let _ = writeln!(
            out,
            "| {function} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.0} |",
            one.0, one.1, one.2, eight.0, eight.1, eight.2
        );
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "### Size\n");
    let _ = writeln!(
        out,
        "| function | stripped bootstrap MiB | zip MiB |\n|---|---:|---:|"
    );
    for (function, _, _) in &rows {
        let (b, z) = size(function);
        let _ = writeln!(out, "| {function} | {b:.2} | {z:.2} |");
    }
    let _ = writeln!(out);

    let argon2 = ms(percentile(&r.argon2, 50.0));
    let e = &r.enumeration;
    let known = ms(percentile(&e.known, 50.0));
    let wrong = ms(percentile(&e.known_wrong, 50.0));
    let unknown = ms(percentile(&e.unknown, 50.0));
    let diff = |a: f64, b: f64| (a - b).abs() / b.max(1e-9) * 100.0;
    let _ = writeln!(
        out,
        "### What init is made of\n\nEach piece timed in the benchmark process (release, the functions' environment), median of 200. The runtime, `lambda_http` and the JSON subscriber are the not-found row above.\n\n| piece | ms |\n|---|---:|"
    );
    for (what, took) in &r.init_pieces {
        let _ = writeln!(out, "| {what} | {:.3} |", ms(*took));
    }
    out.push('\n');
    let _ = writeln!(out, "### Login\n");
    let _ = writeln!(
        out,
        "- Argon2id hash, m=19456 KiB, t=2, p=1, in the benchmark process: median {argon2:.1} ms over {}\n- login (warm, right password): p50 {:.1} ms\n- over {} distinct names each, on one warm process: known name and right password median {known:.1} ms, known name and wrong password {wrong:.1} ms, unknown name {unknown:.1} ms; unknown vs known {:.1} %, unknown vs known-wrong {:.1} %\n",
        r.argon2.len(),
        rows.iter()
            .find(|(f, _, _)| *f == "login")
            .map(|(_, _, r)| r.warm_p50)
            .unwrap_or_default(),
        e.known.len(),
        diff(unknown, known),
        diff(unknown, wrong),
    );

    if let Some(s) = &r.storefront {
        storefront(&mut out, s);
    }

    // Targets.
    let _ = writeln!(out, "### Targets\n");
    let _ = writeln!(out, "| target | met | where missed |\n|---|---|---|");
    let functions: Vec<&(&str, Kind, Row)> =
        rows.iter().filter(|(_, k, _)| *k != Kind::Floor).collect();
    let mut target = |name: &str, missed: Vec<String>| {
        let _ = writeln!(
            out,
            "| {name} | {} | {} |",
            mark(missed.is_empty()),
            missed.join(", ")
        );
    };
    target(
        "init median ≤ 4 ms, every function",
        functions
            .iter()
            .filter(|(_, _, r)| r.init_p50 > 4.0)
            .map(|(f, _, r)| format!("{f} {:.2}", r.init_p50))
            .collect(),
    );
    target(
        "first invocation ≤ 2 ms for a read",
        functions
            .iter()
            .filter(|(_, k, r)| *k == Kind::Read && r.first_p50 > 2.0)
            .map(|(f, _, r)| format!("{f} {:.2}", r.first_p50))
            .collect(),
    );
    let gp = functions
        .iter()
        .find(|(f, _, _)| *f == "get-product")
        .map(|(_, _, r)| r.clone())
        .unwrap_or_default();
    target(
        "get-product warm p50 ≤ 0.45 ms",
        (gp.warm_p50 > 0.45)
            .then(|| format!("{:.3}", gp.warm_p50))
            .into_iter()
            .collect(),
    );
    target(
        "get-product warm p99 ≤ 1.0 ms",
        (gp.warm_p99 > 1.0)
            .then(|| format!("{:.3}", gp.warm_p99))
            .into_iter()
            .collect(),
    );
    target(
        "every read warm p99 ≤ 1.5 ms",
        functions
            .iter()
            .filter(|(_, k, r)| *k == Kind::Read && r.warm_p99 > 1.5)
            .map(|(f, _, r)| format!("{f} {:.3}", r.warm_p99))
            .collect(),
    );
    target(
        "every write warm p99 ≤ 3 ms",
        functions
            .iter()
            .filter(|(_, k, r)| *k == Kind::Write && r.warm_p99 > 3.0)
            .map(|(f, _, r)| format!("{f} {:.3}", r.warm_p99))
            .collect(),
    );
    target(
        "through the local stack p99 ≤ 5 ms (1 client; Argon2id functions excluded)",
        FUNCTIONS
            .iter()
            .filter(|(_, k)| *k != Kind::Password)
            .filter_map(|(f, _)| {
                stack(f, 1)
                    .filter(|s| s.1 > 5.0)
                    .map(|s| format!("{f} {:.2}", s.1))
            })
            .collect(),
    );
    target(
        "max RSS ≤ 10 MiB (register, login ≤ 32 MiB)",
        functions
            .iter()
            .filter(|(_, k, r)| r.rss_mib > if *k == Kind::Password { 32.0 } else { 10.0 })
            .map(|(f, _, r)| format!("{f} {:.1}", r.rss_mib))
            .collect(),
    );
    target(
        "stripped bootstrap ≤ 8 MiB",
        functions
            .iter()
            .filter(|(f, _, _)| size(f).0 > 8.0)
            .map(|(f, _, _)| format!("{f} {:.2}", size(f).0))
            .collect(),
    );
    target(
        "login: unknown vs known name, median difference < 20 %",
        (diff(unknown, known) >= 20.0)
            .then(|| format!("{:.1} %", diff(unknown, known)))
            .into_iter()
            .collect(),
    );
    let login_p50 = rows
        .iter()
        .find(|(f, _, _)| *f == "login")
        .map(|(_, _, r)| r.warm_p50)
        .unwrap_or_default();
    target(
        "login p50 ≤ 25 ms (m=19456 KiB, t=2, p=1)",
        (login_p50 > 25.0)
            .then(|| format!("{login_p50:.1}"))
            .into_iter()
            .collect(),
    );
    if let Some(s) = &r.storefront {
        let kb = s.first_load.total() as f64 / KB;
        target(
            "storefront first load ≤ 150 KB (the page's files and the API's JSON)",
            (kb > STOREFRONT_KB)
                .then(|| format!("{kb:.1} KB"))
                .into_iter()
                .collect(),
        );
        let p50 = ms(percentile(&s.warm, 50.0));
        target(
            "storefront navigation → first product p50 ≤ 500 ms (warm)",
            (p50 > STOREFRONT_MS)
                .then(|| format!("{p50:.1}"))
                .into_iter()
                .collect(),
        );
    }
    let _ = writeln!(out, "\n{END}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storefront::{Part, Transfer};
    use std::collections::BTreeMap;

    #[test]
    fn the_storefront_section_says_what_the_goal_counts() {
        let figures = Storefront {
            first_load: Transfer(BTreeMap::from([
                (Part::Html, (1, 2000)),
                (Part::Js, (2, 8000)),
                (Part::Json, (1, 4000)),
            ])),
            warm: vec![Duration::from_millis(40), Duration::from_millis(60)],
            cold: vec![Duration::from_millis(300)],
        };
        let mut out = String::new();
        storefront(&mut out, &figures);
        assert!(
            out.contains("| **the page's files** | 3 | 10000 | 10.0 |"),
            "{out}"
        );
        assert!(
            out.contains("| API JSON (`/products?…`) | 1 | 4000 | 4.0 |"),
            "{out}"
        );
        assert!(
            out.contains("| **total, what the goal counts** | 4 | 14000 | 14.0 |"),
            "{out}"
        );
        assert!(
            out.contains("| warm: one browser, its cache kept | 2 | 40.0 | 60.0 | 60.0 |"),
            "{out}"
        );
    }
}
