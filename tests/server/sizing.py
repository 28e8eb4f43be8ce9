"""Answer sizes as a client receives them, in cl100k tokens: shared by tests/server/test_sizes.py and bench/sizes.py.

An answer is counted as the model reads it: the text blocks or the structured content as serialized JSON, whichever
is larger (we send both: the JSON text for clients that read `content`, structuredContent for the rest; a client
shows the model one). Bytes count the whole serialized result, both copies. `tools/list` is counted
twice: the model-visible part (instructions + each tool's name, description and input schema) and the full result.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from mcp import Client
from mcp.types import CallToolResult

from clockodo_mcp.fake.dataset import Dataset

with warnings.catch_warnings():  # bpe-openai 0.1 loads its vocabulary with a deprecated importlib.resources call
    warnings.simplefilter("ignore", DeprecationWarning)
    import bpe_openai

    ENCODING = bpe_openai.get_encoding("cl100k_base")
_CHUNK = 100_000  # characters: bpe-openai refuses inputs of more than 200,000 tokens at once

DEFAULT_BUDGET = 2_000  # tokens: a tool's default answer on the large company
MAX_BUDGET = 25_000  # tokens: any answer (Claude Code's default limit for one tool result)
TOOLS_LIST_BUDGET = 8_000  # tokens: the model-visible part of tools/list


def tokens(text: str) -> int:
    """cl100k tokens in `text` (long texts are counted in chunks cut after a comma: exact enough)."""
    count = 0
    while text:
        cut = len(text) if len(text) <= _CHUNK else (text.rfind(",", 0, _CHUNK) + 1 or _CHUNK)
        count += len(ENCODING.encode_ordinary(text[:cut]))
        text = text[cut:]
    return count


def compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def answer_tokens(result: CallToolResult) -> int:
    """What the model reads: the text blocks or the structured content as JSON, whichever is larger.

    We send the same JSON twice (text for clients that read `content`, structuredContent for the rest), and a client
    shows the model one of them. The issue's figures count one copy too: 204k tokens for the 1.42 MB answer.
    The bytes on the wire (both copies) are `answer_bytes`.
    """
    texts = sum(tokens(block.text) for block in result.content if block.type == "text")
    return max(texts, tokens(compact(result.structured_content)) if result.structured_content is not None else 0)


def answer_bytes(result: CallToolResult) -> int:
    """The serialized CallToolResult (the JSON-RPC result payload) in bytes."""
    return len(result.model_dump_json(by_alias=True, exclude_none=True).encode("utf-8"))


async def tools_list_tokens(client: Client) -> tuple[int, int]:
    """(model-visible, full): instructions + name/description/inputSchema per tool; the whole tools/list result."""
    listed = await client.list_tools()
    visible = [{"name": t.name, "description": t.description, "inputSchema": t.input_schema} for t in listed.tools]
    full = listed.model_dump(mode="json", by_alias=True, exclude_none=True)
    return tokens(client.instructions or "") + tokens(compact(visible)), tokens(compact(full))


@dataclass(frozen=True, slots=True)
class Company:
    """What a call's arguments may depend on: ids from the seeded company."""

    dataset: Dataset
    today: date

    def pending_absence(self) -> int:
        return min(int(a["id"]) for a in self.dataset.absences if a["status"] == 0)

    def an_entry(self) -> int:
        owner = min(int(u["id"]) for u in self.dataset.users)
        return min(e.id for e in self.dataset.entries if e.users_id == owner and e.time_until is not None)

    def timer_user(self) -> int:
        return next(e.users_id for e in self.dataset.entries if e.time_until is None)


Arguments = Callable[[Company], dict[str, Any]]


def fixed(arguments: dict[str, Any]) -> Arguments:
    return lambda _: arguments


UNDO = "undo"  # its default call needs a change: the harness logs one first (see `prepare_undo`)

