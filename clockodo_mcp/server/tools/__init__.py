"""Every tool module; importing this package registers all tools."""

from clockodo_mcp.server.tools import alerts, people, projects, read, reports

__all__ = ["alerts", "people", "projects", "read", "reports"]
