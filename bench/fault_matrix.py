"""The fault matrix, larger than CI runs it: every write tool × every fault, `--rounds` times, plus kill -9.

Run: .venv/bin/python bench/fault_matrix.py [--rounds 3]

Each round runs the ten write tools against every fault of tests/server/faultproxy.py (a real TCP proxy that lets
the fake apply the write and then loses or corrupts the answer) on a fresh demo company and journal, and prints the
counts: cases, applied and reported applied, not applied, unknown, duplicates on retry, applied and undone.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.server.faultmatrix import Switch, Totals, run_case, tools
from tests.server.faultproxy import FAULTS, FaultProxy
from tests.server.live import serving


async def matrix(rounds: int, directory: Path) -> Totals:
    """Every tool × every fault, `rounds` times."""
    totals = Totals()
    switch = Switch()
    with serving(switch) as url:
        async with FaultProxy(int(url.rsplit(":", 1)[1])) as proxy:
            for n in range(rounds):
                for fault in FAULTS:
                    for tool in tools(fault):
                        case_dir = directory / f"{n}-{tool.case.replace(' ', '-')}-{fault}"
                        totals.cases.append(await run_case(tool, fault, proxy, switch, case_dir))
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        totals = anyio.run(matrix, args.rounds, Path(scratch))
    print(totals.table())
    print(f"{time.perf_counter() - started:.0f} s")
    for problem in totals.problems():
        print("PROBLEM:", problem)
    return 1 if totals.problems() else 0


if __name__ == "__main__":
    raise SystemExit(main())
