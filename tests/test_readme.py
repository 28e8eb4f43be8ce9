"""The README says what the code does: generated blocks are current, and its facts match the demo and server.json."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from clockodo_mcp.fake.demo import seed
from clockodo_mcp.readme import BLOCKS, TRANSCRIPT_DAY, block_text, with_block
from clockodo_mcp.server.docs import tool_table

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_each_generated_readme_block_is_current(name):
    text = README.read_text(encoding="utf-8")
    assert block_text(text, name) == BLOCKS[name]().strip(), "Regenerate with: python scripts/update_readme.py"


def test_replacing_a_block_keeps_the_rest_of_the_file():
    text = "a\n<!-- x:start -->\nold\n<!-- x:end -->\nb\n"
    assert with_block(text, "x", "new") == "a\n<!-- x:start -->\nnew\n<!-- x:end -->\nb\n"


def test_the_transcript_is_recorded_on_its_pinned_day():
    transcript = block_text(README.read_text(encoding="utf-8"), "billing-transcript")
    assert f"--today {TRANSCRIPT_DAY.isoformat()}" in transcript
    assert "(2026-11-01 – 2026-11-30)" in transcript  # last_month seen from 2026-12-01
    assert "PREVIEW — nothing has changed yet." in transcript
    assert "are now billed" in transcript
    assert "$ clockodo-mcp audit verify --demo" in transcript
    assert re.search(
        r"audit log OK: \d+ records, chain intact \(~/.local/share/clockodo-mcp/demo-audit.jsonl\)", transcript
    )


def test_no_tool_description_in_the_table_is_cut_off():
    for row in tool_table().splitlines()[2:]:
        what = row.rstrip(" |").rsplit(" | ", 1)[1]
        assert what.endswith((".", ".)")), row


def test_the_readme_counts_the_demo_company_s_people_as_the_api_does():
    users = seed(seed=7, today=date(2026, 12, 1)).users
    inactive = [u for u in users if not u.get("active", True)]
    text = README.read_text(encoding="utf-8")
    assert f"{len(users)} users, one of them inactive" in text
    assert len(inactive) == 1
    assert "15 people" not in text


def test_the_readme_carries_the_registry_ownership_marker():
    name = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))["name"]
    assert f"<!-- mcp-name: {name} -->" in README.read_text(encoding="utf-8")


def test_the_readme_verifies_the_demo_s_own_audit_log():
    text = README.read_text(encoding="utf-8")
    assert "audit verify --demo" in text
    assert "demo-audit.jsonl" in text


def test_every_readme_client_snippet_is_inside_a_generated_block():
    """Hand-written client configs drift: any `"mcpServers"` / `"servers"` JSON must come from a block."""
    text = README.read_text(encoding="utf-8")
    for name in BLOCKS:
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        text = text[: text.index(start)] + text[text.index(end) + len(end) :]
    assert '"mcpServers"' not in text
    assert '"servers"' not in text
    assert "pip install clockodo-mcp" not in text


def test_the_readme_shows_a_screenshot_of_every_view_taken_from_the_demo():
    from clockodo_mcp.server.views import CONFIRM, VIEWS

    shots = block_text(README.read_text(encoding="utf-8"), "screenshots")
    for view in {*VIEWS.values(), CONFIRM}:
        assert f"(docs/screenshots/{view}.png)" in shots, f"run python scripts/screenshots.py and show {view}"
        assert (ROOT / "docs" / "screenshots" / f"{view}.png").stat().st_size > 10_000
