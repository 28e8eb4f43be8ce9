"""MCP Apps views in a real browser: Debian's chromium driven by Playwright, framed by a test host page.

The chain is real end to end: the fake Clockodo on loopback HTTP, our server over streamable HTTP, an MCP client
that advertises MCP Apps, and chromium showing the view the server serves (`resources/read`) inside the host page
(`browser_host.html`). The view's tool calls go from the frame through the host page to that MCP client.

The browser may not reach any network: every request other than the host page and the view is aborted and
recorded, and a test fails on any request, console error or script error the view caused.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.extension import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ServerConfig
from clockodo_mcp.server.runtime import Runtime
from clockodo_mcp.server.transports import http_app
from clockodo_mcp.server.views import uri_of
from clockodo_mcp.store import sqlite_url
from tests.conftest import held_open
from tests.server.live import serving

CHROMIUM = os.environ.get("CLOCKODO_MCP_CHROMIUM", "/usr/bin/chromium")
HOST = "http://host.test/"
VIEW = "http://host.test/view.html"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "views"
NARROW, WIDE = 360, 1280


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Python Playwright is not installed (pip install -e '.[test]')"
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run does it under CI)"
    return None


needs_browser = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))


def as_host_result(result: Any) -> dict[str, Any]:
    """A CallToolResult as the host delivers it to a view (`ui/notifications/tool-result`)."""
    return dict(result.model_dump(mode="json", by_alias=True, exclude_none=True))


def apps_client(url: str) -> Client:
    """An MCP client over streamable HTTP that renders MCP Apps."""
    return Client(url, extensions=[advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})])


@dataclass
class Shown:
    """A view on screen: its frame, plus everything it asked of the host."""

    page: Any
    frame: Any
    result: dict[str, Any]

    async def text(self, selector: str) -> str:
        return str(await self.frame.locator(selector).first.inner_text()).strip()

    async def texts(self, selector: str) -> list[str]:
        return [str(t).strip() for t in await self.frame.locator(selector).all_inner_texts()]

    async def host(self, expression: str) -> Any:
        return await self.page.evaluate(f"() => window.host.{expression}")

    async def overflows(self) -> bool:
        """Whether the view is wider than its frame (a horizontal scrollbar on the whole view)."""
        return bool(
            await self.frame.evaluate(
                "() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"
            )
        )

    async def resize(self, width: int) -> None:
        await self.page.set_viewport_size({"width": width, "height": 900})
        await self.frame.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")

    async def screenshot(self, name: str, directory: Path = ARTIFACTS) -> Path:
        """The framed view as `<directory>/<name>.png` (the tests' go to artifacts/views, kept by CI, not committed)."""
        path = directory / f"{name}.png"
        # Chromium paints a frame only within the viewport: make the viewport as tall as the frame (same width).
        box = await self.page.locator("#view").bounding_box()
        size = self.page.viewport_size
        if box and size and box["height"] > size["height"]:
            await self.page.set_viewport_size({"width": size["width"], "height": int(box["height"]) + 1})
        await self.page.locator("#view").screenshot(path=str(path))
        return path


@dataclass
class ViewHost:
    """The browser, the host page and the MCP client behind the views' tool calls."""

    client: Client
    page: Any
    pages: dict[str, str] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    async def view_html(self, tool_or_view: str) -> str:
        """The view's document as the server serves it (`resources/read`), by the tool's `_meta.ui` link."""
        uri = uri_of(tool_or_view)
        tools = {t.name: t for t in (await self.client.list_tools()).tools}
        if tool_or_view in tools:
            meta = tools[tool_or_view].meta or {}
            uri = meta["ui"]["resourceUri"]
        (content,) = (await self.client.read_resource(uri)).contents
        assert content.mime_type == APP_MIME_TYPE
        return str(content.text)  # type: ignore[union-attr]

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        return as_host_result(await self.client.call_tool(tool, arguments))

    async def show(
        self,
        tool: str,
        result: dict[str, Any],
        arguments: dict[str, Any] | None = None,
        *,
        theme: str = "light",
        locale: str = "en-US",
        width: int = WIDE,
    ) -> Shown:
        """Frame the tool's view, hand it `result` the way a host does, and wait until it has rendered."""
        self.pages["view"] = await self.view_html(tool)
        await self.page.set_viewport_size({"width": width, "height": 900})
        await self.page.goto(HOST)
        context = {
            "theme": theme,
            "locale": locale,
            "displayMode": "inline",
            "timeZone": "Europe/Berlin",
            "platform": "web",
            "containerDimensions": {"maxWidth": width},
        }
        setup = {"arguments": arguments or {}, "result": result, "context": context}
        await self.page.evaluate("([url, setup]) => window.showView(url, setup)", [VIEW, setup])
        await self.page.wait_for_function("() => window.host.initialized")
        frame = next(f for f in self.page.frames if f.url == VIEW)
        await frame.wait_for_function("() => document.body.dataset.shown !== undefined")
        return Shown(self.page, frame, result)


@asynccontextmanager
async def view_host(client: Client) -> AsyncIterator[ViewHost]:
    """Chromium (headless, no sandbox, no background networking) with the host page, bound to `client`."""
    from playwright.async_api import async_playwright

    host_page = (Path(__file__).with_name("browser_host.html")).read_text(encoding="utf-8")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-default-apps",
            ],
        )
        try:
            page = await browser.new_page()
            host = ViewHost(client, page)

            async def route(route: Any) -> None:
                url = route.request.url
                if url == HOST:
                    await route.fulfill(status=200, content_type="text/html", body=host_page)
                elif url == VIEW:
                    await route.fulfill(status=200, content_type="text/html", body=host.pages["view"])
                else:
                    host.blocked.append(url)
                    await route.abort()

            async def call_tool(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
                return as_host_result(await client.call_tool(name, arguments))

            await page.context.route("**/*", route)
            await page.expose_function("mcpCallTool", call_tool)
            page.on("console", lambda m: host.problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: host.problems.append(str(e)))
            yield host
        finally:
            await browser.close()


@dataclass
class Rig:
    """The view host, the server's runtime and the fake behind it."""

    host: ViewHost
    runtime: Runtime
    fake: Any

    def billed(self) -> int:
        return sum(1 for e in self.fake.state.store.entries if e.billable == 2)


@asynccontextmanager
async def browser_rig(fake_app: Any, directory: Path, now: datetime) -> AsyncIterator[Rig]:
    """The fake on loopback HTTP, our server over streamable HTTP at `now`, an Apps client, chromium with the host
    page; afterwards, fails if a view tried the network or logged an error."""
    with serving(fake_app) as fake_base:
        settings = ServerConfig(
            api_user=OWNER_EMAIL,
            api_key=OWNER_KEY,
            credential_source="test",
            base_url=f"{fake_base}/api",
            audit_path=directory / "audit.jsonl",
            store_url=sqlite_url(directory / "store.sqlite3"),
        )
        runtime = Runtime(settings, clock=FrozenClock(now))
        with serving(http_app(build_server(runtime), "http")) as base:
            async with held_open(apps_client(f"{base}/mcp")) as client, held_open(view_host(client)) as host:
                yield Rig(host, runtime, fake_app)
                assert not host.blocked, f"the view tried the network: {host.blocked}"
                assert not host.problems, f"the view logged errors: {host.problems}"


def en(value: float, digits: int = 2) -> str:
    """A number as Intl.NumberFormat('en-US', {maximumFractionDigits}) shows it."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def euros(money: dict[str, Any] | None) -> str:
    """Money as Intl shows it in en-US."""
    assert money is not None
    assert money["currency"] == "EUR"
    amount = Decimal(str(money["amount"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"-€{-amount:,.2f}" if amount < 0 else f"€{amount:,.2f}"


def add_pending(rig: Any, user: str, since: str, until: str, days: float) -> int:
    """A pending holiday request in the fake's store (as if the employee had asked in Clockodo)."""
    store = rig.fake.state.store
    users_id = next(u["id"] for u in store.users.values() if u["name"] == user)
    new_id = max(store.absences) + 1
    store.absences[new_id] = {
        "id": new_id,
        "users_id": users_id,
        "date_since": since,
        "date_until": until,
        "status": 0,
        "type": 1,
        "note": None,
        "public_note": None,
        "sick_note": None,
        "count_days": days,
        "count_hours": None,
        "date_enquired": "2026-11-20",
        "date_approved": None,
        "approved_by": None,
    }
    return new_id
