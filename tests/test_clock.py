"""The injectable clock: pinned days, frozen instants, and the --today flag."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from clockodo_mcp.cli import main
from clockodo_mcp.clock import (
    DEMO_ZONE,
    FrozenClock,
    PinnedClock,
    clock_for,
    parse_today,
    pinned_instant,
    today_from_env,
)
from tests.dates import DATE_MATRIX, each_day


def test_a_pinned_day_starts_at_four_in_the_afternoon_in_berlin_in_winter_and_summer():
    assert pinned_instant(date(2026, 12, 1)) == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert pinned_instant(date(2026, 7, 1)) == datetime(2026, 7, 1, 14, 0, tzinfo=UTC)


@each_day()
def test_a_clock_pinned_to_any_day_of_the_matrix_reads_that_day_at_four_in_berlin(day):
    local = clock_for(day).now().astimezone(DEMO_ZONE)
    assert local.date() == day
    assert (local.hour, local.minute) == (16, 0)


def test_a_pinned_clock_runs_on_from_its_start_at_the_speed_of_its_base():
    base = FrozenClock(datetime(2000, 1, 1, tzinfo=UTC))
    start = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    clock = PinnedClock(start, base=base)
    assert clock.now() == start
    base.advance(90)
    assert clock.now() == datetime(2026, 12, 1, 15, 1, 30, tzinfo=UTC)
    assert clock.monotonic() == 90


def test_a_frozen_clock_refuses_a_naive_instant():
    with pytest.raises(ValueError, match="aware"):
        FrozenClock(datetime(2026, 12, 1))


def test_the_flag_wins_over_the_environment_and_both_are_optional():
    env = {"CLOCKODO_MCP_TODAY": "2028-02-29"}
    assert today_from_env("2026-12-01", env) == date(2026, 12, 1)
    assert today_from_env(None, env) == date(2028, 2, 29)
    assert today_from_env(None, {}) is None


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01", "1999-12-31", "2026-02-30", ""])
def test_a_bad_today_is_refused_with_the_expected_format(value):
    with pytest.raises(ValueError, match=r"YYYY-MM-DD|between 2000 and 2100"):
        parse_today(value)


def test_the_cli_refuses_a_bad_today_before_starting_anything(capsys):
    assert main(["call", "report_hours", "--demo", "--today", "next-week"]) == 2
    assert "--today must be a date as YYYY-MM-DD" in capsys.readouterr().err


def test_call_on_a_pinned_demo_day_reports_that_day(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("CLOCKODO_MCP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    day = DATE_MATRIX["leap-day"]
    code = main(["call", "report_hours", "--demo", "--today", day.isoformat(), "--args", '{"period": "today"}'])
    assert code == 0
    assert '"start": "2028-02-29"' in capsys.readouterr().out
