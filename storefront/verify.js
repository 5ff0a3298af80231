// E-mail verification: the page the mailed link opens (its token sits in
// the URL's fragment, which no server ever sees, and leaves the address bar
// at once), and the reminder a signed-in shopper sees until the address is
// confirmed, with a button that mails the link again.

import { el, show, status } from "./dom.js";
import { api, auth } from "./api.js";
import { problemView } from "./forms.js";

/** The mailed token in `#token=…`, taken out of the address bar and history. */
export function takeToken(page) {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  history.replaceState(null, "", page);
  return token;
}

/** `/shop/verify#token=…` */
export async function verifyPage() {
  const token = takeToken("/shop/verify");
  const title = el("h1", {}, "Confirm your e-mail address");
  const next = el("p", {}, el("a", { href: auth.user ? "/shop/account" : "/" }, auth.user ? "Go to your account" : "Back to the catalogue"));
  if (!token) {
    show("Confirm your e-mail", title,
      el("p", { role: "alert" }, "This link is incomplete. Open the link in the mail again, or ask for a new one from your account page."), next);
    return;
  }
  const said = status("Confirming your e-mail address…");
  show("Confirm your e-mail", title, said);
  try {
    await api("/users/verify-email", { method: "POST", body: { token } });
  } catch (error) {
    said.replaceWith(problemView(error, auth.user ? [] : [el("p", {}, "Sign in to ask for a new link from the reminder at the top of the page.")]), next);
    return;
  }
  auth.verified();
  said.replaceWith(el("p", { role: "status", id: "verified" }, "Thank you: your e-mail address is confirmed."), next);
}

/** Draws the reminder into the header while the shopper's address is unconfirmed. */
export function drawReminder() {
  const box = document.getElementById("reminder");
  const user = auth.user;
  if (!user || user.email_verified) return box.replaceChildren();
  // Still the same shopper's reminder: keep what it said last.
  const whose = `${user.id} ${user.email}`;
  if (box.dataset.user === whose && box.childElementCount) return;
  box.dataset.user = whose;
  const said = el("span", { role: "status", class: "reminder-status" });
  const again = el("button", { type: "button", id: "resend-verification" }, "Send the link again");
  again.addEventListener("click", async () => {
    again.disabled = true;
    said.replaceChildren();
    try {
      await api("/users/verify-email/resend", { method: "POST" });
      said.append(`Sent. Check the inbox of ${user.email}.`);
    } catch (error) {
      said.append(problemView(error));
      again.disabled = false;
    }
  });
  box.replaceChildren(el("p", {},
    "Please confirm your e-mail address: open the link we sent to ", el("strong", {}, user.email), ". "),
    again, said);
}
