"""The audit chain in PostgreSQL: the file log's records, one chain for every replica, tampering found, fail closed."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import psycopg.errors
import pytest
from psycopg_pool import ConnectionPool

from clockodo_mcp.audit import (
    ENV_AUDIT_KEY,
    REDACTED,
    AuditKey,
    AuditLog,
    AuditLogDamaged,
    AuditWriteError,
    verify,
)
from clockodo_mcp.audit.files import Head
from clockodo_mcp.audit.pg import (
    AuditReadError,
    PostgresAuditLog,
    iter_pg_records,
    iter_pg_records_reversed,
    pg_audit_from_url,
    tail_pg,
    verify_pg,
)
from clockodo_mcp.audit.pg_url import AuditUrlError, is_postgres_url, mask_text, mask_url, parse_postgres_url
from clockodo_mcp.cli import main
from clockodo_mcp.clock import FrozenClock
from tests.audit._pg import KEY, KEY_TEXT, PgSchema, fresh_schema, with_query

ROOT = Path(__file__).resolve().parents[2]
CLOCK = FrozenClock(dt.datetime(2025, 3, 14, 9, 26, 53, 589_793, tzinfo=dt.UTC))
API_KEY = "3f1e9c0a5b7d4e2f8a6c1b0d9e7f5a3c"
TOKEN = "eyJhcmdzIjoiZm9vIn0.c2lnbmF0dXJlc2lnbmF0dXJl"


@pytest.fixture
def pg() -> Iterator[PgSchema]:
    """A fresh schema holding the audit tables, dropped after the test."""
    yield from fresh_schema()


@pytest.fixture
def pool(pg: PgSchema) -> Iterator[ConnectionPool]:
    """A connection pool on the test's schema, as the PostgreSQL store would hand over."""
    with ConnectionPool(pg.conninfo, min_size=1, max_size=4, open=True) as p:
        yield p


@pytest.fixture
def audit(pool: ConnectionPool) -> PostgresAuditLog:
    """The log ``main`` through the pool, keyed, on a frozen clock."""
    return PostgresAuditLog(pool, now=CLOCK.now, key=KEY)


def fill(log: PostgresAuditLog | AuditLog, count: int) -> None:
    """Append ``count`` intent/outcome records for a read tool."""
    for i in range(count):
        kind = "intent" if i % 2 == 0 else "outcome"
        log.append({"kind": kind, "call_id": f"call-{i // 2}", "tool": "unbilled_hours", "args": {"i": i}})


def events() -> list[dict[str, Any]]:
    """A mix of what the server logs: plain values, secrets, unicode, decimals, dates, nesting."""
    return [
        {"kind": "intent", "tool": "log_time", "args": {"hours": Decimal("3.25"), "text": "Grüße ✓"}},
        {"kind": "outcome", "tool": "log_time", "status": "ok", "change": {"change_id": "ch-1", "token": TOKEN}},
        {"kind": "intent", "tool": "x", "caller": {"principal": "alice", "headers": {"X-ClockodoApiKey": API_KEY}}},
        {"kind": "outcome", "tool": "x", "status": "error", "error": f"401 for key {API_KEY}", "ratio": 0.1},
        {"kind": "intent", "tool": "y", "args": {"day": dt.date(2025, 3, 14), "nested": [{"api_key": API_KEY}]}},
    ]


def write_all(log: PostgresAuditLog | AuditLog) -> None:
    """The same calls on either log: single appends, a group, and a grouped single."""
    log.add_secret(API_KEY)
    first, second, third, fourth, fifth = events()
    log.append(first)
    log.append_together([second, third])
    log.append_grouped(fourth)
    log.append(fifth)


# The records -----------------------------------------------------------------------------------------------------


