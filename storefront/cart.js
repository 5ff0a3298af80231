// The cart. A signed-out visitor's cart is kept in this browser; on sign-in
// its lines are added to the account's server cart (quantities summed,
// capped at 100) and from then on this browser mirrors the server cart:
// every change goes to the API, and each sign-in or page load reads it
// back, so the cart follows the shopper across devices. Signing out leaves
// an empty cart here: the lines belong to the account.
//
// The cart also carries a version and the Idempotency-Key of that version:
// placing the order twice from one version (a double click, a reload, a
// second tab) sends the same key, and the API answers with the one order
// it made.

import { api, auth, newKey, request } from "./api.js";

const STORE = "ferrocart.cart";
const MAX_LINES = 25; // the contract's limit on a cart's and an order's lines
const MAX_QUANTITY = 100;
const listeners = new Set();

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE));
    if (saved && Array.isArray(saved.lines) && typeof saved.key === "string") return { owner: null, ...saved };
  } catch {
    // A damaged entry is an empty cart.
  }
  return { lines: [], version: 0, key: newKey(), owner: null };
}

let state = load();
// The sync in flight (a merge on sign-in, a read on load): views wait for it.
let syncing = Promise.resolve();

/**
 * Keeps `lines` (for `owner`). Only a change of the lines is a new version
 * with a new key, and only it redraws what shows the cart.
 */
function save(lines, owner = state.owner) {
  const same = JSON.stringify(lines) === JSON.stringify(state.lines);
  state = same ? { ...state, owner } : { lines, version: state.version + 1, key: newKey(), owner };
  localStorage.setItem(STORE, JSON.stringify(state));
  if (!same) listeners.forEach((f) => f());
}

const linesOf = (serverCart) => serverCart.items.map(({ product_id, quantity }) => ({ product_id, quantity }));
const itemPath = (id) => `/cart/items/${encodeURIComponent(id)}`;

/** Whether this browser's lines are the signed-in account's server cart. */
const mirrored = () => auth.user && state.owner === auth.user.id;

/** Sends one change to the server cart; if it is refused, shows the server's cart. */
async function push(send) {
  if (!mirrored()) return;
  const owner = state.owner;
  try {
    await send();
  } catch {
    try {
      save(linesOf(await api("/cart")), owner);
    } catch {
      // Unreachable: the next load reads the cart again.
    }
  }
}

/** Signed in: the signed-out lines join the account's cart, which this browser then shows. */
async function sync() {
  const user = auth.user?.id ?? null;
  if (!user) {
    if (state.owner) save([], null);
    return;
  }
  const local = state.owner === user ? [] : state.owner === null ? state.lines : [];
  // From here on, changes made in this browser go to the account's cart.
  if (state.owner !== user) save(local, user);
  let server = await api("/cart");
  for (const line of local) {
    const held = server.items.find((i) => i.product_id === line.product_id)?.quantity ?? 0;
    try {
      await request(itemPath(line.product_id), { method: "PUT", body: { quantity: Math.min(MAX_QUANTITY, held + line.quantity) } });
    } catch {
      // A product that left the catalogue, or a full cart: that line stays out.
    }
  }
  if (local.length) server = await api("/cart");
  if (auth.user?.id === user) save(linesOf(server), user);
}

auth.watch(() => {
  syncing = syncing.then(sync).catch(() => {});
});

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
  /** Resolves once the cart shown is the account's (after a sign-in or a load). */
  ready: () => syncing,
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
    const now = lines.find((l) => l.product_id === productId).quantity;
    push(() => request(itemPath(productId), { method: "PUT", body: { quantity: now } }));
    return true;
  },
  set(productId, quantity) {
    const q = Math.max(1, Math.min(MAX_QUANTITY, Math.trunc(quantity)));
    save(state.lines.map((l) => (l.product_id === productId ? { ...l, quantity: q } : l)));
    push(() => request(itemPath(productId), { method: "PUT", body: { quantity: q } }));
  },
  remove(productId) {
    save(state.lines.filter((l) => l.product_id !== productId));
    push(() => request(itemPath(productId), { method: "DELETE" }));
  },
  /** After the order of this version exists. */
  clear() {
    save([]);
    push(() => request("/cart", { method: "DELETE" }));
  },
  /** Whether the lines here are the signed-in account's server cart. */
  mirrored: () => Boolean(mirrored()),
  /** The account's cart as the server has it now (its lines become these). */
  async server() {
    const server = await api("/cart");
    if (mirrored()) save(linesOf(server), state.owner);
    return server;
  },
  /** A checkout emptied the server cart with its order: empty here too. */
  ordered() {
    save([]);
  },
  watch(f) {
    listeners.add(f);
  },
  /** On load, once the session is known: an account's lines are not shown signed out. */
  settle() {
    if (!auth.user && state.owner) save([], null);
  },
};
