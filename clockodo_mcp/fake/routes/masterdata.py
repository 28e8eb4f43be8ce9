"""Customers v3, projects v4 (+ complete, setBilled v3), subprojects v3, services v4, lump-sum services v4,
users v3 (+ `/v4/users/me`, `/v2/aggregates/users/me`) and teams v3."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from clockodo_mcp.fake.errors import Family, typed_error
from clockodo_mcp.fake.params import Params, format_ts
from clockodo_mcp.fake.rating import raw_revenue, time_entry_seconds
from clockodo_mcp.fake.resources import Field, Resource, find, render, resource_routes
from clockodo_mcp.fake.routing import Ctx, api_route
from clockodo_mcp.fake.store import Store

JSON = dict[str, Any]
THRESHOLDS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 200, 250, 300)
MAX_MONEY = 99_999_999.99


def _entry_counts(attribute: str) -> Any:
    def relations(store: Store, ident: int) -> dict[str, int]:
        return {"entries": sum(1 for e in store.entries if getattr(e, attribute) == ident)}

    return relations


def _drop_entries(attribute: str) -> Any:
    def on_delete(store: Store, ident: int, force: bool) -> None:
        if force:
            for entry in [e for e in store.entries if getattr(e, attribute) == ident]:
                store.delete_entry(entry)

    return on_delete


# -- budgets -------------------------------------------------------------------------------------------------


def read_budget(body: Params, name: str) -> JSON:
    """A v4 budget object (`amount` required unless it comes from subprojects)."""
    sub = body.sub(name)
    from_subprojects = bool(sub.boolean("from_subprojects"))
    amount = sub.number("amount", minimum=0, maximum=MAX_MONEY)
    if from_subprojects and amount is not None:
        raise typed_error(
            "FieldsShouldBeEmpty",
            "A budget from subprojects has no own amount.",
            f"{name}[amount]",
            {"fields": ["amount"]},
        )
    if not from_subprojects and not amount:
        raise sub.missing("amount")
    thresholds = sub.int_list("notification_thresholds") or []
    unknown = [t for t in thresholds if t not in THRESHOLDS]
    if unknown:
        raise typed_error(
            "UnexpectedValue",
            f"Unknown notification thresholds {unknown}.",
            f"{name}[notification_thresholds]",
            {"expected_values": list(THRESHOLDS)},
        )
    monetary = sub.boolean("monetary")
    hard = sub.boolean("hard")
    return {
        "monetary": True if monetary is None else monetary,
        "hard": bool(hard),
        "from_subprojects": from_subprojects,
        "interval": sub.choice("interval", (0, 1, 2, 3)),
        "amount": amount,
        "notification_thresholds": sorted(set(thresholds)),
    }


def project_usage(store: Store, project_id: int) -> tuple[float, float]:
    """(hours, revenue) booked on a project so far — used for the completion's revenue factor."""
    now_ts = store.now().timestamp()
    prices = store.lumpsum_prices()
    seconds = 0
    revenue = 0.0
    for entry in store.entries:
        if entry.projects_id != project_id:
            continue
        spent = time_entry_seconds(entry, now_ts) if entry.type == 1 else 0
        seconds += spent
        revenue += raw_revenue(entry, spent, prices)
    return seconds / 3600.0, revenue


def render_project(store: Store, project: JSON) -> JSON:
    """ProjectV4 with the derived fields: subproject count, budget totals, revenue factor."""
    data = dict(project)
    subprojects = [s for s in store.subprojects.values() if s.get("projects_id") == project["id"]]
    data["count_subprojects"] = len(subprojects)
    budget = data.get("budget")
    if budget:
        budget = dict(budget)
        budget["subprojects_budget_total"] = float(
            sum((s.get("budget") or {}).get("amount") or 0.0 for s in subprojects)
        )
        data["budget"] = budget
    if not budget or not budget.get("hard"):
        data["revenue_factor"] = 1.0
    elif not data.get("completed"):
        data["revenue_factor"] = None
    else:
        data["revenue_factor"] = data.get("revenue_factor")
    return data


def _validate_project(store: Store, values: JSON, existing: JSON | None) -> None:
    merged = {**(existing or {}), **values}
    start, deadline = merged.get("start_date"), merged.get("deadline")
    if start and deadline and deadline < start:
        raise typed_error("ProjectDeadlineIsNotBeforeProjectStart", "The deadline is before the start.", "deadline")
    if existing is not None and existing.get("completed") and "budget" in values:
        raise typed_error(
            "IllegalChangeForCompletedProject",
            "A completed project's budget cannot change.",
            "budget",
            {"fields": ["budget"]},
        )


