// ferrocart's storefront: one ES module, no framework and no build step.
// It talks to the API on its own origin. Everything a shopper or the API
// wrote is put on the page with textContent, never as HTML.

const assets = JSON.parse(document.getElementById("assets").textContent);
const main = document.getElementById("main");
const PAGE_SIZE = 12;

/** An element with attributes and children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

const money = (cents, currency) =>
  new Intl.NumberFormat("en-US", { style: "currency", currency }).format(cents / 100);

const picture = (category) => assets.pictures[category] ?? assets.pictures.default;

/** A failed call, with the problem document the API answered. */
class ApiError extends Error {
  constructor(status, problem, requestId) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.requestId = requestId;
  }
}

async function api(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body, response.headers.get("x-request-id"));
  return body;
}

function problemView(error) {
  const box = el("div", { class: "problem", role: "alert" },
    el("p", {}, error instanceof ApiError ? error.message : "The shop could not be reached. Try again."));
  if (error.requestId) box.append(el("p", { class: "request-id" }, `Request id: ${error.requestId}`));
  return box;
}

function show(title, ...content) {
  document.title = title ? `${title} · ferrocart` : "ferrocart";
  main.replaceChildren(...content);
}

function stockLine(product) {
  return product.stock > 0
    ? el("p", { class: "stock" }, `${product.stock} in stock`)
    : el("p", { class: "sold-out" }, "Sold out");
}

function card(product) {
  const href = `/shop/products/${encodeURIComponent(product.id)}`;
  return el("li", { class: "card", "data-product-id": product.id },
    el("img", { src: picture(product.category), alt: "", width: "320", height: "240", loading: "lazy" }),
    el("div", { class: "body" },
      el("h2", {}, el("a", { href }, product.name)),
      el("p", { class: "price" }, money(product.price_cents, product.currency)),
      stockLine(product)));
}

async function catalogue(params) {
  const category = params.get("category") ?? "";
  const heading = el("h1", {}, category ? `Catalogue: ${category}` : "Catalogue");
  const select = el("select", { id: "category", name: "category" },
    el("option", { value: "" }, "All categories"),
    ...assets.categories.map((c) => el("option", { value: c, selected: c === category }, c)));
  select.addEventListener("change", () => {
    const next = select.value ? `/?category=${encodeURIComponent(select.value)}` : "/";
    navigate(next);
  });
  const filters = el("div", { class: "filters" }, el("label", { for: "category" }, "Category"), select);
  const grid = el("ul", { class: "grid", "aria-label": "Products" });
  const more = el("button", { type: "button", id: "load-more" }, "Load more");
  const moreBox = el("div", { class: "more" });
  const status = el("p", { class: "loading", role: "status" }, "Loading products…");
  show(category ? `Catalogue: ${category}` : "", heading, filters, status, grid, moreBox);

  let cursor = null;
  async function page() {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (category) query.set("category", category);
    if (cursor) query.set("cursor", cursor);
    more.disabled = true;
    try {
      const answer = await api(`/products?${query}`);
      grid.append(...answer.items.map(card));
      cursor = answer.next_cursor;
      status.textContent = grid.children.length
        ? `${grid.children.length} products shown`
        : "No products here yet.";
      moreBox.replaceChildren(...(cursor ? [more] : []));
    } catch (error) {
      status.replaceWith(problemView(error));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", page);
  await page();
}

async function productPage(id) {
  show("Product", el("p", { class: "loading", role: "status" }, "Loading the product…"));
  try {
    const product = await api(`/products/${encodeURIComponent(id)}`);
    show(product.name,
      el("article", { class: "product", "data-product-id": product.id },
        el("img", { src: picture(product.category), alt: "", width: "320", height: "240" }),
        el("div", {},
          el("h1", {}, product.name),
          el("p", { class: "price" }, money(product.price_cents, product.currency)),
          stockLine(product),
          el("p", {}, product.description || ""),
          el("p", {}, "Category: ", el("a", { href: `/?category=${encodeURIComponent(product.category)}` }, product.category)))));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return notFound();
    show("Product", problemView(error));
  }
}

function notFound() {
  show("Not found",
    el("h1", {}, "This page is not in the shop"),
    el("p", {}, el("a", { href: "/" }, "Back to the catalogue")));
}

async function route() {
  const url = new URL(location.href);
  const product = url.pathname.match(/^\/shop\/products\/([^/]+)$/);
  if (url.pathname === "/") await catalogue(url.searchParams);
  else if (product) await productPage(decodeURIComponent(product[1]));
  else notFound();
  main.focus({ preventScroll: true });
}

function navigate(href) {
  history.pushState(null, "", href);
  route();
}

// Same-origin links inside the shop change the view without a reload.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || !(url.pathname === "/" || url.pathname.startsWith("/shop/"))) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", route);
route();
