//! A headless Chromium driven over WebDriver, for the browser tests and the
//! storefront's benchmark: Debian's `chromium` and `chromium-driver`
//! (`install::browser` puts them there), a fresh profile per browser, and
//! the flags that keep it from reaching the internet.

use crate::install::{CHROMEDRIVER, CHROMIUM};
use crate::{Result, fail};
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long chromedriver may take to accept a session.
const START: Duration = Duration::from_secs(20);

/// A browser and its driver; both end, and the profile goes, on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The driver leads its own process group, and Chromium's processes
        // are in it: killing the driver alone would leave them running.
        if let Ok(group) = i32::try_from(self.driver.id()) {
            // SAFETY: kill has no memory preconditions; a group that is
            // already gone is an error we ignore.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| fail(format!("a free port on loopback: {e}")))
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a session.
    pub async fn start() -> Result<Self> {
        let port = free_port()?;
        let profile =
            std::env::temp_dir().join(format!("ferrocart-chromium-{}", ulid::Ulid::new()));
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| fail(format!("{CHROMEDRIVER}: {e} (`dev test` installs it)")))?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-extensions",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        capabilities.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let deadline = Instant::now() + START;
        let browser = Self {
            client: loop {
                match ClientBuilder::new(connector.clone())
                    .capabilities(capabilities.clone())
                    .connect(&format!("http://127.0.0.1:{port}"))
                    .await
                {
                    Ok(client) => break client,
                    Err(_) if Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    Err(error) => return Err(fail(format!("chromedriver on {port}: {error}"))),
                }
            },
            driver,
            profile,
        };
        browser
            .client
            .set_window_size(1280, 900)
            .await
            .map_err(|e| fail(e.to_string()))?;
        Ok(browser)
    }

    /// The console entries logged at level `SEVERE` since the last call (an
    /// exception, a failed load, a CSP violation).
    pub async fn console_errors(&self) -> Result<Vec<Value>> {
        let log = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .map_err(|e| fail(format!("the browser's log: {e}")))?;
        Ok(log
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .cloned()
            .collect())
    }
}

/// Chromium's console since the last call (ChromeDriver's log endpoint,
/// which WebDriver itself does not define).
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (reqwest::Method, Option<String>) {
        (
            reqwest::Method::POST,
            Some(r#"{"type":"browser"}"#.to_owned()),
        )
    }
}
