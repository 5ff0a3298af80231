// Signing up and in, inline wherever the shop needs it (the cart's
// checkout) and on its own page; the header's account links.

import { el, show, navigate } from "./dom.js";
import { api, auth, ApiError } from "./api.js";
import { form } from "./forms.js";
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
  show("Sign in", el("h1", {}, "Sign in or create an account"), authPanel(() => navigate(target, { replace: true })));
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
    if (auth.isAdmin) links.push(el("a", { href: "/shop/admin/products" }, "Products admin"));
    links.push(el("span", { class: "who" }, auth.user.username));
    links.push(el("button", { type: "button", class: "link", id: "sign-out", onclick: async () => { await auth.signOut(); navigate("/"); } }, "Sign out"));
  } else {
    const here = location.pathname + location.search;
    links.push(el("a", { href: `/shop/sign-in?next=${encodeURIComponent(here)}`, id: "sign-in-link" }, "Sign in"));
  }
  nav.replaceChildren(...links);
}
