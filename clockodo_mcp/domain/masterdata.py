"""A snapshot of Clockodo's master data (customers, projects, services, users, teams, target hours) for names and
joins."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio

from clockodo_mcp.clockodo import (
    ClockodoClient,
    ClockodoForbiddenError,
    Customer,
    LumpSumService,
    Project,
    Service,
    TargetHoursRow,
    Team,
    User,
)
from clockodo_mcp.domain.names import Candidate, Kind, resolve


@dataclass(slots=True)
class MasterData:
    """Id-indexed master data; built once per TTL, so tools never fetch names per row."""

    customers: dict[int, Customer] = field(default_factory=dict)
    projects: dict[int, Project] = field(default_factory=dict)
    services: dict[int, Service] = field(default_factory=dict)
    lump_sum_services: dict[int, LumpSumService] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    teams: dict[int, Team] = field(default_factory=dict)
    # Every `/targethours` row the API user may see; None when Clockodo refused them (a worker, say).
    target_hours: list[TargetHoursRow] | None = None

    def customer_name(self, customer_id: int | None) -> str:
        """Display name, or a placeholder for an unknown id."""
        if customer_id is None:
            return "(no customer)"
        customer = self.customers.get(customer_id)
        return customer.name if customer else f"customer {customer_id}"

    def project_name(self, project_id: int | None) -> str:
        """Display name, or a placeholder."""
        if project_id is None:
            return "(no project)"
        project = self.projects.get(project_id)
        return project.name if project else f"project {project_id}"

    def service_name(self, service_id: int | None) -> str:
        """Display name, or a placeholder."""
        if service_id is None:
            return "(no service)"
        service = self.services.get(service_id)
        return service.name if service else f"service {service_id}"

    def user_name(self, user_id: int | None) -> str:
        """Display name, or a placeholder."""
        if user_id is None:
            return "(nobody)"
        user = self.users.get(user_id)
        return (user.name or f"user {user_id}") if user else f"user {user_id}"

    def team_name(self, team_id: int | None) -> str:
        """Display name, or '(no team)'."""
        if team_id is None:
            return "(no team)"
        team = self.teams.get(team_id)
        return team.name if team else f"team {team_id}"

    def team_of(self, user_id: int) -> int | None:
        """The team a user belongs to (from the user record, else from the team's member list)."""
        user = self.users.get(user_id)
        if user is not None and user.teams_id is not None:
            return user.teams_id
        for team in self.teams.values():
            if user_id in (team.user_ids or []):
                return team.id
        return None

    def team_members(self, team_id: int) -> list[int]:
        """Ids of the users in a team."""
        members = {u.id for u in self.users.values() if u.teams_id == team_id}
        team = self.teams.get(team_id)
        if team is not None:
            members.update(team.user_ids or [])
        return sorted(members)

    def candidates(self, kind: Kind) -> list[Candidate]:
        """Name-resolution candidates of one kind."""
        match kind:
            case "customer":
                return [
                    Candidate("customer", c.id, c.name, c.active, None, tuple(filter(None, [c.number])))
                    for c in self.customers.values()
                ]
            case "project":
                return [
                    Candidate(
                        "project",
                        p.id,
                        p.name,
                        p.active,
                        f"customer {self.customer_name(p.customers_id)}",
                        tuple(filter(None, [p.number])),
                    )
                    for p in self.projects.values()
                ]
            case "service":
                return [
                    Candidate("service", s.id, s.name, s.active, None, tuple(filter(None, [s.number])))
                    for s in self.services.values()
                ]
            case "lump_sum_service":
                return [
                    Candidate("lump_sum_service", s.id, s.name, s.active, None, ())
                    for s in self.lump_sum_services.values()
                ]
            case "user":
                return [
                    Candidate(
                        "user",
                        u.id,
                        u.name or f"user {u.id}",
                        u.active,
                        f"team {self.team_name(u.teams_id)}" if u.teams_id else None,
                        tuple(filter(None, [u.email, u.number])),
                    )
                    for u in self.users.values()
                ]
            case _:
                return [Candidate("team", t.id, t.name, True, None, ()) for t in self.teams.values()]

    def target_rows(self, user_id: int | None = None) -> list[TargetHoursRow] | None:
        """The cached target-hours rows (of one user), or None when they were not readable with these credentials."""
        if self.target_hours is None:
            return None
        return [r for r in self.target_hours if user_id is None or r.users_id == user_id]

    def resolve(self, kind: Kind, query: str | int) -> Candidate:
        """Resolve a name or id of one kind; raises NoMatch / Ambiguous with candidates."""
        return resolve(query, self.candidates(kind), kind)


async def load_master_data(client: ClockodoClient) -> MasterData:
    """Fetch every master-data list concurrently: one round trip, a handful of requests, whatever the row count."""
    data = MasterData()

    async def customers() -> None:
        data.customers = {c.id: c for c in await client.customers.all()}

    async def projects() -> None:
        data.projects = {p.id: p for p in await client.projects.all()}

    async def services() -> None:
        data.services = {s.id: s for s in await client.services.all()}

    async def lump_sum_services() -> None:
        data.lump_sum_services = {s.id: s for s in await client.lump_sum_services.all()}

    async def users() -> None:
        data.users = {u.id: u for u in await client.users.all()}

    async def teams() -> None:
        data.teams = {t.id: t for t in await client.teams.all()}

    async def target_hours() -> None:
        try:
            data.target_hours = await client.target_hours.list()
        except ClockodoForbiddenError:
            data.target_hours = None  # the tools that need them ask again and report Clockodo's refusal

    async with anyio.create_task_group() as group:
        for loader in (customers, projects, services, lump_sum_services, users, teams, target_hours):
            group.start_soon(loader)
    return data
