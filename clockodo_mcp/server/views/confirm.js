// The confirmation dialog of every write: what would change (the diff, the entries, hours and money moved, the
// invoice lines of a billing run), then Confirm or Cancel. Both call app-only tools (the model cannot press them):
// confirm_write applies the preview through its single-use token and the journal; cancel_write spends the token and
// changes nothing. The server's answer, a refusal included, is shown as it comes.
"use strict";

const RECORDS = ["entry", "timer", "absence", "project", "rule"];
const isMoney = (v) => v && typeof v === "object" && "amount" in v && "currency" in v;
const isObject = (v) => v && typeof v === "object" && !Array.isArray(v) && !isMoney(v);
const isPair = (v) => isObject(v) && Object.keys(v).length === 2 && "before" in v && "after" in v;
const label = (key) => key.replace(/_/g, " ");

function shown(value) {
  if (value === null || value === undefined || value === "") return "–";
  if (isMoney(value)) return App.money(value);
  if (typeof value === "number") return App.number(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.length > 6 ? `${value.length} items` : value.map(shown).join(", ");
  if (isObject(value)) return Object.entries(value).map(([k, v]) => `${label(k)} ${shown(v)}`).join(", ");
  return String(value);
}

// What the write moves, as field → before/after: the preview's `changes`, its {before, after} pairs (hours, value),
// its x_before/x_after pairs (a rate) and its "a → b" strings (a billing state).
function changes(preview) {
  const rows = [];
  for (const [field, pair] of Object.entries(preview.changes || {})) if (isPair(pair)) rows.push([field, pair.before, pair.after]);
  for (const [key, value] of Object.entries(preview)) {
    if (key === "changes") continue;
    if (isPair(value)) rows.push([key, value.before, value.after]);
    else if (key.endsWith("_before") && (key.slice(0, -7) + "_after") in preview) rows.push([key.slice(0, -7), value, preview[key.slice(0, -7) + "_after"]]);
    else if (typeof value === "string" && value.includes(" → ")) rows.push([key, ...value.split(" → ", 2)]);
  }
  if (!rows.length) return null;
  const body = rows.map(([field, before, after]) => App.el("tr", { "data-field": field },
    App.el("th", { scope: "row" }, label(field)), App.el("td", { class: "before" }, shown(before)),
    App.el("td", { class: "after" + (JSON.stringify(before) !== JSON.stringify(after) ? " warn" : "") }, shown(after))));
  return App.el("div", { class: "table-wrap" }, App.el("table", { class: "changes" },
    App.el("thead", {}, App.el("tr", {}, App.el("th", {}, "What"), App.el("th", {}, "Before"), App.el("th", {}, "After"))),
    App.el("tbody", {}, body)));
}

// The record the write touches (the entry, the timer, the absence), as a two-column table.
function record(name, value) {
  const rows = Object.entries(value).filter(([k, v]) => !k.endsWith("_id") && k !== "id" && v !== null && v !== "")
    .map(([k, v]) => App.el("tr", {}, App.el("th", { scope: "row" }, label(k)), App.el("td", {}, shown(v))));
  const title = `The ${name}` + (value.id ? ` ${value.id}` : "");
  return [App.el("h2", {}, title), App.el("div", { class: "table-wrap" }, App.el("table", { class: "record " + name }, App.el("tbody", {}, rows)))];
}

// A list of records the write affects or warns about (duplicates, overlaps, rates), as a table of its plain columns.
function list(name, items) {
  const columns = [...new Set(items.flatMap((item) => Object.keys(item)))].filter((c) => !c.endsWith("_id")).slice(0, 7);
  const rows = items.slice(0, 20).map((item) => App.el("tr", {}, columns.map((c) => App.el("td", {}, shown(item[c])))));
  const more = items.length > 20 ? App.el("p", { class: "legend" }, `and ${items.length - 20} more`) : null;
  return [App.el("h2", {}, label(name)), App.el("div", { class: "table-wrap" }, App.el("table", { class: "list " + name },
    App.el("thead", {}, App.el("tr", {}, columns.map((c) => App.el("th", {}, label(c))))), App.el("tbody", {}, rows))), more];
}

// Everything else of the preview: plain facts (the period, the filters, counts), nested one level deep.
function details(preview) {
  const rows = [];
  const sections = [];
  const walk = (value, prefix) => {
    for (const [key, inner] of Object.entries(value)) {
      const name = prefix ? prefix + " " + key : key;
      if (key === "changes" || key === "invoice" || key === "action" || key.endsWith("_id") || isPair(inner) || key.endsWith("_before") || key.endsWith("_after")) continue;
      if (!prefix && RECORDS.includes(key) && isObject(inner)) { sections.push(...record(key, inner)); continue; }
      if (typeof inner === "string" && inner.includes(" → ")) continue;
      if (Array.isArray(inner) && inner.length && isObject(inner[0])) { sections.push(...list(name, inner)); continue; }
      if (isObject(inner) && !prefix) { walk(inner, name); continue; }
      if (inner === null || inner === "" || (Array.isArray(inner) && !inner.length)) continue;
      rows.push(App.el("tr", {}, App.el("th", { scope: "row" }, label(name)), App.el("td", {}, shown(inner))));
    }
  };
  walk(preview, "");
  const facts = rows.length ? [App.el("h2", {}, "Details"), App.el("div", { class: "table-wrap" },
    App.el("table", { class: "details" }, App.el("tbody", {}, rows)))] : [];
  return [...sections, ...facts].filter(Boolean);
}

function invoice(inv) {
  const lines = (inv.lines || []).map((l) => App.el("tr", {},
    App.el("td", {}, l.project || l.customer || ""), App.el("td", {}, l.user || l.service || l.kind || ""),
    App.el("td", { class: "num hours" }, App.number(l.hours)), App.el("td", { class: "num" }, App.money(l.rate)),
    App.el("td", { class: "num value" }, App.money(l.value)), App.el("td", { class: "num" }, App.number(l.entries, 0))));
  const more = inv.more_lines ? App.el("p", { class: "legend" },
    `and ${inv.more_lines.lines} more lines (${App.number(inv.more_lines.entries, 0)} entries, ` +
    `${App.number(inv.more_lines.hours)} h, ${App.money(inv.more_lines.value)})`) : null;
  return [App.el("h2", {}, "Invoice lines"),
    App.el("div", { class: "table-wrap" }, App.el("table", { class: "invoice" },
      App.el("thead", {}, App.el("tr", {}, ...["Project", "Who", "Hours", "Rate", "Value", "Entries"].map(
        (h, i) => App.el("th", { class: i >= 2 ? "num" : "" }, h)))), App.el("tbody", {}, lines))), more,
    App.el("p", { class: "totals" }, App.el("strong", {}, "Total: "),
      App.el("span", { class: "total-hours" }, `${App.number(inv.total_hours)} h`), " · ",
      App.el("span", { class: "total-value" }, App.money(inv.total_value)), " · ",
      App.el("span", { class: "total-entries" }, `${App.number(inv.entry_count, 0)} entries`))];
}

App.start((root, data, input) => {
  root.append(App.el("h1", {}, data.status === "preview" ? "Confirm this change" : "Change"),
    App.el("p", { class: "summary" }, data.summary || ""));
  const preview = data.preview || {};
  if (preview.action) root.append(App.el("p", { class: "action" }, App.el("strong", {}, preview.action)));
  const moved = changes(preview);
  if (moved) root.append(moved);
  if (preview.invoice) root.append(...invoice(preview.invoice).filter(Boolean));
  root.append(...details(preview));
  for (const warning of data.warnings || []) root.append(App.el("p", { class: "warn" }, warning));
  if (data.status !== "preview" || !data.confirm_token) {
    if (data.change_id) root.append(App.el("p", { class: "ok", role: "status" }, `Applied as change ${data.change_id}.`));
    return;
  }
  const outcome = App.el("div", { class: "outcome", "aria-live": "polite" });
  const confirm = App.el("button", { type: "button", class: "primary", id: "confirm" }, "Confirm");
  const cancel = App.el("button", { type: "button", id: "cancel" }, "Cancel");
  const settle = async (tool, args) => {
    confirm.disabled = true; cancel.disabled = true;
    outcome.replaceChildren(App.stateBox("empty", tool === "confirm_write" ? "Applying…" : "Cancelling…"));
    try {
      const result = await App.callTool(tool, args);
      const text = result.isError ? App.errorText(result) : (result.structuredContent || {}).summary || "Done.";
      outcome.replaceChildren(App.stateBox(result.isError ? "error" : "done", text));
    } catch (error) {
      outcome.replaceChildren(App.stateBox("error", error.message));
    }
  };
  const args = { confirm_token: data.confirm_token, arguments: input || {} };
  confirm.addEventListener("click", () => settle("confirm_write", args));
  cancel.addEventListener("click", () => settle("cancel_write", { confirm_token: data.confirm_token }));
  root.append(App.el("div", { class: "actions" }, confirm, cancel), outcome);
  if (data.expires_at) root.append(App.el("p", { class: "legend" }, `The confirmation expires at ${data.expires_at}.`));
});
