"""The audit verify and tail commands print one readable line per verdict or record."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from clockodo_mcp.audit import ENV_AUDIT_LOG, AuditLog
from clockodo_mcp.audit.cli import tail_command, verify_command

MakeLog = Callable[[int], AuditLog]


def test_verify_command_reports_an_intact_chain(make_log: MakeLog, log_path: Path) -> None:
    make_log(4)
    out = io.StringIO()
    assert verify_command(log_path, out) == 0
    assert out.getvalue() == f"audit log OK: 4 records, chain intact ({log_path})\n"


def test_verify_command_says_when_nothing_was_logged_yet(log_path: Path) -> None:
    out = io.StringIO()
    assert verify_command(log_path, out) == 0
    assert "no log file yet, nothing has been logged" in out.getvalue()


def test_verify_command_names_the_first_bad_record(make_log: MakeLog, log_path: Path) -> None:
    make_log(4)
    lines = log_path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace('"i":2', '"i":3')
    log_path.write_text("".join(lines), encoding="utf-8")
    out = io.StringIO()
    assert verify_command(log_path, out) == 1
    assert out.getvalue().startswith(
        "audit log TAMPERED at record seq 3 (line 3): hash mismatch — the record was edited"
    )


def test_verify_command_reports_truncation(make_log: MakeLog, log_path: Path) -> None:
    make_log(4)
    lines = log_path.read_text(encoding="utf-8").splitlines(keepends=True)
    log_path.write_text("".join(lines[:2]), encoding="utf-8")
    out = io.StringIO()
    assert verify_command(log_path, out) == 1
    assert "TAMPERED at record seq 3: records 3..4 are missing" in out.getvalue()


def test_verify_command_uses_the_environment_path_by_default(
    make_log: MakeLog, log_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_log(2)
    monkeypatch.setenv(ENV_AUDIT_LOG, str(log_path))
    assert verify_command() == 0
    assert "2 records" in capsys.readouterr().out


def test_tail_command_prints_one_line_per_record(make_log: MakeLog, log_path: Path) -> None:
    log = make_log(0)
    log.append({"kind": "intent", "call_id": "c", "tool": "log_time", "args": {"hours": 3, "project": "Phoenix"}})
    log.append({"kind": "outcome", "call_id": "c", "tool": "log_time", "status": "ok", "change": {"change_id": "ch-9"}})
    log.append({"kind": "outcome", "tool": "other", "status": "error", "error": "boom"})
    out = io.StringIO()
    assert tail_command(log_path, 2, None, out) == 0
    first, second = out.getvalue().splitlines()
    assert "2025-03-14T09:26:53.589Z" in first
    assert "log_time" in first
    assert "change=ch-9" in first
    assert "error=" in second
    assert "boom" in second


def test_tail_command_filters_by_tool_and_shortens_long_arguments(make_log: MakeLog, log_path: Path) -> None:
    log = make_log(0)
    log.append({"kind": "intent", "tool": "log_time", "args": {"text": "z" * 500}})
    log.append({"kind": "intent", "tool": "other"})
    out = io.StringIO()
    tail_command(log_path, 10, "log_time", out)
    (line,) = out.getvalue().splitlines()
    assert "z" * 60 in line
    assert "z" * 200 not in line
    assert line.endswith("…")


def test_tail_command_on_an_empty_log(log_path: Path) -> None:
    out = io.StringIO()
    assert tail_command(log_path, 5, "x", out) == 0
    assert out.getvalue().startswith("no audit records for tool x yet")
