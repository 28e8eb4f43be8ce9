"""Concurrent writers — processes and threads — keep one valid chain."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from pathlib import Path

from clockodo_mcp.audit import AuditLog, iter_records, verify
from tests.audit._workers import append_many


def test_four_processes_appending_keep_one_valid_chain(log_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=append_many, args=(str(log_path), w, 50)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    result = verify(log_path)
    assert result.ok, result.reason
    assert result.records == 200
    assert Counter(r["tool"] for r in iter_records(log_path)) == {f"worker-{w}": 50 for w in range(4)}


def test_threads_sharing_one_log_and_threads_with_their_own_keep_one_chain(log_path: Path) -> None:
    shared = AuditLog(log_path)
    errors: list[BaseException] = []

    def run(log: AuditLog, name: str) -> None:
        try:
            for i in range(25):
                log.append({"kind": "intent", "tool": name, "args": {"i": i}})
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(shared, f"shared-{t}")) for t in range(4)]
    threads += [threading.Thread(target=run, args=(AuditLog(log_path), f"own-{t}")) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = verify(log_path)
    assert result.ok, result.reason
    assert result.records == 200
