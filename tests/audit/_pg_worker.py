"""A replica appending to the PostgreSQL audit log: ``python -m tests.audit._pg_worker URL WORKER COUNT``.

It prints ``ready``, waits for a line on stdin (so every worker starts at once), then appends COUNT records, some
alone (`append`) and some in pairs (`append_together`), and prints ``done``.
"""

from __future__ import annotations

import sys
from typing import Any

from clockodo_mcp.audit.pg import pg_audit_from_url


def event(worker: int, i: int) -> dict[str, Any]:
    """The worker's i-th record."""
    return {"kind": "intent", "tool": f"worker-{worker}", "args": {"i": i}, "caller": {"principal": f"w{worker}"}}


def main(url: str, worker: int, count: int) -> None:
    """Append ``count`` records once the parent says go."""
    audit, _ = pg_audit_from_url(url)  # the key comes from CLOCKODO_MCP_AUDIT_KEY, as on a replica
    print("ready", flush=True)
    sys.stdin.readline()
    i = 0
    while i < count:
        if i % 3 == 1 and i + 1 < count:
            audit.append_together([event(worker, i), event(worker, i + 1)])
            i += 2
        else:
            audit.append(event(worker, i))
            i += 1
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
