"""Every tool module; importing this package registers all tools."""

from clockodo_mcp.server.tools import (
    admin_writes,
    alerts,
    app_writes,
    billing_writes,
    changes,
    people,
    projects,
    read,
    reports,
    time_writes,
    warehouse,
)

__all__ = [
    "admin_writes",
    "alerts",
    "app_writes",
    "billing_writes",
    "changes",
    "people",
    "projects",
    "read",
    "reports",
    "time_writes",
    "warehouse",
]
