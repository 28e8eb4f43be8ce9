// utilization: billable utilization against the target per team and per employee (a bar with a marker at the
// target, the hours), and, when the answer has them (utilization(by_week=true)), a week-by-week heat-map.
"use strict";
const UTIL_STYLE = `
.meter { position: relative; height: 12px; min-width: 56px; background: var(--chip); border-radius: 3px; }
.meter > .fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 3px; background: var(--accent); }
.meter > .fill.met { background: var(--ok); }
.meter > .mark { position: absolute; top: -3px; bottom: -3px; width: 2px; margin-left: -1px; background: var(--fg); }
td.meter-cell { width: 40%; min-width: 64px; }
tr.group th { color: var(--muted); font-weight: 600; padding-top: 10px; }
tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
h2 { font-size: 14px; margin: 14px 0 4px; }
table.heat { width: auto; }
table.heat th.week { text-align: center; font-weight: 500; font-size: 11px; color: var(--muted); line-height: 1.2; }
table.heat th.who, table.heat td.who { position: sticky; left: 0; background: var(--bg); z-index: 1;
  max-width: 11em; overflow: hidden; text-overflow: ellipsis; }
table.heat td.cell { min-width: 34px; text-align: center; font-size: 12px; padding: 3px 2px;
  border: 1px solid var(--bg); }
table.heat td.cell.met { font-weight: 700; }
table.heat td.cell.none { color: var(--muted); }
td.name .meter { display: none; margin-top: 4px; }
@media (max-width: 520px) {
  table.utilization td.name { white-space: normal; min-width: 7em; }
  table.utilization td.name .meter { display: block; }
  table.utilization th, table.utilization td { padding: 4px 3px; }
  table.utilization td.num { font-size: 13px; }
  table.heat th.who, table.heat td.who { max-width: 7.5em; }
}
.table-wrap:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.scale { display: inline-block; width: 120px; height: 10px; vertical-align: middle; border-radius: 2px;
  background: linear-gradient(90deg, color-mix(in srgb, var(--accent) 6%, var(--bg)),
    color-mix(in srgb, var(--accent) 62%, var(--bg))); }
`;

function utilStyle() {
  if (!document.getElementById("utilization-style")) document.head.append(App.el("style", { id: "utilization-style" }, UTIL_STYLE));
}

function pctText(pct) { return typeof pct === "number" ? `${App.number(pct, 1)} %` : "no target"; }

function meter(row, scale, narrow) {  // narrow: the copy under the name shown instead of the column under 520px
  const pct = row.utilization_pct;
  const label = typeof pct === "number" ? `${App.number(pct, 1)} % of the target` : "no target hours";
  const width = typeof pct === "number" ? Math.min(pct, scale) / scale * 100 : 0;
  return App.el("div", { class: "meter", role: narrow ? null : "img", "aria-hidden": narrow ? "true" : null,
    "aria-label": narrow ? null : `${row.name}: ${label}`, title: label },
    App.el("span", { class: "fill" + (pct >= 100 ? " met" : ""), style: `width:${width.toFixed(2)}%` }),
    App.el("span", { class: "mark", style: `left:${(100 / scale * 100).toFixed(2)}%` }));
}

function figuresRow(row, kind, scale) {
  return App.el("tr", { class: kind === "total" ? "total" : "", "data-kind": kind, "data-id": row.id ?? "" },
    App.el("td", { class: "name" }, row.name,
      typeof row.member_count === "number" ? [" ", App.el("span", { class: "chip wide-only" }, `${row.member_count} people`)] : null,
      meter(row, scale, true)),
    App.el("td", { class: "meter-cell wide-only" }, meter(row, scale)),
    App.el("td", { class: "num worked" }, `${App.number(row.worked_hours)} h`),
    App.el("td", { class: "num billable wide-only" }, `${App.number(row.billable_hours)} h`),
    App.el("td", { class: "num target" }, `${App.number(row.target_hours)} h`),
    App.el("td", { class: "num pct" }, pctText(row.utilization_pct)));
}

function mondayOf(week) {  // "2026-W47" → the Monday of that ISO week (UTC milliseconds)
  const [year, number] = week.split("-W").map(Number);
  const jan4 = Date.UTC(year, 0, 4);
  const weekday = (new Date(jan4).getUTCDay() + 6) % 7;
  return jan4 - weekday * 86400000 + (number - 1) * 7 * 86400000;
}

function cellColour(pct) {  // up to 62 % accent: the text (--fg) stays readable on it in both themes
  const share = Math.round(6 + Math.min(Math.max(pct, 0), 150) / 150 * 56);
  return { share, style: `background:color-mix(in srgb, var(--accent) ${share}%, var(--bg))` };
}

