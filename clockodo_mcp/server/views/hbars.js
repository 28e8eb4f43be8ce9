// Horizontal (stacked) bars in plain HTML and CSS for the report views: one bar per row, segments per series, an
// axis with round ticks and a legend. Colours are CSS variables of base.css, so both themes work.
"use strict";
const HBars = (() => {
  // Round ticks from 0 to at least max, about `count` steps: 1, 2, 2.5 or 5 × a power of ten.
  function ticks(max, count) {
    if (!(max > 0)) return [0, 1];
    const raw = max / (count || 4);
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].find((f) => f * power >= raw) * power;
    const out = [];
    for (let i = 0; out.length === 0 || out[out.length - 1] < max - 1e-9; i++) out.push(Math.round(i * step * 1e6) / 1e6);
    return out;
  }

  function legend(series) {
    return App.el("ul", { class: "hbars-legend" }, series.map((s) =>
      App.el("li", { "data-series": s.key }, App.el("span", { class: "swatch", style: `background:${s.color}` }), s.label)));
  }

  // rows: [{ label, sub, segments: { <series key>: number } , titles: { <series key>: text } }]
  // series: [{ key, label, color }]; tick: number → label; label: the chart's accessible name.
  function chart({ rows, series, tick, label }) {
    const max = Math.max(0, ...rows.map((r) => series.reduce((sum, s) => sum + Math.max(0, r.segments[s.key] || 0), 0)));
    const marks = ticks(max, 4);
    const top = marks[marks.length - 1];
    const pct = (v) => `${(Math.max(0, v) / top) * 100}%`;
    const grid = () => marks.map((m) => App.el("span", { class: "hbars-grid", style: `left:${pct(m)}` }));
    const bars = rows.map((r) => App.el("div", { class: "hbars-row" },
      App.el("div", { class: "hbars-label" }, App.el("span", { class: "name", title: r.label }, r.label),
        r.sub ? App.el("span", { class: "sub" }, r.sub) : null),
      App.el("div", { class: "hbars-track" }, grid(),
        App.el("div", { class: "hbars-bar" }, series.filter((s) => r.segments[s.key] > 0).map((s) =>
          App.el("span", { class: "hbars-seg", "data-series": s.key, title: (r.titles || {})[s.key] || s.label,
            style: `width:${pct(r.segments[s.key])};background:${s.color}` }))))));
    const axis = App.el("div", { class: "hbars-row hbars-axis", "aria-hidden": "true" },
      App.el("div", { class: "hbars-label" }),
      App.el("div", { class: "hbars-ticks" }, marks.map((m, i) => App.el("span", {
        class: i === 0 ? "first" : i === marks.length - 1 ? "last" : "", style: `left:${pct(m)}` }, tick(m)))));
    return App.el("figure", { class: "hbars", role: "img", "aria-label": label }, bars, axis);
  }

  return { chart, legend, ticks };
})();
