// The catalogue (`/`, with its category filter and "load more") and a
// product's page, each with a way into the cart.

import { el, show, status, money, picture, assets, navigate } from "./dom.js";
import { api, ApiError } from "./api.js";
import { problemView, pager } from "./forms.js";
import { cart } from "./cart.js";

const PAGE_SIZE = 12;

export function stockLine(product) {
  return product.stock > 0
    ? el("p", { class: "stock" }, `${product.stock} in stock`)
    : el("p", { class: "sold-out" }, "Sold out");
}

/** "Add to cart", with a quantity when `withQuantity`; says what it did. */
function addToCart(product, withQuantity) {
  const said = el("p", { class: "added", role: "status" });
  if (product.stock <= 0) return el("div", { class: "buy" }, said);
  const quantityId = `quantity-${product.id}`;
  const quantity = withQuantity
    ? el("input", { id: quantityId, name: "quantity", type: "number", min: "1", max: String(Math.min(100, product.stock)), value: "1", inputmode: "numeric" })
    : null;
  const button = el("button", {
    type: "button",
    class: "add",
    "aria-label": withQuantity ? null : `Add ${product.name} to the cart`,
    onclick: () => {
      const n = quantity ? Number.parseInt(quantity.value, 10) : 1;
      if (!Number.isInteger(n) || n < 1) {
        said.textContent = "Choose a quantity of at least 1.";
        return;
      }
      said.textContent = cart.add(product.id, n) ? `Added to the cart (${cart.count()} items in it)` : "The cart holds at most 25 products.";
    },
  }, "Add to cart");
  return el("div", { class: "buy" },
    quantity ? el("label", { for: quantityId }, "Quantity") : null, quantity, button, said);
}

function card(product) {
  const href = `/shop/products/${encodeURIComponent(product.id)}`;
  return el("li", { class: "card", "data-product-id": product.id },
    el("img", { src: picture(product.category), alt: "", width: "320", height: "240", loading: "lazy" }),
    el("div", { class: "body" },
      el("h2", {}, el("a", { href }, product.name)),
      el("p", { class: "price" }, money(product.price_cents, product.currency)),
      stockLine(product),
      addToCart(product, false)));
}

/** `/` and `/?category=…` */
export async function catalogue(params) {
  const category = params.get("category") ?? "";
  const heading = el("h1", {}, category ? `Catalogue: ${category}` : "Catalogue");
  const select = el("select", {
    id: "category",
    name: "category",
    onchange: () => navigate(select.value ? `/?category=${encodeURIComponent(select.value)}` : "/"),
  },
  el("option", { value: "" }, "All categories"),
  assets.categories.map((c) => el("option", { value: c, selected: c === category }, c)));
  const filters = el("div", { class: "filters" }, el("label", { for: "category" }, "Category"), select);
  const grid = el("ul", { class: "grid", "aria-label": "Products" });
  const query = { limit: String(PAGE_SIZE), ...(category ? { category } : {}) };
  const pages = pager({
    path: "/products", params: query, list: grid, noun: "products", empty: "No products here yet.", render: card,
    // What `make bench` times: navigation to the first product on screen.
    onPage: () => {
      if (grid.children.length && !performance.getEntriesByName("first-product").length) performance.mark("first-product");
    },
  });
  show(category ? `Catalogue: ${category}` : "", heading, filters, pages.said, grid, pages.box);
  await pages.first();
}

/** `/shop/products/{id}` */
export async function productPage(id, notFound) {
  show("Product", status("Loading the product…"));
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
          el("p", {}, "Category: ", el("a", { href: `/?category=${encodeURIComponent(product.category)}` }, product.category)),
          addToCart(product, true))));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return notFound();
    show("Product", problemView(error));
  }
}
