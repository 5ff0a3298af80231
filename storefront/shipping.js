// The admin's shipping options: every option with what it costs and where
// it ships, a form that creates one or changes one (picked from the list),
// and delete. Orders keep a copy of their option, so changes never touch them.

import { el, show, status, money, dollars, parseDollars, redraw } from "./dom.js";
import { api, request } from "./api.js";
import { form, localProblem, problemView } from "./forms.js";

const optionPath = (id) => `/shipping-options/${encodeURIComponent(id)}`;

/** "US, ca ,GB" → ["US", "CA", "GB"]. */
const countryList = (text) => text.split(/[\s,]+/).map((c) => c.trim().toUpperCase()).filter(Boolean);

function row(option, edit) {
  const box = el("div", { class: "order-actions" });
  const remove = el("button", {
    type: "button", class: "secondary", "aria-label": `Delete ${option.name}`,
    onclick: async () => {
      try {
        await api(optionPath(option.id), { method: "DELETE" });
        redraw();
      } catch (error) {
        box.replaceChildren(problemView(error));
      }
    },
  }, "Delete");
  const change = el("button", { type: "button", class: "link", "aria-label": `Change ${option.name}`, onclick: () => edit(option) }, "Change");
  const free = option.free_over_cents === null ? "never free" : `free from ${money(option.free_over_cents)}`;
  return el("tr", { "data-option-id": option.id },
    el("td", {}, el("strong", {}, option.name), el("p", { class: "hint" }, `${option.id} · ${option.active ? "offered" : "not offered"} · ${option.countries.join(", ")}`)),
    el("td", { class: "num" }, money(option.amount_cents), el("p", { class: "hint" }, free)),
    el("td", {}, change, remove, box));
}

/** `/shop/admin/shipping` */
export async function adminShipping() {
  show("Shipping options", el("h1", {}, "Shipping options"), status("Loading the options…"));
  let options;
  try {
    ({ items: options } = await api("/shipping-options"));
  } catch (error) {
    return show("Shipping options", el("h1", {}, "Shipping options"), problemView(error));
  }
  const editor = form({
    id: "shipping-option",
    submitLabel: "Save option",
    fields: [
      { name: "id", label: "Id", hint: "Lower-case letters, digits and -, like standard", required: true, maxlength: 50, autocomplete: "off" },
      { name: "name", label: "Name shoppers see", required: true, maxlength: 100, autocomplete: "off" },
      { name: "countries", label: "Countries", hint: "Two-letter codes, separated by commas, like US, CA, GB", required: true, autocomplete: "off" },
      { name: "amount", field: "amount_cents", label: "Price (USD)", hint: "0 for free", required: true, inputmode: "decimal", autocomplete: "off" },
      { name: "free_over", field: "free_over_cents", label: "Free from (USD, optional)", hint: "Orders worth this much ship free", inputmode: "decimal", autocomplete: "off" },
      { name: "active", label: "Offered at checkout", type: "select", options: [["true", "Yes"], ["false", "No"]], value: "true" },
    ],
    submit: async (values) => {
      const amount = parseDollars(values.amount);
      if (amount === null) throw localProblem("amount_cents", "Enter a price in dollars, like 4.99.");
      const body = { name: values.name.trim(), countries: countryList(values.countries), amount_cents: amount, active: values.active === "true", free_over_cents: null };
      if (values.free_over.trim()) {
        const free = parseDollars(values.free_over);
        if (free === null || free < 1) throw localProblem("free_over_cents", "Enter an amount in dollars, like 50.00, or leave it empty.");
        body.free_over_cents = free;
      }
      const id = values.id.trim();
      if (!id) throw localProblem("id", "Enter an id, like standard.");
      await request(optionPath(id), { method: "PUT", body });
      redraw();
    },
  });
  const edit = (option) => {
    const f = editor.fields;
    f.id.value = option.id;
    f.name.value = option.name;
    f.countries.value = option.countries.join(", ");
    f.amount.value = dollars(option.amount_cents);
    f.free_over.value = option.free_over_cents === null ? "" : dollars(option.free_over_cents);
    f.active.value = String(option.active);
    f.name.focus();
  };
  const table = options.length
    ? el("table", { class: "lines admin-shipping", "aria-labelledby": "options-title" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, "Option"),
        el("th", { scope: "col", class: "num" }, "Price"),
        el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Actions")))),
      el("tbody", {}, options.map((o) => row(o, edit))))
    : el("p", {}, "No shipping options yet: shoppers cannot check out until there is one.");
  show("Shipping options",
    el("h1", {}, "Shipping options"),
    el("h2", { id: "options-title" }, "Options"), table,
    el("section", { class: "panel", "aria-labelledby": "edit-title" },
      el("h2", { id: "edit-title" }, "Add or change an option"),
      el("p", { class: "hint" }, "Saving an id that exists replaces that option; orders already placed keep theirs."),
      editor));
}
