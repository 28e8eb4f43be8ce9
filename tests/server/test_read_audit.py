"""A read's audit costs one commit: its intent and outcome are stored together once it has run, before it answers.

A read changes nothing, so nothing needs to be durable before it runs; its answer is returned only once both of its
records are stored (shared with concurrent reads), and a read whose records cannot be stored is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp import Client

from clockodo_mcp.audit import iter_records
from clockodo_mcp.audit.log import log_id
from clockodo_mcp.server.app import build_server
from tests.conftest import held_open
from tests.server.conftest import call, call_error, make_runtime
from tests.server.gating import LOG


def records(audit_path: Path) -> list[dict[str, Any]]:
    return list(iter_records(audit_path))


async def test_a_read_stores_its_intent_and_outcome_together_in_one_anchored_commit(fake_app, audit_path):
    runtime = make_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        await call(client, "list_users", team="Development")
    intent, outcome = records(audit_path)
    assert (intent["kind"], outcome["kind"]) == ("intent", "outcome")
    assert intent["call_id"] == outcome["call_id"]
    assert intent["args"]["team"] == "Development"
    assert (intent["group"], outcome["group"]) == (2, 2)  # one commit of two records
    assert outcome["seq"] == intent["seq"] + 1
    anchor = runtime.store.read_anchor(log_id(audit_path))
    assert anchor is not None
    assert (anchor.seq, anchor.hash) == (outcome["seq"], outcome["hash"])


async def test_a_failed_read_stores_its_error_with_its_intent(fake_app, audit_path):
    runtime = make_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        error = await call_error(client, "list_users", team="Nobody Here")
    intent, outcome = records(audit_path)
    assert intent["args"]["team"] == "Nobody Here"
    assert outcome["status"] != "ok"
    assert outcome["error"] in error


async def test_a_write_still_stores_its_intent_before_it_runs_and_its_outcome_after(fake_app, audit_path):
    runtime = make_runtime(fake_app, audit_path)
    async with held_open(Client(build_server(runtime))) as client:
        await call(client, "log_time", **LOG)  # a preview
    intent, outcome = records(audit_path)
    assert intent["write"] is True
    assert "group" not in intent  # committed on its own
    assert "group" not in outcome


async def test_a_read_whose_records_cannot_be_stored_is_refused_and_its_answer_withheld(fake_app, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    audit_path = tmp_path / "audit.jsonl"
    runtime = make_runtime(fake_app, audit_path, store_url=f"sqlite:///{(blocker / 's.sqlite3').as_posix()[1:]}")
    async with held_open(Client(build_server(runtime))) as client:
        result = await client.call_tool("list_users", {})
    assert result.is_error
    text = " ".join(getattr(block, "text", "") for block in result.content)
    assert "Refused: the audit log cannot be written" in text
    assert "CLOCKODO_MCP_STORE" in text
    assert "Olivia" not in text  # nobody's data in the refusal
    assert list(iter_records(audit_path)) == []  # the unanchored records were taken back