def test_appended_records_verify_and_record_their_principal(audit: PostgresAuditLog, pg: PgSchema) -> None:
    first = audit.append({"kind": "intent", "tool": "log_time", "caller": {"principal": "alice", "transport": "http"}})
    pair = audit.append_together([{"kind": "intent", "tool": "a"}, {"kind": "outcome", "tool": "a"}])
    assert [first.seq, *(r.seq for r in pair)] == [1, 2, 3]
    assert pair[0].prev_hash == first.hash
    assert pair[1].prev_hash == pair[0].hash
    result = verify_pg(pool_factory(audit), key=KEY)
    assert result.ok, result.reason
    assert (result.records, result.keyed, result.exists) == (3, 3, True)
    rows = pg.query("SELECT log, seq, ts, prev_hash, hash, principal FROM audit_records ORDER BY seq")
    assert rows[0] == ("main", 1, "2025-03-14T09:26:53.589Z", "0" * 64, first.hash, "alice")
    assert [row[5] for row in rows[1:]] == [None, None]
    assert pg.query("SELECT seq, hash FROM audit_heads") == [(3, pair[1].hash)]


def pool_factory(audit: PostgresAuditLog) -> Any:
    """The connection factory a log writes through."""
    return audit.connect


def test_records_are_byte_for_byte_the_lines_the_file_log_writes(
    audit: PostgresAuditLog, pg: PgSchema, tmp_path: Path
) -> None:
    path = tmp_path / "audit.jsonl"
    file_log = AuditLog(path, now=CLOCK.now, key=KEY)
    write_all(file_log)
    write_all(audit)
    assert pg.texts() == path.read_text(encoding="utf-8").splitlines()
    file_result, pg_result = verify(path, key=KEY), verify_pg(audit.connect, key=KEY)
    assert file_result.ok
    assert pg_result.ok
    assert (file_result.records, file_result.keyed, file_result.warning) == (5, 5, None)
    assert (pg_result.records, pg_result.keyed, pg_result.warning) == (5, 5, None)


def test_secrets_are_redacted_and_scrubbed_as_in_the_file_log(audit: PostgresAuditLog, pg: PgSchema) -> None:
    write_all(audit)
    stored = "\n".join(pg.texts())
    assert API_KEY not in stored
    assert TOKEN not in stored
    records = [json.loads(text) for text in pg.texts()]
    assert records[1]["change"]["token"] == REDACTED
    assert records[2]["caller"]["headers"]["X-ClockodoApiKey"] == REDACTED
    assert records[3]["error"] == f"401 for key {REDACTED}"
    assert records[4]["args"]["nested"] == [{"api_key": REDACTED}]
    secrets_given = PostgresAuditLog(audit.connect, now=CLOCK.now, key=KEY, secrets=[TOKEN, "short"])
    secrets_given.append({"kind": "outcome", "error": f"bad token {TOKEN}", "note": "short words stay"})
    assert pg.texts()[-1].count(REDACTED) == 1
    assert "short words stay" in pg.texts()[-1]
    assert verify_pg(audit.connect, key=KEY).ok


@pytest.mark.parametrize(
    "events",
    [
        [{"kind": "intent", "seq": 7}],
        [{"kind": "intent", "hash": "x"}],
        [{"kind": "intent", "bad": object()}],
        [],
        [{"kind": "intent"}] * 33,
    ],
    ids=["seq", "hash", "not-json", "no-records", "too-many"],
)
def test_an_event_that_cannot_be_stored_is_refused_and_nothing_is_appended(
    audit: PostgresAuditLog, pg: PgSchema, events: list[dict[str, Any]]
) -> None:
    fill(audit, 2)
    with pytest.raises(AuditWriteError):
        audit.append_together(events)
    assert len(pg.texts()) == 2
    assert verify_pg(audit.connect, key=KEY).ok


def test_two_logs_in_one_schema_keep_separate_chains(pool: ConnectionPool) -> None:
    main_log = PostgresAuditLog(pool, key=KEY)
    other = PostgresAuditLog(pool, log="demo", key=KEY)
    fill(main_log, 3)
    fill(other, 2)
    assert verify_pg(pool, key=KEY).records == 3
    assert verify_pg(pool, "demo", key=KEY).records == 2
    assert other.location.endswith("log 'demo'")


