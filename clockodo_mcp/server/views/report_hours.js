// report_hours: the totals, a sortable table of the groups (each column header is a button; aria-sort says the
// order) and a bar chart of each group's hours, split into unbilled, billed and not billable, in the table's order.
"use strict";
const DIMENSIONS = { project: "Project", customer: "Customer", user: "Employee", team: "Team", service: "Service",
  month: "Month", week: "Week", day: "Day" };
const BILLING = [
  { key: "unbilled", label: "unbilled", color: "var(--warn)" },
  { key: "billed", label: "billed", color: "var(--ok)" },
  { key: "not_billable", label: "not billable", color: "var(--muted)" },
  { key: "other", label: "other", color: "var(--accent)" },
];
const CHART_ROWS = 25;
const sorting = { column: null, direction: "none" };  // kept across re-renders (a theme change redraws)

function hoursText(h) { return `${App.number(h)} h`; }
function label(g, dims) { return dims.map((d) => g.key[d] ?? "–").join(" / "); }

function columns(dims, money) {
  const byBilling = (key) => (g) => (g.hours_by_billing || {})[key] || 0;
  return [
    ...dims.map((d) => ({ id: d, title: DIMENSIONS[d] || d, text: true, value: (g) => g.key[d] ?? "",
      cell: (g) => g.key[d] ?? "–", cls: "dim" })),
    { id: "hours", title: "Hours", value: (g) => g.hours, cell: (g) => App.number(g.hours), cls: "hours" },
    money && { id: "value", title: "Value", value: (g) => g.value.amount, cell: (g) => App.money(g.value), cls: "value" },
    money && { id: "rate", title: "Rate", value: (g) => (g.blended_rate ? g.blended_rate.amount : -1),
      cell: (g) => (g.blended_rate ? `${App.money(g.blended_rate)}/h` : "–"), cls: "rate wide-only" },
    { id: "unbilled", title: "Unbilled h", value: byBilling("unbilled"), cell: (g) => App.number(byBilling("unbilled")(g)),
      cls: "unbilled wide-only" },
    { id: "billed", title: "Billed h", value: byBilling("billed"), cell: (g) => App.number(byBilling("billed")(g)),
      cls: "billed wide-only" },
    { id: "not_billable", title: "Not billable h", value: byBilling("not_billable"),
      cell: (g) => App.number(byBilling("not_billable")(g)), cls: "not-billable wide-only" },
  ].filter(Boolean);
}

function sorted(groups, cols) {
  const col = cols.find((c) => c.id === sorting.column);
  if (!col || sorting.direction === "none") return groups.slice();
  const collator = new Intl.Collator(App.locale(), { numeric: true, sensitivity: "base" });
  const sign = sorting.direction === "ascending" ? 1 : -1;
  const cmp = col.text ? (a, b) => collator.compare(String(col.value(a)), String(col.value(b)))
    : (a, b) => col.value(a) - col.value(b);
  return groups.slice().sort((a, b) => sign * cmp(a, b));  // stable: ties keep the server's order
}

function stats(data, money) {
  const item = (cls, term, value) => App.el("div", { class: cls }, App.el("dt", {}, term), App.el("dd", {}, value));
  return App.el("dl", { class: "totals" },
    item("total-hours", "Hours", hoursText(data.total_hours)),
    money ? item("total-value", "Value", App.money(data.total_value)) : null,
    money && data.blended_rate ? item("total-rate", "Blended rate", `${App.money(data.blended_rate)}/h`) : null,
    typeof data.entry_count === "number" ? item("total-entries", "Entries", App.number(data.entry_count, 0)) : null,
    data.running && data.running.count ? item("total-running", "Running (not counted)",
      `${App.number(data.running.count, 0)} · ${hoursText(data.running.elapsed_hours)}`) : null);
}

