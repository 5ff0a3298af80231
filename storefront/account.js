// Signing up and in, inline wherever the shop needs it (the cart's
// checkout) and on its own page; the account page (password change, sign
// out everywhere); the header's account links.

import { el, show, navigate, status, dateTime } from "./dom.js";
import { api, auth, ApiError } from "./api.js";
import { form, localProblem, problemView } from "./forms.js";
import { addressBook } from "./addresses.js";
import { cart } from "./cart.js";

async function signIn(login, password) {
  const name = login.includes("@") ? { email: login } : { username: login };
  auth.signIn(await api("/users/login", { method: "POST", body: { ...name, password } }));
}

/** The API's conflicts name no field; these belong to one. */
function withField(error, field) {
  if (error instanceof ApiError && !error.problem.errors) {
    error.problem.errors = [{ field, message: error.message }];
  }
  return error;
}

/** Sign-in and sign-up forms side by side; `done` runs once signed in. */
export function authPanel(done) {
  const signInForm = form({
    id: "sign-in",
    submitLabel: "Sign in",
    fields: [
      { name: "login", label: "Username or e-mail", autocomplete: "username", required: true },
      { name: "password", label: "Password", type: "password", autocomplete: "current-password", required: true },
    ],
    submit: async ({ login, password }) => {
      await signIn(login.trim(), password);
      done();
    },
  });
  const signUpForm = form({
    id: "sign-up",
    submitLabel: "Create account",
    fields: [
      { name: "username", label: "Username", autocomplete: "username", required: true, hint: "3 to 32 letters, digits, _ . or -" },
      { name: "email", label: "E-mail", type: "email", autocomplete: "email", required: true },
      { name: "password", label: "Password", type: "password", autocomplete: "new-password", required: true, hint: "At least 8 characters" },
    ],
    submit: async ({ username, email, password }) => {
      try {
        await api("/users/register", { method: "POST", body: { username: username.trim(), email: email.trim(), password } });
      } catch (error) {
        if (error.code === "username_taken") throw withField(error, "username");
        if (error.code === "email_taken") throw withField(error, "email");
        throw error;
      }
      await signIn(username.trim(), password);
      done();
    },
  });
  return el("div", { class: "auth" },
    el("section", { "aria-labelledby": "sign-in-title" }, el("h2", { id: "sign-in-title" }, "Sign in"), signInForm),
    el("section", { "aria-labelledby": "sign-up-title" }, el("h2", { id: "sign-up-title" }, "New here? Create an account"), signUpForm));
}

/** `/shop/sign-in?next=…` */
export function signInPage(params) {
  const next = params.get("next");
  const target = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
  if (auth.user) return navigate(target, { replace: true });
  const notice = ENDED[params.get("ended")];
  show("Sign in", el("h1", {}, "Sign in or create an account"),
    notice ? el("p", { class: "notice", role: "status", id: "session-ended" }, notice) : null,
    authPanel(() => navigate(target, { replace: true })),
    el("p", {}, el("a", { href: "/shop/forgot", id: "forgot-link" }, "Forgotten your password?")));
}

/** Why every session ended, said on the sign-in page (by a fixed key, so a
 * link cannot put words of its own on the page). */
const ENDED = {
  password: "Your password was changed and every device was signed out. Sign in with the new password.",
  reset: "Your new password is set and every device was signed out. Sign in with it.",
  everywhere: "Every device was signed out, this one included.",
};

/** Where a shopper lands after every session ended: sign in again. */
function ended(why) {
  auth.ended();
  navigate(`/shop/sign-in?ended=${why}&next=/shop/account`, { replace: true });
}

/** `/shop/account`: who you are, your addresses, a password change, sign
 * out everywhere. */