def _project_defaults(store: Store, values: JSON) -> JSON:
    customer = store.customers.get(int(values.get("customers_id") or 0)) or {}
    return {
        "number": None,
        "active": True,
        "billable_default": bool(customer.get("billable_default", True)),
        "note": None,
        "billed_money": None,
        "billed_completely": None,
        "completed": False,
        "completed_at": None,
        "revenue_factor": None,
        "test_data": False,
        "count_subprojects": 0,
        "deadline": None,
        "start_date": None,
        "budget": None,
        "bill_service_id": None,
        "automatic_completion": False,
        "service_assignments": [],
    }


def _customer_defaults(store: Store, values: JSON) -> JSON:
    return {
        "number": None,
        "color": 1,
        "active": True,
        "billable_default": True,
        "note": None,
        "bill_service_id": None,
        "test_data": False,
        "service_assignments": [],
    }


def _simple_defaults(**extra: Any) -> Any:
    def defaults(store: Store, values: JSON) -> JSON:
        return {"number": None, "active": True, "note": None, "bill_service_id": None, **extra}

    return defaults


def _subproject_defaults(store: Store, values: JSON) -> JSON:
    project = store.projects.get(int(values.get("projects_id") or 0)) or {}
    return {
        "note": None,
        "number": None,
        "budget": None,
        "billed": None,
        "billed_money": None,
        "billed_completely": None,
        "billable_default": bool(project.get("billable_default", True)),
        "completed": False,
        "completed_at": None,
        "revenue_factor": 1.0,
        "start_date": None,
        "deadline": None,
        "active": True,
        "automatic_completion": False,
        "service_assignments": [],
        "bill_service_id": None,
    }


def _initials(name: str) -> str:
    return "".join(part[0] for part in name.split() if part)[:3].upper()


def _user_defaults(store: Store, values: JSON) -> JSON:
    return {
        "number": None,
        "active": True,
        "language": "en",
        "timezone": store.company.get("timezone_default", "Europe/Berlin"),
        "timeformat_12h": False,
        "weekstart_monday": True,
        "weekend_friday": False,
        "teams_id": None,
        "initials": _initials(str(values.get("name", ""))),
        "boss": None,
        "absence_managers_id": [],
        "access_groups_ids": [],
        "can_generally_see_absences": False,
        "can_generally_manage_absences": False,
        "can_add_customers": False,
        "default_holidays_count": True,
        "default_target_hours": True,
        "work_time_regulations_id": None,
        "default_work_time_regulation": True,
        "future_coworker": False,
        "start_date": None,
        "wage_type": None,
        "edit_lock": None,
        "edit_lock_dyn": None,
        "edit_lock_sync": None,
        "work_time_edit_lock_days": None,
        "budget_notifications": False,
        "nonbusiness_groups_id": None,
        "creator": None,
        "created_at": format_ts(store.now()),
        "bill_service_id": None,
    }


def _validate_user(store: Store, values: JSON, existing: JSON | None) -> None:
    email = values.get("email")
    if email is not None:
        holder = store.users_by_email.get(str(email).lower())
        if holder is not None and (existing is None or holder["id"] != existing["id"]):
            raise typed_error(
                "EmailNotAvailable",
                "This e-mail address is already in use.",
                "email",
                {"resources": ["users"], "count": [1]},
            )


def _reindex_users(store: Store, item: JSON, before: JSON | None) -> None:
    if "name" in item and (before is None or before.get("name") != item["name"]):
        item["initials"] = _initials(str(item["name"]))
    store.reindex_users()


def _users_filter(store: Store, flt: Params) -> Any:
    teams = flt.raw("teams_id")
    if teams is None or teams == "":
        return None
    values = teams if isinstance(teams, list) else str(teams).split(",")
    wanted: set[int | None] = set()
    for value in values:
        text = str(value).strip().lower()
        if text in ("", "null", "none"):
            wanted.add(None)
        else:
            wanted.update(Params({"teams_id": text}, prefix="filter").int_list("teams_id", minimum=1) or [])
    return lambda user: user.get("teams_id") in wanted


def _validate_team(store: Store, values: JSON, existing: JSON | None) -> None:
    members = values.get("user_ids")
    if not members:
        return
    own = existing["id"] if existing else None
    taken = [uid for uid in members if store.users[uid].get("teams_id") not in (None, own)]
    if taken:
        raise typed_error(
            "UserHasAnotherTeam", "A user can be in one team only.", "user_ids", {"users_in_another_team": taken}
        )


def _render_team(store: Store, team: JSON) -> JSON:
    data = dict(team)
    members = sorted(uid for uid, user in store.users.items() if user.get("teams_id") == team["id"])
    data["user_ids"] = members or list(team.get("user_ids") or [])
    return data


def _sync_team(store: Store, team: JSON, before: JSON | None) -> None:
    if "user_ids" not in team:
        return
    members = set(team.get("user_ids") or [])
    for uid, user in store.users.items():
        if uid in members:
            user["teams_id"] = team["id"]
        elif user.get("teams_id") == team["id"]:
            user["teams_id"] = None
    team.pop("user_ids", None)