App.start((root, data) => {
  const groups = data.groups || [];
  const dims = data.group_by && data.group_by.length ? data.group_by : Object.keys((groups[0] || {}).key || {});
  const by = dims.map((d) => (DIMENSIONS[d] || d).toLowerCase()).join(" and ");
  const period = data.period ? `${data.period.start} – ${data.period.end}` : "the period";
  root.append(App.el("h1", {}, "Hours and value"), App.el("p", { class: "summary" }, data.summary || ""));
  if (!groups.length) {
    const total = (data.paging && data.paging.total) || 0;
    root.append(App.stateBox("empty", total
      ? `No groups on this page: there are ${total}, the page starts after them.`
      : `No hours (${data.billing || "all"}) in ${period} match, so there is nothing to group by ${by}.`));
    return "empty";
  }
  const money = !data.visibility || data.visibility.money_visible !== false;
  const cols = columns(dims, money);
  if (!cols.some((c) => c.id === sorting.column)) Object.assign(sorting, { column: null, direction: "none" });
  root.append(stats(data, money));

  const chartBox = App.el("div", { class: "chart-box" });
  const tbody = App.el("tbody", {});
  const headers = cols.map((c) => {
    const button = App.el("button", { type: "button", "data-column": c.id }, c.title);
    const th = App.el("th", { scope: "col", class: (c.text ? "" : "num ") + c.cls, "aria-sort": "none" }, button);
    button.addEventListener("click", () => {
      const first = c.text ? "ascending" : "descending";  // names A→Z, numbers largest first
      const flip = { ascending: "descending", descending: "ascending" };
      Object.assign(sorting, { column: c.id,
        direction: sorting.column === c.id && sorting.direction !== "none" ? flip[sorting.direction] : first });
      draw();
      button.focus();
    });
    return th;
  });

  function draw() {
    headers.forEach((th, i) => th.setAttribute("aria-sort", cols[i].id === sorting.column ? sorting.direction : "none"));
    const rows = sorted(groups, cols);
    tbody.replaceChildren(...rows.map((g) => App.el("tr", {},
      cols.map((c, i) => App.el(i === 0 ? "th" : "td", { scope: i === 0 ? "row" : null,
        class: (c.text ? "" : "num ") + c.cls }, c.cell(g))))));
    const shown = rows.slice(0, CHART_ROWS);
    chartBox.replaceChildren(...[
      HBars.chart({
        rows: shown.map((g) => {
          const split = { ...(g.hours_by_billing || {}) };
          const known = BILLING.reduce((sum, b) => sum + (split[b.key] || 0), 0);
          if (g.hours - known > 0.005) split.other = g.hours - known;
          return { label: label(g, dims), sub: money ? `${hoursText(g.hours)} · ${App.money(g.value)}` : hoursText(g.hours),
            segments: split,
            titles: Object.fromEntries(BILLING.map((b) => [b.key, `${label(g, dims)}, ${b.label}: ${hoursText(split[b.key] || 0)}`])) };
        }),
        series: BILLING, tick: (v) => `${App.number(v)} h`,
        label: `Hours per ${by}, split by billing state; the table below lists the numbers.`,
      }),
      rows.length > shown.length
        ? App.el("p", { class: "legend" }, `The chart shows the first ${shown.length} of ${rows.length} rows.`) : null,
    ].filter(Boolean));
  }

  const split = (g, key) => (key === "other"
    ? g.hours - BILLING.reduce((sum, b) => sum + ((g.hours_by_billing || {})[b.key] || 0), 0)
    : (g.hours_by_billing || {})[key] || 0);
  root.append(HBars.legend(BILLING.filter((b) => groups.some((g) => split(g, b.key) > 0.005))), chartBox);
  const totalCells = cols.map((c, i) => {
    if (i === 0) return App.el("th", { scope: "row", colspan: dims.length }, "Total");
    if (i < dims.length) return null;
    if (c.id === "hours") return App.el("td", { class: "num hours" }, App.number(data.total_hours));
    if (c.id === "value") return App.el("td", { class: "num value" }, App.money(data.total_value));
    if (c.id === "rate") return App.el("td", { class: "num rate wide-only" },
      data.blended_rate ? `${App.money(data.blended_rate)}/h` : "–");
    return App.el("td", { class: "num " + c.cls }, "");
  });
  const about = `Hours per ${by} in ${period}` +
    (data.paging && data.paging.total > groups.length ? ` (${groups.length} of ${data.paging.total} groups; the total covers all)` : "") +
    ". Choose a column heading to sort.";
  root.append(App.el("p", { class: "legend", id: "groups-about" }, about),
    App.el("div", { class: "table-wrap", role: "region", tabindex: 0, "aria-label": `Hours per ${by}` }, App.el("table", { class: "groups sticky-first", "aria-describedby": "groups-about" },
      App.el("thead", {}, App.el("tr", {}, headers)), tbody, App.el("tfoot", {}, App.el("tr", {}, totalCells)))));
  draw();
});
