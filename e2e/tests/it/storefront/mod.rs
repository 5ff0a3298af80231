//! The storefront in a real browser: headless Chromium over WebDriver
//! (Debian's `chromium` and `chromium-driver`, which `dev test` installs),
//! against the private stack. Each scenario checks what a shopper sees
//! against what the API holds; every page is screenshotted at 360 and
//! 1280 px into `target/screenshots/`, and no page may log an error (a CSP
//! violation is one).

mod account;
mod admin;
mod catalogue;
mod checkout;
mod recovery;
mod session;
mod verification;

pub use dev::browser::Browser;
pub use e2e::*;
pub use fantoccini::{Locator, elements::Element};
pub use serde_json::{Value, json};
use std::path::PathBuf;
pub use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(20);

pub async fn browser() -> Browser {
    Browser::start().await.unwrap_or_else(|e| panic!("{e}"))
}

/// Fails on any error the page logged (a CSP violation, a failed load, an
/// exception). An API call answered with a problem document the page shows
/// (a 4xx of a route outside `/assets/`) is logged by Chromium as a failed
/// load too; that one is the page working, not failing.
pub async fn assert_no_console_errors(b: &Browser, page: &str) {
    let api = api();
    let errors: Vec<Value> = b
        .console_errors()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|entry| {
            let message = entry["message"].as_str().unwrap_or_default();
            let answered_problem = entry["source"] == "network"
                && message.starts_with(&api)
                && !message.starts_with(&format!("{api}/assets/"))
                && message.contains("the server responded with a status of 4");
            !answered_problem
        })
        .collect();
    assert!(errors.is_empty(), "{page} logged errors: {errors:#?}");
}

/// Screenshots of the current page at a phone's and a desktop's width, each
/// checked for sideways scrolling.
pub async fn screenshots(b: &Browser, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots");
    for width in [360, 1280] {
        b.client.set_window_size(width, 900).await.expect("resize");
        tokio::time::sleep(Duration::from_millis(150)).await;
        let png = b.client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join(format!("{name}-{width}.png")), png).expect("write a screenshot");
        // Nothing may widen the page past the window: no sideways scrolling.
        let overflow = b
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .expect("the page's width");
        assert!(
            overflow.as_i64().is_some_and(|px| px <= 0),
            "{name} at {width} px is {overflow} px too wide"
        );
    }
    b.client.set_window_size(1280, 900).await.expect("resize");
}

pub async fn texts(b: &Browser, css: &str) -> Vec<String> {
    // One script, so a view redrawn meanwhile cannot leave a stale element.
    let found = b
        .client
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0]), (e) => e.innerText);",
            vec![json!(css)],
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    serde_json::from_value(found).unwrap_or_default()
}