function heatRow(row, weeks, kind) {
  const cells = weeks.map((week, i) => {
    const pct = (row.weeks_pct || [])[i];
    const from = new Intl.DateTimeFormat(App.locale(), { month: "short", day: "numeric", timeZone: "UTC" }).format(mondayOf(week));
    if (typeof pct !== "number") {
      const label = `${row.name}, ${week} (from ${from}): no target hours`;
      return App.el("td", { class: "cell none", "data-week": week, title: label, "aria-label": label }, "–");
    }
    const label = `${row.name}, ${week} (from ${from}): ${App.number(pct, 0)} % of the target`;
    const colour = cellColour(pct);
    return App.el("td", { class: "cell" + (pct >= 100 ? " met" : ""), "data-week": week, "data-pct": pct,
      style: colour.style, title: label, "aria-label": label }, App.number(pct, 0));
  });
  return App.el("tr", { "data-kind": kind, "data-id": row.id ?? "" }, App.el("td", { class: "who", title: row.name }, row.name), cells);
}

function heatMap(data) {
  const weeks = data.weeks;
  const fmt = new Intl.DateTimeFormat(App.locale(), { month: "short", day: "numeric", timeZone: "UTC" });
  const head = App.el("tr", {}, App.el("th", { class: "who", scope: "col" }, "Week"),
    weeks.map((week) => App.el("th", { class: "week", scope: "col", title: week },
      "W" + week.split("-W")[1], App.el("br"), fmt.format(mondayOf(week)))));
  const span = weeks.length + 1;
  const groups = [];
  if ((data.teams || []).length) {
    groups.push(App.el("tbody", { class: "teams" },
      App.el("tr", { class: "group" }, App.el("th", { colspan: span, scope: "rowgroup" }, "Teams")),
      data.teams.map((t) => heatRow(t, weeks, "team"))));
  }
  groups.push(App.el("tbody", { class: "users" },
    App.el("tr", { class: "group" }, App.el("th", { colspan: span, scope: "rowgroup" }, "Employees")),
    (data.users || []).map((u) => heatRow(u, weeks, "user"))));
  if (data.total && data.total.weeks_pct) {
    groups.push(App.el("tbody", { class: "total" }, heatRow({ ...data.total, name: "Total" }, weeks, "total")));
  }
  return App.el("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-label": "Utilization per week (scrolls sideways)" },
    App.el("table", { class: "heat" }, App.el("caption", { class: "legend", style: "text-align:left" },
      "Billable hours as % of each week's target"), App.el("thead", {}, head), groups));
}

App.start((root, data) => {
  utilStyle();
  const users = data.users || [];
  const teams = data.teams || [];
  const period = data.period || {};
  root.append(App.el("h1", {}, "Utilization" + (period.label ? ` – ${period.label}` : "")),
    App.el("p", { class: "summary" }, data.summary || ""));
  if (!users.length && !teams.length) {
    root.append(App.stateBox("empty", "Nobody to show: no employee has hours or target hours in this period and scope."));
    return;
  }
  const all = [...teams, ...users, data.total].filter(Boolean);
  const highest = Math.max(100, ...all.map((r) => (typeof r.utilization_pct === "number" ? r.utilization_pct : 0)));
  const scale = Math.min(200, Math.ceil(highest * 1.05 / 10) * 10);
  const head = App.el("tr", {}, ["Name", "Billable vs target", "Worked", "Billable", "Target", "Util."].map(
    (h, i) => App.el("th", { scope: "col", class: [i >= 2 ? "num" : "", i === 1 || i === 3 ? "wide-only" : ""].join(" ").trim() },
      i === 5 ? App.el("abbr", { title: "Utilization: billable ÷ target" }, h) : h)));
  const bodies = [];
  if (teams.length) {
    bodies.push(App.el("tbody", { class: "teams" },
      App.el("tr", { class: "group" }, App.el("th", { colspan: 6, scope: "rowgroup" }, "Teams")),
      teams.map((t) => figuresRow(t, "team", scale))));
  }
  bodies.push(App.el("tbody", { class: "users" },
    App.el("tr", { class: "group" }, App.el("th", { colspan: 6, scope: "rowgroup" }, "Employees (lowest first)")),
    users.map((u) => figuresRow(u, "user", scale))));
  if (data.total) bodies.push(App.el("tbody", { class: "total" }, figuresRow({ ...data.total, name: "Total" }, "total", scale)));
  root.append(App.el("div", { class: "table-wrap" },
    App.el("table", { class: "utilization" }, App.el("thead", {}, head), bodies)));
  const paging = data.paging || {};
  root.append(App.el("p", { class: "legend" },
    `Bar: billable hours against the target (the marker is 100 %; the scale ends at ${scale} %).` +
    (data.target_until ? ` Target hours count up to ${data.target_until}.` : "") +
    (paging.next ? ` Showing ${paging.returned} of ${paging.total} employees.` : "")));
  if (Array.isArray(data.weeks) && data.weeks.length) {
    root.append(App.el("h2", {}, "Week by week"), heatMap(data),
      App.el("p", { class: "legend" }, "0 % ", App.el("span", { class: "scale", "aria-hidden": "true" }), " 150 % and more; – no target that week."));
  } else {
    root.append(App.el("p", { class: "legend" }, "Ask for utilization with by_week for a week-by-week heat-map."));
  }
});
