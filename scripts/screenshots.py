"""Screenshots of every view for the README, from the demo company, in the same real browser as the tests.

    .venv/bin/python scripts/screenshots.py            # writes docs/screenshots/<view>.png

The demo is seeded for a fixed day (the tests' 2026-11-24, 16:00 Berlin), so the pictures change only when a view or
the demo changes. It needs Debian's chromium and Python Playwright, as the browser tests do.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clockodo_mcp.fake.app import create_app  # noqa: E402
from clockodo_mcp.fake.demo import seed  # noqa: E402
from clockodo_mcp.server.views import CONFIRM, VIEWS  # noqa: E402
from tests.server.browser import browser_missing, browser_rig  # noqa: E402
from tests.server.conftest import NOW, TODAY  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDTH = 960
# The arguments each view is shown with; the dialog shows a month-close billing preview.
SHOTS: dict[str, dict[str, Any]] = {
    "unbilled_aging": {},
    "utilization": {"period": "last_month", "by_week": True},
    "report_hours": {"period": "last_month", "group_by": ["customer"]},
    "absence_queue": {},
    "budget_status": {},
}
CONFIRM_SHOT = ("set_billing_state", {"period": "last_month", "customer": "Client XYZ", "to_state": "billed"})


def shot_path(view: str) -> Path:
    """Where the README's picture of a view lives."""
    return OUT / f"{view}.png"


async def take() -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as directory:
        fake = create_app(seed(seed=7, today=TODAY), now=lambda: NOW)
        async with browser_rig(fake, Path(directory), NOW) as rig:
            shots = [(tool, SHOTS.get(tool, {}), view) for tool, view in sorted(VIEWS.items())]
            shots.append((*CONFIRM_SHOT, CONFIRM))
            for tool, arguments, view in shots:
                result = await rig.host.call(tool, **arguments)
                if result.get("isError"):
                    raise SystemExit(f"{tool}({arguments}) failed: {result['content']}")
                shown = await rig.host.show(tool, result, arguments, width=WIDTH)
                written.append(await shown.screenshot(view, OUT))
    return written


def main() -> int:
    missing = browser_missing()
    if missing:
        print(f"cannot take screenshots: {missing}", file=sys.stderr)
        return 1
    for path in asyncio.run(take()):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