/// Waits until `css` matches at least `n` elements.
pub async fn wait_for_count(b: &Browser, css: &str, n: usize) -> usize {
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

pub async fn wait_for_text(b: &Browser, css: &str, text: &str) {
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

/// Opens `path` on the shop: a full load, as a reload or a bookmark would.
pub async fn open(b: &Browser, path: &str) {
    b.client
        .goto(&format!("{}{path}", api()))
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
}

/// The first element matching `css`, waiting for it.
pub async fn find(b: &Browser, css: &str) -> Element {
    b.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// Clicks the first element matching `css`. A view that redraws between
/// the find and the click (the header, after a sign-in) is found again.
pub async fn click(b: &Browser, css: &str) {
    for attempt in 0.. {
        match find(b, css).await.click().await {
            Ok(()) => return,
            Err(e) if attempt < 3 && e.to_string().contains("stale element") => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("click {css}: {e}"),
        }
    }
}

/// Replaces an input's text with `text`, as typing would.
pub async fn fill(b: &Browser, css: &str, text: &str) {
    let input = find(b, css).await;
    input
        .clear()
        .await
        .unwrap_or_else(|e| panic!("clear {css}: {e}"));
    input
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

/// Waits until some element matching `css` contains `part` in its text.
pub async fn wait_for_part(b: &Browser, css: &str, part: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(t) = texts(b, css).await.into_iter().find(|t| t.contains(part)) {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "no {css} ever contained {part:?}: {:?}",
            texts(b, css).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until an element matching `css` shows some text.
pub async fn wait_for_shown(b: &Browser, css: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(t) = texts(b, css)
            .await
            .into_iter()
            .find(|t| !t.trim().is_empty())
        {
            return t;
        }
        assert!(Instant::now() < deadline, "{css} never showed any text");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Signs up through the sign-up form on the page (the cart's or the
/// sign-in page's); the new user's name and e-mail.
pub async fn sign_up(b: &Browser) -> (String, String) {
    let name = unique("s");
    let email = format!("{name}@example.com");
    fill(b, "#sign-up input[name=username]", &name).await;
    fill(b, "#sign-up input[name=email]", &email).await;
    fill(b, "#sign-up input[name=password]", PASSWORD).await;
    click(b, "#sign-up button[type=submit]").await;
    find(b, "#sign-out").await;
    (name, email)
}

/// Fills the sign-in form on the page and waits until signed in.
async fn sign_in_form(b: &Browser, login: &str, password: &str) {
    // Concurrent tests sign the admin in at once: the throttle may ask this
    // one to wait (the form says so); as a person would, it tries again.
    let deadline = Instant::now() + WAIT * 3;
    loop {
        fill(b, "#sign-in input[name=login]", login).await;
        fill(b, "#sign-in input[name=password]", password).await;
        click(b, "#sign-in button[type=submit]").await;
        let said = loop {
            if !b
                .client
                .find_all(Locator::Css("#sign-out"))
                .await
                .expect("query")
                .is_empty()
            {
                return;
            }
            let said = texts(b, "#sign-in .summary").await.join(" ");
            if !said.trim().is_empty() {
                break said;
            }
            assert!(Instant::now() < deadline, "#sign-out never showed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        // Too many at once, or the form was drawn again between the typing
        // and the click (it then sends empty fields): type it all again.
        let again = said.contains("Too many attempts") || said.contains("must not be empty");
        assert!(again, "signing in: {said}");
        assert!(Instant::now() < deadline, "signing in: {said}");
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
}

/// Signs in through the header's link and the sign-in form.
pub async fn sign_in(b: &Browser, login: &str, password: &str) {
    click(b, "#sign-in-link").await;
    sign_in_form(b, login, password).await;
}

fn local_admin() -> (String, String) {
    let name = std::env::var("FERROCART_ADMIN_USERNAME").expect("make test names the local admin");
    let password =
        std::env::var("FERROCART_ADMIN_PASSWORD").expect("make test names the local admin");
    (name, password)
}

/// Signs the local admin in from the catalogue.
pub async fn sign_in_admin(b: &Browser) {
    let (name, password) = local_admin();
    open(b, "/").await;
    sign_in(b, &name, &password).await;
}

/// Opens an admin page signed out, as a bookmark would, and signs the
/// local admin in through the form it sends to; the page follows.
pub async fn sign_in_admin_at(b: &Browser, path: &str) {
    let (name, password) = local_admin();
    open(b, path).await;
    sign_in_form(b, &name, &password).await;
    let deadline = Instant::now() + WAIT;
    while b.client.current_url().await.expect("url").path() != path {
        assert!(Instant::now() < deadline, "signing in never led to {path}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs axe-core in the page; fails on a violation of impact "serious" or
/// "critical". The script comes from `.local/` (`dev test` installs it).
pub async fn assert_accessible(b: &Browser, page: &str) {
    let path = dev::install::axe_script();
    let script = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (dev test installs axe-core)", path.display()));
    b.client
        .execute(&script, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("injecting axe-core into {page}: {e}"));
    let found = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then((r) => done(r.violations
                 .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                 .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                nodes: v.nodes.map((n) => n.target.join(' ')) }))))
               .catch((e) => done([{ id: 'axe-failed', help: String(e) }]));",
            Vec::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("axe-core on {page}: {e}"));
    assert_eq!(found, json!([]), "{page}: accessibility violations");
}

/// What every page gets: screenshots at 360 and 1280 px, the axe-core
/// check, and no error in the console.
pub async fn check_page(b: &Browser, name: &str) {
    screenshots(b, name).await;
    assert_accessible(b, name).await;
    assert_no_console_errors(b, name).await;
}

/// The stored order of `id`, as its owner or an admin reads it.
pub async fn order_of(token: &str, id: &str) -> Value {
    let answer = get(&format!("/orders/{id}"), Some(token)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

/// Fills the checkout's new address (in the US, which the tests' free
/// shipping option serves) and picks that option.
pub async fn fill_delivery(b: &Browser) {
    fill(b, "#checkout [name=name]", "Ada Lovelace").await;
    fill(b, "#checkout [name=line1]", "350 Fifth Avenue").await;
    fill(b, "#checkout [name=city]", "New York").await;
    fill(b, "#checkout [name=postal_code]", "10118").await;
    // The tests' own free option: other options (Schemathesis writes some)
    // may cost nothing too, and a test's order names the one it chose.
    let option = format!("#checkout [name=shipping_option_id] option[value={TEST_SHIPPING}]");
    wait_for_count(b, &option, 1).await;
    find(b, "#checkout [name=shipping_option_id]")
        .await
        .select_by_value(TEST_SHIPPING)
        .await
        .expect("the tests' shipping option");
}
