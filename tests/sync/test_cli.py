"""`clockodo-mcp sync` from the command line: one command to a mirror, our own records in it, clear usage errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from clockodo_mcp.audit import AuditLog
from clockodo_mcp.cli import main
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY
from clockodo_mcp.sync.cli import parse_every, parse_since
from tests.sync.conftest import Fake, clockodo_entries
from tests.sync.mirror import duckdb_query, entries_sql, mirror_entries


def account(fake: Fake) -> list[str]:
    return ["--base-url", fake.base_url, "--api-user", OWNER_EMAIL, "--api-key", OWNER_KEY, "--today", "2026-11-24"]


def test_one_command_mirrors_the_account_and_our_audit_log(fake, tmp_path, capsys):
    audit = AuditLog(tmp_path / "audit.jsonl", now=fake.clock.now)
    audit.append({"kind": "intent", "call_id": "c1", "tool": "update_entry", "write": True, "args": {}})
    audit.append({"kind": "outcome", "call_id": "c1", "tool": "update_entry", "status": "ok", "change_id": "ch-1"})
    path = tmp_path / "mirror.duckdb"

    audit_option = ["--audit-log", str(tmp_path / "audit.jsonl")]

    code = main(["sync", "--to", f"duckdb://{path.as_posix()}", *audit_option, *account(fake)])

    assert code == 0
    assert "synced to duckdb://" in capsys.readouterr().err
    assert mirror_entries(duckdb_query(path, entries_sql())) == clockodo_entries(fake.base_url)
    records = duckdb_query(path, "SELECT seq, kind, tool, status, change_id FROM audit_log ORDER BY seq")
    assert records == [(1, "intent", "update_entry", None, None), (2, "outcome", "update_entry", "ok", "ch-1")]


def test_quiet_prints_nothing_on_success(fake, tmp_path, capsys):
    path = tmp_path / "mirror.duckdb"

    audit = ["--audit-log", str(tmp_path / "none.jsonl")]

    code = main(["sync", "--quiet", "--to", f"duckdb://{path.as_posix()}", *audit, *account(fake)])

    assert code == 0
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("value", ["15", "15x", "1.5h", "m15", "", "-5m"])
def test_a_bad_every_is_refused_with_an_example(value):
    with pytest.raises(ValueError, match=r"--every 15m"):
        parse_every(value)


def test_every_shorter_than_a_minute_is_refused():
    with pytest.raises(ValueError, match="at most one sync a minute"):
        parse_every("30s")


def test_every_reads_seconds_minutes_and_hours():
    assert (parse_every("90s"), parse_every("15m"), parse_every("2h")) == (90.0, 900.0, 7200.0)


def test_since_is_the_first_day_of_a_month():
    assert str(parse_since("2025-03")) == "2025-03-01"
    assert str(parse_since("2025-03-17")) == "2025-03-01"
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_since("March")


def test_the_command_refuses_a_bad_every_before_touching_anything(tmp_path, capsys):
    path = tmp_path / "mirror.duckdb"

    code = main(["sync", "--every", "soon", "--to", f"duckdb://{path.as_posix()}"])

    assert code == 2
    assert "--every 'soon' is not an interval" in capsys.readouterr().err
    assert not Path(path).exists()


def test_the_command_refuses_an_unknown_target_scheme(capsys):
    assert main(["sync", "--to", "sqlite:///tmp/x.db"]) == 2
    assert "unknown scheme 'sqlite'" in capsys.readouterr().err


class _Stop(Exception):
    pass


async def test_every_syncs_again_after_each_interval_on_the_same_client(fake, tmp_path):
    from clockodo_mcp.server.config import config_from_env
    from clockodo_mcp.server.runtime import Runtime
    from clockodo_mcp.sync.cli import run_sync
    from clockodo_mcp.sync.engine import SyncOptions

    config = config_from_env(
        {}, api_user=OWNER_EMAIL, api_key=OWNER_KEY, base_url=fake.base_url, audit_path=tmp_path / "audit.jsonl"
    )
    runtime = Runtime(config, clock=fake.clock)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            raise _Stop
        fake.clock.advance(seconds)

    path = tmp_path / "mirror.duckdb"
    with pytest.raises(_Stop):
        await run_sync(
            runtime,
            f"duckdb://{path.as_posix()}",
            SyncOptions(),
            clock=fake.clock,
            quiet=True,
            every=parse_every("15m"),
            stream=sys.stderr,
            sleep=sleep,
        )

    assert waits == [900.0, 900.0]
    state = dict(duckdb_query(path, "SELECT key, value FROM sync_state"))
    assert state["last_run_finished_at"] == "2026-11-24T15:15:00Z"  # the second run, one interval later


def test_without_the_sync_extra_the_command_names_the_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "duckdb", None)  # as if `clockodo-mcp[sync]` were not installed

    assert main(["sync", "--to", f"duckdb://{(tmp_path / 'm.duckdb').as_posix()}"]) == 2
    assert "pip install 'clockodo-mcp[sync]'" in capsys.readouterr().err
