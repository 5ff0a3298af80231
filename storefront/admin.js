// An admin's pages: the order queue (paid orders waiting to ship first), and
// the products: the list, a new product, and one product's page with
// its edit, stock and archive forms. An edit carries the ETag of the version
// the form shows, so a change someone made meanwhile is refused (412) and
// shown, never silently overwritten; stock moves by `stock_delta`, which
// cannot lose a concurrent order.

import { el, show, status, money, dateTime, navigate, assets, parseDollars, dollars } from "./dom.js";
import { STATUS_TEXT } from "./orders.js";
import { request, ApiError } from "./api.js";
import { form, localProblem, problemView, pager } from "./forms.js";

const LIST = "/shop/admin/products";
const PAGE_SIZE = 20;
const PRICE_MAX = 100_000_000; // cents, the contract's limit
const STOCK_MAX = 1_000_000;
const CONFLICT = "This product was changed by someone else after you opened it. Reload it to see the current version, then make your change again.";

const productHref = (id) => `${LIST}/${encodeURIComponent(id)}`;
const productPath = (id) => `/products/${encodeURIComponent(id)}`;

// What the next view says first: creating and archiving change the view.
let notice = null;
function takeNotice() {
  const text = notice;
  notice = null;
  return text ? status(text, { class: "added notice" }) : null;
}

const length = (text) => [...text].length;

/** Several client-side problems in one, each at its field. */
function problems(list) {
  if (list.length < 2) return list.length ? localProblem(...list[0]) : null;
  const errors = list.map(([field, message]) => ({ field, message }));
  return new ApiError(422, { detail: "Check the highlighted fields.", errors }, null);
}

/**
 * The writable fields from the form's values, checked as the API would, so
 * a slip is shown at once; throws the problems found.
 */
function productValues(values, withStock) {
  const found = [];
  const out = { name: values.name.trim(), description: values.description.trim(), category: values.category.trim() };
  if (!out.name) found.push(["name", "Enter a name."]);
  else if (length(out.name) > 200) found.push(["name", "Use at most 200 characters."]);
  if (length(out.description) > 2000) found.push(["description", "Use at most 2000 characters."]);
  const cents = parseDollars(values.price);
  if (cents === null) found.push(["price_cents", "Enter a price in dollars, like 12.50."]);
  else if (cents < 1 || cents > PRICE_MAX) found.push(["price_cents", "Enter a price from 0.01 to 1000000.00."]);
  else out.price_cents = cents;
  if (withStock) {
    const stock = values.stock.trim();
    if (!/^\d{1,7}$/.test(stock) || Number(stock) > STOCK_MAX) found.push(["stock", `Enter a whole number from 0 to ${STOCK_MAX}.`]);
    else out.stock = Number(stock);
  }
  if (!/^[a-z0-9-]{1,50}$/.test(out.category)) found.push(["category", "Use 1 to 50 lowercase letters, digits or hyphens, like home-office."]);
  const error = problems(found);
  if (error) throw error;
  return out;
}

function categoryList() {
  return el("datalist", { id: "admin-categories" }, assets.categories.map((c) => el("option", { value: c })));
}

/** The fields of both product forms; `product` fills them. */
function productFields(product = {}) {
  return [
    { name: "name", label: "Name", value: product.name, required: true, maxlength: "200", autocomplete: "off" },
    { name: "description", label: "Description", type: "textarea", value: product.description, rows: "4", maxlength: "2000" },
    {
      name: "price", field: "price_cents", label: "Price (USD)", hint: "In dollars, like 12.50",
      value: product.price_cents === undefined ? undefined : dollars(product.price_cents),
      required: true, inputmode: "decimal", autocomplete: "off",
    },
    { name: "category", label: "Category", hint: "Lowercase letters, digits and hyphens, like books", value: product.category, required: true, list: "admin-categories", autocomplete: "off" },
  ];
}

const backLink = () => el("p", {}, el("a", { href: LIST }, "All products"));

