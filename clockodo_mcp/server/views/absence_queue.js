// absence_queue: the pending absence requests on a calendar (a row per person, a column per day, one grid per
// month), teammates' approved absences on the same days beside them, days on which two or more people would be away
// highlighted, weekends shaded; and the list of the requests. Every request is a button: choosing one in the
// calendar or in the list marks it in both.
"use strict";
const QUEUE_STYLE = `
h2 { font-size: 14px; margin: 14px 0 4px; }
.cal { display: grid; gap: 2px 0; min-width: calc(8.5em + var(--days) * 22px); margin-bottom: 6px; }
.cal .who { grid-column: 1; padding: 2px 6px 2px 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  position: sticky; left: 0; background: var(--bg); z-index: 2; font-size: 13px; }
.cal .day { text-align: center; font-size: 11px; color: var(--muted); line-height: 1.15; padding: 2px 0; }
.cal .day b { display: block; color: var(--fg); font-weight: 600; font-size: 12px; }
.cal .bg { border-left: 1px solid var(--line); min-height: 24px; }
.cal .weekend { background: var(--chip); }
.cal .holiday { background: repeating-linear-gradient(45deg, var(--chip) 0 4px, transparent 4px 8px); }
.cal .day.holiday b { color: var(--bad); }
.cal .clash { background: color-mix(in srgb, var(--warn) 28%, var(--bg)); }
.cal .day.clash { color: var(--fg); border-radius: 3px 3px 0 0; }
.cal .bar { all: unset; box-sizing: border-box; z-index: 1; margin: 3px 1px; height: 18px; border-radius: 4px;
  font-size: 11px; line-height: 18px; padding: 0 4px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis;
  min-width: 0; }
.cal .bar.pending { background: var(--accent); color: var(--bg); cursor: pointer; }
.cal .bar.pending.clashing { box-shadow: inset 0 0 0 2px var(--warn); }
.cal .bar.approved { background: repeating-linear-gradient(135deg, var(--chip) 0 5px, var(--line) 5px 10px);
  color: var(--fg); border: 1px solid var(--muted); }
.cal .bar.half { height: 10px; margin-top: 7px; font-size: 0; }
.cal .bar.from-before { border-top-left-radius: 0; border-bottom-left-radius: 0; margin-left: 0; }
.cal .bar.after { border-top-right-radius: 0; border-bottom-right-radius: 0; margin-right: 0; }
.cal .bar:focus-visible, table.requests button:focus-visible { outline: 2px solid var(--fg); outline-offset: 1px; }
.cal .bar.chosen { outline: 2px solid var(--fg); outline-offset: 1px; }
table.requests tr.chosen td { background: var(--chip); }
table.requests button { all: unset; cursor: pointer; font-weight: 600; }
.legend .item { white-space: nowrap; }
@media (max-width: 520px) {
  .cal { min-width: calc(6em + var(--days) * 20px); grid-template-columns: 6em repeat(var(--days), minmax(20px, 1fr)) !important; }
  .cal .who { font-size: 12px; }
  table.requests th, table.requests td { padding: 4px 3px; font-size: 13px; }
  table.requests td.who, table.requests td.type, table.requests td.span { white-space: normal; }
}
.swatch { display: inline-block; width: 14px; height: 10px; border-radius: 2px; vertical-align: middle; margin: 0 4px 0 10px; }
.swatch.pending { background: var(--accent); }
.swatch.approved { background: repeating-linear-gradient(135deg, var(--chip) 0 3px, var(--line) 3px 6px); border: 1px solid var(--muted); }
.swatch.clash { background: color-mix(in srgb, var(--warn) 28%, var(--bg)); border: 1px solid var(--warn); }
.swatch.weekend { background: var(--chip); border: 1px solid var(--line); }
.swatch.holiday { background: repeating-linear-gradient(45deg, var(--chip) 0 3px, transparent 3px 6px); border: 1px solid var(--line); }
`;

const DAY_MS = 86400000;
const toDay = (iso) => Date.parse(iso + "T00:00:00Z") / DAY_MS;  // days since the epoch
const isoOf = (day) => new Date(day * DAY_MS).toISOString().slice(0, 10);

function queueStyle() {
  if (!document.getElementById("absence-queue-style")) document.head.append(App.el("style", { id: "absence-queue-style" }, QUEUE_STYLE));
}

