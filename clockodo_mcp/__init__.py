"""clockodo-mcp: an MCP server for Clockodo with confirmed writes and an audit log."""

__version__ = "0.1.0"