export async function accountPage() {
  const said = status("Loading your account…");
  show("Your account", el("h1", {}, "Your account"), said);
  let me;
  try {
    me = await api("/users/me");
  } catch (error) {
    said.replaceWith(problemView(error));
    return;
  }
  const emailShown = el("dd", { id: "account-email" });
  const showEmail = (user) => emailShown.replaceChildren(user.email, user.email_verified ? "" : " (not verified yet)");
  showEmail(me);
  const details = el("dl", { class: "details", id: "account-details" },
    el("dt", {}, "Username"), el("dd", {}, me.username),
    el("dt", {}, "E-mail"), emailShown,
    el("dt", {}, "Customer since"), el("dd", {}, dateTime(me.created_at)));
  const emailSaid = el("div", {});
  const email = form({
    id: "change-email",
    submitLabel: "Change e-mail",
    fields: [
      { name: "email", label: "New e-mail address", type: "email", autocomplete: "email", required: true },
      { name: "current_password", label: "Current password", type: "password", autocomplete: "current-password", required: true },
    ],
    submit: async ({ email: address, current_password }) => {
      let user;
      try {
        user = await api("/users/me", { method: "PATCH", body: { email: address.trim(), current_password } });
      } catch (error) {
        if (error.code === "invalid_credentials") throw withField(error, "current_password");
        if (error.code === "email_taken") throw withField(error, "email");
        throw error;
      }
      showEmail(user);
      auth.updated(user);
      emailSaid.replaceChildren(el("p", { role: "status", id: "email-changed", class: "wrap" },
        `Changed. Open the link we sent to ${user.email} to confirm it; a notice went to the old address.`));
    },
  });
  const password = form({
    id: "change-password",
    submitLabel: "Change password",
    fields: [
      { name: "current_password", label: "Current password", type: "password", autocomplete: "current-password", required: true },
      { name: "new_password", label: "New password", type: "password", autocomplete: "new-password", required: true, hint: "At least 8 characters; common passwords are refused" },
      { name: "repeat", label: "New password again", type: "password", autocomplete: "new-password", required: true },
    ],
    submit: async ({ current_password, new_password, repeat }) => {
      if (new_password !== repeat) throw localProblem("repeat", "The two new passwords differ.");
      try {
        await api("/users/me/password", { method: "POST", body: { current_password, new_password } });
      } catch (error) {
        if (error.code === "invalid_credentials") throw withField(error, "current_password");
        throw error;
      }
      ended("password");
    },
  });
  const everywhere = el("button", { type: "button", id: "sign-out-everywhere" }, "Sign out everywhere");
  const everywhereBox = el("div", {});
  everywhere.addEventListener("click", async () => {
    everywhere.disabled = true;
    try {
      await api("/users/logout", { method: "POST", body: { all: true } });
      ended("everywhere");
    } catch (error) {
      everywhereBox.replaceChildren(problemView(error));
      everywhere.disabled = false;
    }
  });
  const book = addressBook();
  said.replaceWith(details,
    el("section", { class: "account-part", "aria-labelledby": "email-title" },
      el("h2", { id: "email-title" }, "Change your e-mail address"),
      email, emailSaid),
    book.section,
    el("section", { class: "account-part", "aria-labelledby": "password-title" },
      el("h2", { id: "password-title" }, "Change your password"),
      el("p", {}, "Every device signed in to this account is signed out, this one too, and a notice goes to your e-mail address."),
      password),
    el("section", { class: "account-part", "aria-labelledby": "sessions-title" },
      el("h2", { id: "sessions-title" }, "Signed in somewhere else?"),
      el("p", {}, "Ends every session of this account, on every device."),
      everywhere, everywhereBox));
  await book.ready;
}

/** The header's links: the cart with its count, and the account. */
export function drawNav() {
  const nav = document.getElementById("account-nav");
  const count = cart.count();
  const links = [
    el("a", { href: "/shop/cart", id: "cart-link" }, count ? `Cart (${count})` : "Cart"),
  ];
  if (auth.user) {
    links.push(el("a", { href: "/shop/orders" }, "My orders"));
    if (auth.isAdmin) {
      links.push(el("a", { href: "/shop/admin/orders", id: "orders-admin-link" }, "Orders admin"));
      links.push(el("a", { href: "/shop/admin/products" }, "Products admin"));
      links.push(el("a", { href: "/shop/admin/shipping", id: "shipping-admin-link" }, "Shipping"));
    }
    links.push(el("a", { href: "/shop/account", class: "who", id: "account-link" }, auth.user.username));
    links.push(el("button", { type: "button", class: "link", id: "sign-out", onclick: async () => { await auth.signOut(); navigate("/"); } }, "Sign out"));
  } else {
    const here = location.pathname + location.search;
    links.push(el("a", { href: `/shop/sign-in?next=${encodeURIComponent(here)}`, id: "sign-in-link" }, "Sign in"));
  }
  nav.replaceChildren(...links);
}
