"""The key that seals MCP 2026-07-28 `requestState` (a write confirmed in a form spans two requests).

The SDK's default key is made per process, so a replica could not resume a form another replica asked. With
`CLOCKODO_MCP_SECRET` set (the secret replicas share for confirmation tokens already), every replica seals under the
same key, derived from it under its own label (never the token key itself), and binds the state to the principal
of the request: one person's half-finished confirmation is refused to another.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from mcp.server.request_state import RequestStateSecurity

from clockodo_mcp.server.principal import bound_principal
from clockodo_mcp.server.tokens import ENV_SECRET

_LABEL = b"clockodo-mcp/request-state/v1"


def request_state_key(secret: str) -> bytes:
    """The request-state key derived from the shared secret (HKDF-SHA256, a label of its own)."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=_LABEL).derive(secret.encode("utf-8"))


def request_state_security(environ: Mapping[str, str] | None = None) -> RequestStateSecurity | None:
    """Shared-key protection when CLOCKODO_MCP_SECRET is set; None (the SDK's per-process key) otherwise."""
    secret = (os.environ if environ is None else environ).get(ENV_SECRET)
    if not secret:
        return None
    return RequestStateSecurity(keys=[request_state_key(secret)], bind_principal=bound_principal)
