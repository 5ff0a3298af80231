//! The storefront's catalogue page, `GET /`, in headless Chromium at
//! 1280×900: what a first visit transfers, and the time from navigation to
//! the first product on screen (the page's `first-product` mark).

use crate::Plan;
use dev::browser::Browser;
use dev::{Result, fail};
use std::collections::BTreeMap;
use std::time::Duration;

/// What a file of the page is, for the transfer's split.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Part {
    Html,
    Css,
    Js,
    Pictures,
    Other,
    /// The API's answers (`/products?...`): anything of the origin outside
    /// `/assets/` but the page itself.
    Json,
}

impl Part {
    pub fn label(self) -> &'static str {
        match self {
            Part::Html => "HTML",
            Part::Css => "CSS",
            Part::Js => "JS",
            Part::Pictures => "pictures",
            Part::Other => "other",
            Part::Json => "API JSON (`/products?…`)",
        }
    }

    fn of(api: &str, entry_type: &str, url: &str) -> Self {
        if entry_type == "navigation" {
            return Part::Html;
        }
        let Some(path) = url.strip_prefix(api) else {
            return Part::Other;
        };
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let Some(file) = path.strip_prefix("/assets/") else {
            return Part::Json;
        };
        match file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) {
            Some(e) if e == "css" => Part::Css,
            Some(e) if e == "js" || e == "mjs" => Part::Js,
            Some(e)
                if ["svg", "png", "jpg", "jpeg", "webp", "avif", "gif", "ico"]
                    .contains(&e.as_str()) =>
            {
                Part::Pictures
            }
            _ => Part::Other,
        }
    }
}

/// One load's bytes: part → (files, bytes).
#[derive(Default, Debug)]
pub struct Transfer(pub BTreeMap<Part, (usize, u64)>);

impl Transfer {
    fn sum(&self, json: bool) -> (usize, u64) {
        self.0
            .iter()
            .filter(|(p, _)| (**p == Part::Json) == json)
            .fold((0, 0), |(f, b), (_, (files, bytes))| (f + files, b + bytes))
    }

    /// The page's own files: HTML, CSS, JS, pictures.
    pub fn page(&self) -> (usize, u64) {
        self.sum(false)
    }

    pub fn json(&self) -> (usize, u64) {
        self.sum(true)
    }

    /// What the goal counts: the page's files and the API's JSON.
    pub fn total(&self) -> u64 {
        self.page().1 + self.json().1
    }
}

pub struct Storefront {
    /// The first load in a fresh profile.
    pub first_load: Transfer,
    /// Navigation → first product, one browser with its cache.
    pub warm: Vec<Duration>,
    /// The same, each in a fresh profile (empty cache, new connection).
    pub cold: Vec<Duration>,
}

/// Resolves with the mark's `startTime` (ms since navigation start) once the
/// page has set it; a page that never shows a product ends in the driver's
/// script timeout.
const FIRST_PRODUCT: &str = r#"
const done = arguments[arguments.length - 1];
new PerformanceObserver((list, observer) => {
  const mark = list.getEntriesByName("first-product")[0];
  if (mark) { observer.disconnect(); done(mark.startTime); }
}).observe({ type: "mark", buffered: true });
"#;

