// The view's side of MCP Apps (SEP-1865): the handshake, the tool's input and result, tool calls, theme and size.
// Data comes only from the tool result the host delivers; the view fetches nothing (its CSP allows no network).
"use strict";
const App = (() => {
  let nextId = 1;
  const pending = new Map();
  const state = { input: {}, context: {}, result: null, render: null };

  function post(message) { window.parent.postMessage({ jsonrpc: "2.0", ...message }, "*"); }
  function request(method, params) {
    const id = nextId++;
    post({ id, method, params });
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  }
  function applyContext(context) {
    Object.assign(state.context, context || {});
    const theme = state.context.theme === "dark" ? "dark" : "light";
    document.documentElement.dataset.theme = theme;
    if (state.result && state.render) show(state.result);
  }
  function reportSize() {
    // The content's own height: the document's scrollHeight never drops below the frame's, so a frame made taller
    // for a narrow layout would never shrink again when it is widened.
    const width = document.documentElement.scrollWidth;
    const height = Math.ceil(document.body.getBoundingClientRect().height);
    post({ method: "ui/notifications/size-changed", params: { width, height } });
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) if (child !== null && child !== undefined && child !== false)
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }
  function locale() { return state.context.locale || navigator.language || "en-US"; }
  // options: more Intl.NumberFormat options, e.g. { notation: "compact" } for an axis's tick labels.
  function money(value, options) {
    if (!value || typeof value.amount !== "number") return "–";
    try {
      return new Intl.NumberFormat(locale(), { style: "currency", currency: value.currency || "EUR", ...(options || {}) })
        .format(value.amount);
    }
    catch (_) { return value.amount.toFixed(2) + " " + (value.currency || ""); }
  }
  function number(value, digits) {
    if (typeof value !== "number") return "–";
    return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits ?? 2 }).format(value);
  }
  function errorText(result) {
    const text = (result.content || []).filter((b) => b.type === "text").map((b) => b.text).join(" ");
    return text || "The tool reported an error.";
  }
  function stateBox(kind, text) { return el("div", { class: "state " + kind, role: kind === "error" ? "alert" : "status" }, text); }
  function show(result) {
    const root = document.getElementById("app");
    root.replaceChildren();
    let shown = "data";
    try {
      if (!result || result.isError) { shown = "error"; root.append(stateBox("error", result ? errorText(result) : "No result.")); }
      else if (!result.structuredContent) { shown = "empty"; root.append(stateBox("empty", "This answer has no data to show.")); }
      else if (state.render(root, result.structuredContent, state.input) === "empty") shown = "empty";
    } catch (error) {
      shown = "error";
      root.replaceChildren(stateBox("error", "This view could not show the answer: " + error.message));
    }
    document.body.dataset.shown = shown;  // what is on screen: data, empty or error
    reportSize();
  }
  // render(root, data, input) draws the structured result into root; it returns "empty" when it showed only an
  // empty state, so that body[data-shown] says so.
  async function start(render) {
    state.render = render;
    window.addEventListener("message", (event) => {
      if (event.source !== window.parent) return;
      const m = event.data;
      if (!m || m.jsonrpc !== "2.0") return;
      if (m.id !== undefined && !m.method) {
        const waiting = pending.get(m.id);
        if (!waiting) return;
        pending.delete(m.id);
        if (m.error) waiting.reject(new Error(m.error.message || "The host refused the request."));
        else waiting.resolve(m.result);
        return;
      }
      if (m.method === "ui/notifications/tool-input") state.input = (m.params && m.params.arguments) || {};
      else if (m.method === "ui/notifications/tool-result") { state.result = m.params; show(m.params); }
      else if (m.method === "ui/notifications/host-context-changed") applyContext(m.params);
    });
    document.getElementById("app").replaceChildren(stateBox("empty", "Waiting for the tool's answer…"));
    const answer = await request("ui/initialize", {
      appCapabilities: { availableDisplayModes: ["inline"] },
      appInfo: { name: "clockodo-mcp", version: "1" },
      protocolVersion: "2026-01-26",
    });
    applyContext((answer && answer.hostContext) || {});
    post({ method: "ui/notifications/initialized", params: {} });
    new ResizeObserver(reportSize).observe(document.body);
  }
  async function callTool(name, args) {
    const result = await request("tools/call", { name, arguments: args });
    return result || {};
  }
  return { start, callTool, el, money, number, stateBox, errorText, locale, context: state.context };
})();
