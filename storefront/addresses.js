// The account page's address book: the saved addresses (at most ten, one
// the default), each editable in place, and a form to add one.

import { el, assets, status } from "./dom.js";
import { api } from "./api.js";
import { form, problemView } from "./forms.js";

const MAX = 10;
const regionNames = (() => {
  try {
    return new Intl.DisplayNames([navigator.language || "en"], { type: "region" });
  } catch {
    return null;
  }
})();
export const countryName = (code) => regionNames?.of(code) ?? code;
// The shipped ISO 3166-1 list, by name in the shopper's language.
const countries = assets.countries
  .map((code) => [code, countryName(code)])
  .sort((a, b) => a[1].localeCompare(b[1]));

export function fields(address = {}) {
  return [
    { name: "name", label: "Full name", autocomplete: "name", required: true, value: address.name },
    { name: "line1", label: "Address line 1", autocomplete: "address-line1", required: true, value: address.line1 },
    { name: "line2", label: "Address line 2 (optional)", autocomplete: "address-line2", value: address.line2 },
    { name: "city", label: "City", autocomplete: "address-level2", required: true, value: address.city },
    { name: "region", label: "State, province or region (optional)", autocomplete: "address-level1", value: address.region },
    { name: "postal_code", label: "Postal code", autocomplete: "postal-code", required: true, value: address.postal_code },
    { name: "country", label: "Country", type: "select", autocomplete: "country", options: countries, value: address.country ?? "US" },
    { name: "phone", label: "Phone (optional)", type: "tel", autocomplete: "tel", value: address.phone ?? "" },
  ];
}

/** The form's values as the API takes them: an empty phone is none. */
export function body(values) {
  const { phone, ...rest } = values;
  return { ...rest, phone: phone.trim() ? phone.trim() : null };
}

export function lines(address) {
  const place = [address.city, address.region, address.postal_code].filter(Boolean).join(", ");
  return [address.name, address.line1, address.line2, place, countryName(address.country), address.phone]
    .filter(Boolean)
    .map((line) => el("span", { class: "line" }, line));
}

/** The address book section; it draws itself again after every change. */
export function addressBook() {
  const section = el("section", { class: "account-part", "aria-labelledby": "addresses-title" });
  const said = status("Loading your addresses…", { id: "addresses-status" });
  const list = el("ul", { class: "addresses", id: "addresses", "aria-label": "Your addresses" });
  const adding = el("div", {});
  section.append(el("h2", { id: "addresses-title" }, "Your addresses"), said, list, adding);

  async function act(row, call) {
    try {
      await call();
      await draw();
    } catch (error) {
      row.append(problemView(error));
    }
  }

  function row(address) {
    const item = el("li", { class: "address", "data-id": address.id });
    const show = () => {
      // replaceChildren would show a null as text: the badge goes in only when due.
      item.replaceChildren(...[
        el("p", { class: "address-lines" }, lines(address)),
        address.is_default ? el("p", { class: "badge" }, "Default address") : null,
        el("div", { class: "address-actions" },
          address.is_default ? null : el("button", {
            type: "button", class: "make-default",
            onclick: () => act(item, () => api(`/users/me/addresses/${address.id}`, { method: "PATCH", body: { is_default: true } })),
          }, "Make default"),
          el("button", { type: "button", class: "edit", onclick: edit }, "Edit"),
          el("button", {
            type: "button", class: "delete danger",
            onclick: () => act(item, () => api(`/users/me/addresses/${address.id}`, { method: "DELETE" })),
          }, "Delete"))].filter(Boolean));
    };
    const edit = () => {
      const editor = form({
        id: `edit-${address.id}`,
        submitLabel: "Save address",
        fields: fields(address),
        submit: async (values) => {
          await api(`/users/me/addresses/${address.id}`, { method: "PATCH", body: body(values) });
          await draw();
        },
        extra: [el("button", { type: "button", class: "link", onclick: show }, "Cancel")],
      });
      item.replaceChildren(editor);
      editor.fields.name.focus();
    };
    show();
    return item;
  }

  async function draw() {
    let items;
    try {
      ({ items } = await api("/users/me/addresses"));
    } catch (error) {
      said.replaceChildren(problemView(error));
      return;
    }
    list.replaceChildren(...items.map(row));
    said.textContent = items.length
      ? `${items.length} of ${MAX} addresses saved`
      : "No address saved yet. The first one you add becomes the default.";
    if (items.length >= MAX) {
      adding.replaceChildren(el("p", {}, `You have saved the most addresses an account can hold (${MAX}). Delete one to add another.`));
      return;
    }
    adding.replaceChildren(
      el("h3", { id: "add-address-title" }, "Add an address"),
      form({
        id: "add-address",
        submitLabel: "Add address",
        fields: fields(),
        submit: async (values) => {
          await api("/users/me/addresses", { method: "POST", body: body(values) });
          await draw();
        },
      }));
  }

  return { section, ready: draw() };
}
