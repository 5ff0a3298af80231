// The page's building blocks: elements, money, the view area and the
// router's entry point. Everything a shopper or the API wrote goes on the
// page as text (`append` of a string makes a text node), never as HTML.

export const main = document.getElementById("main");
export const assets = JSON.parse(document.getElementById("assets").textContent);

/**
 * An element with attributes and children. Attributes that are functions
 * (`onclick`) become listeners; `false`, `null` and `undefined` are left out.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") node.addEventListener(name.replace(/^on/, ""), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

export const money = (cents, currency = "USD") =>
  new Intl.NumberFormat("en-US", { style: "currency", currency }).format(cents / 100);

export const picture = (category) => assets.pictures[category] ?? assets.pictures.default;

export const dateTime = (iso) =>
  new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));

/** A line that screen readers announce when it changes. */
export const status = (text, attrs = {}) => el("p", { class: "loading", role: "status", ...attrs }, text);

/** Replaces the view and its title. */
export function show(title, ...content) {
  document.title = title ? `${title} · ferrocart` : "ferrocart";
  // A part a view left out (null) is not shown, not written as text.
  main.replaceChildren(...content.filter((part) => part !== null && part !== undefined && part !== false));
}

let router = async () => {};

export function setRouter(route) {
  router = route;
}

/** Changes the view without a reload; the address bar follows. */
export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  return router();
}

/** Re-draws the current view (after signing in, for one). */
export const redraw = () => router();

/**
 * Counts down to `until` as "m:ss" in `node`, every second while the node is
 * on the page; `onEnd` runs once when the time is up.
 */
export function countdown(node, until, onEnd) {
  const end = new Date(until).getTime();
  let shown = false;
  const tick = () => {
    if (node.isConnected) shown = true;
    else if (shown) return clearInterval(timer); // the view changed
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    node.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    if (left === 0) {
      clearInterval(timer);
      onEnd?.();
    }
  };
  const timer = setInterval(tick, 1000);
  tick();
  return node;
}

/** "12.50" → 1250, read as text: no floating point touches money. */
export function parseDollars(text) {
  let s = text.trim().replace(/^\$\s*/, "");
  if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(s)) s = s.replaceAll(",", "");
  const m = /^(\d{0,12})(?:\.(\d{0,2}))?$/.exec(s);
  if (!m || (m[1] === "" && !m[2])) return null;
  return Number(m[1] || "0") * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

/** 1250 → "12.50", for an input. */
export const dollars = (cents) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