def test_readers_page_through_the_records_oldest_or_newest_first(audit: PostgresAuditLog) -> None:
    fill(audit, 7)
    audit.append({"kind": "intent", "tool": "log_time"})
    assert [r["seq"] for r in iter_pg_records(audit.connect, batch=3)] == list(range(1, 9))
    assert [r["seq"] for r in iter_pg_records_reversed(audit.connect, batch=3)] == list(range(8, 0, -1))
    assert [r["seq"] for r in tail_pg(audit.connect, n=3)] == [6, 7, 8]
    assert [r["seq"] for r in tail_pg(audit.connect, n=2, tool="unbilled_hours")] == [6, 7]
    assert tail_pg(audit.connect, n=0) == []
    assert tail_pg(audit.connect, "nothing-here") == []


# The key ---------------------------------------------------------------------------------------------------------


def test_without_an_audit_key_nothing_is_appended_and_the_message_says_how_to_fix_it(pool: ConnectionPool) -> None:
    log = PostgresAuditLog(pool, environ={})
    with pytest.raises(AuditWriteError, match=f"set {ENV_AUDIT_KEY}, the same on every replica"):
        log.append({"kind": "intent"})
    with pytest.raises(AuditWriteError, match="too short"):
        PostgresAuditLog(pool, environ={ENV_AUDIT_KEY: "short"}).append({"kind": "intent"})
    assert verify_pg(pool, key=KEY).records == 0


def test_the_key_comes_from_the_environment_as_on_every_replica(pool: ConnectionPool) -> None:
    PostgresAuditLog(pool, environ={ENV_AUDIT_KEY: KEY_TEXT}).append({"kind": "intent"})
    assert verify_pg(pool, environ={ENV_AUDIT_KEY: KEY_TEXT}).ok


def test_a_replica_with_another_key_is_refused_not_forked(audit: PostgresAuditLog, pg: PgSchema) -> None:
    fill(audit, 2)
    stranger = PostgresAuditLog(audit.connect, key=AuditKey(b"another-key-of-sixteen-bytes", "elsewhere"))
    with pytest.raises(AuditWriteError, match="the same on every replica") as caught:
        stranger.append({"kind": "intent"})
    # Not "damaged": a misconfigured replica must not go on serving reads unaudited.
    assert not isinstance(caught.value, AuditLogDamaged)
    assert len(pg.texts()) == 2


def test_verify_without_the_key_checks_the_structure_only(audit: PostgresAuditLog) -> None:
    fill(audit, 3)
    result = verify_pg(audit.connect, key=None)
    assert (result.ok, result.unverified, result.records) == (False, True, 3)
    assert "MACs of 3 keyed record(s) were not checked" in str(result.reason)
    assert verify_pg(audit.connect, environ={ENV_AUDIT_KEY: "short"}).unverified


# The trigger and tampering ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "operation"),
    [
        ("UPDATE audit_records SET record = 'x' WHERE seq = 1", "UPDATE"),
        ("DELETE FROM audit_records WHERE seq = 2", "DELETE"),
        ("TRUNCATE audit_records", "TRUNCATE"),
    ],
)
def test_the_trigger_refuses_to_change_stored_records(
    audit: PostgresAuditLog, pg: PgSchema, statement: str, operation: str
) -> None:
    fill(audit, 3)
    with psycopg.connect(pg.conninfo) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
        conn.execute(statement.encode())
    assert f"the audit log is append-only: {operation} on audit_records is refused" in str(caught.value)
    assert verify_pg(audit.connect, key=KEY).records == 3


def test_an_edited_record_is_found_at_its_seq(audit: PostgresAuditLog, pg: PgSchema) -> None:
    fill(audit, 5)
    pg.tamper("""UPDATE audit_records SET record = replace(record, '"i":2', '"i":3') WHERE seq = 3""")
    result = verify_pg(audit.connect, key=KEY)
    assert (result.ok, result.first_bad_seq, result.records) == (False, 3, 2)
    assert result.reason == "hash mismatch — the record was edited (or signed with another audit key)"


