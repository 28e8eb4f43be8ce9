// unbilled_aging: unbilled work per customer or project as stacked bars by age (0–30, 31–60, 61–90, over 90 days)
// on a money axis, a legend of the buckets, and a table of each row's money and hours per bucket with the totals.
// Where Clockodo hides money from the signed-in user (or nothing carries a value) the bars show hours instead.
"use strict";
const BUCKETS = [
  { key: "0-30", label: "0–30 days", color: "var(--ok)" },
  { key: "31-60", label: "31–60 days", color: "var(--accent)" },
  { key: "61-90", label: "61–90 days", color: "var(--warn)" },
  { key: "over_90", label: "over 90 days", color: "var(--bad)" },
];

function hoursText(h) { return `${App.number(h)} h`; }

function bucketCell(bucket, money) {
  const b = bucket || { hours: 0, value: null };
  return money
    ? [App.el("span", { class: "money" }, App.money(b.value)), App.el("span", { class: "sub hours" }, hoursText(b.hours))]
    : [App.el("span", { class: "hours" }, hoursText(b.hours))];
}

App.start((root, data) => {
  const rows = data.rows || [];
  const per = data.per === "project" ? "project" : "customer";
  const noun = per === "project" ? "Project" : "Customer";
  root.append(App.el("h1", {}, "Unbilled work by age"), App.el("p", { class: "summary" }, data.summary || ""));
  if (!rows.length) {
    const total = (data.paging && data.paging.total) || 0;
    root.append(App.stateBox("empty", total
      ? `No ${per}s on this page: there are ${total}, the page starts after them.`
      : `No unbilled work for any ${per} in the last ${data.lookback_days} days (as of ${data.as_of}).`));
    return "empty";
  }
  const moneyShown = !data.visibility || data.visibility.money_visible !== false;
  const currency = (data.total_value && data.total_value.currency) || "EUR";
  const byMoney = moneyShown && data.total_value && data.total_value.amount > 0;
  const amount = (b) => (b ? (byMoney ? (b.value ? b.value.amount : 0) : b.hours) : 0);
  const figure = (b) => (byMoney ? `${App.money(b.value)}, ${hoursText(b.hours)}` : hoursText(b.hours));
  const chartRows = rows.map((r) => ({
    label: r.name,
    sub: byMoney ? `${App.money(r.total_value)} · ${hoursText(r.total_hours)}` : hoursText(r.total_hours),
    segments: Object.fromEntries(BUCKETS.map((k) => [k.key, amount(r.buckets[k.key])])),
    titles: Object.fromEntries(BUCKETS.map((k) => [k.key, `${r.name}, ${k.label}: ${figure(r.buckets[k.key] || { hours: 0 })}`])),
  }));
  root.append(...[
    HBars.legend(BUCKETS),
    HBars.chart({
      rows: chartRows, series: BUCKETS,
      tick: byMoney ? (v) => App.money({ amount: v, currency }, { notation: "compact" }) : (v) => `${App.number(v)} h`,
      label: `Unbilled ${byMoney ? "value" : "hours"} per ${per} by age; the table below lists the numbers.`,
    }),
    byMoney ? null : App.el("p", { class: "legend" }, moneyShown
      ? "None of this work carries a value yet, so the bars show hours."
      : "Clockodo does not show you money, so the bars show hours."),
  ].filter(Boolean));
  const head = App.el("tr", {}, App.el("th", { scope: "col" }, noun),
    BUCKETS.map((k) => App.el("th", { scope: "col", class: "num" }, k.label)),
    App.el("th", { scope: "col", class: "num" }, "Total"),
    App.el("th", { scope: "col", class: "wide-only" }, "Oldest"));
  const body = rows.map((r) => App.el("tr", { "data-id": r.id },
    App.el("th", { scope: "row", class: "name" }, r.name),
    BUCKETS.map((k) => App.el("td", { class: "num bucket", "data-bucket": k.key }, bucketCell(r.buckets[k.key], moneyShown))),
    App.el("td", { class: "num total" }, bucketCell({ hours: r.total_hours, value: r.total_value }, moneyShown)),
    App.el("td", { class: "wide-only oldest" }, r.oldest_day || "–")));
  const all = data.paging && data.paging.total > rows.length ? `All ${data.paging.total} ${per}s` : "Total";
  const foot = App.el("tr", { class: "totals-row" }, App.el("th", { scope: "row" }, all),
    BUCKETS.map((k) => App.el("td", { class: "num bucket", "data-bucket": k.key }, bucketCell((data.totals || {})[k.key], moneyShown))),
    App.el("td", { class: "num total" }, bucketCell({ hours: data.total_hours, value: data.total_value }, moneyShown)),
    App.el("td", { class: "wide-only" }, ""));
  const about = `Unbilled money and hours per ${per} by age, as of ${data.as_of}.`;
  root.append(App.el("p", { class: "legend", id: "aging-about" }, about),
    App.el("div", { class: "table-wrap", role: "region", tabindex: 0, "aria-label": `Unbilled work per ${per}` }, App.el("table", { class: "aging sticky-first", "aria-describedby": "aging-about" },
      App.el("thead", {}, head), App.el("tbody", {}, body), App.el("tfoot", {}, foot))));
});
