"""What the store tests journal: a change as the gate would record it."""

from __future__ import annotations

from datetime import datetime, timedelta

from clockodo_mcp.store import NewChange
from tests.store.conftest import NOW

EXPIRES = NOW + timedelta(minutes=10)


def new_change(
    change_id: str,
    nonce: str | None = "n-1",
    tool: str = "log_time",
    expires: datetime = EXPIRES,
    undoes: str | None = None,
) -> NewChange:
    return NewChange(
        change_id=change_id,
        tool=tool,
        args={"change_id": undoes} if undoes else {"project": "Phoenix", "hours": 3},
        undoes=undoes,
        summary=f"Will do {change_id}.",
        before={"entries": []},
        planned={"action": "create entry"},
        confirmed_by="token" if nonce else "elicitation",
        nonce=nonce,
        nonce_expires_at=expires if nonce else None,
    )
