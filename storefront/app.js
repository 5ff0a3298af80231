// ferrocart's storefront: plain ES modules, no framework and no build step.
// It talks to the API on its own origin. This module is the router: each
// path under /shop/ is a view drawn by one of the modules it imports.

import { el, show, main, setRouter, navigate } from "./dom.js";
import { auth } from "./api.js";
import { cart } from "./cart.js";
import { accountPage, drawNav, signInPage } from "./account.js";
import { catalogue, productPage } from "./catalogue.js";
import { cartPage, orderPage, ordersPage } from "./orders.js";
import { adminOrders, adminProducts, adminProduct, adminNewProduct } from "./admin.js";
import { adminShipping } from "./shipping.js";
import { drawReminder, verifyPage } from "./verify.js";
import { forgotPage, resetPage } from "./recovery.js";

function notFound() {
  show("Not found",
    el("h1", {}, "This page is not in the shop"),
    el("p", {}, el("a", { href: "/" }, "Back to the catalogue")));
}

/** Views that need a signed-in shopper send others to sign in first. */
function signedIn(view, admin = false) {
  return (...args) => {
    if (!auth.user) return navigate(`/shop/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    if (admin && !auth.isAdmin) return notFound();
    return view(...args);
  };
}

const routes = [
  [/^\/$/, (url) => catalogue(url.searchParams)],
  [/^\/shop\/products\/([^/]+)$/, (url, id) => productPage(id, notFound)],
  [/^\/shop\/cart$/, () => cartPage()],
  [/^\/shop\/sign-in$/, (url) => signInPage(url.searchParams)],
  [/^\/shop\/verify$/, () => verifyPage()],
  [/^\/shop\/forgot$/, () => forgotPage()],
  [/^\/shop\/reset$/, () => resetPage()],
  [/^\/shop\/account$/, signedIn(() => accountPage())],
  [/^\/shop\/orders$/, signedIn(() => ordersPage())],
  [/^\/shop\/orders\/([^/]+)$/, signedIn((url, id) => orderPage(id, notFound))],
  [/^\/shop\/admin\/orders$/, signedIn(() => adminOrders(), true)],
  [/^\/shop\/admin\/products$/, signedIn(() => adminProducts(), true)],
  [/^\/shop\/admin\/shipping$/, signedIn(() => adminShipping(), true)],
  [/^\/shop\/admin\/products\/new$/, signedIn(() => adminNewProduct(), true)],
  [/^\/shop\/admin\/products\/([^/]+)$/, signedIn((url, id) => adminProduct(id, notFound), true)],
];

async function route() {
  const url = new URL(location.href);
  drawNav();
  const found = routes.map(([pattern, view]) => [url.pathname.match(pattern), view]).find(([m]) => m);
  if (found) {
    const [match, view] = found;
    await view(url, ...match.slice(1).map(decodeURIComponent));
  } else notFound();
  main.focus({ preventScroll: true });
}

setRouter(route);
auth.watch(drawNav);
auth.watch(drawReminder);
cart.watch(drawNav);

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
// Signed out in another tab: a view that needs an account sends to sign-in.
auth.watch(() => {
  if (!auth.user && /^\/shop\/(orders|admin|account)/.test(location.pathname)) route();
});
auth.restore().finally(() => {
  cart.settle();
  route();
});