def _unlink_team(store: Store, ident: int, force: bool) -> None:
    for user in store.users.values():
        if user.get("teams_id") == ident:
            user["teams_id"] = None


_COMMON = (
    Field("name", "str", nullable=False, max_length=100),
    Field("number", "str", max_length=50),
    Field("active", "bool", nullable=False),
    Field("note", "str", max_length=1000),
    Field("bill_service_id", "str", max_length=50),
)

CUSTOMERS = Resource(
    path="/v3/customers",
    table="customers",
    label="Customer",
    fields=(
        *_COMMON,
        Field("billable_default", "bool", nullable=False),
        Field("color", "int", nullable=False, minimum=1, maximum=9),
        Field("service_assignments", "ids", ref="services"),
    ),
    required=("name",),
    defaults=_customer_defaults,
    relations=_entry_counts("customers_id"),
    on_delete=_drop_entries("customers_id"),
)

PROJECTS = Resource(
    path="/v4/projects",
    table="projects",
    label="Project",
    fields=(
        *_COMMON,
        Field("customers_id", "int", nullable=False, minimum=1, ref="customers"),
        Field("billable_default", "bool", nullable=False),
        Field("start_date", "date"),
        Field("deadline", "date"),
        Field("automatic_completion", "bool", nullable=False),
        Field("budget", "custom", reader=read_budget),
        Field("service_assignments", "ids", ref="services"),
    ),
    required=("name", "customers_id"),
    defaults=_project_defaults,
    filters=("active", "fulltext", "completed", "customers_id"),
    hidden_for_worker=("billed_money", "billed_completely", "revenue_factor"),
    render=render_project,
    validate=_validate_project,
    relations=_entry_counts("projects_id"),
    on_delete=_drop_entries("projects_id"),
)

SUBPROJECTS = Resource(
    path="/v3/subprojects",
    table="subprojects",
    label="Subproject",
    fields=(
        *_COMMON,
        Field("projects_id", "int", nullable=False, minimum=1, ref="projects"),
        Field("billable_default", "bool", nullable=False),
        Field("start_date", "date"),
        Field("deadline", "date"),
        Field("automatic_completion", "bool", nullable=False),
        Field("budget", "custom", reader=read_budget),
        Field("service_assignments", "ids", ref="services"),
    ),
    required=("name", "projects_id"),
    defaults=_subproject_defaults,
    filters=("active", "fulltext", "completed", "projects_id"),
    hidden_for_worker=("billed_money", "billed_completely", "revenue_factor"),
    scopes=(),
    relations=_entry_counts("subprojects_id"),
    on_delete=_drop_entries("subprojects_id"),
)

SERVICES = Resource(
    path="/v4/services",
    table="services",
    label="Service",
    fields=_COMMON,
    required=("name",),
    defaults=_simple_defaults(),
    relations=_entry_counts("services_id"),
    on_delete=_drop_entries("services_id"),
)

LUMPSUM_SERVICES = Resource(
    path="/v4/lumpSumServices",
    table="lumpsum_services",
    label="Lump-sum service",
    fields=(
        *_COMMON,
        Field("price", "float", nullable=False, minimum=-MAX_MONEY, maximum=MAX_MONEY),
        Field("unit", "str", max_length=6),
    ),
    required=("name", "price"),
    defaults=_simple_defaults(unit=None),
    scopes=(),
    relations=_entry_counts("lumpsum_services_id"),
    on_delete=_drop_entries("lumpsum_services_id"),
)

USERS = Resource(
    path="/v3/users",
    table="users",
    label="User",
    fields=(
        Field("name", "str", nullable=False, max_length=100),
        Field("email", "str", nullable=False, max_length=90),
        Field("role", "choice", nullable=False, choices=("worker", "owner")),
        Field("active", "bool", nullable=False),
        Field("number", "str", max_length=50),
        Field("boss", "int", minimum=1, ref="users"),
        Field("language", "choice", nullable=False, choices=("en", "de", "fr")),
        Field("teams_id", "int", minimum=1, ref="teams"),
        Field("timeformat_12h", "bool", nullable=False),
        Field("timezone", "str", nullable=False, max_length=64),
        Field("wage_type", "choice", choices=(1, 2)),
        Field("weekstart_monday", "bool", nullable=False),
        Field("start_date", "date"),
        Field("absence_managers_id", "ids", ref="users"),
        Field("budget_notifications", "bool", nullable=False),
    ),
    required=("name", "email", "role"),
    defaults=_user_defaults,
    filters=("active", "fulltext"),
    sort_keys=("active", "id", "name", "number", "role", "teams_name"),
    max_per_page=1000,
    scopes=("manageAbsences", "viewAbsences", "viewUserReports", "viewUserReportsDetailed", "viewPresences"),
    validate=_validate_user,
    after_write=_reindex_users,
    extra_list_filter=_users_filter,
    delete_requires_inactive=False,
    relations=_entry_counts("users_id"),
    on_delete=_drop_entries("users_id"),
)

