"""Allow ``python -m clockodo_mcp``."""

from clockodo_mcp.cli import main

raise SystemExit(main())
