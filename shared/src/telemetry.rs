//! JSON logs, one object a line, as CloudWatch Logs Insights reads them.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the JSON subscriber, filtered by `RUST_LOG` (default `info`).
///
/// `RUST_LOG` takes levels and per-target levels (`info`, `warn,shared=debug`):
/// `Targets` parses those without the regex engine that `EnvFilter` links in
/// (about a megabyte of every binary). A value it cannot read falls back to
/// `info` and says so.
pub fn init() {
    let (filter, refused) = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => match value.parse::<Targets>() {
            Ok(targets) => (targets, None),
            Err(_) => (default_filter(), Some(value)),
        },
        _ => (default_filter(), None),
    };
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .with_target(false)
        .with_current_span(false)
        .with_ansi(false);
    // A second call (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .try_init();
    if let Some(value) = refused {
        tracing::warn!(rust_log = %value, "RUST_LOG is not a list of levels; logging at info");
    }
}

fn default_filter() -> Targets {
    Targets::new().with_default(LevelFilter::INFO)
}