def test_an_edited_column_is_found_at_its_seq(audit: PostgresAuditLog, pg: PgSchema) -> None:
    fill(audit, 4)
    pg.tamper("UPDATE audit_records SET ts = '2020-01-01T00:00:00.000Z' WHERE seq = 2")
    result = verify_pg(audit.connect, key=KEY)
    assert (result.first_bad_seq, result.records) == (2, 1)
    assert "the ts column" in str(result.reason)


def test_a_deleted_middle_record_is_found_at_its_seq(audit: PostgresAuditLog, pg: PgSchema) -> None:
    fill(audit, 5)
    pg.tamper("DELETE FROM audit_records WHERE seq = 3")
    result = verify_pg(audit.connect, key=KEY)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert result.reason == "found seq 4 where seq 3 was expected — records were deleted or reordered"


def test_a_deleted_last_record_is_found_while_the_head_still_names_it(audit: PostgresAuditLog, pg: PgSchema) -> None:
    fill(audit, 5)
    pg.tamper("DELETE FROM audit_records WHERE seq = 5")
    result = verify_pg(audit.connect, key=KEY)
    assert (result.ok, result.first_bad_seq, result.records) == (False, 5, 4)
    assert result.reason == "record 5 is missing — deleted from the end (the head records 5)"
    with pytest.raises(AuditLogDamaged, match=r"its last record \(seq 4\) is before its head \(seq 5\)"):
        audit.append({"kind": "intent"})


def test_cutting_the_tail_and_moving_the_head_back_needs_an_anchor_kept_elsewhere(
    audit: PostgresAuditLog, pg: PgSchema
) -> None:
    fill(audit, 5)
    remembered = verify_pg(audit.connect, key=KEY)
    last = list(iter_pg_records(audit.connect))[-1]
    fourth = list(iter_pg_records(audit.connect))[3]
    pg.tamper(
        "DELETE FROM audit_records WHERE seq = 5",
        f"UPDATE audit_heads SET seq = 4, hash = '{fourth['hash']}'",
    )
    # Honestly: whoever can disable the trigger and rewrite the head can cut records off the end, and what is left
    # is a perfectly valid, shorter chain: no MAC, link or head check inside this database can tell. The records
    # cannot be rewritten or forged without the key, but their number at the end can only be vouched for by a head
    # kept outside the database (an earlier verify's seq and hash, a log shipped elsewhere, a signed receipt).
    inside = verify_pg(audit.connect, key=KEY)
    assert (inside.ok, inside.records) == (True, 4)
    assert remembered.records == 5
    outside = verify_pg(audit.connect, key=KEY, anchor=Head(seq=5, hash=last["hash"]))
    assert (outside.ok, outside.first_bad_seq) == (False, 5)
    assert "records 5..5 are missing — the log was cut short, head included" in str(outside.reason)
    rewritten = verify_pg(audit.connect, key=KEY, anchor=Head(seq=3, hash="f" * 64))
    assert (rewritten.ok, rewritten.first_bad_seq) == (False, 3)


def test_a_forged_record_with_a_wrong_mac_is_found(audit: PostgresAuditLog, pg: PgSchema) -> None:
    fill(audit, 3)
    last = list(iter_pg_records(audit.connect))[-1]
    forged = {"v": 2, "seq": 4, "ts": last["ts"], "prev_hash": last["hash"], "kind": "intent", "hash": "a" * 64}
    text = json.dumps(forged, separators=(",", ":")).replace("'", "''")
    pg.tamper(
        "INSERT INTO audit_records (log, seq, ts, prev_hash, hash, record) "
        f"VALUES ('main', 4, '{last['ts']}', '{last['hash']}', '{'a' * 64}', '{text}')",
        f"UPDATE audit_heads SET seq = 4, hash = '{'a' * 64}'",
    )
    result = verify_pg(audit.connect, key=KEY)
    assert (result.ok, result.first_bad_seq, result.records) == (False, 4, 3)
    assert str(result.reason).startswith("hash mismatch")
    with pytest.raises(AuditWriteError, match="does not verify under this replica's audit key"):
        audit.append({"kind": "intent"})