const ENTRIES: &str = r#"
return [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
  .map((e) => ({
    url: e.name, type: e.entryType,
    bytes: e.transferSize || e.encodedBodySize,
    status: e.responseStatus ?? 0,
  }));
"#;

/// Loads the catalogue and waits for its first product; the mark's time.
async fn first_product(browser: &Browser, url: &str) -> Result<Duration> {
    browser
        .client
        .goto(url)
        .await
        .map_err(|e| fail(format!("opening {url}: {e}")))?;
    let ms = browser
        .client
        .execute_async(FIRST_PRODUCT, Vec::new())
        .await
        .map_err(|e| fail(format!("{url} never showed a product: {e}")))?
        .as_f64()
        .ok_or_else(|| fail(format!("{url}: the first-product mark has no time")))?;
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

async fn transfer(browser: &Browser, api: &str) -> Result<Transfer> {
    let entries = browser
        .client
        .execute(ENTRIES, Vec::new())
        .await
        .map_err(|e| fail(format!("the page's performance entries: {e}")))?;
    let mut out = Transfer::default();
    for entry in entries.as_array().into_iter().flatten() {
        let url = entry["url"].as_str().unwrap_or_default();
        let status = entry["status"].as_u64().unwrap_or_default();
        // A file that failed to load would make the page look light.
        if status >= 400 {
            return Err(fail(format!("the catalogue's {url} answered {status}")));
        }
        let part = Part::of(api, entry["type"].as_str().unwrap_or_default(), url);
        let slot = out.0.entry(part).or_default();
        slot.0 += 1;
        slot.1 += entry["bytes"].as_u64().unwrap_or_default();
    }
    if !out.0.contains_key(&Part::Json) {
        return Err(fail(format!("the catalogue loaded no products: {entries}")));
    }
    Ok(out)
}

/// Ends the session, which quits Chromium; dropping the browser stops the driver.
async fn close(browser: Browser) {
    let _ = browser.client.clone().close().await;
}

fn print(what: &str, samples: &[Duration]) {
    let ms = |p| crate::took_ms(crate::report::percentile(samples, p));
    println!(
        "    {what:<36} p50 {:>6.1} ms   p90 {:>6.1} ms   max {:>6.1} ms ({} loads)",
        ms(50.0),
        ms(90.0),
        ms(100.0),
        samples.len()
    );
}

pub async fn measure(api: &str, plan: &Plan) -> Result<Storefront> {
    dev::install::browser()?;
    let url = format!("{api}/");
    let mut cold = Vec::new();

    let browser = Browser::start().await?;
    let outcome = async {
        cold.push(first_product(&browser, &url).await?);
        // The pictures are lazy: those in or near the viewport load after the cards.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let first_load = transfer(&browser, api).await?;
        let mut warm = Vec::new();
        for i in 0..plan.storefront_warmup + plan.storefront {
            // From another page, as a returning shopper: the same URL again
            // would be a reload, which revalidates differently.
            browser
                .client
                .goto("about:blank")
                .await
                .map_err(|e| fail(format!("about:blank: {e}")))?;
            let took = first_product(&browser, &url).await?;
            if i >= plan.storefront_warmup {
                warm.push(took);
            }
        }
        Ok::<_, dev::Failure>((first_load, warm))
    }
    .await;
    close(browser).await;
    let (first_load, warm) = outcome?;

    for _ in 1..plan.storefront_cold {
        let browser = Browser::start().await?;
        let took = first_product(&browser, &url).await;
        close(browser).await;
        cold.push(took?);
    }

    for (part, (files, bytes)) in &first_load.0 {
        println!("    {:<36} {files:>3} files {bytes:>8} B", part.label());
    }
    let (page_files, page_bytes) = first_load.page();
    let (json_files, json_bytes) = first_load.json();
    println!(
        "    first load: the page's files {page_bytes} B ({page_files}), API JSON {json_bytes} B ({json_files}), total {} B",
        first_load.total()
    );
    print("first product, warm", &warm);
    print("first product, cold (fresh profile)", &cold);
    Ok(Storefront {
        first_load,
        warm,
        cold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_split_by_what_they_are() {
        let api = "http://127.0.0.1:9200";
        let of = |t, path: &str| Part::of(api, t, &format!("{api}{path}"));
        assert_eq!(of("navigation", "/"), Part::Html);
        assert_eq!(of("resource", "/assets/style.0a1b.css"), Part::Css);
        assert_eq!(of("resource", "/assets/app.0a1b.js"), Part::Js);
        assert_eq!(
            of("resource", "/assets/pictures/books.0a1b.svg"),
            Part::Pictures
        );
        assert_eq!(of("resource", "/products?limit=12"), Part::Json);
        assert_eq!(of("resource", "/products/01J"), Part::Json);
        assert_eq!(of("resource", "/assets/notes.txt"), Part::Other);
        assert_eq!(
            Part::of(api, "resource", "http://elsewhere/a.js"),
            Part::Other
        );
    }

    #[test]
    fn the_goal_counts_the_page_and_the_json() {
        let t = Transfer(BTreeMap::from([
            (Part::Html, (1, 1000)),
            (Part::Js, (2, 3000)),
            (Part::Json, (1, 500)),
        ]));
        assert_eq!(t.page(), (3, 4000));
        assert_eq!(t.json(), (1, 500));
        assert_eq!(t.total(), 4500);
    }
}
