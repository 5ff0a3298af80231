//! The storefront in a real browser: headless Chromium over WebDriver
//! (Debian's `chromium` and `chromium-driver`, which `dev test` installs),
//! against the private stack. Each scenario checks what a shopper sees
//! against what the API holds; every page is screenshotted at 360 and
//! 1280 px into `target/screenshots/`, and no page may log an error (a CSP
//! violation is one).

use e2e::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WAIT: Duration = Duration::from_secs(20);

/// A headless Chromium with a fresh profile, and its driver; both end on drop.
struct Browser {
    client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on loopback")
}

async fn browser() -> Browser {
    let port = free_port();
    let profile = std::env::temp_dir().join(format!("ferrocart-chromium-{}", ulid::Ulid::new()));
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{CHROMEDRIVER}: {e} (dev test installs it)"));
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
    let deadline = Instant::now() + WAIT;
    let client = loop {
        match ClientBuilder::new(connector.clone())
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => break client,
            Err(error) if Instant::now() < deadline => {
                let _ = error;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => panic!("chromedriver on {port}: {error}"),
        }
    };
    Browser {
        client,
        driver,
        profile,
    }
}

/// Chromium's console since the last call (ChromeDriver's log endpoint).
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

/// Fails on any error the page logged (a CSP violation, a failed load, an
/// exception).
async fn assert_no_console_errors(b: &Browser, page: &str) {
    let log = b
        .client
        .issue_cmd(BrowserLog)
        .await
        .expect("the browser's log");
    let errors: Vec<&Value> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["level"] == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "{page} logged errors: {errors:#?}");
}

/// Screenshots of the current page at a phone's and a desktop's width.
async fn screenshots(b: &Browser, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots");
    for width in [360, 1280] {
        b.client.set_window_size(width, 900).await.expect("resize");
        tokio::time::sleep(Duration::from_millis(150)).await;
        let png = b.client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join(format!("{name}-{width}.png")), png).expect("write a screenshot");
    }
    b.client.set_window_size(1280, 900).await.expect("resize");
}

async fn texts(b: &Browser, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in b.client.find_all(Locator::Css(css)).await.expect(css) {
        out.push(element.text().await.expect("text"));
    }
    out
}

/// Waits until `css` matches at least `n` elements.
async fn wait_for_count(b: &Browser, css: &str, n: usize) -> usize {
    let deadline = Instant::now() + WAIT;
    loop {
        let count = b.client.find_all(Locator::Css(css)).await.expect(css).len();
        if count >= n {
            return count;
        }
        assert!(
            Instant::now() < deadline,
            "{css}: {count} of {n} after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_for_text(b: &Browser, css: &str, text: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        if texts(b, css).await.iter().any(|t| t == text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never read {text:?}: {:?}",
            texts(b, css).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_shopper_browses_the_catalogue_by_category_and_loads_more() {
    let b = browser().await;
    b.client
        .goto(&format!("{}/", api()))
        .await
        .expect("the shop");
    assert_eq!(
        wait_for_count(&b, "li.card", 12).await,
        12,
        "a first page of 12"
    );
    screenshots(&b, "catalogue").await;
    b.client
        .find(Locator::Id("load-more"))
        .await
        .expect("a Load more button")
        .click()
        .await
        .expect("click");
    assert!(wait_for_count(&b, "li.card", 13).await > 12);

    // The category filter, with the keyboard: the page shows what the API lists.
    let select = b
        .client
        .find(Locator::Id("category"))
        .await
        .expect("the filter");
    select.select_by_value("books").await.expect("choose books");
    wait_for_text(&b, "h1", "Catalogue: books").await;
    let listed = get("/products?category=books&limit=12", None).await;
    let expected: Vec<String> = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    wait_for_count(&b, "li.card", expected.len()).await;
    assert_eq!(texts(&b, "li.card h2").await, expected);
    assert!(
        b.client
            .current_url()
            .await
            .expect("url")
            .as_str()
            .ends_with("/?category=books")
    );
    assert_no_console_errors(&b, "the catalogue").await;
}

#[tokio::test]
async fn a_product_page_shows_its_stock_and_a_sold_out_one_says_so() {
    let admin = admin_token().await;
    let in_stock = new_product(&admin, 7, 2500).await;
    let sold_out = new_product(&admin, 0, 900).await;
    let b = browser().await;

    b.client
        .goto(&format!("{}/shop/products/{in_stock}", api()))
        .await
        .expect("a product page");
    wait_for_text(&b, "h1", "Product").await;
    wait_for_text(&b, ".product .stock", "7 in stock").await;
    wait_for_text(&b, ".product .price", "$25.00").await;
    screenshots(&b, "product").await;

    b.client
        .goto(&format!("{}/shop/products/{sold_out}", api()))
        .await
        .expect("a product page");
    wait_for_text(&b, ".product .sold-out", "Sold out").await;

    // From the catalogue, a product's link opens its page without a reload.
    b.client
        .goto(&format!("{}/", api()))
        .await
        .expect("the shop");
    wait_for_count(&b, "li.card h2 a", 1).await;
    let first = b
        .client
        .find(Locator::Css("li.card h2 a"))
        .await
        .expect("a link");
    let name = first.text().await.expect("a name");
    first.click().await.expect("open it");
    wait_for_text(&b, "h1", &name).await;
    assert!(
        b.client
            .current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/shop/products/")
    );
    assert_no_console_errors(&b, "the product pages").await;
}

#[tokio::test]
async fn a_hostile_product_name_is_shown_as_text() {
    let admin = admin_token().await;
    let name = "<img src=x onerror=\"document.title='owned'\">";
    let body = json!({"name": name, "price_cents": 100, "currency": "USD", "stock": 1, "category": unique("p-")});
    let created = call("POST", "/products", Some(&admin), Some(&body)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("an id");
    let b = browser().await;
    b.client
        .goto(&format!("{}/shop/products/{id}", api()))
        .await
        .expect("its page");
    wait_for_text(&b, "h1", name).await;
    let injected = b
        .client
        .find_all(Locator::Css("img[src='x']"))
        .await
        .expect("query");
    assert!(injected.is_empty(), "the name became markup");
    assert_ne!(b.client.title().await.expect("title"), "owned");
}

#[tokio::test]
async fn unknown_pages_show_not_found_and_unknown_assets_are_404() {
    let b = browser().await;
    b.client
        .goto(&format!("{}/shop/no/such/page", api()))
        .await
        .expect("a page");
    wait_for_text(&b, "h1", "This page is not in the shop").await;
    screenshots(&b, "not-found").await;
    assert_no_console_errors(&b, "the not-found view").await;
    let asset = get("/assets/app.0000000000.js", None).await;
    assert_eq!((asset.status, asset.code()), (404, "route_not_found"));
}