def test_a_forged_unkeyed_record_is_found(audit: PostgresAuditLog, pg: PgSchema) -> None:
    from clockodo_mcp.audit import record_hash

    first = {"seq": 1, "ts": "2025-03-14T09:26:53.589Z", "prev_hash": "0" * 64, "kind": "intent"}
    first["hash"] = record_hash(first)  # v1: a plain SHA-256, which anyone can compute
    text = json.dumps(first, separators=(",", ":"))
    pg.tamper(
        "INSERT INTO audit_records (log, seq, ts, prev_hash, hash, record) "
        f"VALUES ('main', 1, '{first['ts']}', '{'0' * 64}', '{first['hash']}', '{text}')",
        f"INSERT INTO audit_heads VALUES ('main', 1, '{first['hash']}', now())",
    )
    result = verify_pg(audit.connect, key=KEY)
    assert (result.ok, result.first_bad_seq) == (False, 1)
    assert "unkeyed (v1) record" in str(result.reason)


@pytest.mark.parametrize(
    ("change", "first_bad_seq", "reason"),
    [
        ("hash = repeat('b', 64)", 4, "the head does not match the last record (seq 4)"),
        ("seq = 6", 5, "records 5..6 are missing"),
        ("seq = 2", 3, "records after seq 2 are not covered by the head"),
    ],
    ids=["hash", "seq-forward", "seq-back"],
)
def test_a_changed_head_is_found(
    audit: PostgresAuditLog, pg: PgSchema, change: str, first_bad_seq: int, reason: str
) -> None:
    fill(audit, 4)
    pg.tamper(f"UPDATE audit_heads SET {change}")
    result = verify_pg(audit.connect, key=KEY)
    assert (result.ok, result.first_bad_seq) == (False, first_bad_seq)
    assert reason in str(result.reason)
    with pytest.raises(AuditLogDamaged):
        audit.append({"kind": "intent"})


def test_a_missing_head_row_is_found(audit: PostgresAuditLog, pg: PgSchema) -> None:
    fill(audit, 2)
    pg.tamper("DELETE FROM audit_heads")
    result = verify_pg(audit.connect, key=KEY)
    assert (result.ok, result.records) == (False, 2)
    assert "head row is missing" in str(result.reason)
    with pytest.raises(AuditLogDamaged, match="its last record"):
        audit.append({"kind": "intent"})  # the head is recreated at genesis, which the records contradict


@pytest.mark.parametrize("tampering", ["edit", "delete-middle", "delete-first"])
def test_the_file_and_postgresql_verifiers_agree_on_the_same_records(
    audit: PostgresAuditLog, pg: PgSchema, tmp_path: Path, tampering: str
) -> None:
    path = tmp_path / "audit.jsonl"
    file_log = AuditLog(path, now=CLOCK.now, key=KEY)
    fill(file_log, 5)
    fill(audit, 5)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if tampering == "edit":
        lines[2] = lines[2].replace('"i":2', '"i":3')
        pg.tamper("""UPDATE audit_records SET record = replace(record, '"i":2', '"i":3') WHERE seq = 3""")
    else:
        seq = 3 if tampering == "delete-middle" else 1
        del lines[seq - 1]
        pg.tamper(f"DELETE FROM audit_records WHERE seq = {seq}")
    path.write_text("".join(lines), encoding="utf-8")
    file_result, pg_result = verify(path, key=KEY), verify_pg(audit.connect, key=KEY)
    assert pg_result.ok is file_result.ok is False
    assert (pg_result.first_bad_seq, pg_result.records, pg_result.reason) == (
        file_result.first_bad_seq,
        file_result.records,
        file_result.reason,
    )


def test_verify_reads_one_snapshot_while_another_replica_appends(audit: PostgresAuditLog, pg: PgSchema) -> None:
    fill(audit, 3)
    appended: list[int] = []

    class AppendAfterTheHead(psycopg.Connection[Any]):
        """A connection on which another replica appends right after verify has read the head."""

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            cursor = super().execute(query, params, **kwargs)
            if "audit_heads" in str(query) and not appended:
                appended.append(audit.append({"kind": "intent"}).seq)
            return cursor

    result = verify_pg(lambda: AppendAfterTheHead.connect(pg.conninfo), key=KEY)
    # Without one snapshot the head (seq 3) would lag the records read after it (4) and look like a forgery.
    assert (result.ok, result.records, appended) == (True, 3, [4])
    assert verify_pg(audit.connect, key=KEY).records == 4


