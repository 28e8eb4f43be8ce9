// The confirmation dialog of every write: what would change (the diff, the entries, hours and money moved, the
// invoice lines of a billing run), then Confirm or Cancel. Both call app-only tools (the model cannot press them):
// confirm_write applies the preview through its single-use token and the journal; cancel_write spends the token and
// changes nothing. The server's answer, a refusal included, is shown as it comes.
"use strict";

function flat(value, prefix, out) {
  if (value && typeof value === "object" && !Array.isArray(value) && !("amount" in value && "currency" in value)) {
    for (const [key, inner] of Object.entries(value)) flat(inner, prefix ? prefix + "." + key : key, out);
  } else out[prefix] = value;
  return out;
}

function shown(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "object" && "amount" in value && "currency" in value) return App.money(value);
  if (typeof value === "number") return App.number(value);
  if (Array.isArray(value)) return value.length > 6 ? `${value.length} items` : value.map(shown).join(", ");
  return String(value);
}

function diffTable(before, planned) {
  const a = flat(before || {}, "", {});
  const b = flat(planned || {}, "", {});
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !k.startsWith("invoice"));
  if (!keys.length) return null;
  const rows = keys.slice(0, 40).map((k) => {
    const changed = JSON.stringify(a[k]) !== JSON.stringify(b[k]) && k in a;
    return App.el("tr", { class: changed ? "changed" : "" }, App.el("th", {}, k),
      App.el("td", {}, k in a ? shown(a[k]) : ""), App.el("td", { class: changed ? "warn" : "" }, shown(b[k])));
  });
  return App.el("div", { class: "table-wrap" }, App.el("table", { class: "diff" },
    App.el("thead", {}, App.el("tr", {}, App.el("th", {}, ""), App.el("th", {}, "Before"), App.el("th", {}, "After"))),
    App.el("tbody", {}, rows)));
}

function invoice(inv) {
  const lines = (inv.lines || []).map((l) => App.el("tr", {},
    App.el("td", {}, l.project || l.customer || ""), App.el("td", {}, l.user || l.service || l.kind || ""),
    App.el("td", { class: "num hours" }, App.number(l.hours)), App.el("td", { class: "num" }, App.money(l.rate)),
    App.el("td", { class: "num value" }, App.money(l.value)), App.el("td", { class: "num" }, App.number(l.entries, 0))));
  const more = inv.more_lines ? App.el("p", { class: "legend" },
    `and ${inv.more_lines.lines} more lines (${App.number(inv.more_lines.entries, 0)} entries, ` +
    `${App.number(inv.more_lines.hours)} h, ${App.money(inv.more_lines.value)})`) : null;
  return [App.el("h2", { style: "font-size:14px" }, "Invoice lines"),
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
  if (preview.invoice) root.append(...invoice(preview.invoice));
  const diff = diffTable(data.before, data.status === "applied" ? data.after : preview);
  if (diff) root.append(diff);
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
