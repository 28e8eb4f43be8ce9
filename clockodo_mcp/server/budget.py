"""Clockodo's rate limit shared by every replica: the store counts each API user's requests for all processes."""

from __future__ import annotations

import logging

import anyio

from clockodo_mcp.store import Store, StoreError

logger = logging.getLogger("clockodo_mcp")


class StoreBudget:
    """The shared budget of one Clockodo API user in the store (`Store.admit_request`)."""

    def __init__(self, store: Store, api_user: str) -> None:
        self.store = store
        self.bucket = api_user.casefold()  # Clockodo's limit is per login, whatever its spelling

    async def admit(self, limits: tuple[tuple[int, float], ...]) -> float:
        """Count one request in the store; 0.0 when it fits, else the seconds until it would."""
        try:
            return await anyio.to_thread.run_sync(self.store.admit_request, self.bucket, limits)
        except StoreError as error:
            # Without the store only this process's windows hold; writes fail closed on the journal anyway.
            logger.warning("The shared rate budget cannot be read, so only this process's limit applies: %s", error)
            return 0.0