function typeText(type) {
  if (!type) return "Absence";
  const text = type.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function dateText(iso, year) {
  const options = { month: "short", day: "numeric", timeZone: "UTC" };
  if (Number(iso.slice(0, 4)) !== year) options.year = "numeric";
  return new Intl.DateTimeFormat(App.locale(), options).format(toDay(iso) * DAY_MS);
}

function spanText(a, year) {
  return a.date_since === a.date_until ? dateText(a.date_since, year)
    : `${dateText(a.date_since, year)} – ${dateText(a.date_until, year)}`;
}

function amountText(a) {
  if (typeof a.hours === "number" && typeof a.days !== "number") return `${App.number(a.hours)} h`;
  return typeof a.days === "number" ? `${App.number(a.days)} d` : "–";
}

// Everything on the calendar: the requests and the teammates' approved absences they overlap (each once).
function itemsOf(requests) {
  const items = [];
  const seen = new Set();
  for (const r of requests) {
    const a = r.absence;
    items.push({ key: "r" + a.id, id: a.id, pending: true, who: a.user, uid: a.users_id, type: a.type,
      from: toDay(a.date_since), to: toDay(a.date_until), half: !!a.half_day, absence: a });
  }
  for (const r of requests) for (const o of r.overlaps || []) {
    if (seen.has(o.absence_id)) continue;
    seen.add(o.absence_id);
    items.push({ key: "a" + o.absence_id, id: o.absence_id, pending: false, who: o.user, uid: o.users_id, type: o.type,
      from: toDay(o.date_since), to: toDay(o.date_until), half: false });
  }
  return items;
}

function monthsOf(items) {  // [year, month0] of every month a request touches, in order (at most 12)
  const keys = new Set();
  for (const item of items.filter((i) => i.pending)) {
    const first = new Date(item.from * DAY_MS);
    const last = new Date(item.to * DAY_MS);
    for (let y = first.getUTCFullYear(), m = first.getUTCMonth(); y < last.getUTCFullYear() ||
      (y === last.getUTCFullYear() && m <= last.getUTCMonth()); m === 11 ? (y++, m = 0) : m++) keys.add(y * 12 + m);
  }
  return [...keys].sort((a, b) => a - b).slice(0, 12).map((k) => [Math.floor(k / 12), k % 12]);
}

function monthGrid(year, month, items, choose, holidays) {
  const first = Date.UTC(year, month, 1) / DAY_MS;
  const count = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const last = first + count - 1;
  const here = items.filter((i) => i.from <= last && i.to >= first);
  if (!here.some((i) => i.pending)) return null;
  const people = [];
  for (const item of [...here].sort((a, b) => (b.pending - a.pending) || (a.from - b.from))) {
    if (!people.some((p) => p.uid === item.uid)) people.push({ uid: item.uid, who: item.who });
  }
  // Who would be away on each day: a clash is a day with two or more people, at least one of them asking.
  const away = [];
  for (let d = 0; d < count; d++) {
    const day = first + d;
    const on = here.filter((i) => i.from <= day && i.to >= day);
    away.push({ people: new Set(on.map((i) => i.uid)), asking: on.some((i) => i.pending) });
  }
  const clash = (d) => away[d].people.size >= 2 && away[d].asking;
  const weekday = new Intl.DateTimeFormat(App.locale(), { weekday: "narrow", timeZone: "UTC" });
  const longDay = new Intl.DateTimeFormat(App.locale(), { weekday: "long", month: "long", day: "numeric", timeZone: "UTC" });
  const weekend = (d) => [0, 6].includes(new Date((first + d) * DAY_MS).getUTCDay());
  const holiday = (d) => holidays.get(isoOf(first + d));
  const off = (d) => (holiday(d) ? " holiday" + (holiday(d).half_day ? " half" : "") : weekend(d) ? " weekend" : "");
  const label = new Intl.DateTimeFormat(App.locale(), { month: "long", year: "numeric", timeZone: "UTC" }).format(first * DAY_MS);
  const grid = App.el("div", { class: "cal", role: "group", "aria-label": label,
    style: `--days:${count};grid-template-columns:8.5em repeat(${count}, minmax(22px, 1fr))` });
  grid.append(App.el("div", { class: "who", style: "grid-row:1" }, ""));
  for (let d = 0; d < count; d++) {
    const names = [...away[d].people].map((uid) => people.find((p) => p.uid === uid).who);
    const title = longDay.format((first + d) * DAY_MS) + (holiday(d) ? ` (${holiday(d).name}${holiday(d).half_day ? ", half day" : ""})` : "") + (clash(d) ? `: ${names.length} people away (${names.join(", ")})` : "");
    grid.append(App.el("div", { class: "day" + off(d) + (clash(d) ? " clash" : ""),
      style: `grid-row:1;grid-column:${d + 2}`, title, "data-day": isoOf(first + d) },
      App.el("b", {}, d + 1), weekday.format((first + d) * DAY_MS)));
  }
  people.forEach((person, p) => {
    const row = p + 2;
    grid.append(App.el("div", { class: "who", style: `grid-row:${row}`, title: person.who }, person.who));
    for (let d = 0; d < count; d++) {
      grid.append(App.el("div", { class: "bg" + off(d) + (clash(d) ? " clash" : ""),
        style: `grid-row:${row};grid-column:${d + 2}`, "aria-hidden": "true" }));
    }
    for (const item of here.filter((i) => i.uid === person.uid)) {
      const start = Math.max(item.from, first) - first;
      const end = Math.min(item.to, last) - first;
      let clashing = false;
      for (let d = start; d <= end; d++) clashing = clashing || clash(d);
      const what = `${item.who}: ${typeText(item.type)}, ${spanText({ date_since: isoOf(item.from), date_until: isoOf(item.to) }, year)}`;
      const cls = ["bar", item.pending ? "pending" : "approved", item.half ? "half" : "",
        item.from < first ? "from-before" : "", item.to > last ? "after" : "", item.pending && clashing ? "clashing" : ""]
        .filter(Boolean).join(" ");
      const style = `grid-row:${row};grid-column:${start + 2} / ${end + 3}`;
      if (item.pending) {
        const text = `${what} (${amountText(item.absence)}), pending` + (clashing ? "; others are away on some of these days" : "");
        grid.append(App.el("button", { type: "button", class: cls, style, title: text, "aria-label": text,
          "data-absence-id": item.id, onclick: () => choose(item.id, "list") }, typeText(item.type)));
      } else {
        const text = `${what}, approved (a teammate)`;
        grid.append(App.el("span", { class: cls, style, title: text, role: "img", "aria-label": text,
          "data-absence-id": item.id }, typeText(item.type)));
      }
    }
  });
  return [App.el("h2", {}, label), App.el("div", { class: "table-wrap" }, grid)];
}

function requestRow(r, year, choose) {
  const a = r.absence;
  const left = r.remaining_if_approved;
  return App.el("tr", { "data-absence-id": a.id },
    App.el("td", { class: "who" }, App.el("button", { type: "button", "aria-label": `${a.user}: show on the calendar`,
      onclick: () => choose(a.id, "calendar") }, a.user)),
    App.el("td", { class: "type" }, typeText(a.type) + (a.half_day ? " (half day)" : "")),
    App.el("td", { class: "span" }, spanText(a, year)),
    App.el("td", { class: "num amount" }, amountText(a)),
    App.el("td", { class: "num age wide-only" }, typeof r.age_days === "number" ? `${App.number(r.age_days, 0)} d` : "–"),
    App.el("td", { class: "num overlaps" + (r.overlap_count ? " warn" : ""),
      title: (r.overlaps || []).map((o) => `${o.user} ${o.date_since}–${o.date_until}`).join("; ") || "no overlap" },
    App.number(r.overlap_count, 0)),
    App.el("td", { class: "num left wide-only" + (typeof left === "number" && left < 0 ? " bad" : "") },
      typeof left === "number" ? `${App.number(left)} d` : "–"));
}

App.start((root, data) => {
  queueStyle();
  const requests = data.requests || [];
  root.append(App.el("h1", {}, "Pending absence requests"), App.el("p", { class: "summary" }, data.summary || ""));
  if (!requests.length) { root.append(App.stateBox("empty", "No absence request is waiting for approval.")); return; }
  const year = data.as_of ? Number(data.as_of.slice(0, 4)) : new Date().getUTCFullYear();
  const choose = (id, focus) => {
    for (const node of root.querySelectorAll("[data-absence-id]")) {
      node.classList.toggle("chosen", node.dataset.absenceId === String(id));
    }
    const target = focus === "list"
      ? root.querySelector(`table.requests tr[data-absence-id="${id}"] button`)
      : root.querySelector(`.cal .bar.pending[data-absence-id="${id}"]`);
    if (target) { target.focus(); target.scrollIntoView({ block: "nearest", inline: "nearest" }); }
  };
  const items = itemsOf(requests);
  const holidays = new Map((data.nonbusiness_days || []).map((h) => [String(h.date), h]));
  const calendar = App.el("section", { class: "calendar", "aria-label": "Calendar of the requests" });
  for (const [y, m] of monthsOf(items)) {
    const grid = monthGrid(y, m, items, choose, holidays);
    if (grid) calendar.append(...grid);
  }
  const key = (kind, text) => App.el("span", { class: "item" }, App.el("span", { class: "swatch " + kind, "aria-hidden": "true" }), text);
  root.append(calendar, App.el("p", { class: "legend" }, key("pending", "pending request"), " ",
    key("approved", "approved (teammate)"), " ", key("clash", "two or more away"), " ", key("weekend", "weekend"), " ",
    key("holiday", "public holiday")));
  const head = App.el("tr", {}, ["Who", "Type", "When", "Days", "Waiting", "Overlap", "Left if approved"].map(
    (h, i) => App.el("th", { scope: "col", class: [i >= 3 ? "num" : "", i === 4 || i === 6 ? "wide-only" : ""].join(" ").trim() }, h)));
  root.append(App.el("h2", {}, "Requests (oldest first)"), App.el("div", { class: "table-wrap" },
    App.el("table", { class: "requests" }, App.el("thead", {}, head),
      App.el("tbody", {}, requests.map((r) => requestRow(r, year, choose))))));
  // A narrow frame shows part of a month: start each month where its first request begins.
  for (const wrap of calendar.querySelectorAll(".table-wrap")) {
    const bar = wrap.querySelector(".bar.pending");
    const who = wrap.querySelector(".who");
    if (!bar || !who || wrap.scrollWidth <= wrap.clientWidth) continue;
    const left = bar.getBoundingClientRect().left - wrap.getBoundingClientRect().left + wrap.scrollLeft;
    wrap.scrollLeft = Math.max(0, left - who.offsetWidth - 4);
  }
  const paging = data.paging || {};
  if (paging.next) root.append(App.el("p", { class: "legend" }, `Showing ${paging.returned} of ${paging.total} requests.`));
});
