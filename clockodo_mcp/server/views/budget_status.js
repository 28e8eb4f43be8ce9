// budget_status: % of budget used per project, and for the chosen one its burn over the window and the projection
// to the budget line (solid: hard budget, dashed: soft), with the forecast exhaustion date.
"use strict";
const DAY = 86400;

function burnPct(p) {
  const b = p.budget;
  if (b.unit === "money") {
    const amount = b.amount_money && b.amount_money.amount;
    return amount && p.burn_per_day_money ? (p.burn_per_day_money.amount / amount) * 100 : 0;
  }
  return b.amount_hours && p.burn_per_day_hours ? (p.burn_per_day_hours / b.amount_hours) * 100 : 0;
}

function series(p, asOf, windowDays) {
  const today = Date.parse(asOf + "T00:00:00Z") / 1000;
  const used = p.budget.pct_used || 0;
  const perDay = burnPct(p);
  // The mirror's snapshots when the answer has them (pct_used_days_ago), else the burn rate over the window.
  const history = Object.entries(p.pct_used_days_ago || {}).map(([days, pct]) => [Number(days), pct])
    .sort((a, b) => b[0] - a[0]);
  const past = history.length ? history : [[windowDays, Math.max(0, used - perDay * windowDays)]];
  const xs = [...past.map(([days]) => today - days * DAY), today];
  const ys = [...past.map(([, pct]) => pct), used];
  const projected = [...past.map(() => null), used];
  if (p.forecast_exhaustion) {
    xs.push(Date.parse(p.forecast_exhaustion + "T00:00:00Z") / 1000);
    ys.push(null);
    projected.push(100);
  }
  return [xs, ys, projected, xs.map(() => 100)];
}

function chart(root, p, asOf, windowDays) {
  const box = App.el("div", { class: "chart", role: "img",
    "aria-label": `${p.project}: ${p.budget.pct_used}% of the budget used` +
      (p.forecast_exhaustion ? `, forecast to run out on ${p.forecast_exhaustion}` : "") });
  root.append(box);
  const css = getComputedStyle(document.documentElement);
  const color = (name) => css.getPropertyValue(name).trim();
  const width = () => Math.max(240, Math.min(box.clientWidth || 600, 900));
  const plot = new uPlot({
    width: width(), height: 220,
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(110, max + 10)] } },
    axes: [{ stroke: color("--muted") },
      { stroke: color("--muted"), size: 56, values: (u, v) => v.map((x) => x + " %") }],
    series: [
      {},
      { label: "used", stroke: color("--accent"), width: 2 },
      { label: "projected", stroke: color("--warn"), width: 2, dash: [6, 4] },
      { label: p.budget.hard ? "hard budget" : "soft budget", stroke: color("--bad"), width: 1.5,
        dash: p.budget.hard ? undefined : [3, 3] },
    ],
    legend: { show: true, live: false },
  }, series(p, asOf, windowDays), box);
  new ResizeObserver(() => { if (Math.abs(plot.width - width()) > 4) plot.setSize({ width: width(), height: 220 }); })
    .observe(box);
}

function budgetCell(p) {
  const pct = p.budget.pct_used || 0;
  const bar = App.el("div", { class: "bar", title: `${pct}%` },
    App.el("span", { class: pct > 100 ? "over" : "", style: `width:${Math.min(pct, 100)}%` }));
  return App.el("td", {}, bar);
}

function used(p) {
  const b = p.budget;
  return b.unit === "money"
    ? `${App.money(b.used_money)} of ${App.money(b.amount_money)}`
    : `${App.number(b.used_hours)} h of ${App.number(b.amount_hours)} h`;
}

App.start((root, data) => {
  const projects = data.projects || [];
  root.append(App.el("h1", {}, "Budget status"), App.el("p", { class: "summary" }, data.summary || ""));
  if (!projects.length) { root.append(App.stateBox("empty", "No budgeted project matches.")); return; }
  const chartBox = App.el("div", {});
  let chosen = projects[0];
  const drawChart = () => { chartBox.replaceChildren(); chart(chartBox, chosen, data.as_of, data.burn_window_days); };
  const rows = projects.map((p) => App.el("tr", { "data-project-id": p.project_id },
    App.el("td", {}, App.el("button", { type: "button", onclick: () => { chosen = p; drawChart(); } }, p.project),
      " ", App.el("span", { class: "chip" }, p.budget.hard ? "hard" : "soft")),
    App.el("td", { class: "wide-only" }, p.customer),
    App.el("td", { class: "num pct" }, `${App.number(p.budget.pct_used, 1)} %`),
    budgetCell(p),
    App.el("td", { class: "num used" }, used(p)),
    App.el("td", { class: "forecast" + (p.at_risk ? " bad" : "") }, p.forecast_exhaustion || (p.budget.exhausted ? "exhausted" : "–")),
  ));
  const head = App.el("tr", {}, ...["Project", "Customer", "Used", "", "Amount", "Runs out"].map(
    (h, i) => App.el("th", { class: i === 2 || i === 4 ? "num" : i === 1 ? "wide-only" : "" }, h)));
  root.append(App.el("div", { class: "table-wrap" }, App.el("table", { class: "projects" }, App.el("thead", {}, head), App.el("tbody", {}, rows))));
  root.append(App.el("p", { class: "legend" }, "Burn over the last " + data.burn_window_days +
    " days and its projection; choose a project to chart it."), chartBox);
  drawChart();
});
