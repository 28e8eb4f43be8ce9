"""One full billing run against the demo company: report → preview → confirm → check → audit verify.

Run:  python examples/billing_run.py
"Mark all of last month's hours for Client XYZ as billed and give me an invoice summary." The write is two-step:
the first set_billing_state call changes nothing and returns the invoice summary plus a single-use confirm_token;
only the second call, with the same arguments and that token, marks the entries billed. Every call lands in the
hash-chained audit log, which `clockodo-mcp audit verify` checks at the end.

The audit log is CLOCKODO_MCP_AUDIT_LOG if set, else a fresh file in a temporary directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

CUSTOMER = "Client XYZ"
PERIOD = "last_month"


def demo_server(audit_log: Path) -> StdioServerParameters:
    """`clockodo-mcp serve --demo` on stdio, writing its audit log to `audit_log`."""
    env = {**os.environ, "CLOCKODO_MCP_AUDIT_LOG": str(audit_log)}
    return StdioServerParameters(command=sys.executable, args=["-m", "clockodo_mcp", "serve", "--demo"], env=env)


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """Call a tool; stop the run on a tool error (a refused write has changed nothing)."""
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        message = " ".join(getattr(block, "text", "") for block in result.content)
        raise SystemExit(f"{tool} failed: {message}")
    return result.structured_content or {}


def money(value: dict[str, Any] | None) -> str:
    return "-" if value is None else f"{value['amount']:,.2f} {value['currency']}"


async def billing_run(audit_log: Path) -> None:
    async with Client(demo_server(audit_log)) as client:
        print(f"1. What is unbilled for {CUSTOMER} in {PERIOD}?")
        report = await call(client, "report_hours", period=PERIOD, billing="unbilled", customer=CUSTOMER)
        print(f"   {report['summary']}\n")

        print("2. Preview: set_billing_state without confirm_token (nothing changes yet)")
        arguments = {"period": PERIOD, "customer": CUSTOMER, "to_state": "billed"}
        preview = await call(client, "set_billing_state", **arguments)
        assert preview["status"] == "preview", preview
        invoice = preview["preview"]["invoice"]
        print(f"   {preview['summary']}")
        print("   Invoice summary:")
        for line in invoice["lines"][:8]:
            print(f"     {line['project']:<24} {line['user']:<16} {line['hours']:>7.2f} h  {money(line['value']):>14}")
        if "more_lines" in invoice:
            more = invoice["more_lines"]
            print(f"     … and {more['lines']} more line(s): {more['hours']} h, {money(more['value'])}")
        print(
            f"     total {invoice['total_hours']} h, {money(invoice['total_value'])}, "
            f"{invoice['entry_count']} entries, blended rate {money(invoice['blended_rate'])}"
        )
        print(f"   confirm_token expires at {preview['expires_at']}\n")

        print("3. Confirm: the same arguments plus the token")
        applied = await call(client, "set_billing_state", **arguments, confirm_token=preview["confirm_token"])
        assert applied["status"] == "applied", applied
        print(f"   {applied['summary']}\n")

        print("4. Check: nothing unbilled is left")
        after = await call(client, "report_hours", period=PERIOD, billing="unbilled", customer=CUSTOMER)
        print(f"   {after['summary']}")
        assert after["total_hours"] == 0, after
        changes = await call(client, "list_changes", limit=1)
        print(f"   list_changes: {changes['summary']}\n")


def verify_audit_log(audit_log: Path) -> int:
    print("5. clockodo-mcp audit verify")
    command = [sys.executable, "-m", "clockodo_mcp", "audit", "verify", "--path", str(audit_log)]
    verdict = subprocess.run(command, capture_output=True, text=True, check=False)
    print(f"   {verdict.stdout.strip()}")
    return verdict.returncode


def main() -> int:
    configured = os.environ.get("CLOCKODO_MCP_AUDIT_LOG")
    with tempfile.TemporaryDirectory() as scratch:
        audit_log = Path(configured) if configured else Path(scratch) / "audit.jsonl"
        anyio.run(billing_run, audit_log)
        code = verify_audit_log(audit_log)
    print("\nBilling run complete." if code == 0 else "\nThe audit log did not verify!")
    return code


if __name__ == "__main__":
    sys.exit(main())
