"""The server instructions, generated from the tools actually served.

What every tool would otherwise repeat (the forms of a name, a period, a billing state, paging, the two-step write) is
said once here, and only when a served tool needs it: a read-only server says nothing about writes, confirmation or
undo, and a toolset selection names no tool it does not serve.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Sequence

from clockodo_mcp.server.models import ListOutput
from clockodo_mcp.server.registry import ToolSpec

HEADER = "Tools for one Clockodo account (time tracking and billing)."
NAME_ARGUMENTS = ("customer", "project", "service", "user", "team")
BILLING_ARGUMENTS = frozenset({"billing", "to_state", "from_state"})
PERIODS = (
    "today, yesterday, this_week, last_week, this_month, last_month, this_quarter, last_quarter, this_year, "
    "last_year, last_N_days, 'YYYY-MM-DD', 'YYYY-MM', 'YYYY-Q1', 'YYYY', or "
    '{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} (inclusive), in the account\'s time zone'
)
# The tools that answer "how many hours, worth how much", in the order the model should consider them.
REPORTS = (
    ("report_hours", "report_hours (grouped, with value)"),
    ("unbilled_aging", "unbilled_aging"),
    ("utilization", "utilization"),
    ("budget_status", "budget_status"),
    ("absence_queue", "absence_queue"),
    ("alerts", "alerts (everything that needs attention)"),
)


def _parameters(spec: ToolSpec) -> set[str]:
    return set(inspect.signature(spec.fn).parameters)


def _is_list(spec: ToolSpec) -> bool:
    returned = typing.get_type_hints(spec.fn).get("return")
    return isinstance(returned, type) and issubclass(returned, ListOutput)


def instructions(specs: Sequence[ToolSpec]) -> str:
    """The instructions for a server serving exactly `specs`."""
    served = {spec.name for spec in specs}
    parameters = set().union(*(_parameters(spec) for spec in specs)) if specs else set()
    lines = [HEADER]
    names = [name for name in NAME_ARGUMENTS if name in parameters]
    if names:
        listed = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
        lookup = " `lookup` finds names." if "lookup" in served else ""
        lines.append(
            f"- Names: {listed} arguments take a name (fuzzy, case-insensitive) or an id. An unknown or ambiguous name "
            f"is an error listing the candidates: ask the user which one is meant.{lookup} Never guess ids."
        )
    if any(p == "period" or p.endswith("_period") for p in parameters):
        lines.append(f"- Periods (every period argument): {PERIODS}.")
    if parameters & BILLING_ARGUMENTS:
        lines.append(
            "- Billing states: not_billable, unbilled (billable, not yet billed), billed; as a filter also "
            "billable_any, all."
        )
    reports = [text for name, text in REPORTS if name in served]
    if reports:
        single = " Use list_entries only to show single entries." if "list_entries" in served else ""
        lines.append(f"- Hours and money: {', '.join(reports)}.{single}")
    if any(_is_list(spec) for spec in specs):
        lines.append(
            "- Lists are paged: `offset` and `limit` (a small default, a hard maximum). Every list answer has `paging` "
            "{total, offset, returned, next}; to go on, repeat the call with `next` added (it is null on the last "
            "page). Totals always cover every row."
        )
    if any(not spec.read_only for spec in specs):
        tail = [
            *(["undo(change_id) reverts a write"] if "undo" in served else []),
            *(["list_changes shows recent writes"] if "list_changes" in served else []),
        ]
        lines.append(
            "- Writes take two calls: first WITHOUT confirm_token, which changes nothing and returns a preview and a "
            "token; show the preview to the user; only after they agree, call again with the SAME arguments plus "
            "confirm_token. A client with forms may be asked directly instead."
            + (f" {'; '.join(tail)}." if tail else "")
        )
    lines.append("- Money is {amount, currency}; hours are decimal hours.")
    return "\n".join(lines) + "\n"
