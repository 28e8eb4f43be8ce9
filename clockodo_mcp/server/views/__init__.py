"""Interactive views (MCP Apps, extension `io.modelcontextprotocol/ui`): self-contained HTML linked from tools.

Each view is one `ui://clockodo/<name>.html` document: the shared bridge (`bridge.js`: the handshake, the tool's
input and result, tool calls, theme, size), the shared stylesheet, its own script and, for charts, the vendored uPlot
(MIT, `vendor/`) or, for bar charts, `hbars.js` (plain HTML and CSS bars), all inlined. Its Content-Security-Policy
allows no network at all: a view shows the structured result the host hands it and never fetches anything behind the
user's back.

Read tools with a view: see `VIEWS`. Every write tool links the confirmation dialog (`confirm.js`), whose Confirm
and Cancel buttons call the app-only tools `confirm_write` and `cancel_write`. Hosts without MCP Apps ignore the
links and get the same text and structured content as always.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from mcp.server.apps import Apps, ResourceCsp

CONFIRM = "confirm"
VIEWS: dict[str, str] = {  # tool → view
    "budget_status": "budget_status",
    "report_hours": "report_hours",
    "unbilled_aging": "unbilled_aging",
    "utilization": "utilization",
    "absence_queue": "absence_queue",
}
CHARTS = frozenset({"budget_status"})  # views drawn with the vendored uPlot
BARS = frozenset({"report_hours", "unbilled_aging"})  # views drawn with hbars.js (HTML and CSS bars)
APP_ONLY_TOOLS = frozenset({"confirm_write", "cancel_write"})
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "connect-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'"
)
TITLES = {
    "budget_status": "Budget status and burn",
    "report_hours": "Hours and value",
    "unbilled_aging": "Unbilled work by age",
    "utilization": "Utilization against target",
    "absence_queue": "Pending absence requests",
    CONFIRM: "Confirm a change",
}


def uri_of(view: str) -> str:
    """The `ui://` URI of a view."""
    return f"ui://clockodo/{view}.html"


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@functools.cache
def page(view: str) -> str:
    """The whole HTML document of a view, every script and style inlined."""
    chart = view in CHARTS
    styles = _asset("base.css") + ("\n" + _asset("vendor/uPlot.min.css") if chart else "")
    scripts = [_asset("vendor/uPlot.iife.min.js")] if chart else []
    scripts += [_asset("bridge.js")] + ([_asset("hbars.js")] if view in BARS else []) + [_asset(f"{view}.js")]
    body = "\n".join(f"<script>\n{script}\n</script>" for script in scripts)
    return (
        '<!doctype html>\n<html lang="en" data-theme="light">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{TITLES[view]}</title>\n<style>\n{styles}\n</style>\n</head>\n"
        f'<body>\n<main id="app" aria-live="polite"></main>\n{body}\n</body>\n</html>\n'
    )


def ui_meta(tool: str, *, read_only: bool) -> dict[str, Any] | None:
    """The `_meta` linking a tool to its view: a read tool's own, every write's confirmation dialog."""
    if tool in APP_ONLY_TOOLS:
        return {"ui": {"resourceUri": uri_of(CONFIRM), "visibility": ["app"]}}
    if tool in VIEWS:
        return {"ui": {"resourceUri": uri_of(VIEWS[tool])}}
    if not read_only:
        return {"ui": {"resourceUri": uri_of(CONFIRM)}}
    return None


def apps_extension() -> Apps:
    """The MCP Apps extension with every view as a resource (strictest CSP: no domains at all)."""
    apps = Apps()
    for view in sorted({*VIEWS.values(), CONFIRM}):
        apps.add_html_resource(
            uri_of(view),
            page(view),
            name=f"view-{view}",
            title=TITLES[view],
            description=f"Interactive view: {TITLES[view].lower()}.",
            csp=ResourceCsp(),
            prefers_border=True,
        )
    return apps
