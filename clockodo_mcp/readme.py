"""The README's generated blocks: install commands, client snippets, the billing transcript and the tool tables.

Each block sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``; `python scripts/update_readme.py` rewrites
them and `tests/test_readme.py` fails when one is stale, so nothing a reader copies was typed by hand.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import textwrap
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import anyio

from clockodo_mcp.clients import (
    CLIENT_NAMES,
    CLIENTS,
    GIT_SOURCE,
    Launcher,
    config_path,
    snippet,
    uvx_launcher,
)

# The day the README's transcript is recorded on: a first of the month, the demo's hardest day.
TRANSCRIPT_DAY = date(2026, 12, 1)
# Stands in for the absolute path `clockodo-mcp config` prints (pipx's default on macOS).
EXAMPLE_PATH = "/Users/you/.local/bin/clockodo-mcp"
SHOWN_DEMO_LOG = "~/.local/share/clockodo-mcp/demo-audit.jsonl"
WIDTH = 112


def markers(name: str) -> tuple[str, str]:
    """The start and end marker of a block."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def install_block() -> str:
    """Install commands that work today (from the repository, from a wheel) and the published form, marked."""
    return "\n".join(
        [
            "```sh",
            "# Today, from the repository (puts clockodo-mcp on your PATH):",
            f"pipx install {GIT_SOURCE}",
            f"uvx --from {GIT_SOURCE} clockodo-mcp --version     # or run it without installing",
            "# From a wheel you built or downloaded (python -m build writes dist/*.whl):",
            "pipx install ./dist/clockodo_mcp-*.whl",
            "# Once published on PyPI (not yet):",
            "uvx clockodo-mcp --version",
            "pip install clockodo-mcp",
            "```",
        ]
    )


def _client_section(client: str, launcher: Launcher) -> list[str]:
    chosen = next(c for c in CLIENTS if c == client)
    stdio = snippet(chosen, launcher)
    lines = [f"**{CLIENT_NAMES[chosen]}** (`clockodo-mcp config {chosen}`):", ""]
    if chosen == "claude-code":
        lines += ["```sh", stdio.command_line or "", "```", ""]
        return lines
    lines += ["```json", stdio.json(), "```", ""]
    if chosen != "claude-desktop":
        http = snippet(chosen, launcher, http=True)
        lines += [f"Over streamable HTTP (`--http`): `{json.dumps(http.entry)}`", ""]
    return lines


def clients_block() -> str:
    """Each client's snippet as `config` prints it (with an example absolute path), plus the uvx form."""
    launcher = Launcher(EXAMPLE_PATH)
    lines: list[str] = []
    for client in CLIENTS:
        lines += _client_section(client, launcher)
    uvx = snippet("cursor", uvx_launcher())
    lines += [
        "With `--uvx` the client starts it through uv instead of an install (Claude Desktop, Cursor):",
        "",
        "```json",
        json.dumps({"command": uvx.entry["command"], "args": uvx.entry["args"]}, indent=2),
        "```",
        "",
        "With `--http`, start the server yourself first: `clockodo-mcp serve --transport http` (or "
        "`clockodo-mcp demo`). Claude Code over HTTP: "
        f"`{snippet('claude-code', launcher, http=True).command_line}`.",
    ]
    return "\n".join(lines)


def config_paths_block() -> str:
    """Where each client's config file lives on macOS, Windows and Linux (as `config` computes it)."""
    homes = {"darwin": Path("~"), "win32": Path("~"), "linux": Path("~")}
    environ = {"APPDATA": "%APPDATA%"}
    rows = ["| Client | macOS | Windows | Linux |", "|---|---|---|---|"]
    for client in CLIENTS:
        cells = []
        for platform, home in homes.items():
            path = config_path(client, platform=platform, home=home, environ=environ, cwd=Path("<project>"))
            shown = str(path).replace("\\", "/")
            cells.append(f"`{shown}`")
        rows.append(f"| {CLIENT_NAMES[client]} | {' | '.join(cells)} |")
    return "\n".join(
        [
            *rows,
            "",
            "Claude Desktop has no official Linux build; the Linux path is the one community builds read. VS Code also "
            "reads a workspace's `.vscode/mcp.json`; Claude Code's `.mcp.json` belongs to the project you run it in "
            "(or use the `claude mcp add` line).",
        ]
    )


# --- the billing transcript, recorded from a real demo run ---------------------------------------------------------


def _wrap(prefix: str, text: str) -> list[str]:
    return textwrap.wrap(
        text, width=WIDTH, initial_indent=prefix, subsequent_indent=" " * len(prefix), break_on_hyphens=False
    )


def _money(value: dict[str, Any]) -> str:
    return f"{value['amount']:,.2f} {value['currency']}"


