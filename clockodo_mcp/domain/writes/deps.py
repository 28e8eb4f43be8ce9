"""What a write plan needs, and nothing of MCP: the Clockodo client, master data, account, clock and journal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clockodo_mcp.clock import Clock
from clockodo_mcp.clockodo import ClockodoClient
from clockodo_mcp.domain.account import Account
from clockodo_mcp.domain.hours import Scope
from clockodo_mcp.domain.masterdata import MasterData
from clockodo_mcp.domain.periods import DateRange, Period, parse_period
from clockodo_mcp.store import Store


@dataclass(frozen=True, slots=True)
class WriteDeps:
    """The dependencies of every plan function; the server's per-call context is one of these."""

    client: ClockodoClient
    master: MasterData
    account: Account
    clock: Clock
    journal: Store  # read by undo (the change it reverts); writes to it are the gate's
    principal: str | None = None  # the person a shared endpoint acts for: undo reverts only their own changes

    def now(self) -> datetime:
        """The current instant, aware UTC."""
        return self.clock.now()

    @property
    def currency(self) -> str:
        """The account currency."""
        return self.account.currency

    def period(self, value: str | DateRange | dict[str, Any]) -> Period:
        """Resolve a period argument in the account time zone."""
        return parse_period(
            value, tz=self.account.timezone, now=self.now(), week_starts_monday=self.account.week_starts_monday
        )

    def scope(
        self,
        *,
        customer: str | int | None = None,
        project: str | int | None = None,
        user: str | int | None = None,
        team: str | int | None = None,
        service: str | int | None = None,
    ) -> Scope:
        """Resolve names to ids (raises NoMatch / Ambiguous)."""
        return Scope(
            customer_id=self.master.resolve("customer", customer).id if customer is not None else None,
            project_id=self.master.resolve("project", project).id if project is not None else None,
            user_id=self.master.resolve("user", user).id if user is not None else None,
            team_id=self.master.resolve("team", team).id if team is not None else None,
            service_id=self.master.resolve("service", service).id if service is not None else None,
        )

    def describe_scope(self, scope: Scope) -> str:
        """'for project Phoenix, user Sarah Chen' (empty when unfiltered)."""
        parts = []
        if scope.customer_id is not None:
            parts.append(f"customer {self.master.customer_name(scope.customer_id)}")
        if scope.project_id is not None:
            parts.append(f"project {self.master.project_name(scope.project_id)}")
        if scope.user_id is not None:
            parts.append(f"user {self.master.user_name(scope.user_id)}")
        if scope.team_id is not None:
            parts.append(f"team {self.master.team_name(scope.team_id)}")
        if scope.service_id is not None:
            parts.append(f"service {self.master.service_name(scope.service_id)}")
        return (" for " + ", ".join(parts)) if parts else ""
