"""budget_status with burn history from a fresh mirror: the demo company synced into a real DuckDB file, past days'
budget snapshots written into a copy of it with duckdb, and the server's clock frozen at NOW."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from mcp import Client

from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ConfigError, config_from_env
from tests.conftest import held_open
from tests.server.conftest import NOW, TODAY, call, make_runtime
from tests.server.sizing import DEFAULT_BUDGET, answer_tokens


def url_of(path: Path) -> str:
    return "duckdb:///" + path.as_posix().lstrip("/")


def project_id(path: Path, name: str) -> int:
    with duckdb.connect(str(path)) as con:
        found = con.execute("SELECT projects_id FROM budget_snapshots WHERE projects_name = ?", [name]).fetchone()
    assert found is not None, name
    return int(found[0])


def add_snapshot(path: Path, name: str, day: date, **values: Any) -> None:
    """A past day's snapshot of a project: today's row with the day and `values` (columns) replaced."""
    with duckdb.connect(str(path)) as con:
        columns = [row[0] for row in con.execute("DESCRIBE budget_snapshots").fetchall()]
        chosen = {"snapshot_date": day, **values}
        select = ", ".join(f"? AS {c}" if c in chosen else c for c in columns)
        con.execute(
            f"INSERT INTO budget_snapshots SELECT {select} FROM budget_snapshots "
            "WHERE projects_name = ? AND snapshot_date = ?",
            [chosen[c] for c in columns if c in chosen] + [name, TODAY],
        )


def last_synced(path: Path, minutes_before_now: int) -> None:
    """Pretend the last sync finished this many minutes before NOW."""
    finished = (NOW - timedelta(minutes=minutes_before_now)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE sync_state SET value = ? WHERE key = 'last_run_finished_at'", [finished])


def a_history(path: Path) -> None:
    """Phoenix (100 h, 90 h used today) was at 80 h a week ago and at 50 h of then 80 h five weeks ago; E-Commerce
    Relaunch (money: 44,000, 50,610 used today) was at 33,000 ten days ago."""
    add_snapshot(path, "Phoenix", TODAY - timedelta(days=7), used_seconds=80 * 3600)
    add_snapshot(path, "Phoenix", TODAY - timedelta(days=35), used_seconds=50 * 3600, budget_amount=80.0)
    add_snapshot(path, "E-Commerce Relaunch", TODAY - timedelta(days=10), used_revenue=33_000)


@pytest.fixture
async def history_client(fake_app: Any, audit_path: Path, mirror_file: Path) -> AsyncIterator[Client]:
    a_history(mirror_file)
    last_synced(mirror_file, 20)
    runtime = make_runtime(fake_app, audit_path, mirror_url=url_of(mirror_file))
    async with held_open(Client(build_server(runtime))) as client:
        yield client


def rows_by_name(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["project"]: row for row in out["projects"]}


async def test_a_fresh_mirror_gives_each_budgeted_project_the_percent_used_on_past_days(history_client: Client) -> None:
    out = await call(history_client, "budget_status", limit=100)

    rows = rows_by_name(out)
    # Phoenix: 7 days ago 80 of 100 h; by 30 days ago the latest snapshot is 35 days old: 50 of the then 80 h; none by
    # 90 days ago. The money budget's only point is its snapshot of 10 days ago (the latest by 7 days ago).
    assert rows["Phoenix"]["budget"]["pct_used"] == 90.0
    assert rows["Phoenix"]["pct_used_days_ago"] == {"7": 80.0, "35": 62.5}
    assert rows["E-Commerce Relaunch"]["pct_used_days_ago"] == {"10": 75.0}
    assert "pct_used_days_ago" not in rows["Website Redesign"], "no snapshot before today: no history"
    assert out["mirror"]["age_minutes"] == 20
    assert out["mirror"]["last_sync"] == "2026-11-24T14:40:00Z"
    assert out["summary"].count("history from the mirror synced 20 min ago") == 1


async def test_the_default_answer_with_a_full_history_for_every_project_stays_within_the_token_budget(
    fake_app: Any, audit_path: Path, mirror_file: Path
) -> None:
    with duckdb.connect(str(mirror_file)) as con:
        names = [row[0] for row in con.execute("SELECT projects_name FROM budget_snapshots").fetchall()]
    for name in names:
        for days, share in ((8, 0.91), (31, 0.72), (95, 0.43)):
            used = {"used_seconds": int(share * 3_600_000), "used_revenue": share * 100_000}
            add_snapshot(mirror_file, name, TODAY - timedelta(days=days), **used)
    runtime = make_runtime(fake_app, audit_path, mirror_url=url_of(mirror_file))
    async with held_open(Client(build_server(runtime))) as client:
        result = await client.call_tool("budget_status", {})

    assert result.structured_content is not None
    rows = result.structured_content["projects"]
    assert [len(r["pct_used_days_ago"]) for r in rows] == [3] * 8, "the worst case: every default row, every point"
    assert answer_tokens(result) <= DEFAULT_BUDGET


async def test_the_current_figures_stay_the_live_ones_from_clockodo(history_client: Client, mcp_client: Client) -> None:
    with_history = await call(history_client, "budget_status", limit=100)
    live = await call(mcp_client, "budget_status", limit=100)

    for row in with_history["projects"]:
        row.pop("pct_used_days_ago", None)
    assert with_history["projects"] == live["projects"]


async def test_a_mirror_older_than_the_max_age_is_not_used_and_the_note_says_why(
    fake_app: Any, audit_path: Path, mirror_file: Path
) -> None:
    a_history(mirror_file)
    last_synced(mirror_file, 180)
    runtime = make_runtime(fake_app, audit_path, mirror_url=url_of(mirror_file))
    async with held_open(Client(build_server(runtime))) as client:
        out = await call(client, "budget_status")

    assert "mirror" not in out
    assert all("pct_used_days_ago" not in row for row in out["projects"])
    assert "Burn history omitted: the mirror is 3 h old (more than 60 min); run clockodo-mcp sync." in out["note"]
    assert "Burn history omitted: the mirror is 3 h old" in out["summary"]


async def test_the_max_age_is_configurable(fake_app: Any, audit_path: Path, mirror_file: Path) -> None:
    a_history(mirror_file)
    last_synced(mirror_file, 180)
    runtime = make_runtime(fake_app, audit_path, mirror_url=url_of(mirror_file), mirror_max_age_minutes=240)
    async with held_open(Client(build_server(runtime))) as client:
        out = await call(client, "budget_status", project="Phoenix")

    assert out["projects"][0]["pct_used_days_ago"] == {"7": 80.0, "35": 62.5}
    assert out["mirror"]["age_minutes"] == 180


async def test_a_write_applied_through_the_server_after_the_sync_makes_the_mirror_stale(history_client: Client) -> None:
    before = await call(history_client, "budget_status", project="Phoenix")
    arguments = {"project": "Phoenix", "service": "Development", "duration": "1h", "text": "after the sync"}
    preview = await call(history_client, "log_time", **arguments)
    applied = await call(history_client, "log_time", **arguments, confirm_token=preview["confirm_token"])
    after = await call(history_client, "budget_status", project="Phoenix")

    assert before["projects"][0]["pct_used_days_ago"]
    assert applied["status"] == "applied"
    assert "mirror" not in after
    assert "pct_used_days_ago" not in after["projects"][0]
    assert "Burn history omitted: a write was applied through this server after the mirror's last sync" in after["note"]
    assert after["projects"][0]["budget"]["pct_used"] == 91.0, "the live figure has the new hour"


async def test_a_write_that_did_not_apply_leaves_the_mirror_fresh(history_client: Client) -> None:
    preview = await call(history_client, "log_time", project="Phoenix", service="Development", duration="1h")
    out = await call(history_client, "budget_status", project="Phoenix")

    assert "confirm_token" in preview
    assert out["mirror"]["age_minutes"] == 20


async def test_without_a_mirror_the_answer_has_no_history_and_no_mirror(mcp_client: Client) -> None:
    out = await call(mcp_client, "budget_status", limit=100)

    assert "mirror" not in out
    assert all("pct_used_days_ago" not in row for row in out["projects"])
    assert "history" not in out["summary"].lower()
    assert "history" not in (out.get("note") or "").lower()


@pytest.fixture(params=["missing", "broken"])
def damaged_mirror(request: pytest.FixtureRequest, mirror_file: Path) -> Path:
    """A configured mirror that cannot be read: deleted, or overwritten with bytes DuckDB cannot open."""
    if request.param == "missing":
        mirror_file.unlink()
    else:
        mirror_file.write_bytes(b"not a duckdb file at all\n" * 200)
    return mirror_file


async def test_an_unreadable_mirror_leaves_the_live_answer_with_a_note(
    fake_app: Any, audit_path: Path, damaged_mirror: Path, mcp_client: Client
) -> None:
    mirror_file = damaged_mirror
    runtime = make_runtime(fake_app, audit_path, mirror_url=url_of(mirror_file))
    async with held_open(Client(build_server(runtime))) as client:
        out = await call(client, "budget_status", limit=100)
    live = await call(mcp_client, "budget_status", limit=100)

    assert out["projects"] == live["projects"]
    assert "mirror" not in out
    assert "Burn history unavailable: the mirror could not be read (" in out["note"]
    assert "Burn history unavailable" in out["summary"]
    if not mirror_file.exists():
        assert "run `clockodo-mcp sync` first" in out["note"]


def test_the_mirror_max_age_is_read_from_the_environment_in_minutes() -> None:
    assert config_from_env({}).mirror_max_age_minutes == 60
    assert config_from_env({"CLOCKODO_MCP_MIRROR_MAX_AGE": "15"}).mirror_max_age_minutes == 15


@pytest.mark.parametrize("value", ["soon", "0", "-5", "1.5", "60m"])
def test_a_bad_mirror_max_age_is_a_config_error_that_says_what_to_use(value: str) -> None:
    with pytest.raises(ConfigError, match=r"CLOCKODO_MCP_MIRROR_MAX_AGE=.*whole number of minutes"):
        config_from_env({"CLOCKODO_MCP_MIRROR_MAX_AGE": value})