async def _billing_run(audit_path: Path, store_url: str) -> list[str]:
    from mcp import Client

    from clockodo_mcp.server.app import build_server
    from clockodo_mcp.server.config import config_from_env
    from clockodo_mcp.server.demo import demo_runtime

    config = config_from_env(demo=True, demo_today=TRANSCRIPT_DAY, audit_path=audit_path, store_url=store_url)
    arguments: dict[str, Any] = {"period": "last_month", "customer": "Client XYZ", "to_state": "billed"}
    lines = [f"$ clockodo-mcp serve --demo --today {TRANSCRIPT_DAY.isoformat()}   # an agent connects over stdio"]
    async with Client(build_server(demo_runtime(config, today=TRANSCRIPT_DAY))) as client:
        preview = (await client.call_tool("set_billing_state", arguments)).structured_content or {}
        invoice = preview["preview"]["invoice"]
        lines += _wrap("agent → ", f"set_billing_state {json.dumps(arguments)}")
        lines += _wrap("server ← ", preview["summary"])
        top = next(line for line in invoice["lines"] if line["hours"] > 0)
        lines += _wrap(
            "         ",
            f"Invoice summary: {top['project']} / {top['user']} {top['hours']:.2f} h {_money(top['value'])} … "
            f"total {invoice['total_hours']} h, {_money(invoice['total_value'])}, {invoice['entry_count']} entries, "
            f'blended rate {_money(invoice["blended_rate"])}; confirm_token "eyJ…" (single use, expires in 10 minutes)',
        )
        token = preview["confirm_token"]
        applied = (
            await client.call_tool("set_billing_state", {**arguments, "confirm_token": token})
        ).structured_content
        if applied is None or applied["status"] != "applied":
            raise RuntimeError(f"the demo's billing run was not applied: {applied}")
        lines += _wrap("agent → ", 'set_billing_state {… the same arguments …, "confirm_token": "eyJ…"}')
        summary = str(applied["summary"]).replace(str(applied["change_id"]), "<change_id>")
        lines += _wrap("server ← ", summary)
    return lines


def _verify_line(audit_path: Path, store_url: str) -> list[str]:
    from clockodo_mcp.audit.cli import verify_command
    from clockodo_mcp.store import open_store

    out = io.StringIO()
    store = open_store(store_url)
    try:
        code = verify_command(audit_path, out, store=store)
    finally:
        store.close()
    if code != 0:
        raise RuntimeError(f"the demo's audit log did not verify: {out.getvalue()}")
    text = out.getvalue().strip().replace(str(audit_path), SHOWN_DEMO_LOG)
    return ["$ clockodo-mcp audit verify --demo", *text.splitlines()]


def transcript_block() -> str:
    """A preview → confirm billing run against the demo company on TRANSCRIPT_DAY, then `audit verify --demo`."""
    from clockodo_mcp.store import sqlite_url

    with tempfile.TemporaryDirectory() as scratch:
        audit_path = Path(scratch) / "demo-audit.jsonl"
        store_url = sqlite_url(Path(scratch) / "demo-store.sqlite3")
        lines = anyio.run(_billing_run, audit_path, store_url)
        lines += _verify_line(audit_path, store_url)
    return "\n".join(["```text", *lines, "```"])


def _tool_table() -> str:
    from clockodo_mcp.server.docs import tool_table

    return tool_table()


def _limits_table() -> str:
    from clockodo_mcp.server.docs import limits_table

    return limits_table()


BLOCKS: dict[str, Callable[[], str]] = {
    "install": install_block,
    "config-paths": config_paths_block,
    "clients": clients_block,
    "billing-transcript": transcript_block,
    "tool-table": _tool_table,
    "limits-table": _limits_table,
}


def block_text(text: str, name: str) -> str:
    """The current content of block `name` in `text` (stripped)."""
    start, end = markers(name)
    if start not in text or end not in text:
        raise ValueError(f"README has no {start} … {end} block")
    return text[text.index(start) + len(start) : text.index(end)].strip()


def with_block(text: str, name: str, content: str) -> str:
    """`text` with block `name` replaced by `content`."""
    start, end = markers(name)
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    return pattern.sub(lambda _: f"{start}\n{content}\n{end}", text, count=1)


def update(path: Path, names: list[str] | None = None) -> list[str]:
    """Regenerate the blocks in the file at `path`; the names of those that changed."""
    text = path.read_text(encoding="utf-8")
    changed = []
    for name in names or list(BLOCKS):
        content = BLOCKS[name]()
        if block_text(text, name) != content.strip():
            text = with_block(text, name, content)
            changed.append(name)
    if changed:
        path.write_text(text, encoding="utf-8")
    return changed
