// The cart, kept in this browser until the server cart exists. It carries
// a version and the Idempotency-Key of that version: placing the order
// twice from one version (a double click, a reload, a second tab) sends the
// same key, and the API answers with the one order it made.

import { newKey } from "./api.js";

const STORE = "ferrocart.cart";
const MAX_LINES = 25; // the contract's limit on an order's lines
const MAX_QUANTITY = 100;
const listeners = new Set();

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE));
    if (saved && Array.isArray(saved.lines) && typeof saved.key === "string") return saved;
  } catch {
    // A damaged entry is an empty cart.
  }
  return { lines: [], version: 0, key: newKey() };
}

let state = load();

function save(lines) {
  state = { lines, version: state.version + 1, key: newKey() };
  localStorage.setItem(STORE, JSON.stringify(state));
  listeners.forEach((f) => f());
}

// Another tab changed the cart.
window.addEventListener("storage", (event) => {
  if (event.key === STORE) {
    state = load();
    listeners.forEach((f) => f());
  }
});

export const cart = {
  lines: () => state.lines,
  count: () => state.lines.reduce((n, line) => n + line.quantity, 0),
  /** This version's Idempotency-Key for `POST /orders`. */
  key: () => state.key,
  /** Adds `quantity` (capped at the contract's limits); false when the cart is full. */
  add(productId, quantity) {
    const lines = state.lines.map((l) => ({ ...l }));
    const line = lines.find((l) => l.product_id === productId);
    if (line) line.quantity = Math.min(MAX_QUANTITY, line.quantity + quantity);
    else if (lines.length >= MAX_LINES) return false;
    else lines.push({ product_id: productId, quantity: Math.min(MAX_QUANTITY, quantity) });
    save(lines);
    return true;
  },
  set(productId, quantity) {
    const q = Math.max(1, Math.min(MAX_QUANTITY, Math.trunc(quantity)));
    save(state.lines.map((l) => (l.product_id === productId ? { ...l, quantity: q } : l)));
  },
  remove(productId) {
    save(state.lines.filter((l) => l.product_id !== productId));
  },
  /** After the order of this version exists. */
  clear() {
    save([]);
  },
  watch(f) {
    listeners.add(f);
  },
};