TEAMS = Resource(
    path="/v3/teams",
    table="teams",
    label="Team",
    fields=(
        Field("name", "str", nullable=False, max_length=100),
        Field("leader", "int", minimum=1, ref="users"),
        Field("user_ids", "ids", ref="users"),
    ),
    required=("name",),
    defaults=lambda store, values: {"leader": None},
    filters=("fulltext",),
    sort_keys=("id", "name"),
    max_per_page=1000,
    scopes=("manageAbsences", "viewAbsences", "viewUserReports", "viewUserReportsDetailed", "viewPresences"),
    render=_render_team,
    validate=_validate_team,
    after_write=_sync_team,
    delete_requires_inactive=False,
    on_delete=_unlink_team,
)


# -- special endpoints ---------------------------------------------------------------------------------------


def complete_project(ctx: Ctx) -> JSON:
    """PUT /v4/projects/{id}/complete `{completed: bool}`."""
    ctx.caller.require_owner("complete projects")
    store = ctx.store
    project = find(PROJECTS, store, ctx.path_id())
    completed = ctx.body.boolean("completed", required=True)
    if completed:
        running = [e.id for e in store.entries if e.projects_id == project["id"] and e.time_until is None]
        if running:
            raise typed_error("ProjectCompletionRunningEntries", "Stop the running entries of the project first.")
        subprojects = [s for s in store.subprojects.values() if s.get("projects_id") == project["id"]]
        if any(not s.get("completed") for s in subprojects if s.get("active", True)):
            raise typed_error("AllSubprojectsMustBeCompleted", "Complete every subproject first.")
        project["completed"] = True
        project["completed_at"] = format_ts(ctx.now)
        budget = project.get("budget") or {}
        if budget.get("hard") and budget.get("amount"):
            hours, revenue = project_usage(store, project["id"])
            used = revenue if budget.get("monetary", True) else hours
            project["revenue_factor"] = round(float(budget["amount"]) / used, 4) if used else 1.0
    else:
        project["completed"] = False
        project["completed_at"] = None
        project["revenue_factor"] = None
    return {"data": render(PROJECTS, store, project, True)}


def set_billed(ctx: Ctx) -> JSON:
    """PUT /v3/projects/{id}/setBilled `{billed, billed_money}`."""
    ctx.caller.require_owner("set projects billed")
    store = ctx.store
    project = find(PROJECTS, store, ctx.path_id())
    billed = ctx.body.boolean("billed", required=True)
    billed_money = ctx.body.number("billed_money", minimum=0, maximum=MAX_MONEY)
    budget = project.get("budget") or {}
    if billed_money is not None and not budget.get("hard"):
        raise typed_error("BilledMoneyCanOnlyBeSetWithHardBudget", "billed_money needs a hard budget.", "billed_money")
    if billed and billed_money is None and budget.get("monetary", True):
        raise typed_error("BilledCanOnlyBeSetWithHourBudget", "billed alone needs an hours budget.", "billed")
    project["billed_completely"] = billed
    if billed_money is not None:
        project["billed_money"] = billed_money
    return {"data": render(PROJECTS, store, project, True)}


def users_me(ctx: Ctx) -> JSON:
    """GET /v4/users/me."""
    return {"data": dict(ctx.caller.user)}


def aggregates_me(ctx: Ctx) -> JSON:
    """GET /v2/aggregates/users/me (deprecated; the only place company settings are exposed)."""
    user = dict(ctx.caller.user)
    user.setdefault("nonbusinessgroups_id", user.get("nonbusiness_groups_id"))
    user.setdefault("worktime_regulation_id", user.get("work_time_regulations_id"))
    return {"user": user, "company": dict(ctx.store.company), "worktime_regulation": None}


def routes() -> list[Route]:
    """The master-data routes."""
    general = Family.GENERAL
    return [
        api_route("/v4/users/me", users_me, ["GET"], general),
        api_route("/v2/aggregates/users/me", aggregates_me, ["GET"], Family.SIMPLE),
        api_route("/v4/projects/{id:int}/complete", complete_project, ["PUT"], general, typed_body=True),
        api_route("/v3/projects/{id:int}/setBilled", set_billed, ["PUT"], general, typed_body=True),
        *resource_routes(CUSTOMERS),
        *resource_routes(PROJECTS),
        *resource_routes(SUBPROJECTS),
        *resource_routes(SERVICES),
        *resource_routes(LUMPSUM_SERVICES),
        *resource_routes(USERS),
        *resource_routes(TEAMS),
    ]
