"""The warehouse schema: every table and column, once. Targets create tables from it and `docs/warehouse.md` is
rendered from it, so the reference cannot drift from what the sync writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SCHEMA_VERSION = 1

ColumnType = Literal["int", "float", "money", "text", "bool", "date", "timestamp", "json"]

SECONDS = "seconds"
HOURS = "hours"
CURRENCY = "account currency (company setting, e.g. EUR)"


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its type, what it means, its unit, and where it comes from in Clockodo's JSON (dotted path)."""

    name: str
    type: ColumnType
    meaning: str
    unit: str = ""
    source: str | None = None  # dotted path in Clockodo's object; None: the column's name; "" derived by the sync

    @property
    def path(self) -> tuple[str, ...]:
        """The JSON path the value is read from."""
        return tuple((self.source if self.source is not None else self.name).split("."))


@dataclass(frozen=True, slots=True)
class Table:
    """One table: its primary key, its source in Clockodo (or here) and its columns."""

    name: str
    key: tuple[str, ...]
    meaning: str
    source: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names in order."""
        return tuple(column.name for column in self.columns)


def _c(name: str, type_: ColumnType, meaning: str, unit: str = "", source: str | None = None) -> Column:
    return Column(name, type_, meaning, unit, source)


_ID = _c("id", "int", "Clockodo id")
_SYNCED = _c("synced_at", "timestamp", "when this sync run wrote the row (UTC)", "", "")


def _budget(prefix: str = "budget") -> tuple[Column, ...]:
    return (
        _c(f"{prefix}_monetary", "bool", "true: the budget is money; false: hours", "", "budget.monetary"),
        _c(f"{prefix}_hard", "bool", "hard budget (revenue capped at the budget) rather than soft", "", "budget.hard"),
        _c(
            f"{prefix}_from_subprojects",
            "bool",
            "the budget is the sum of the subprojects' budgets",
            "",
            "budget.from_subprojects",
        ),
        _c(
            f"{prefix}_interval",
            "text",
            "budget interval (e.g. monthly) or null for a total budget",
            "",
            "budget.interval",
        ),
        _c(
            f"{prefix}_amount",
            "float",
            "budget amount: hours, or money when budget_monetary",
            f"{HOURS} or {CURRENCY}",
            "budget.amount",
        ),
        _c(
            f"{prefix}_notification_thresholds",
            "json",
            "percentages at which Clockodo notifies",
            "percent",
            "budget.notification_thresholds",
        ),
    )


ENTRIES = Table(
    "entries",
    ("id",),
    "Time entries (type 1), lump-sum values (type 2) and lump-sum service entries (type 3), one row per entry.",
    "GET /v2/entries?enhanced_list=true&calc_also_revenues_for_projects_with_hard_budget=true",
    (
        _ID,
        _c("type", "int", "1 time entry, 2 lump-sum value, 3 lump-sum service"),
        _c("customers_id", "int", "customer (always set)"),
        _c("projects_id", "int", "project, or null"),
        _c("subprojects_id", "int", "subproject, or null"),
        _c("users_id", "int", "co-worker who owns the entry"),
        _c("services_id", "int", "service (time and lump-sum value entries)"),
        _c("lumpsum_services_id", "int", "lump-sum service (type 3)"),
        _c("billable", "int", "billing state: 0 not billable, 1 billable and not yet billed, 2 billed"),
        _c("texts_id", "int", "id of the de-duplicated description text"),
        _c("text", "text", "description"),
        _c("time_since", "timestamp", "start (UTC); for lump sums the booking time"),
        _c("time_until", "timestamp", "end (UTC); null while the clock runs"),
        _c("duration", "int", "duration of a time entry; null while running", SECONDS),
        _c("offset", "int", "correction of the duration against time_until − time_since", SECONDS),
        _c("hourly_rate", "money", "effective hourly rate stamped on the entry", f"{CURRENCY} per hour"),
        _c("revenue", "money", "revenue of the entry (0 when not billable)", CURRENCY),
        _c("lumpsum", "money", "lump-sum value (type 2)", CURRENCY),
        _c("lumpsum_services_amount", "float", "quantity of the lump-sum service (type 3)", "units of the service"),
        _c("lumpsum_services_price", "money", "unit price of the lump-sum service (type 3)", CURRENCY),
        _c("time_insert", "timestamp", "when the entry was created (UTC)"),
        _c("time_last_change", "timestamp", "when the entry was last changed (UTC)"),
        _c("time_last_change_work_time", "timestamp", "last change of work-time relevant data (UTC)"),
        _c("time_clocked_since", "timestamp", "when the stopwatch was started (UTC), null for manual entries"),
        _c("clocked", "bool", "created or stopped with the clock"),
        _c("clocked_offline", "bool", "clocked in offline mode"),
        _c("test_data", "bool", "Clockodo's demo/test data flag"),
        _c("customers_name", "text", "customer name at sync time"),
        _c("projects_name", "text", "project name at sync time"),
        _c("subprojects_name", "text", "subproject name at sync time"),
        _c("users_name", "text", "co-worker name at sync time"),
        _c("services_name", "text", "service name at sync time"),
        _c("lumpsum_services_name", "text", "lump-sum service name at sync time"),
        _c("running", "bool", "true for the running clock entry (a time entry without an end)", "", ""),
        _c("month", "text", "month of time_since in the account's time zone, YYYY-MM (joins entry_months)", "", ""),
        _SYNCED,
    ),
)

CUSTOMERS = Table(
    "customers",
    ("id",),
    "Customers.",
    "GET /v3/customers",
    (
        _ID,
        _c("name", "text", "name"),
        _c("number", "text", "customer number"),
        _c("active", "bool", "active (not archived)"),
        _c("billable_default", "bool", "new entries are billable by default"),
        _c("color", "int", "colour index"),
        _c("note", "text", "note"),
        _c("bill_service_id", "text", "id in an external billing service"),
        _c("service_assignments", "json", "ids of the services assigned to the customer"),
        _c("test_data", "bool", "Clockodo's demo/test data flag"),
        _SYNCED,
    ),
)

PROJECTS = Table(
    "projects",
    ("id",),
    "Projects with their budgets.",
    "GET /v4/projects",
    (
        _ID,
        _c("customers_id", "int", "customer"),
        _c("name", "text", "name"),
        _c("number", "text", "project number"),
        _c("active", "bool", "active (not archived)"),
        _c("billable_default", "bool", "new entries are billable by default"),
        _c("note", "text", "note"),
        _c("completed", "bool", "completed"),
        _c("completed_at", "timestamp", "when it was completed (UTC)"),
        _c("billed_money", "money", "amount billed for the project", CURRENCY),
        _c("billed_completely", "bool", "billed completely"),
        _c("revenue_factor", "float", "factor applied to revenue (hard budgets); null while unknown", "ratio"),
        _c("deadline", "date", "deadline"),
        _c("start_date", "date", "start date"),
        _c("automatic_completion", "bool", "completed automatically at the deadline"),
        _c("count_subprojects", "int", "number of subprojects"),
        *_budget(),
        _c(
            "budget_subprojects_total",
            "float",
            "sum of the subprojects' budgets",
            f"{HOURS} or {CURRENCY}",
            "budget.subprojects_budget_total",
        ),
        _c("bill_service_id", "text", "id in an external billing service"),
        _c("service_assignments", "json", "ids of the services assigned to the project"),
        _c("test_data", "bool", "Clockodo's demo/test data flag"),
        _SYNCED,
    ),
)

SUBPROJECTS = Table(
    "subprojects",
    ("id",),
    "Subprojects.",
    "GET /v3/subprojects",
    (
        _ID,
        _c("projects_id", "int", "project"),
        _c("name", "text", "name"),
        _c("number", "text", "subproject number"),
        _c("note", "text", "note"),
        _c("active", "bool", "active"),
        _c("billable_default", "bool", "new entries are billable by default"),
        *_budget(),
        _c("billed", "int", "billing state of the subproject"),
        _c("billed_money", "money", "amount billed", CURRENCY),
        _c("billed_completely", "bool", "billed completely"),
        _c("completed", "bool", "completed"),
        _c("completed_at", "timestamp", "when it was completed (UTC)"),
        _c("revenue_factor", "float", "factor applied to revenue", "ratio"),
        _c("start_date", "date", "start date"),
        _c("deadline", "date", "deadline"),
        _c("automatic_completion", "bool", "completed automatically at the deadline"),
        _c("service_assignments", "json", "ids of the services assigned"),
        _c("bill_service_id", "text", "id in an external billing service"),
        _SYNCED,
    ),
)

SERVICES = Table(
    "services",
    ("id",),
    "Services (kinds of work).",
    "GET /v4/services",
    (
        _ID,
        _c("name", "text", "name"),
        _c("number", "text", "service number"),
        _c("active", "bool", "active"),
        _c("note", "text", "note"),
        _c("bill_service_id", "text", "id in an external billing service"),
        _SYNCED,
    ),
)

LUMPSUM_SERVICES = Table(
    "lumpsum_services",
    ("id",),
    "Lump-sum services with a unit price.",
    "GET /v4/lumpSumServices",
    (
        _ID,
        _c("name", "text", "name"),
        _c("price", "money", "price per unit", CURRENCY),
        _c("unit", "text", "unit (e.g. km)"),
        _c("number", "text", "number"),
        _c("active", "bool", "active"),
        _c("note", "text", "note"),
        _SYNCED,
    ),
)

USERS = Table(
    "users",
    ("id",),
    "Co-workers.",
    "GET /v3/users",
    (
        _ID,
        _c("name", "text", "name"),
        _c("number", "text", "personnel number"),
        _c("email", "text", "e-mail"),
        _c("role", "text", "owner, admin, manager, worker or …"),
        _c("active", "bool", "active"),
        _c("language", "text", "language"),
        _c("timezone", "text", "IANA time zone"),
        _c("teams_id", "int", "team"),
        _c("initials", "text", "initials"),
        _c("boss", "int", "id of the co-worker's boss"),
        _c("absence_managers_id", "json", "ids of the absence managers"),
        _c("access_groups_ids", "json", "ids of the access groups"),
        _c("nonbusiness_groups_id", "int", "nonbusiness-day group (public holidays)"),
        _c("wage_type", "int", "wage type"),
        _c("start_date", "date", "first working day"),
        _c("exit_date", "date", "last working day"),
        _c("future_coworker", "bool", "starts in the future"),
        _c("work_time_regulations_id", "int", "work-time regulation"),
        _c("created_at", "timestamp", "when the co-worker was created (UTC)"),
        _SYNCED,
    ),
)

TEAMS = Table(
    "teams",
    ("id",),
    "Teams.",
    "GET /v3/teams",
    (
        _ID,
        _c("name", "text", "name"),
        _c("leader", "int", "id of the team leader"),
        _c("user_ids", "json", "ids of the members"),
        _SYNCED,
    ),
)

ABSENCES = Table(
    "absences",
    ("id",),
    "Absences (holidays, sick days, …) in the synced years.",
    "GET /v4/absences?filter[year][]=…",
    (
        _ID,
        _c("users_id", "int", "co-worker"),
        _c("date_since", "date", "first day"),
        _c("date_until", "date", "last day"),
        _c("status", "int", "0 requested, 1 approved, 2 declined, 3 approval cancelled, 4 request cancelled"),
        _c("type", "int", "absence type (1 regular holiday, 2 special leave, 3 overtime reduction, 4 sick day, …)"),
        _c("note", "text", "note (visible with rights)"),
        _c("public_note", "text", "public note"),
        _c("sick_note", "bool", "a sick note exists"),
        _c("half_day", "bool", "half a day"),
        _c("count_days", "float", "days counted", "days"),
        _c("count_hours", "float", "hours counted (overtime reduction)", HOURS),
        _c("date_enquired", "date", "when it was requested"),
        _c("date_approved", "date", "when it was approved"),
        _c("approved_by", "int", "id of the approver"),
        _SYNCED,
    ),
)

TARGET_HOURS = Table(
    "target_hours",
    ("id",),
    "Target hours: weekly hours per weekday or a monthly target, each valid from date_since to date_until.",
    "GET /targethours",
    (
        _ID,
        _c("users_id", "int", "co-worker"),
        _c("type", "text", "weekly or monthly"),
        _c("date_since", "date", "first day the row is valid"),
        _c("date_until", "date", "last day the row is valid; null: open-ended"),
        *(
            _c(day, "float", f"target on {day.capitalize()}s (weekly rows)", HOURS)
            for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        ),
        _c("monthly_target", "float", "target per month (monthly rows)", HOURS),
        _c("compensation_daily", "float", "daily compensation", HOURS),
        _c("compensation_monthly", "float", "monthly compensation", HOURS),
        _c("absence_fixed_credit", "bool", "absences credit a fixed amount"),
        _c("surcharge_models_id", "int", "surcharge model"),
        _SYNCED,
    ),
)

NONBUSINESS_DAYS = Table(
    "nonbusiness_days",
    ("id", "for_year"),
    "Public holidays and other nonbusiness days, evaluated for each synced year.",
    "GET /v2/nonbusinessDays?year=…",
    (
        _ID,
        _c("for_year", "int", "the year the day was evaluated for", "", ""),
        _c("nonbusiness_group_id", "int", "nonbusiness-day group (users.nonbusiness_groups_id)"),
        _c("type", "text", "kind of rule (fixed date, Easter-relative, …)"),
        _c("name", "text", "name"),
        _c("half_day", "bool", "half a day"),
        _c("surcharge_special", "bool", "special surcharge applies"),
        _c("evaluated_date", "date", "the date in for_year"),
        _c("special_id", "int", "id of a special rule"),
        _c("day", "int", "day of month of the rule"),
        _c("month", "int", "month of the rule"),
        _c("year", "int", "year of a one-off day"),
        _SYNCED,
    ),
)

WORK_TIMES = Table(
    "work_times",
    ("users_id", "time_since"),
    "Work-time (attendance) intervals per co-worker over the rolling window, refreshed on the first run of each day "
    "(one request per co-worker).",
    "GET /v2/workTimes?users_id=…",
    (
        _c("users_id", "int", "co-worker"),
        _c("date", "date", "local day"),
        _c("day_offset", "int", "correction of the day's work time", SECONDS, "offset"),
        _c("time_since", "timestamp", "interval start (UTC)"),
        _c("time_until", "timestamp", "interval end (UTC); null while the clock runs"),
        _SYNCED,
    ),
)

ENTRY_MONTHS = Table(
    "entry_months",
    ("month", "projects_id", "users_id"),
    "Duration and revenue per month × project × co-worker, for every synced month: before the rolling window "
    "Clockodo's own aggregates (computed server-side; the reconcile compares them, and the same sums per billing "
    "state, with the entries), within it the sums of the entries just pulled.",
    "GET /v2/entrygroups?grouping[]=month&grouping[]=projects_id&grouping[]=users_id",
    (
        _c("month", "text", "month in the account's time zone, YYYY-MM"),
        _c("projects_id", "int", "project (0: entries without project)"),
        _c("users_id", "int", "co-worker"),
        _c("duration", "int", "sum of time-entry durations (a running entry counts once stopped)", SECONDS),
        _c("revenue", "money", "sum of revenue, lump sums included", CURRENCY),
        _SYNCED,
    ),
)

BUDGET_SNAPSHOTS = Table(
    "budget_snapshots",
    ("snapshot_date", "projects_id"),
    "One row per project per day of a sync (the last run of the day wins): burn history Clockodo does not keep.",
    "GET /v4/projects + the sums of entry_months",
    (
        _c("snapshot_date", "date", "the day of the snapshot, in the account's time zone"),
        _c("projects_id", "int", "project"),
        _c("customers_id", "int", "customer"),
        _c("projects_name", "text", "project name that day"),
        _c("completed", "bool", "completed that day"),
        _c("budget_monetary", "bool", "true: the budget is money; false: hours"),
        _c("budget_hard", "bool", "hard budget"),
        _c("budget_amount", "float", "budget: hours, or money when budget_monetary", f"{HOURS} or {CURRENCY}"),
        _c("used_seconds", "int", "time logged on the project since the mirror's first month (--since)", SECONDS),
        _c("used_revenue", "money", "revenue of the project since the mirror's first month (--since)", CURRENCY),
        _c("billed_money", "money", "amount billed", CURRENCY),
        _SYNCED,
    ),
)

AUDIT_LOG = Table(
    "audit_log",
    ("seq",),
    "clockodo-mcp's own audit log (every tool call: intent and outcome), when the sync can read it.",
    "the local audit log (JSON Lines, CLOCKODO_MCP_AUDIT_LOG)",
    (
        _c("seq", "int", "sequence number in the log"),
        _c("ts", "timestamp", "when the record was written (UTC)"),
        _c("kind", "text", "intent, outcome, webhook (a Clockodo webhook received) or a maintenance record"),
        _c("call_id", "text", "joins an intent with its outcome"),
        _c("tool", "text", "the MCP tool"),
        _c("status", "text", "outcome status (ok, preview, rejected, error)"),
        _c("change_id", "text", "the write's journal id (joins changes)"),
        _c("record", "json", "the whole record"),
        _SYNCED,
    ),
)

CHANGES = Table(
    "changes",
    ("change_id",),
    "clockodo-mcp's write journal: every confirmed write an agent made, with its outcome.",
    "the local store (CLOCKODO_MCP_STORE)",
    (
        _c("change_id", "text", "journal id"),
        _c("tool", "text", "the MCP tool that made the change"),
        _c("status", "text", "applying, applied, unknown, not_applied or failed"),
        _c("confirmed_by", "text", "how the write was confirmed"),
        _c("created_at", "timestamp", "when it was journaled (UTC)"),
        _c("updated_at", "timestamp", "last status change (UTC)"),
        _c("summary", "text", "what the preview said it would do"),
        _c("undoes", "text", "for an undo: the change it reverts"),
        _c("error", "text", "error message, if any"),
        _c("args", "json", "the tool's arguments"),
        _c("result", "json", "the result"),
        _SYNCED,
    ),
)

SYNC_STATE = Table(
    "sync_state",
    ("key",),
    "The sync's own state: schema version, backfill progress, the last run and the last webhook applied "
    "(`last_webhook_at`, `webhook_events`; read by `sync_status`).",
    "written by the sync and by the server's webhook receiver",
    (
        _c("key", "text", "name of the setting"),
        _c("value", "text", "its value (text)"),
        _c("updated_at", "timestamp", "when it was written (UTC)", "", ""),
    ),
)

TABLES: tuple[Table, ...] = (
    ENTRIES,
    CUSTOMERS,
    PROJECTS,
    SUBPROJECTS,
    SERVICES,
    LUMPSUM_SERVICES,
    USERS,
    TEAMS,
    ABSENCES,
    TARGET_HOURS,
    NONBUSINESS_DAYS,
    WORK_TIMES,
    ENTRY_MONTHS,
    BUDGET_SNAPSHOTS,
    AUDIT_LOG,
    CHANGES,
    SYNC_STATE,
)
TABLES_BY_NAME = {table.name: table for table in TABLES}

_TYPE_DOC = {
    "int": "integer",
    "float": "double",
    "money": "decimal(18,6)",
    "text": "text",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp with time zone (UTC)",
    "json": "JSON (text in DuckDB/Parquet, jsonb in PostgreSQL)",
}


def render_reference() -> str:
    """`docs/warehouse.md`: every table and column with meaning and unit."""
    lines = [
        "# Warehouse schema reference",
        "",
        "<!-- Generated from clockodo_mcp/sync/schema.py by `python -m clockodo_mcp.sync.schema`; do not edit. -->",
        "",
        f"Schema version {SCHEMA_VERSION}. `clockodo-mcp sync` writes the same tables to DuckDB, PostgreSQL and "
        "Parquet (one file per table). Durations are in **seconds** unless a column says hours; money is in the "
        "account's currency (the company setting, e.g. EUR). Timestamps are UTC.",
        "",
    ]
    for table in TABLES:
        lines += [
            f"## `{table.name}`",
            "",
            table.meaning,
            "",
            f"Primary key: `{', '.join(table.key)}`. Source: {table.source}.",
            "",
            "| Column | Type | Meaning | Unit |",
            "|---|---|---|---|",
        ]
        for column in table.columns:
            lines.append(f"| `{column.name}` | {_TYPE_DOC[column.type]} | {column.meaning} | {column.unit} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_reference(), end="")
