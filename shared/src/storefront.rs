//! The storefront: the shop's pages, embedded in the binary. Each asset is
//! served under a name that carries its fingerprint (`app.3f2a9c0d1e.js`),
//! so it can be cached for a year; the page shell names them, so it is
//! revalidated on every load (`no-cache`) with a strong `ETag`. The shell is
//! the same for every route under `/shop/`: the page's script draws the view.

use ring::digest::{SHA256, digest};
use std::collections::HashMap;

/// The sources, as they are in `storefront/`.
const SOURCES: &[(&str, &str, &[u8])] = &[
    ("app.js", JS, include_bytes!("../../storefront/app.js")),
    (
        "style.css",
        CSS,
        include_bytes!("../../storefront/style.css"),
    ),
    (
        "pictures/logo.svg",
        SVG,
        include_bytes!("../../storefront/pictures/logo.svg"),
    ),
    (
        "pictures/default.svg",
        SVG,
        include_bytes!("../../storefront/pictures/default.svg"),
    ),
    (
        "pictures/apparel.svg",
        SVG,
        include_bytes!("../../storefront/pictures/apparel.svg"),
    ),
    (
        "pictures/audio.svg",
        SVG,
        include_bytes!("../../storefront/pictures/audio.svg"),
    ),
    (
        "pictures/books.svg",
        SVG,
        include_bytes!("../../storefront/pictures/books.svg"),
    ),
    (
        "pictures/home-office.svg",
        SVG,
        include_bytes!("../../storefront/pictures/home-office.svg"),
    ),
    (
        "pictures/kitchen.svg",
        SVG,
        include_bytes!("../../storefront/pictures/kitchen.svg"),
    ),
    (
        "pictures/outdoor.svg",
        SVG,
        include_bytes!("../../storefront/pictures/outdoor.svg"),
    ),
];
const SHELL: &str = include_str!("../../storefront/index.html");

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";
pub const HTML: &str = "text/html; charset=utf-8";

/// One response body the storefront serves.
pub struct Asset {
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// A strong entity tag: the body's SHA-256, shortened.
    pub etag: String,
}

impl Asset {
    fn new(content_type: &'static str, body: Vec<u8>) -> Self {
        let etag = format!("\"{}\"", hex(&digest(&SHA256, &body).as_ref()[..16]));
        Self {
            content_type,
            body,
            etag,
        }
    }
}

/// The embedded site: the shell and the assets by their fingerprinted path.
pub struct Site {
    shell: Asset,
    assets: HashMap<String, Asset>,
}

impl Default for Site {
    fn default() -> Self {
        Self::new()
    }
}

impl Site {
    pub fn new() -> Self {
        let mut assets = HashMap::new();
        let mut urls = HashMap::new();
        for (name, content_type, body) in SOURCES {
            let asset = Asset::new(content_type, body.to_vec());
            let path = fingerprinted(name, &asset.etag);
            urls.insert(*name, format!("/assets/{path}"));
            assets.insert(path, asset);
        }
        let url = |name: &str| urls.get(name).cloned().unwrap_or_default();
        // The pictures by category, for the page's script; the categories are
        // those the storefront has a picture for (the demo catalogue's).
        let mut pictures = serde_json::Map::new();
        let mut categories = Vec::new();
        for (name, _, _) in SOURCES {
            if let Some(category) = name
                .strip_prefix("pictures/")
                .and_then(|n| n.strip_suffix(".svg"))
            {
                pictures.insert(category.to_owned(), url(name).into());
                if category != "default" && category != "logo" {
                    categories.push(category.to_owned());
                }
            }
        }
        let manifest = serde_json::json!({ "pictures": pictures, "categories": categories });
        // `<` never appears raw inside the script element that holds it.
        let manifest = manifest.to_string().replace('<', "\\u003c");
        let mut shell = SHELL.replace("{{manifest}}", &manifest);
        for (name, _, _) in SOURCES {
            shell = shell.replace(&format!("{{{{{name}}}}}"), &url(name));
        }
        Self {
            shell: Asset::new(HTML, shell.into_bytes()),
            assets,
        }
    }

    /// The page shell every route of the shop answers with.
    pub fn shell(&self) -> &Asset {
        &self.shell
    }

    /// An asset by its fingerprinted path under `/assets/`.
    pub fn asset(&self, path: &str) -> Option<&Asset> {
        self.assets.get(path)
    }

    /// Every fingerprinted path, for tests and the benchmark.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.assets.keys().map(String::as_str)
    }
}

/// `app.js` with the tag `"3f2a…"` → `app.3f2a9c0d1e.js`.
fn fingerprinted(name: &str, etag: &str) -> String {
    let print = &etag.trim_matches('"')[..10];
    match name.rsplit_once('.') {
        Some((stem, extension)) => format!("{stem}.{print}.{extension}"),
        None => format!("{name}.{print}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_names_every_asset_by_its_fingerprint() {
        let site = Site::new();
        let shell = String::from_utf8(site.shell().body.clone()).unwrap();
        assert!(!shell.contains("{{"), "a placeholder is left: {shell}");
        for path in site.paths() {
            if path.starts_with("app.") || path.starts_with("style.") {
                assert!(shell.contains(&format!("/assets/{path}")), "{path}");
            }
        }
        let app = site.paths().find(|p| p.starts_with("app.")).unwrap();
        assert_eq!(site.asset(app).unwrap().content_type, JS);
        assert!(
            site.asset("app.js").is_none(),
            "only fingerprinted names are served"
        );
    }

    #[test]
    fn fingerprints_follow_the_content() {
        let a = Asset::new(CSS, b"a{}".to_vec());
        let b = Asset::new(CSS, b"b{}".to_vec());
        assert_ne!(a.etag, b.etag);
        assert_eq!(
            fingerprinted("pictures/x.svg", &a.etag).len(),
            "pictures/x..svg".len() + 10
        );
    }
}
