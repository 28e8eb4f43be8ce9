"""Who we are in Clockodo and how the account counts time and money."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from clockodo_mcp.clockodo import User, UserRole


@dataclass(frozen=True, slots=True)
class Account:
    """The API user, the account time zone and currency, and the week's first day."""

    user: User
    timezone: ZoneInfo
    currency: str
    week_starts_monday: bool

    @property
    def is_owner(self) -> bool:
        """Whether the API user is an owner (sees and manages everything)."""
        return self.user.role == UserRole.OWNER