/** `show`, leaving out the parts that are absent. */
const view = (title, ...parts) => show(title, ...parts.filter(Boolean));

const ORDERS = "/shop/admin/orders";
// The queue's filters, the paid orders to ship first; "" is every order.
const QUEUES = [["paid", "Paid, to ship"], ["shipped", "Shipped"], ["delivered", "Delivered"], ["pending_payment", "Waiting for payment"], ["cancelled", "Cancelled"], ["expired", "Expired"], ["", "All orders"]];

/** `/shop/admin/orders?status=…`: every customer's orders, newest first. */
export async function adminOrders() {
  const asked = new URLSearchParams(location.search).get("status") ?? "paid";
  const queue = QUEUES.some(([s]) => s === asked) ? asked : "paid";
  const rows = el("tbody");
  const table = el("table", { class: "lines admin-orders", "aria-labelledby": "admin-title" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, "Order"),
      el("th", { scope: "col", class: "num" }, "Total"))),
    rows);
  const params = { limit: String(PAGE_SIZE), ...(queue ? { status: queue } : {}) };
  const pages = pager({
    path: "/admin/orders", params, list: rows, noun: "orders", empty: "No orders here.",
    statusId: "list-status",
    render: (o) => el("tr", { "data-order-id": o.id },
      el("td", {},
        el("a", { href: `/shop/orders/${encodeURIComponent(o.id)}` }, `Order ${o.id}`),
        el("p", { class: "hint" }, `${STATUS_TEXT[o.status] ?? o.status} · ${dateTime(o.created_at)} · ${o.items.reduce((n, l) => n + l.quantity, 0)} items`)),
      el("td", { class: "num" }, money(o.total_cents, o.currency))),
  });
  const select = el("select", { id: "queue", name: "status" },
    QUEUES.map(([value, label]) => el("option", { value, selected: value === queue }, label)));
  const filter = el("form", { id: "queue-filter", class: "actions" },
    el("label", { for: "queue" }, "Show "), select, el("button", { type: "submit" }, "Show"));
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(select.value ? `${ORDERS}?status=${encodeURIComponent(select.value)}` : ORDERS + "?status=");
  });
  view("Orders admin",
    el("h1", { id: "admin-title" }, "Orders admin"),
    filter, pages.said, table, pages.box);
  await pages.first();
}

/** `/shop/admin/products`: every listed product, a page at a time. */
export async function adminProducts() {
  const rows = el("tbody");
  const table = el("table", { class: "lines admin-products", "aria-labelledby": "admin-title" },
    // The category shares the name's cell: four columns do not fit 360 px.
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, "Product"),
      el("th", { scope: "col", class: "num" }, "Price"),
      el("th", { scope: "col", class: "num" }, "Stock"))),
    rows);
  const pages = pager({
    path: "/products", params: { limit: String(PAGE_SIZE) }, list: rows, noun: "products", empty: "No products yet.",
    statusId: "list-status",
    render: (p) => el("tr", { "data-product-id": p.id },
      el("td", {}, el("a", { href: productHref(p.id) }, p.name), el("p", { class: "hint" }, `Category: ${p.category}`)),
      el("td", { class: "num" }, money(p.price_cents, p.currency)),
      el("td", { class: "num" }, String(p.stock))),
  });
  view("Products admin",
    el("h1", { id: "admin-title" }, "Products admin"),
    takeNotice(),
    el("p", {}, el("a", { href: `${LIST}/new`, class: "button", id: "new-product-link" }, "New product")),
    pages.said, table, pages.box);
  await pages.first();
}

/** `/shop/admin/products/new` */
export function adminNewProduct() {
  const fields = productFields();
  fields.splice(3, 0, { name: "stock", label: "Stock", hint: "Units on hand, a whole number", value: "0", required: true, inputmode: "numeric", autocomplete: "off" });
  const create = form({
    id: "new-product",
    submitLabel: "Create product",
    fields,
    submit: async (values) => {
      const body = { ...productValues(values, true), currency: "USD" };
      const { body: product } = await request("/products", { method: "POST", body });
      notice = `Created ${product.name}.`;
      await navigate(productHref(product.id));
    },
  });
  show("New product", backLink(), el("h1", {}, "New product"), el("section", { class: "panel", "aria-label": "New product" }, create), categoryList());
}