# Concurrency -----------------------------------------------------------------------------------------------------


def test_three_processes_appending_at_once_form_one_contiguous_chain(pg: PgSchema) -> None:
    env = {**os.environ, ENV_AUDIT_KEY: KEY_TEXT, "PYTHONPATH": str(ROOT)}
    count = 200
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.audit._pg_worker", pg.url, str(w), str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            cwd=ROOT,
        )
        for w in range(3)
    ]
    try:
        for worker in workers:  # every one is connected-ready before any starts
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    finally:
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                worker.kill()
    assert [w.returncode for w in workers] == [0, 0, 0]
    assert all(out.strip() == "done" for out in outputs)

    result = verify_pg(pg.connect, key=KEY)
    assert result.ok, result.reason
    assert result.records == 3 * count
    assert [row[0] for row in pg.query("SELECT seq FROM audit_records ORDER BY seq")] == list(range(1, 3 * count + 1))
    records = list(iter_pg_records(pg.connect))
    assert Counter((r["tool"], r["args"]["i"]) for r in records) == {
        (f"worker-{w}", i): 1 for w in range(3) for i in range(count)
    }
    # A pair appended together is adjacent in the chain, whatever the other workers did meanwhile.
    firsts = [(a, b) for a, b in itertools.pairwise(records) if a.get("group") == 2 and a["args"]["i"] % 3 == 1]
    assert len(firsts) == 3 * sum(1 for i in range(count) if i % 3 == 1 and i + 1 < count)
    assert all(b["tool"] == a["tool"] and b["args"]["i"] == a["args"]["i"] + 1 for a, b in firsts)
    assert pg.query("SELECT count(DISTINCT principal) FROM audit_records") == [(3,)]


def test_threads_sharing_a_pool_take_turns_even_when_the_default_isolation_is_serializable(pg: PgSchema) -> None:
    conninfo = pg.conninfo + "%20-c%20default_transaction_isolation%3Dserializable"
    errors: list[BaseException] = []
    with ConnectionPool(conninfo, min_size=4, max_size=4, open=True) as pool:
        log = PostgresAuditLog(pool, key=KEY)

        def run(name: str) -> None:
            try:
                for i in range(25):
                    if i % 2:
                        log.append_together([{"tool": name, "i": i}, {"tool": name, "i": -i}])
                    else:
                        log.append({"tool": name, "i": i})
            except BaseException as exc:  # surfaced by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(f"thread-{t}",)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    result = verify_pg(pg.connect, key=KEY)
    assert result.ok, result.reason
    assert result.records == 4 * (13 + 2 * 12)


def test_appends_chain_the_same_without_pipeline_mode(pg: PgSchema, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psycopg.Pipeline, "is_supported", classmethod(lambda cls: False))  # an older libpq
    log = PostgresAuditLog(pg.connect, key=KEY)
    fill(log, 3)
    log.append_together([{"kind": "intent"}, {"kind": "outcome"}])
    assert verify_pg(pg.connect, key=KEY).records == 5


def test_a_connection_inside_a_transaction_is_refused(pg: PgSchema) -> None:
    conn = psycopg.connect(pg.conninfo)
    conn.execute("SELECT 1")  # psycopg opened a transaction, which the log must not commit for its owner

    @contextlib.contextmanager
    def busy() -> Iterator[psycopg.Connection[Any]]:
        yield conn

    with pytest.raises(AuditWriteError, match="inside a transaction"):
        PostgresAuditLog(busy, key=KEY).append({"kind": "intent"})
    with pytest.raises(AuditReadError, match="inside a transaction"):
        verify_pg(busy, key=KEY)
    conn.close()
    assert pg.texts() == []


