"""Fuzz every tool through the MCP in-memory client against the fake Clockodo, many more calls than CI runs.

Run: .venv/bin/python bench/fuzz.py [--calls 20000] [--seed 7]

Prints the number of calls and of each outcome kind (ok, preview, applied, rejected (arguments) = refused by the
argument schema, rejected = refused by the tool, refused = a write's own refusal, error = Clockodo's error),
and fails loudly on the first call that breaks a property (see tests/server/fuzzing.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.server.fuzzing import Harness, harness, run_generated_calls, scratch_dir


def fuzz(h: Harness, calls: int, *, derandomize: bool, progress: bool) -> None:
    """Run `calls` generated calls (plus the confirmations some previews get)."""
    started = time.perf_counter()

    def report(h: Harness) -> None:
        if progress and h.tally.calls % 500 == 0:
            print(f"  {h.tally.calls:,} calls, {time.perf_counter() - started:.0f} s", file=sys.stderr)

    run_generated_calls(h, calls, derandomize=derandomize, after_each=report)


def main() -> None:
    """Parse arguments, fuzz, print the tally."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7, help="demo company seed")
    parser.add_argument("--random", action="store_true", help="a new random sequence instead of the fixed one")
    parser.add_argument("--samples", action="store_true", help="print a few calls of each outcome kind")
    args = parser.parse_args()
    with scratch_dir() as tmp, harness(tmp / "audit.jsonl", company_seed=args.seed) as h:
        started = time.perf_counter()
        fuzz(h, args.calls, derandomize=not args.random, progress=True)
        tally = h.finish()
        elapsed = time.perf_counter() - started
    print(f"fuzz ({args.calls:,} examples, company seed {args.seed}): {tally.line()}; audit chain verified")
    print(f"{elapsed:.0f} s, {tally.calls / elapsed:.0f} calls/s")
    if args.samples:
        for kind, calls in sorted(tally.samples.items()):
            print(f"\n{kind}:")
            for where in calls:
                print(f"  {where}")


if __name__ == "__main__":
    main()
