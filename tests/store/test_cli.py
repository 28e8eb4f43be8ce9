"""`changes list|show`, `audit verify|repair` with the store (on each backend), `store migrate|info`, `serve` refusing a
shared store that is not ready, and the doctor's store check, from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest

from clockodo_mcp.audit import AuditLog, log_id
from clockodo_mcp.cli import main
from clockodo_mcp.onboarding import store_check
from clockodo_mcp.store import SCHEMA_VERSION, NewChange, SQLiteStore, Store, open_store, sqlite_url

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
T = TypeVar("T", bound=Store)


@pytest.fixture
def store(open_same: Callable[[], Store]) -> Store:
    """A store on each backend (`store_url`) with three changes: applied, unknown, applying."""
    return seeded(open_same())


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """The SQLite store beside a JSON Lines audit log (with a PostgreSQL store, the chain lives in its tables)."""
    store = seeded(SQLiteStore(tmp_path / "store.sqlite3", now=lambda: NOW))
    yield store
    store.close()


def seeded(store: T) -> T:
    """The store with three changes journalled: applied, unknown, applying."""
    for i, (tool, status) in enumerate([("log_time", "applied"), ("delete_entry", "unknown"), ("edit_entry", None)]):
        store.begin_change(
            NewChange(
                change_id=f"change-{i}",
                tool=tool,
                args={"entry_id": 6323 + i},
                before={"text": "before"},
                planned={"action": f"{tool} {i}"},
                confirmed_by="token",
                nonce=f"nonce-{i}",
                nonce_expires_at=NOW,
            )
        )
        if status == "applied":
            store.finish_change(f"change-{i}", "applied", result={"summary": "Logged 1 h"}, undo={"kind": "x"})
        elif status == "unknown":
            store.finish_change(f"change-{i}", "unknown", error="ClockodoTransportError: timed out")
    return store


def test_changes_list_prints_one_line_per_change_newest_first(store, store_url, capsys):
    assert main(["changes", "list", "--store", store_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["change-2", "change-1", "change-0"]
    assert "unknown" in lines[1]
    assert "Logged 1 h" in lines[2]


def test_changes_list_filters_by_status_and_prints_json(store, store_url, capsys):
    assert main(["changes", "list", "--status", "unknown", "--json", "--store", store_url]) == 0
    (change,) = json.loads(capsys.readouterr().out)
    assert (change["change_id"], change["status"], change["error"]) == (
        "change-1",
        "unknown",
        "ClockodoTransportError: timed out",
    )


def test_changes_show_prints_everything_the_journal_knows(store, store_url, capsys):
    assert main(["changes", "show", "change-0", "--store", store_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("change change-0: log_time, applied")
    assert '"entry_id": 6323' in out
    assert '"kind": "x"' in out


def test_changes_show_of_an_unknown_change_points_to_list(store, store_url, capsys):
    assert main(["changes", "show", "nope", "--store", store_url]) == 1
    assert "changes list" in capsys.readouterr().err


def test_changes_list_without_a_store_yet(tmp_path, capsys):
    assert main(["changes", "list", "--store", sqlite_url(tmp_path / "none.sqlite3")]) == 0
    assert "does not exist" in capsys.readouterr().out
    assert not (tmp_path / "none.sqlite3").exists()


def test_a_bad_store_url_is_a_clean_configuration_error(capsys):
    assert main(["changes", "list", "--store", "mongodb://x"]) == 2
    assert "unknown scheme 'mongodb'" in capsys.readouterr().err


def test_audit_verify_checks_the_store_anchor_and_catches_a_deleted_log(tmp_path, file_store, capsys):
    log_path = tmp_path / "audit.jsonl"
    log = AuditLog(log_path, anchor=file_store)
    for i in range(3):
        log.append({"kind": "intent", "tool": "lookup", "args": {"i": i}})
    url = sqlite_url(file_store.path)
    assert main(["audit", "verify", "--path", str(log_path), "--store", url]) == 0
    assert "3 records, chain intact" in capsys.readouterr().out
    log_path.unlink()
    log_path.with_name("audit.jsonl.head").unlink()
    assert main(["audit", "verify", "--path", str(log_path), "--store", url]) == 1
    assert "store's anchor says it held 3 records" in capsys.readouterr().out


def test_audit_verify_without_a_store_says_the_anchor_was_not_checked(tmp_path, capsys):
    log_path = tmp_path / "audit.jsonl"
    AuditLog(log_path).append({"kind": "intent"})
    assert main(["audit", "verify", "--path", str(log_path), "--store", sqlite_url(tmp_path / "no.sqlite3")]) == 0
    assert "was not checked against the head the store anchored" in capsys.readouterr().out


def test_audit_verify_without_the_key_is_unverified(tmp_path, capsys):
    log_path = tmp_path / "audit.jsonl"
    AuditLog(log_path).append({"kind": "intent"})
    log_path.with_name("audit.jsonl.key").unlink()
    assert main(["audit", "verify", "--path", str(log_path)]) == 1
    assert "audit log UNVERIFIED: 1 records are structurally intact" in capsys.readouterr().out


def test_audit_repair_fixes_a_torn_line_from_the_command_line(tmp_path, file_store, capsys):
    log_path = tmp_path / "audit.jsonl"
    AuditLog(log_path, anchor=file_store).append({"kind": "intent"})
    with log_path.open("ab") as f:
        f.write(b'{"v":2,"se')
    url = sqlite_url(file_store.path)
    assert main(["audit", "verify", "--path", str(log_path), "--store", url]) == 1
    assert "audit repair" in capsys.readouterr().out
    assert main(["audit", "repair", "--path", str(log_path), "--store", url]) == 0
    assert "removed a torn last line (10 bytes)" in capsys.readouterr().out
    assert main(["audit", "verify", "--path", str(log_path), "--store", url]) == 0
    anchor = file_store.read_anchor(log_id(log_path))
    assert anchor is not None
    assert anchor.seq == 2


def test_audit_repair_refuses_other_damage_and_points_to_start_new(tmp_path, file_store, capsys):
    log_path = tmp_path / "audit.jsonl"
    log = AuditLog(log_path, anchor=file_store)
    log.append({"kind": "intent", "args": {"i": 1}})
    log_path.write_text(log_path.read_text().replace('"i":1', '"i":2'))
    url = sqlite_url(file_store.path)
    assert main(["audit", "repair", "--path", str(log_path), "--store", url]) == 1
    assert "--start-new" in capsys.readouterr().out
    assert main(["audit", "repair", "--start-new", "--path", str(log_path), "--store", url]) == 0
    assert main(["audit", "verify", "--path", str(log_path), "--store", url]) == 0


def test_the_doctor_reports_the_store_and_its_unsettled_changes(store):
    check = store_check(store)
    assert check.status == "warning"
    assert f"schema version {store.schema_version()}, writable" in check.detail
    assert "change-1 (delete_entry, unknown)" in check.detail
    assert "change-2 (edit_entry, applying)" in check.detail
    assert "changes show" in (check.fix or "")


def test_the_doctor_reports_a_store_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    check = store_check(SQLiteStore(blocker / "sub" / "store.sqlite3"))
    assert check.status == "problem"
    assert "not writable" in check.detail


def test_the_doctor_reports_a_healthy_store(tmp_path):
    store = SQLiteStore(tmp_path / "store.sqlite3")
    store.schema_version()
    check = store_check(store)
    assert (check.status, check.detail.endswith("no unsettled changes")) == ("ok", True)


def test_store_migrate_creates_a_postgresql_store_once_and_store_info_reports_it(pg_unmigrated_url, capsys):
    assert main(["store", "info", "--store", pg_unmigrated_url]) == 1
    assert "clockodo-mcp store migrate" in capsys.readouterr().out
    assert main(["store", "migrate", "--store", pg_unmigrated_url]) == 0
    assert "from schema version 0 to 1" in capsys.readouterr().out
    assert main(["store", "migrate", "--store", pg_unmigrated_url]) == 0
    assert "at schema version 1: nothing to migrate" in capsys.readouterr().out
    assert main(["store", "info", "--json", "--store", pg_unmigrated_url]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["backend"], info["schema_version"], info["writable"], info["problem"]) == ("postgresql", 1, True, None)


def test_store_migrate_and_info_of_an_sqlite_store(tmp_path, capsys):
    url = sqlite_url(tmp_path / "new.sqlite3")
    assert main(["store", "info", "--store", url]) == 0
    assert "does not exist yet" in capsys.readouterr().out
    assert not (tmp_path / "new.sqlite3").exists()
    assert main(["store", "migrate", "--store", url]) == 0
    assert f"at schema version {SCHEMA_VERSION} (SQLite migrates on open)" in capsys.readouterr().out
    assert main(["store", "info", "--store", url]) == 0
    out = capsys.readouterr().out
    assert f"backend: sqlite, schema version {SCHEMA_VERSION}" in out
    assert "unsettled changes: 0" in out


def test_serve_refuses_to_start_on_a_postgresql_store_nobody_migrated(pg_unmigrated_url, capsys):
    argv = ["serve", "--store", pg_unmigrated_url, "--api-user", "a@example.com", "--api-key", "k" * 32]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"run `clockodo-mcp store migrate --store '{pg_unmigrated_url}'`" in err


def test_serve_refuses_to_start_when_postgresql_cannot_be_reached_and_shows_no_password(capsys):
    url = "postgresql://clockodo:s3cret@127.0.0.1:1/clockodo"
    assert main(["serve", "--store", url, "--api-user", "a@example.com", "--api-key", "k" * 32]) == 1
    err = capsys.readouterr().err
    assert "postgresql://clockodo:***@127.0.0.1:1/clockodo" in err
    assert "is PostgreSQL running at 127.0.0.1:1" in err
    assert "s3cret" not in err


def test_migrating_an_unreachable_store_fails_with_the_fix(capsys):
    assert main(["store", "migrate", "--store", "postgresql://u:s3cret@127.0.0.1:1/db"]) == 1
    err = capsys.readouterr().err
    assert "is PostgreSQL running at 127.0.0.1:1" in err
    assert "s3cret" not in err


def test_the_doctor_reports_a_postgresql_store_nobody_migrated(pg_unmigrated_url):
    store = open_store(pg_unmigrated_url)
    try:
        check = store_check(store)
    finally:
        store.close()
    assert check.status == "problem"
    assert "clockodo-mcp store migrate" in check.detail


def test_the_doctor_reports_a_healthy_postgresql_store(pg_url):
    store = open_store(pg_url)
    try:
        check = store_check(store)
    finally:
        store.close()
    assert (check.status, "postgresql, schema version 1, writable" in check.detail) == ("ok", True)
