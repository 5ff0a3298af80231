//! The storefront: the shop's pages, embedded in the binary. Each asset is
//! served under a name that carries its fingerprint (`app.3f2a9c0d1e.js`),
//! so it can be cached for a year; the page shell names them, so it is
//! revalidated on every load (`no-cache`) with a strong `ETag`. The shell is
//! the same for every route under `/shop/`: the page's script draws the view.

use ring::digest::{SHA256, digest};
use std::collections::HashMap;

/// `(name, content type, bytes)` of a file under `storefront/`.
macro_rules! source {
    ($name:literal, $type:expr) => {
        (
            $name,
            $type,
            include_bytes!(concat!("../../storefront/", $name)),
        )
    };
}

/// The sources, as they are in `storefront/`. A module may import only the
/// modules listed before it (`import … from "./dom.js"`): its fingerprint
/// then covers theirs, so a change anywhere gives every importer a new name.
const SOURCES: &[(&str, &str, &[u8])] = &[
    source!("dom.js", JS),
    source!("api.js", JS),
    source!("forms.js", JS),
    source!("cart.js", JS),
    source!("addresses.js", JS),
    source!("account.js", JS),
    source!("catalogue.js", JS),
    source!("orders.js", JS),
    source!("admin.js", JS),
    source!("shipping.js", JS),
    source!("verify.js", JS),
    source!("recovery.js", JS),
    source!("app.js", JS),
    source!("style.css", CSS),
    source!("pictures/logo.svg", SVG),
    source!("pictures/default.svg", SVG),
    source!("pictures/apparel.svg", SVG),
    source!("pictures/audio.svg", SVG),
    source!("pictures/books.svg", SVG),
    source!("pictures/home-office.svg", SVG),
    source!("pictures/kitchen.svg", SVG),
    source!("pictures/outdoor.svg", SVG),
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
            let mut body = body.to_vec();
            if *content_type == JS {
                body = link_imports(&body, &urls);
            }
            let asset = Asset::new(content_type, body);
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
        let manifest = serde_json::json!({
            "pictures": pictures,
            "categories": categories,
            // The address form's countries: the list the API checks against.
            "countries": crate::domain::address::country_codes(),
        });
        // `<` never appears raw inside the script element that holds it.
        let manifest = manifest.to_string().replace('<', "\\u003c");
        // The modules app.js imports, announced up front: the browser fetches
        // them in parallel instead of one round trip per level of imports.
        let preloads: String = SOURCES
            .iter()
            .filter(|(name, content_type, _)| *content_type == JS && *name != "app.js")
            .map(|(name, _, _)| format!("<link rel=\"modulepreload\" href=\"{}\">\n", url(name)))
            .collect();
        let mut shell = SHELL
            .replace("{{manifest}}", &manifest)
            .replace("{{modulepreload}}\n", &preloads);
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

/// A module's `"./dom.js"` imports, pointed at the fingerprinted names.
fn link_imports(body: &[u8], urls: &HashMap<&str, String>) -> Vec<u8> {
    let mut text = String::from_utf8_lossy(body).into_owned();
    for (name, url) in urls {
        text = text.replace(&format!("\"./{name}\""), &format!("\"{url}\""));
    }
    text.into_bytes()
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
        let script = String::from_utf8(site.asset(app).unwrap().body.clone()).unwrap();
        assert!(
            !script.contains("from \"./"),
            "every import names a fingerprinted module"
        );
        for path in site
            .paths()
            .filter(|p| p.ends_with(".js") && !p.starts_with("app."))
        {
            assert!(
                shell.contains(&format!(
                    "<link rel=\"modulepreload\" href=\"/assets/{path}\">"
                )),
                "{path}"
            );
        }
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