# The smallest sensible call of every tool: what the model gets when it passes only what is required.
DEFAULT_CALLS: dict[str, Arguments] = {
    "absence_queue": fixed({}),
    "alerts": fixed({}),
    "budget_status": fixed({}),
    "decide_absence": lambda c: {"decision": "approve", "absence_id": c.pending_absence()},
    "delete_entry": lambda c: {"entry_id": c.an_entry()},
    "edit_entry": lambda c: {"entry_id": c.an_entry(), "text": "Sprint review"},
    "get_timer": fixed({"user": "everyone"}),
    "list_absences": fixed({}),
    "list_changes": fixed({}),
    "list_entries": fixed({"period": "this_year"}),
    "list_projects": fixed({}),
    "list_users": fixed({}),
    "log_time": fixed({"project": "Phoenix", "service": "Development", "duration": "1h"}),
    "query": fixed(
        {"sql": "SELECT month, SUM(duration) / 3600.0 AS hours, SUM(revenue) AS revenue FROM entries GROUP BY 1"}
    ),
    "lookup": fixed({"query": "an"}),
    "report_hours": fixed({"period": "this_year"}),
    "set_billing_state": fixed({"period": "this_month", "to_state": "billed"}),
    "set_hourly_rate": fixed({"hourly_rate": 95, "project": "Phoenix"}),
    "set_project_budget": fixed({"project": "Phoenix", "amount": 120, "unit": "hours"}),
    "start_timer": fixed({"project": "Phoenix", "service": "Development"}),
    "stop_timer": lambda c: {"user": c.timer_user()},
    "sync_status": fixed({}),
    "unbilled_aging": fixed({}),
    UNDO: fixed({}),
    "utilization": fixed({"period": "this_year"}),
}

# The largest answers each tool can be asked for: every list at its hard cap (over a period with more rows than
# the cap: a longer one would only make the fake aggregate longer), every check at its loosest threshold.
MAX_CALLS: list[tuple[str, Arguments]] = [
    ("absence_queue", fixed({"limit": 50})),
    ("alerts", fixed({"limit": 100, "per_kind": 1000, "group_below": 0, "budget_threshold_pct": 1})),
    ("alerts", fixed({"limit": 100, "utilization_below_pct": 1000, "unbilled_older_than_days": 1})),
    ("budget_status", fixed({"limit": 100, "include_completed": True, "burn_window_days": 365})),
    ("get_timer", fixed({"user": "everyone", "limit": 100})),
    ("list_absences", fixed({"period": {"from": "2025-12-01", "to": "2027-11-30"}, "limit": 80})),
    ("list_changes", fixed({"limit": 100})),
    ("list_entries", fixed({"period": "this_month", "limit": 80})),
    ("list_entries", fixed({"period": "this_month", "team": "Development", "limit": 80})),
    ("list_projects", fixed({"active": "all", "limit": 100})),
    ("list_users", fixed({"active": "all", "limit": 120})),
    ("lookup", fixed({"query": "e", "limit": 50})),
    ("query", fixed({"sql": "SELECT * FROM entries", "limit": 200})),
    (
        "query",
        fixed({"sql": "SELECT e.*, p.* FROM entries e JOIN projects p ON p.id = e.projects_id", "limit": 200}),
    ),
    ("report_hours", fixed({"period": "last_365_days", "group_by": ["project", "user"], "limit": 100})),
    ("report_hours", fixed({"period": "this_month", "group_by": ["day", "user"], "limit": 100})),
    ("report_hours", fixed({"period": "last_365_days", "group_by": ["service", "week"], "limit": 100})),
    ("set_billing_state", fixed({"period": "last_quarter", "to_state": "billed"})),
    ("set_billing_state", fixed({"period": "last_month", "to_state": "unbilled", "from_state": "billed"})),
    ("set_hourly_rate", fixed({"hourly_rate": 95, "service": "Development", "rerate_period": "last_365_days"})),
    ("unbilled_aging", fixed({"per": "project", "limit": 100, "lookback_days": 731})),
    ("utilization", fixed({"period": "last_365_days", "limit": 100})),
    ("utilization", fixed({"period": "last_365_days", "limit": 100, "by_week": True})),
]


async def prepare_undo(client: Client) -> dict[str, Any]:
    """Log an hour (preview, then confirm) so that undo has a change to preview; its arguments."""
    arguments = dict(DEFAULT_CALLS["log_time"](Company(Dataset(today=date.min, company={}), date.min)))
    preview = await client.call_tool("log_time", arguments)
    assert preview.structured_content is not None, preview.content
    token = preview.structured_content["confirm_token"]
    applied = await client.call_tool("log_time", {**arguments, "confirm_token": token})
    assert applied.structured_content is not None, applied.content
    return {"change_id": applied.structured_content["change_id"]}


async def default_answer(client: Client, company: Company, tool: str) -> CallToolResult:
    """The tool's default answer (for undo: the preview of undoing a logged hour)."""
    arguments = await prepare_undo(client) if tool == UNDO else DEFAULT_CALLS[tool](company)
    return await client.call_tool(tool, arguments)
