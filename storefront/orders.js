// Buying: the cart page and its checkout, an order's page (pay with a test
// card, cancel, the confirmation and its mail, refunds), and "My orders".

import { el, show, status, money, dateTime, countdown, navigate, redraw, parseDollars, dollars } from "./dom.js";
import { api, request, auth, newKey, ApiError } from "./api.js";
import { form, problemView, describe, pager, waitInWords, localProblem } from "./forms.js";
import { cart } from "./cart.js";
import { authPanel } from "./account.js";
import { fields as addressFields, body as addressBody, countryName } from "./addresses.js";

/** The simulator's test tokens (the contract's), labelled as what they do. */
const TEST_CARDS = [
  ["pm_card_visa", "Visa ending 4242", "succeeds"],
  ["pm_card_mastercard", "Mastercard ending 4444", "succeeds"],
  ["pm_card_chargeDeclined", "Declined card", "is declined"],
  ["pm_card_chargeDeclinedInsufficientFunds", "Card without funds", "is declined for insufficient funds"],
];

const BRANDS = { visa: "Visa", mastercard: "Mastercard" };

export const STATUS_TEXT = {
  pending_payment: "Waiting for payment",
  paid: "Paid",
  shipped: "Shipped",
  delivered: "Delivered",
  cancelled: "Cancelled",
  expired: "Expired (not paid in time)",
};

const orderHref = (id) => `/shop/orders/${encodeURIComponent(id)}`;

/** Each cart line with its product as the catalogue has it now. */
async function pricedLines() {
  return Promise.all(cart.lines().map(async (line) => {
    try {
      return { ...line, product: await api(`/products/${encodeURIComponent(line.product_id)}`) };
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return { ...line, gone: true };
      throw error;
    }
  }));
}

function lineRow(line, short) {
  const { product } = line;
  if (line.gone) {
    return el("tr", { class: "short", "data-product-id": line.product_id },
      el("td", { colspan: "3" }, "This product is no longer sold."),
      el("td", {}, el("button", { type: "button", class: "link", onclick: () => { cart.remove(line.product_id); redraw(); } }, "Remove")));
  }
  const quantityId = `cart-quantity-${product.id}`;
  const quantity = el("input", {
    id: quantityId, type: "number", min: "1", max: "100", value: String(line.quantity), inputmode: "numeric",
    onchange: () => {
      const n = Number.parseInt(quantity.value, 10);
      if (Number.isInteger(n) && n >= 1) cart.set(product.id, n);
      redraw();
    },
  });
  const isShort = short || product.stock < line.quantity;
  const note = product.stock >= line.quantity
    ? "Its stock changed while you ordered: place the order again."
    : product.stock > 0 ? `Only ${product.stock} left: lower the quantity.` : "Sold out: remove it to check out.";
  return el("tr", { class: isShort ? "short" : null, "data-product-id": product.id },
    el("td", {},
      el("a", { href: `/shop/products/${encodeURIComponent(product.id)}` }, product.name),
      isShort ? el("p", { class: "short-note" }, note) : null,
      el("p", { class: "line-actions" },
        el("button", { type: "button", class: "link", "aria-label": `Remove ${product.name}`, onclick: () => { cart.remove(product.id); redraw(); } }, "Remove"))),
    el("td", { class: "num" }, money(product.price_cents, product.currency)),
    el("td", {}, el("label", { for: quantityId, class: "visually-hidden" }, `Quantity of ${product.name}`), quantity),
    el("td", { class: "num" }, money(product.price_cents * line.quantity, product.currency)));
}