# Failing closed --------------------------------------------------------------------------------------------------


def test_an_unreachable_server_fails_the_append_naming_the_store_without_its_password() -> None:
    log, _ = pg_audit_from_url(
        "postgresql://auditor:s3cret-pass@127.0.0.1:1/test?schema=audit&connect_timeout=3", key=KEY
    )
    with pytest.raises(AuditWriteError) as caught:
        log.append({"kind": "intent", "tool": "log_time"})
    message = str(caught.value)
    assert message.startswith(
        "Could not write the audit log postgresql://auditor:***@127.0.0.1:1/test (schema audit), log 'main': "
    )
    assert "s3cret-pass" not in message
    assert "port 1 failed" in message
    assert not isinstance(caught.value, AuditLogDamaged)


def test_a_lost_connection_fails_the_append_and_stores_nothing(audit: PostgresAuditLog, pg: PgSchema) -> None:
    conn = psycopg.connect(pg.conninfo)

    @contextlib.contextmanager
    def same_connection() -> Iterator[psycopg.Connection[Any]]:
        yield conn

    log = PostgresAuditLog(same_connection, now=CLOCK.now, key=KEY, location="the test's connection")
    log.append({"kind": "intent", "i": 1})
    with psycopg.connect(pg.conninfo, autocommit=True) as admin:
        # Waits (up to 10 s) until the backend is gone, so the next append meets a dead connection.
        assert admin.execute("SELECT pg_terminate_backend(%s, 10000)", (conn.info.backend_pid,)).fetchone() == (True,)
    with pytest.raises(AuditWriteError, match="Could not write the audit log the test's connection, log 'main'"):
        log.append({"kind": "intent", "i": 2})
    conn.close()
    assert len(pg.texts()) == 1
    assert verify_pg(audit.connect, key=KEY).ok
    assert audit.append({"kind": "intent", "i": 3}).seq == 2  # a healthy connection goes on with the chain


def test_missing_tables_fail_the_append_and_verify_with_a_fix() -> None:
    for pg in fresh_schema(tables=False):
        log, connect = pg_audit_from_url(pg.url, key=KEY)
        with pytest.raises(
            AuditWriteError, match=r"the audit tables are missing in .* run `clockodo-mcp store migrate`"
        ):
            log.append({"kind": "intent"})
        with pytest.raises(AuditReadError, match="the audit tables are missing in the database"):
            verify_pg(connect, key=KEY)


def test_an_empty_log_verifies_as_nothing_logged_yet(pool: ConnectionPool) -> None:
    result = verify_pg(pool, key=KEY)
    assert (result.ok, result.exists, result.records) == (True, False, 0)


# URLs and the command line ---------------------------------------------------------------------------------------


def test_urls_are_parsed_and_their_passwords_never_shown() -> None:
    url = "postgresql://me:pa%40ss@db.example:6432/clockodo?schema=Audit&sslmode=require"
    parsed = parse_postgres_url(url)
    assert parsed.location == "postgresql://me:***@db.example:6432/clockodo (schema Audit)"
    assert parsed.conninfo == (
        "postgresql://me:pa%40ss@db.example:6432/clockodo?sslmode=require"
        "&options=-c%20search_path%3D%22Audit%22&connect_timeout=10"
    )
    assert "pa%40ss" not in repr(parsed)
    assert parsed.password == "pa@ss"
    assert mask_url("postgres://u:secret@h/db?password=other") == "postgres://u:***@h/db?password=***"
    assert mask_url("host=h password='a b' dbname=x") == "host=h password=*** dbname=x"
    assert mask_text('failed for "postgresql://u:pw@h/db"') == 'failed for "postgresql://u:***@h/db"'
    assert is_postgres_url(" postgres://h/db")
    assert not is_postgres_url("sqlite:///tmp/x")
    assert not is_postgres_url(None)
    with pytest.raises(AuditUrlError, match="plain SQL name"):
        parse_postgres_url("postgresql://u:pw@h/db?schema=bad-name")
    with pytest.raises(AuditUrlError, match="not a PostgreSQL URL"):
        parse_postgres_url("sqlite:///tmp/store.sqlite3")


