"""Regenerate the README's generated blocks (install, client snippets, transcript, tool tables); --check only reports.

python scripts/update_readme.py          # rewrite the stale blocks
python scripts/update_readme.py --check  # exit 1 if any block is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

from clockodo_mcp.readme import BLOCKS, block_text, update

README = Path(__file__).resolve().parent.parent / "README.md"


def main(argv: list[str]) -> int:
    if "--check" in argv:
        text = README.read_text(encoding="utf-8")
        stale = [name for name, make in BLOCKS.items() if block_text(text, name) != make().strip()]
        for name in stale:
            print(f"README block {name!r} is stale: run python scripts/update_readme.py", file=sys.stderr)
        return 1 if stale else 0
    changed = update(README)
    print(f"updated: {', '.join(changed)}" if changed else "README is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