/** The fields the edit form shows, to compare versions by. */
const shown = (p) => ({ name: p.name, description: p.description ?? "", price_cents: p.price_cents, category: p.category });
const same = (a, b) => Object.entries(shown(a)).every(([k, v]) => shown(b)[k] === v);

/** `/shop/admin/products/{id}` */
export async function adminProduct(id, notFound) {
  const said = takeNotice();
  show("Edit product", backLink(), status("Loading the product…"));
  let product; // the version the edit form shows
  let etag;
  try {
    ({ body: product, etag } = await request(productPath(id)));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return notFound();
    return show("Edit product", backLink(), el("h1", {}, "Edit product"), problemView(error));
  }

  const heading = el("h1", {}, product.name);
  const stockNow = el("p", { id: "stock-now" });
  const editStatus = status("", { id: "edit-status" });
  const stockStatus = status("", { id: "stock-status" });

  const drawStock = (p) => {
    stockNow.textContent = `In stock: ${p.stock}`;
  };
  /** Shows `fresh` in the form: its fields and its ETag are the base of the next save. */
  const load = (fresh, freshEtag) => {
    product = fresh;
    etag = freshEtag;
    heading.textContent = fresh.name;
    document.title = `${fresh.name} · ferrocart`;
    edit.fields.name.value = fresh.name;
    edit.fields.description.value = fresh.description ?? "";
    edit.fields.price.value = dollars(fresh.price_cents);
    edit.fields.category.value = fresh.category;
    drawStock(fresh);
  };
  /**
   * A newer version from the stock form: its stock is shown; it becomes the
   * edit form's base unless someone else changed what that form shows.
   */
  const follow = (fresh) => {
    if (same(fresh.body, product)) {
      product = fresh.body;
      etag = fresh.etag;
    }
    drawStock(fresh.body);
  };
  /** A write's answer; a missing ETag is read again rather than guessed. */
  const answered = async (answer) => (answer.etag ? answer : request(productPath(id)));

  const reload = el("button", { type: "button", id: "reload-product", class: "secondary" }, "Reload product");
  const conflict = (error) => {
    edit.showProblem(new ApiError(error.status, { ...error.problem, detail: CONFLICT, errors: undefined }, error.requestId),
      el("div", { class: "actions" }, reload));
  };
  reload.addEventListener("click", async () => {
    if (reload.disabled) return;
    reload.disabled = true;
    try {
      const fresh = await request(productPath(id));
      load(fresh.body, fresh.etag);
      edit.clearProblem();
      editStatus.textContent = "Reloaded: the form shows the current version.";
      edit.fields.name.focus();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return notFound();
      edit.showProblem(error);
    } finally {
      reload.disabled = false;
    }
  });

  const edit = form({
    id: "edit-product",
    submitLabel: "Save changes",
    fields: productFields(product),
    submit: async (values) => {
      editStatus.textContent = "";
      const wanted = productValues(values, false);
      // Only what the admin changed; stored text is compared as the form trims it.
      const base = shown(product);
      const changes = Object.fromEntries(Object.entries(wanted)
        .filter(([k, v]) => v !== (typeof base[k] === "string" ? base[k].trim() : base[k])));
      if (!Object.keys(changes).length) {
        editStatus.textContent = "Nothing to save: the form shows the stored version.";
        return;
      }
      const patch = (tag) => request(productPath(id), { method: "PATCH", body: changes, headers: tag ? { "if-match": tag } : {} });
      let answer;
      try {
        answer = await patch(etag);
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 412) throw error;
        // Every write bumps the version, an order's stock change too: only a
        // change to what this form shows is a conflict.
        const now = await request(productPath(id));
        if (!same(now.body, product)) return conflict(error);
        try {
          answer = await patch(now.etag);
        } catch (again) {
          if (again instanceof ApiError && again.status === 412) return conflict(again);
          throw again;
        }
      }
      const saved = await answered(answer);
      load(saved.body, saved.etag);
      editStatus.textContent = "Saved";
    },
  });

  const adjust = form({
    id: "adjust-stock",
    submitLabel: "Adjust stock",
    fields: [{
      name: "delta", field: "stock_delta", label: "Change stock by", autocomplete: "off",
      hint: "A whole number: 10 adds ten units, -3 takes three away.", required: true,
    }],
    submit: async ({ delta }) => {
      stockStatus.textContent = "";
      const text = delta.trim().replace(/^\+/, "");
      if (!/^-?\d{1,7}$/.test(text) || Math.abs(Number(text)) > STOCK_MAX) {
        throw localProblem("stock_delta", `Enter a whole number from -${STOCK_MAX} to ${STOCK_MAX}, like 10 or -3.`);
      }
      const change = Number(text);
      if (change === 0) throw localProblem("stock_delta", "Enter a change other than 0.");
      let answer;
      try {
        answer = await request(productPath(id), { method: "PATCH", body: { stock_delta: change } });
      } catch (error) {
        if (error instanceof ApiError && error.code === "insufficient_stock") {
          if (!error.problem.errors?.length) error.problem.errors = [{ field: "stock_delta", message: error.message }];
          // Orders may have moved it since the page was drawn.
          await request(productPath(id)).then(follow, () => {});
        }
        throw error;
      }
      const fresh = await answered(answer);
      follow(fresh);
      adjust.fields.delta.value = "";
      stockStatus.textContent = `Stock ${change > 0 ? "raised" : "lowered"} by ${Math.abs(change)}: ${fresh.body.stock} in stock.`;
    },
  });
  drawStock(product);

  view(product.name,
    backLink(),
    heading,
    said,
    el("section", { class: "panel", "aria-labelledby": "details-title" },
      el("h2", { id: "details-title" }, "Details"), edit, editStatus, categoryList()),
    el("section", { class: "panel", "aria-labelledby": "stock-title" },
      el("h2", { id: "stock-title" }, "Stock"), stockNow, adjust, stockStatus),
    archiveSection(id, () => product.name));
}