def test_the_store_password_is_scrubbed_from_what_the_log_records(pg: PgSchema) -> None:
    url = with_query(pg.url, "password=db-pass-123")  # the test server trusts, and ignores it
    log, _ = pg_audit_from_url(url, key=KEY)
    assert "db-pass-123" not in log.location
    log.append({"kind": "outcome", "status": "error", "error": "store postgresql://u:db-pass-123@db failed"})
    assert pg.texts()[-1].count(REDACTED) == 1
    assert "db-pass-123" not in pg.texts()[-1]


def test_a_mixed_case_schema_is_selected_as_written(pg: PgSchema) -> None:
    with psycopg.connect(pg.conninfo, autocommit=True) as conn:
        conn.execute(b'CREATE SCHEMA "MixedCase"')
    try:
        _, connect = pg_audit_from_url(pg.url.replace(pg.name, "MixedCase"))
        with connect() as conn:
            assert conn.execute("SHOW search_path").fetchone() == ('"MixedCase"',)
    finally:
        with psycopg.connect(pg.conninfo, autocommit=True) as conn:
            conn.execute(b'DROP SCHEMA "MixedCase"')


def test_cli_audit_verify_on_a_postgresql_store_says_intact_or_tampered(
    pg: PgSchema, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_AUDIT_KEY, KEY_TEXT)
    where = parse_postgres_url(pg.url).location + ", log 'main'"
    assert where.endswith(f" (schema {pg.name}), log 'main'")
    assert main(["audit", "verify", "--store", pg.url]) == 0
    assert capsys.readouterr().out == f"audit log OK: nothing has been logged yet ({where})\n"
    log, _ = pg_audit_from_url(pg.url, now=CLOCK.now)
    fill(log, 3)
    assert main(["audit", "verify", "--store", pg.url]) == 0
    assert capsys.readouterr().out == f"audit log OK: 3 records, chain intact ({where})\n"
    pg.tamper("""UPDATE audit_records SET record = replace(record, '"i":1', '"i":9') WHERE seq = 2""")
    assert main(["audit", "verify", "--store", pg.url]) == 1
    assert capsys.readouterr().out == (
        "audit log TAMPERED at record seq 2: hash mismatch — the record was edited (or signed with another audit "
        f"key) ({where})\n"
    )


def test_cli_audit_tail_and_repair_read_the_postgresql_store_from_the_environment(
    pg: PgSchema, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv(ENV_AUDIT_KEY, KEY_TEXT)
    monkeypatch.setenv("CLOCKODO_MCP_STORE", pg.url)
    log, _ = pg_audit_from_url(pg.url, now=CLOCK.now)
    fill(log, 4)
    assert main(["audit", "tail", "-n", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["3", "4"]
    assert "2025-03-14T09:26:53.589Z" in lines[0]
    assert main(["audit", "repair"]) == 0
    assert "nothing to repair: 4 records, chain intact" in capsys.readouterr().out
    assert main(["audit", "verify", "--path", str(tmp_path / "audit.jsonl")]) == 2
    assert "--path names a JSON Lines log, but the store" in capsys.readouterr().out
    pg.tamper("DELETE FROM audit_records WHERE seq = 2")
    assert main(["audit", "repair"]) == 1
    assert "audit repair refused: a PostgreSQL audit log is never torn" in capsys.readouterr().out


def test_cli_audit_verify_reports_an_unreachable_store_without_its_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_AUDIT_KEY, KEY_TEXT)
    assert main(["audit", "verify", "--store", "postgresql://u:hunter2hunter2@127.0.0.1:1/test?connect_timeout=3"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("audit log UNREADABLE: The audit log 'main' cannot be read: connection failed: ")
    assert out.endswith("(postgresql://u:***@127.0.0.1:1/test, log 'main')\n")
    assert "hunter2hunter2" not in out
    assert main(["audit", "verify", "--store", "postgresql://h/db?schema=no-good"]) == 2
    assert "plain SQL name" in capsys.readouterr().out
