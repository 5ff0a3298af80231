// Forms with a label on every input, and problems shown where they belong:
// each `errors` entry next to the field it names, the rest (with the
// request id a shopper can quote) in a summary at the top of the form.

import { el, status } from "./dom.js";
import { api, ApiError } from "./api.js";

/** What a problem says, for a person; the fallback when the shop is unreachable. */
export function describe(error) {
  if (!(error instanceof ApiError)) return "The shop could not be reached. Check the connection and try again.";
  if (error.code === "too_many_attempts" && error.retryAfter) {
    return `Too many attempts. Try again in ${waitInWords(error.retryAfter)}.`;
  }
  return error.message;
}

/** A wait in words: seconds up to two minutes, then minutes (rounded up). */
export function waitInWords(seconds) {
  const s = Number(seconds);
  if (!(s > 120)) return `${s} seconds`;
  return `${Math.ceil(s / 60)} minutes`;
}

/** A problem box: what went wrong and the request id. */
export function problemView(error, extra = []) {
  return el("div", { class: "problem", role: "alert" },
    el("p", {}, describe(error)),
    extra,
    error?.requestId ? el("p", { class: "request-id" }, `Request id: ${error.requestId}`) : null);
}

let nextId = 0;

/**
 * A field: `{ name, label, type, value, hint, field, ...attributes }`. `field`
 * is the API's name for it when that differs (a price in dollars is sent
 * as `price_cents`).
 */
function fieldRow(spec) {
  const { name, label, type = "text", value, hint, field, options, ...attributes } = spec;
  const id = `f${++nextId}-${name}`;
  const error = el("p", { class: "field-error", id: `${id}-error`, hidden: true });
  const hintNode = hint ? el("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  const describedBy = [hintNode ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  let input;
  if (type === "textarea") {
    input = el("textarea", { id, name, "aria-describedby": describedBy, ...attributes });
    input.value = value ?? "";
  } else if (type === "select") {
    input = el("select", { id, name, "aria-describedby": describedBy, ...attributes },
      options.map(([v, text]) => el("option", { value: v, selected: v === value }, text)));
  } else {
    input = el("input", { id, name, type, "aria-describedby": describedBy, ...attributes });
    if (value !== undefined && value !== null) input.value = value;
  }
  const row = el("div", { class: "field", "data-field": field ?? name },
    el("label", { for: id }, label), hintNode, input, error);
  return { row, input, error };
}

/**
 * A form that sends itself: `submit(values, form)` runs with the fields'
 * values; while it runs the button is disabled (a double click is one
 * submit), and what it throws is shown next to the fields. Returns the
 * `<form>`, with `.fields` by name and `.showProblem(error)`.
 */
export function form({ fields, submitLabel, submit, id, extra = [] }) {
  const rows = fields.map(fieldRow);
  const summary = el("div", { class: "summary", tabindex: "-1" });
  const button = el("button", { type: "submit" }, submitLabel);
  const node = el("form", { id, novalidate: true }, summary, rows.map((r) => r.row), extra, el("div", { class: "actions" }, button));
  node.fields = Object.fromEntries(rows.map((r, i) => [fields[i].name, r.input]));

  const clear = () => {
    summary.replaceChildren();
    for (const r of rows) {
      r.error.hidden = true;
      r.error.textContent = "";
      r.input.removeAttribute("aria-invalid");
    }
  };
  /**
   * Shows `error`: its entries at their fields, the rest in the summary
   * (with `actions`, such as a button that fixes it, inside the box).
   */
  node.showProblem = (error, actions = []) => {
    clear();
    const loose = [];
    for (const entry of error?.problem?.errors ?? []) {
      const r = rows.find((r) => r.row.dataset.field === entry.field);
      if (r) {
        r.error.hidden = false;
        r.error.textContent = r.error.textContent ? `${r.error.textContent} ${entry.message}` : entry.message;
        r.input.setAttribute("aria-invalid", "true");
      } else loose.push(el("li", {}, entry.field ? `${entry.field}: ${entry.message}` : entry.message));
    }
    summary.append(problemView(error, [loose.length ? el("ul", {}, loose) : null, actions]));
    const first = rows.find((r) => r.input.hasAttribute("aria-invalid"));
    (first?.input ?? summary).focus?.();
  };
  node.clearProblem = clear;

  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    clear();
    const values = Object.fromEntries(rows.map((r, i) => [fields[i].name, r.input.value]));
    try {
      await submit(values, node);
    } catch (error) {
      node.showProblem(error);
    } finally {
      button.disabled = false;
    }
  });
  return node;
}

/** A problem made here, for a field the API would refuse anyway. */
export function localProblem(field, message) {
  return new ApiError(422, { detail: "Check the highlighted field.", errors: [{ field, message }] }, null);
}

/**
 * A list route shown a page at a time: each page's items go through
 * `render` into `list`, "Load more" follows `next_cursor`, and `said`
 * counts what is shown. Put `said` and `box` on the page, then await
 * `first`; `onPage` runs after each page.
 */
export function pager({ path, params, list, noun, empty, render, onPage, statusId }) {
  const more = el("button", { type: "button", id: "load-more" }, "Load more");
  const box = el("div", { class: "more" });
  const said = status(`Loading ${noun}…`, statusId ? { id: statusId } : {});
  let cursor = null;
  async function page() {
    const query = new URLSearchParams(params);
    if (cursor) query.set("cursor", cursor);
    more.disabled = true;
    try {
      const answer = await api(`${path}?${query}`);
      list.append(...answer.items.map(render));
      onPage?.();
      cursor = answer.next_cursor;
      said.textContent = list.children.length ? `${list.children.length} ${noun} shown` : empty;
      box.replaceChildren(...(cursor ? [more] : []));
    } catch (error) {
      said.textContent = "";
      box.replaceChildren(problemView(error), ...(cursor ? [more] : []));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", page);
  return { said, box, first: () => page() };
}