/** "Archive product", confirmed in the page; then back to the list. */
function archiveSection(id, name) {
  const box = el("div", { class: "actions" });
  const start = el("button", { type: "button", id: "archive-product", class: "secondary" }, "Archive product");
  const ask = () => {
    const question = el("p", { id: "archive-question", tabindex: "-1" },
      `Archive ${name()}? It leaves the catalogue and can no longer be ordered; the orders that hold it keep it.`);
    const yes = el("button", { type: "button", id: "archive-confirm", class: "danger" }, "Yes, archive it");
    const no = el("button", { type: "button", id: "archive-cancel", class: "secondary" }, "Keep it");
    const said = el("div");
    no.addEventListener("click", () => {
      box.replaceChildren(start);
      start.focus();
    });
    yes.addEventListener("click", async () => {
      if (yes.disabled) return;
      yes.disabled = true;
      try {
        await request(productPath(id), { method: "DELETE" });
        notice = `Archived ${name()}.`;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) notice = `${name()} was already archived.`;
        else {
          yes.disabled = false;
          said.replaceChildren(problemView(error));
          return;
        }
      }
      await navigate(LIST);
    });
    box.replaceChildren(el("div", { role: "group", "aria-labelledby": "archive-question", class: "confirm" },
      question, el("div", { class: "actions" }, yes, no), said));
    question.focus();
  };
  start.addEventListener("click", ask);
  box.append(start);
  return el("section", { class: "panel", "aria-labelledby": "archive-title" },
    el("h2", { id: "archive-title" }, "Archive"),
    el("p", { class: "hint" }, "An archived product leaves the catalogue; orders that hold it keep it."),
    box);
}
