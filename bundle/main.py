"""The Claude Desktop bundle's entry point: `clockodo-mcp serve` on stdio, configured by the host's environment.

Claude Desktop fills CLOCKODO_API_USER, CLOCKODO_API_KEY and CLOCKODO_BASE_URL from the bundle's user_config; an
option the user left empty arrives as an empty string, which must mean "unset" (e.g. the default base URL).
"""

from __future__ import annotations

import os
import sys

from clockodo_mcp.cli import main

for name in ("CLOCKODO_API_USER", "CLOCKODO_API_KEY", "CLOCKODO_BASE_URL"):
    if not os.environ.get(name, "").strip():
        os.environ.pop(name, None)

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