/** `/shop/cart`: the lines priced now, then sign in and place the order. */
export async function cartPage(shortages = new Set(), problem = null) {
  await cart.ready();
  if (!cart.lines().length) {
    return show("Cart", el("h1", {}, "Your cart"), el("p", {}, "Your cart is empty. ", el("a", { href: "/" }, "Browse the catalogue")));
  }
  show("Cart", el("h1", {}, "Your cart"), status("Pricing your cart…"));
  let lines;
  try {
    lines = await pricedLines();
  } catch (error) {
    return show("Cart", el("h1", {}, "Your cart"), problemView(error));
  }
  const priced = lines.filter((l) => !l.gone);
  const subtotal = priced.reduce((sum, l) => sum + l.product.price_cents * l.quantity, 0);
  const blocked = lines.some((l) => l.gone || l.product.stock < l.quantity);
  const table = el("table", { class: "lines" },
    el("caption", { class: "visually-hidden" }, "Products in your cart"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Product"), el("th", { scope: "col", class: "num" }, "Price"), el("th", { scope: "col" }, "Quantity"), el("th", { scope: "col", class: "num" }, "Total"))),
    el("tbody", {}, lines.map((l) => lineRow(l, shortages.has(l.product_id)))),
    el("tfoot", {}, el("tr", {}, el("th", { scope: "row", colspan: "3" }, "Subtotal"), el("td", { class: "num", id: "subtotal" }, money(subtotal)))));
  const checkout = el("section", { class: "checkout", "aria-labelledby": "checkout-title" }, el("h2", { id: "checkout-title" }, "Checkout"));
  if (problem) checkout.append(problemView(problem));
  if (!auth.user) {
    checkout.append(el("p", {}, "Sign in or create an account to place your order."), authPanel(() => cartPage()));
  } else if (blocked) {
    checkout.append(el("p", { class: "short-note" }, "Some products are short: change the marked lines to place your order."));
  } else {
    checkout.append(el("p", {}, "Prices are those of the catalogue when the order is placed; you pay on the next page."),
      await deliveryForm(subtotal));
  }
  show("Cart", el("h1", {}, "Your cart"), table, checkout);
}

const NEW_ADDRESS = "";

/** An option as a shopper reads it: its name and what it costs this cart. */
function optionLabel(option, subtotal) {
  const free = option.free_over_cents !== null && subtotal >= option.free_over_cents;
  const cost = free || option.amount_cents === 0 ? "free" : money(option.amount_cents);
  const hint = !free && option.free_over_cents !== null ? ` (free from ${money(option.free_over_cents)})` : "";
  return `${option.name}: ${cost}${hint}`;
}

const postage = (option, subtotal) =>
  option.free_over_cents !== null && subtotal >= option.free_over_cents ? 0 : option.amount_cents;

/**
 * Where and how the order ships: a saved address (the default first) or a
 * new one, and a shipping option for its country (the cheapest first),
 * with the total it makes; then "Place order".
 */
async function deliveryForm(subtotal) {
  let saved = [];
  try {
    ({ items: saved } = await api("/users/me/addresses"));
  } catch {
    // Not readable now: a new address still works.
  }
  saved.sort((a, b) => Number(b.is_default) - Number(a.is_default));
  const choices = [...saved.map((a) => [a.id, `${a.name}, ${a.line1}, ${a.city}, ${countryName(a.country)}`]), [NEW_ADDRESS, "A new address"]];
  const addressSpecs = addressFields().map((spec) => ({ ...spec, field: `shipping_address.${spec.name}` }));
  let options = [];
  const summary = el("p", { id: "delivery-total" });
  const checkout = form({
    id: "checkout",
    submitLabel: "Place order",
    fields: [
      ...(saved.length ? [{ name: "address_id", label: "Ship to", type: "select", options: choices, value: saved[0].id }] : []),
      ...addressSpecs,
      { name: "shipping_option_id", label: "Shipping", type: "select", options: [], value: "" },
    ],
    submit: async (values) => {
      const delivery = { shipping_option_id: values.shipping_option_id };
      if (values.address_id) delivery.address_id = values.address_id;
      else {
        const { name, line1, line2, city, region, postal_code, country, phone } = values;
        delivery.shipping_address = addressBody({ name, line1, line2, city, region, postal_code, country, phone });
      }
      if (!delivery.shipping_option_id) throw localProblem("shipping_option_id", "No shipping option ships to this country.");
      await placeOrder(checkout, delivery);
    },
    extra: [summary],
  });
  const f = checkout.fields;
  checkout.querySelector("button[type=submit]").id = "place-order";
  const newAddress = () => !f.address_id || f.address_id.value === NEW_ADDRESS;
  const country = () => (newAddress() ? f.country.value : saved.find((a) => a.id === f.address_id.value)?.country);
  const total = () => {
    const option = options.find((o) => o.id === f.shipping_option_id.value);
    summary.textContent = option
      ? `Shipping ${money(postage(option, subtotal))}, total ${money(subtotal + postage(option, subtotal))}`
      : "No shipping option ships to this country.";
  };
  // Each country has its own options: read them when it changes.
  const refresh = async () => {
    for (const spec of addressSpecs) f[spec.name].closest(".field").hidden = !newAddress();
    try {
      ({ items: options } = await api(`/shipping-options?country=${encodeURIComponent(country() ?? "")}`));
    } catch {
      options = [];
    }
    options.sort((a, b) => postage(a, subtotal) - postage(b, subtotal) || a.name.localeCompare(b.name));
    f.shipping_option_id.replaceChildren(...options.map((o) => el("option", { value: o.id }, optionLabel(o, subtotal))));
    total();
  };
  f.country.addEventListener("change", refresh);
  f.address_id?.addEventListener("change", refresh);
  f.shipping_option_id.addEventListener("change", total);
  await refresh();
  return checkout;
}

/**
 * `POST /orders` with this cart version's key: a second click, a reload or
 * another tab replays the same order instead of making a second one. A
 * problem with the lines redraws the cart with them marked; one with the
 * delivery is shown at its field.
 */
async function placeOrder(checkout, delivery) {
  await cart.ready();
  const key = cart.key();
  const items = cart.lines().map(({ product_id, quantity }) => ({ product_id, quantity }));
  // Signed in, the server cart is what gets ordered, at the version shown:
  // the order and the emptied cart are one transaction.
  let call = { path: "/orders", body: { items, ...delivery } };
  if (cart.mirrored()) {
    const server = await cart.server();
    const same = JSON.stringify(server.items.map(({ product_id, quantity }) => ({ product_id, quantity }))) === JSON.stringify(items);
    if (!same) return cartPage(new Set(), localProblem("items", "Your cart changed in another window: check it, then place the order."));
    call = { path: "/cart/checkout", body: { cart_version: server.version, ...delivery } };
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const { body: order } = await request(call.path, { method: "POST", body: call.body, headers: { "idempotency-key": key } });
      if (cart.key() === key) {
        if (call.path === "/cart/checkout") cart.ordered();
        else cart.clear();
      }
      return navigate(orderHref(order.id));
    } catch (error) {
      // The first request with this key is still running: ask again shortly.
      if (error.code === "idempotency_in_progress" && attempt < 10) {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      const lineProblem = ["insufficient_stock", "unknown_product", "cart_changed", "cart_empty"].includes(error.code);
      if (!lineProblem) throw error;
      // The lines the API named are marked; the page re-reads their stock.
      const shortages = new Set((error.problem?.errors ?? []).map((e) => e.product_id).filter(Boolean));
      return cartPage(shortages, error);
    }
  }
}

function linesTable(order) {
  return el("table", { class: "lines" },
    el("caption", { class: "visually-hidden" }, "Products in this order"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Product"), el("th", { scope: "col", class: "num" }, "Price"), el("th", { scope: "col", class: "num" }, "Quantity"), el("th", { scope: "col", class: "num" }, "Total"))),
    el("tbody", {}, order.items.map((i) => el("tr", {},
      el("td", {}, el("a", { href: `/shop/products/${encodeURIComponent(i.product_id)}` }, i.name)),
      el("td", { class: "num" }, money(i.unit_price_cents, order.currency)),
      el("td", { class: "num" }, String(i.quantity)),
      el("td", { class: "num" }, money(i.line_total_cents, order.currency))))),
    el("tfoot", {},
      order.shipping_option
        ? el("tr", {}, el("th", { scope: "row", colspan: "3" }, `Shipping: ${order.shipping_option.name}`), el("td", { class: "num", id: "order-shipping" }, order.shipping_cents ? money(order.shipping_cents, order.currency) : "free"))
        : null,
      el("tr", {}, el("th", { scope: "row", colspan: "3" }, "Total"), el("td", { class: "num", id: "order-total" }, money(order.total_cents, order.currency)))));
}

/** Where the order ships, as it was copied onto it. */
function shipsTo(order) {
  const a = order.shipping_address;
  if (!a) return null;
  const place = [a.city, a.region, a.postal_code].filter(Boolean).join(", ");
  return el("p", { id: "ships-to" }, "Ships to ",
    [a.name, a.line1, a.line2, place, countryName(a.country)].filter(Boolean).join(", "), ".");
}

async function cancel(order, box) {
  try {
    await api(`/orders/${encodeURIComponent(order.id)}/cancel`, { method: "POST" });
    return redraw();
  } catch (error) {
    box.replaceChildren(problemView(error));
  }
}

function cancelButton(order, box) {
  const paid = order.status === "paid";
  return el("button", { type: "button", class: "secondary cancel", onclick: () => cancel(order, box) },
    paid ? "Cancel and refund" : "Cancel order");
}

/** What the order's refunds gave back, when they gave anything. */
function refundedLine(order) {
  if (!(order.refunded_cents > 0)) return null;
  const all = order.refunded_cents >= order.total_cents;
  return el("p", { id: "refunded", class: "refunded" },
    `${all ? "Refunded in full" : "Partly refunded"}: ${money(order.refunded_cents, order.currency)} back to the card it was paid with.`);
}

const REASONS = [
  ["requested_by_customer", "Asked for by the customer"],
  ["damaged", "Arrived damaged"],
  ["not_delivered", "Never delivered"],
  ["other", "Other"],
];

/**
 * The admin's refund of a paid order: an amount (what is left, by
 * default), a reason, a note, and how many of each line go back in stock.
 * One Idempotency-Key per refund: a double click or a retry after a lost
 * answer makes one refund; a new refund after an answer gets a new key.
 */
function refundControls(order) {
  const left = order.total_cents - (order.refunded_cents ?? 0);
  if (!order.payment_id || left <= 0 || !["paid", "shipped", "delivered"].includes(order.status)) return null;
  let attempt = null; // { body, key } until the API answers
  const said = el("div", { id: "refund-result" });
  const restock = order.items.map((line, i) => ({
    name: `restock_${i}`, field: "restock", label: `Back in stock: ${line.name} (of ${line.quantity})`,
    type: "number", min: "0", max: String(line.quantity), value: "0", inputmode: "numeric",
  }));
  const refund = form({
    id: "refund",
    submitLabel: "Refund",
    fields: [
      { name: "amount", field: "amount_cents", label: "Amount (USD)", hint: `At most ${money(left, order.currency)}`, value: dollars(left), inputmode: "decimal", autocomplete: "off" },
      { name: "reason", label: "Reason", type: "select", options: REASONS, value: "requested_by_customer" },
      { name: "note", label: "Note (optional, not shown to the buyer)", type: "textarea", maxlength: 500 },
      ...restock,
    ],
    submit: async (values) => {
      const cents = parseDollars(values.amount);
      if (cents === null || cents < 1) throw localProblem("amount_cents", "Enter an amount in dollars, like 12.50.");
      const body = { amount_cents: cents, reason: values.reason, restock: [] };
      if (values.note.trim()) body.note = values.note.trim();
      order.items.forEach((line, i) => {
        const n = Number.parseInt(values[`restock_${i}`], 10);
        if (n > 0) body.restock.push({ product_id: line.product_id, quantity: n });
      });
      const text = JSON.stringify(body);
      if (attempt?.text !== text) attempt = { text, key: newKey() };
      try {
        const { body: made } = await request(`/payments/${encodeURIComponent(order.payment_id)}/refunds`, { method: "POST", body, headers: { "idempotency-key": attempt.key } });
        attempt = null;
        if (made.status === "succeeded") return redraw();
        said.replaceChildren(status(made.status === "pending"
          ? "The refund is pending: the payment provider has not confirmed it yet. It settles within minutes."
          : "The payment provider refused the refund.", { id: "refund-status" }));
      } catch (error) {
        if (error instanceof ApiError) attempt = null;
        throw error;
      }
    },
  });
  return el("section", { class: "panel", "aria-labelledby": "refund-title" },
    el("h2", { id: "refund-title" }, "Refund"), refund, said);
}

/**
 * The test-card picker and "Pay". One Idempotency-Key per attempt: a
 * double click or a retry after a lost answer reuses it; a decline is an
 * answer, so the next attempt gets a new one.
 */
function paymentForm(order) {
  const said = el("div", { class: "summary", tabindex: "-1" });
  const error = el("p", { class: "field-error", id: "card-error", hidden: true });
  const cards = el("fieldset", { class: "cards", "aria-describedby": "card-error" },
    el("legend", {}, "Test card (simulated payment: no real card is charged)"),
    TEST_CARDS.map(([token, label, outcome], i) => el("div", { class: "card-choice" },
      el("input", { type: "radio", name: "payment_method", id: `card-${token}`, value: token, checked: i === 0 }),
      el("label", { for: `card-${token}` }, `${label} `, el("span", { class: "hint" }, `(${outcome})`)))),
    error);
  const button = el("button", { type: "submit", id: "pay" }, `Pay ${money(order.total_cents, order.currency)}`);
  let attempt = null; // { method, key } until the API answers
  const form = el("form", { id: "payment", novalidate: true }, said, cards, el("div", { class: "actions" }, button));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    const method = form.elements.payment_method.value;
    if (attempt?.method !== method) attempt = { method, key: newKey() };
    button.disabled = true;
    error.hidden = true;
    cards.removeAttribute("aria-invalid");
    said.replaceChildren(status("Paying…"));
    try {
      await request("/payments", { method: "POST", body: { order_id: order.id, payment_method: method }, headers: { "idempotency-key": attempt.key } });
      attempt = null;
      return redraw();
    } catch (e) {
      if (e instanceof ApiError) attempt = null;
      if (e.code === "order_not_payable") return redraw();
      said.replaceChildren(problemView(e));
      error.textContent = e.code === "too_many_attempts" && e.retryAfter
        ? `Too many declined payments in the last hour. Try again in ${waitInWords(e.retryAfter)}.`
        : describe(e);
      error.hidden = false;
      said.focus();
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** Polls the caller's notifications until this order's confirmation is sent. */
function mailStatus(order) {
  const line = status("Confirmation mail: waiting for it to be queued…", { id: "mail-status" });
  const deadline = Date.now() + 60_000;
  let shown = false;
  const look = async () => {
    if (line.isConnected) shown = true;
    else if (shown) return; // the view changed
    try {
      const { items } = await api("/notifications?limit=20");
      const mail = items.find((n) => n.subject.includes(order.id));
      if (mail) {
        line.textContent = `Confirmation mail to ${mail.recipient}: ${mail.status}`;
        line.dataset.status = mail.status;
        if (mail.status === "sent" || mail.status === "failed") return;
      }
    } catch {
      // Shown as still waiting; the next look may work.
    }
    if (Date.now() < deadline) setTimeout(look, 1000);
    else line.textContent += " (refresh the page later to see it)";
  };
  look();
  return line;
}

async function paymentLine(order) {
  const line = el("p", { id: "payment-card" });
  try {
    const payment = await api(`/payments/${encodeURIComponent(order.payment_id)}`);
    const brand = BRANDS[payment.card.brand] ?? payment.card.brand;
    line.textContent = `Paid ${money(payment.amount_cents, payment.currency)} with ${brand} ending ${payment.card.last4} on ${dateTime(payment.created_at)}.`;
  } catch {
    line.textContent = "Paid.";
  }
  return line;
}

/** Where the parcel is: carrier, tracking number and link, and the dates. */
function deliveryView(order) {
  const f = order.fulfilment;
  return el("section", { class: "delivery", "aria-labelledby": "delivery-title", id: "delivery" },
    el("h2", { id: "delivery-title" }, f.delivered_at ? "Delivered" : "On its way"),
    el("p", {}, `Shipped ${dateTime(f.shipped_at)} with ${f.carrier}, tracking number `, el("code", { id: "tracking-number" }, f.tracking_number), "."),
    f.tracking_url ? el("p", {}, el("a", { href: f.tracking_url, id: "tracking-link", rel: "noopener noreferrer", target: "_blank" }, "Follow the parcel")) : null,
    f.delivered_at ? el("p", {}, `Delivered ${dateTime(f.delivered_at)}.`) : null);
}

/** The admin's part of an order page: ship a paid order, deliver a shipped one. */
function fulfilmentControls(order) {
  const path = (action) => `/orders/${encodeURIComponent(order.id)}/${action}`;
  if (order.status === "paid") {
    const ship = form({
      id: "ship",
      submitLabel: "Mark shipped and mail the buyer",
      fields: [
        { name: "carrier", label: "Carrier", required: true, maxlength: 50, autocomplete: "off" },
        { name: "tracking_number", label: "Tracking number", required: true, maxlength: 100, autocomplete: "off" },
        { name: "tracking_url", label: "Tracking link (optional)", type: "url", hint: "An https:// address where the buyer follows the parcel", maxlength: 500, autocomplete: "off" },
      ],
      submit: async (values) => {
        const body = { carrier: values.carrier.trim(), tracking_number: values.tracking_number.trim() };
        if (values.tracking_url.trim()) body.tracking_url = values.tracking_url.trim();
        await request(path("ship"), { method: "POST", body });
        redraw();
      },
    });
    return el("section", { class: "panel", "aria-labelledby": "ship-title" }, el("h2", { id: "ship-title" }, "Ship this order"), ship);
  }
  if (order.status === "shipped") {
    const deliver = form({
      id: "deliver",
      submitLabel: "Mark delivered",
      fields: [],
      submit: async () => {
        await request(path("deliver"), { method: "POST" });
        redraw();
      },
    });
    return el("section", { class: "panel", "aria-labelledby": "deliver-title" }, el("h2", { id: "deliver-title" }, "Delivery"), deliver);
  }
  return null;
}

/** `/shop/orders/{id}` */
export async function orderPage(id, notFound) {
  show("Order", status("Loading the order…"));
  let order;
  try {
    order = await api(`/orders/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return notFound();
    return show("Order", problemView(error));
  }
  const box = el("div", { class: "order-actions" });
  const parts = [
    el("h1", {}, "Order ", el("span", { class: "order-id" }, order.id)),
    el("p", { class: `order-status status-${order.status}`, id: "order-status" }, STATUS_TEXT[order.status] ?? order.status),
    el("p", { class: "hint" }, `Placed ${dateTime(order.created_at)}`),
    linesTable(order),
    shipsTo(order),
  ];
  if (order.status === "pending_payment") {
    parts.push(
      el("p", { class: "expiry" }, "Pay within ", countdown(el("span", { id: "expires-in" }), order.expires_at, redraw), " or the order expires and its products go back on sale."),
      el("section", { "aria-labelledby": "pay-title", class: "pay" }, el("h2", { id: "pay-title" }, "Payment"), paymentForm(order)),
      box, cancelButton(order, box));
  } else if (order.status === "paid") {
    parts.push(
      el("section", { class: "confirmation", "aria-labelledby": "thanks" },
        el("h2", { id: "thanks" }, "Thank you: your order is paid"),
        await paymentLine(order),
        mailStatus(order)),
      el("p", { class: "hint" }, "Until it ships you can cancel it: the whole payment is refunded."),
      box, cancelButton(order, box));
  }
  parts.push(refundedLine(order));
  if (order.fulfilment) parts.push(deliveryView(order));
  if (auth.isAdmin) parts.push(fulfilmentControls(order), refundControls(order));
  parts.push(el("p", {}, el("a", { href: "/shop/orders" }, "All my orders")));
  show(`Order ${order.id}`, ...parts);
}

function orderRow(order) {
  const box = el("div", { class: "order-actions" });
  const pending = order.status === "pending_payment";
  return el("li", { class: "order-row", "data-order-id": order.id },
    el("a", { href: orderHref(order.id) }, `Order ${order.id}`),
    el("span", {}, dateTime(order.created_at)),
    el("span", { class: `order-status status-${order.status}` }, STATUS_TEXT[order.status] ?? order.status),
    el("span", { class: "num" }, money(order.total_cents, order.currency)),
    pending ? el("span", { class: "expiry" }, "expires in ", countdown(el("span"), order.expires_at)) : null,
    pending ? cancelButton(order, box) : null,
    box);
}

/** `/shop/orders`: newest first, "load more", cancel while pending. */
export async function ordersPage() {
  const list = el("ul", { class: "orders", "aria-label": "Your orders" });
  const pages = pager({
    path: "/orders", params: { limit: "10" }, list, noun: "orders", empty: "You have no orders yet.", render: orderRow,
  });
  show("My orders", el("h1", {}, "My orders"), pages.said, list, pages.box);
  await pages.first();
}
