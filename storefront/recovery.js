// A forgotten password: the form that mails a reset link (its answer is the
// same whether or not an account has the address), and the page the link
// opens, which reads the token from the fragment and sets a new password.

import { el, show, navigate } from "./dom.js";
import { api, auth } from "./api.js";
import { form, localProblem, problemView } from "./forms.js";
import { takeToken } from "./verify.js";

/** `/shop/forgot` */
export function forgotPage() {
  const said = el("div", {});
  const ask = form({
    id: "forgot-password",
    submitLabel: "Mail me a link",
    fields: [{ name: "email", label: "E-mail", type: "email", autocomplete: "email", required: true }],
    submit: async ({ email }) => {
      await api("/users/password-reset", { method: "POST", body: { email: email.trim() } });
      said.replaceChildren(el("p", { role: "status", id: "reset-sent", class: "wrap" },
        `If an account has the address ${email.trim()}, a link to set a new password is on its way. It works once, for 30 minutes.`));
    },
  });
  show("Forgotten password", el("h1", {}, "Forgotten your password?"),
    el("p", {}, "Give the e-mail address of your account and we mail you a link to choose a new password."),
    ask, said,
    el("p", {}, el("a", { href: "/shop/sign-in" }, "Back to sign in")));
}

/** `/shop/reset#token=…` */
export function resetPage() {
  const token = takeToken("/shop/reset");
  const title = el("h1", {}, "Choose a new password");
  if (!token) {
    show("New password", title,
      el("p", { role: "alert" }, "This link is incomplete. Open the link in the mail again, or ask for a new one."),
      el("p", {}, el("a", { href: "/shop/forgot" }, "Ask for a new link")));
    return;
  }
  const reset = form({
    id: "reset-password",
    submitLabel: "Set the new password",
    fields: [
      { name: "password", label: "New password", type: "password", autocomplete: "new-password", required: true, hint: "At least 8 characters; common passwords are refused" },
      { name: "repeat", label: "New password again", type: "password", autocomplete: "new-password", required: true },
    ],
    submit: async ({ password, repeat }) => {
      if (password !== repeat) throw localProblem("repeat", "The two passwords differ.");
      try {
        await api("/users/password-reset/confirm", { method: "POST", body: { token, password } });
      } catch (error) {
        if (error.code === "invalid_token") {
          box.replaceChildren(problemView(error, [el("p", {}, el("a", { href: "/shop/forgot" }, "Ask for a new link"))]));
          return;
        }
        throw error;
      }
      // Every session of the account ended, this tab's too if it had one.
      if (auth.user) auth.ended();
      navigate("/shop/sign-in?ended=reset&next=/shop/account", { replace: true });
    },
  });
  const box = el("div", {});
  show("New password", title,
    el("p", {}, "Every device signed in to the account is signed out, and a notice goes to its e-mail address."),
    reset, box);
}
