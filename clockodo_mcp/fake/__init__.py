"""A Clockodo-compatible fake server (Starlette) for tests, the demo and benchmarks.

Independent of `clockodo_mcp.clockodo`: it implements Clockodo's published contract on its own.
"""

from clockodo_mcp.fake.auth import OWNER_EMAIL, OWNER_KEY, WORKER_EMAIL, WORKER_KEY

__all__ = ["OWNER_EMAIL", "OWNER_KEY", "WORKER_EMAIL", "WORKER_KEY"]
