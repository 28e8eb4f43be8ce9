"""A Clockodo-compatible fake server (Starlette) for tests, the demo and benchmarks.

Independent of `clockodo_mcp.clockodo`: it implements Clockodo's published contract on its own.

* `clockodo_mcp.fake.app.create_app(dataset=None, *, faults=None, now=None)` — the app; routes under `/api`.
* `clockodo_mcp.fake.server.serve(...)` / `BackgroundFakeServer(...)` — run it with uvicorn.
* `clockodo_mcp.fake.faults.FaultConfig` — latency, 429, 5xx, dropped connections, malformed JSON.

Demo credentials (every request also needs `X-Clockodo-External-Application: <app>;<e-mail>`):
owner `owner@demo.example` / `demo-owner-key`, worker `worker@demo.example` / `demo-worker-key`.
"""

from clockodo_mcp.fake.auth import OWNER_EMAIL, OWNER_KEY, WORKER_EMAIL, WORKER_KEY

__all__ = ["OWNER_EMAIL", "OWNER_KEY", "WORKER_EMAIL", "WORKER_KEY"]
