"""Clockodo's webhooks applied to a mirror at once: each event names one record by id, which is fetched and merged.

A delivery (API.md §17) carries ids only:

    {"subscription_id": 3, "company_id": 1, "occurred_at": "2026-11-24T15:00:00Z", "event_name": "entry.updated",
     "token": "<the token set in Clockodo>", "payload": {"entry": {"id": 5581}}}

Applying one reads the record's current state from Clockodo and writes it (or deletes it, when Clockodo no longer has
it) in one transaction with the mirror's webhook counters. That makes a handler idempotent without remembering
deliveries: a duplicate, or an event arriving after a later one, fetches the same current state again. (Skipping a
body already seen would be wrong: two edits in one second give two identical bodies.) Events are applied one at a
time, so a slow fetch cannot overwrite a newer one.

An entry is read the way the sync reads it: `GET /v2/entries/{id}` for its start and owner, then the enhanced list of
that second, so the row has the same columns (names, revenue, rate) as the rows a sync writes. Entries starting
before the mirror's first day are not mirrored. Events on records the mirror does not hold (carryovers, quotas,
change requests, nonbusiness groups) are accepted and ignored. Monthly sums (`entry_months`) and `budget_snapshots`
are recomputed by the next sync run.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clockodo_mcp.clockodo import ClockodoClient
from clockodo_mcp.clockodo.errors import ClockodoNotFoundError
from clockodo_mcp.sync import schema as s
from clockodo_mcp.sync.engine import ENTRIES_PATH, FALLBACK_ZONE, FUTURE_DAYS, _MonthOf, add_derived, make_rows
from clockodo_mcp.sync.targets import Row, Target, TargetError

MAX_BODY_BYTES = 64 * 1024
MIN_TOKEN_LENGTH = 16
ENTITY_TABLES: Mapping[str, s.Table] = {
    "entry": s.ENTRIES,
    "project": s.PROJECTS,
    "subproject": s.SUBPROJECTS,
    "customer": s.CUSTOMERS,
    "service": s.SERVICES,
    "lump_sum_service": s.LUMPSUM_SERVICES,
    "user": s.USERS,
    "team": s.TEAMS,
    "absence": s.ABSENCES,
}
_SHAPE = (
    'Expected Clockodo\'s webhook body: {"subscription_id": …, "event_name": "entry.updated", "token": "…", '
    '"payload": {"entry": {"id": 123}}}.'
)

Outcome = Literal["merged", "deleted", "ignored"]


class WebhookRejected(ValueError):
    """A delivery that is refused as sent: `status` is the HTTP status, the message names the fix."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One delivery, checked: which record of which kind changed how."""

    event_name: str
    entity: str
    id: int
    subscription_id: int | None
    occurred_at: str | None


@dataclass(frozen=True, slots=True)
class UrlValidation:
    """Clockodo's check of a new webhook URL: a secret to type into its web UI."""

    secret: str


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying one event did to the mirror."""

    outcome: Outcome
    table: str | None
    reason: str


def check_token(expected: str) -> str:
    """The receiver's token, refused when it is too short to guess safely."""
    if len(expected) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"The webhook token must be at least {MIN_TOKEN_LENGTH} characters (got {len(expected)}). Make one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(24))'` and enter the same token in Clockodo's "
            "webhook settings."
        )
    return expected


def parse_delivery(body: bytes, expected_token: str) -> WebhookEvent | UrlValidation:
    """Check one POSTed body: Clockodo's shape, then the token (in constant time); `WebhookRejected` otherwise."""
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRejected(413, "too_large", f"The body has {len(body)} bytes; a webhook has at most 64 KiB.")
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise WebhookRejected(400, "malformed", f"The body is not UTF-8 JSON. {_SHAPE}") from None
    except json.JSONDecodeError as error:
        raise WebhookRejected(400, "malformed", f"The body is not JSON ({error.msg}). {_SHAPE}") from None
    if not isinstance(data, dict):
        raise WebhookRejected(400, "malformed", f"The body is a JSON {type(data).__name__}, not an object. {_SHAPE}")
    if set(data) == {"secret"} and isinstance(data["secret"], str) and data["secret"]:
        return UrlValidation(data["secret"][:200])
    token = data.get("token")
    sent = token.encode() if isinstance(token, str) else b""
    if not hmac.compare_digest(sent, expected_token.encode()):
        raise WebhookRejected(
            401,
            "unauthorized",
            "The webhook's token is missing or wrong. Enter the token this server was started with "
            "(CLOCKODO_MCP_WEBHOOK_TOKEN) in Clockodo's webhook settings.",
        )
    name = data.get("event_name")
    payload = data.get("payload")
    if not isinstance(name, str) or "." not in name or not isinstance(payload, dict):
        raise WebhookRejected(400, "malformed", f"'event_name' or 'payload' is missing. {_SHAPE}")
    entity = name.split(".", 1)[0]
    record = payload if name == "project.budget_notification" else payload.get(entity)
    ident = record.get("id") if isinstance(record, dict) else None
    if not isinstance(ident, int) or isinstance(ident, bool) or ident < 1:
        raise WebhookRejected(400, "malformed", f"payload.{entity}.id must be a positive integer. {_SHAPE}")
    if name == "project.budget_notification" and payload.get("type") == "subprojectBudget":
        entity = "subproject"
    subscription = data.get("subscription_id")
    occurred = data.get("occurred_at")
    return WebhookEvent(
        event_name=name,
        entity=entity,
        id=ident,
        subscription_id=subscription if isinstance(subscription, int) else None,
        occurred_at=occurred if isinstance(occurred, str) else None,
    )


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class Fetched:
    """A record's current state in Clockodo: its row, or None when Clockodo no longer has it."""

    table: s.Table
    item: dict[str, Any] | None
    reason: str = ""


async def fetch_record(client: ClockodoClient, event: WebhookEvent, state: Mapping[str, str]) -> Fetched | None:
    """The current state of the record an event names, as plain JSON; None for kinds the mirror does not hold."""
    table = ENTITY_TABLES.get(event.entity)
    if table is None:
        return None
    if table is s.ENTRIES:
        return await _fetch_entry(client, event.id, state)
    resources: Mapping[str, Callable[[int], Any]] = {
        "project": client.projects.get,
        "subproject": client.subprojects.get,
        "customer": client.customers.get,
        "service": client.services.get,
        "lump_sum_service": client.lump_sum_services.get,
        "user": client.users.get,
        "team": client.teams.get,
        "absence": client.absences.get,
    }
    try:
        model = await resources[event.entity](event.id)
    except ClockodoNotFoundError:
        return Fetched(table, None, f"{event.entity} {event.id} no longer exists in Clockodo")
    item: dict[str, Any] = model.model_dump(mode="json")
    return Fetched(table, item)


async def _fetch_entry(client: ClockodoClient, ident: int, state: Mapping[str, str]) -> Fetched:
    try:
        body = await client.request("GET", f"{ENTRIES_PATH}/{ident}")
    except ClockodoNotFoundError:
        return Fetched(s.ENTRIES, None, f"entry {ident} no longer exists in Clockodo")
    entry = body.get("entry") if isinstance(body, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("time_since"), str):
        raise TargetError(f"Clockodo answered GET {ENTRIES_PATH}/{ident} without the entry; the next sync repairs it.")
    since = _instant(entry["time_since"])
    first_day = state.get("since")
    zone = _zone(state)
    if first_day:
        start = dt.datetime.combine(dt.date.fromisoformat(first_day), dt.time(), tzinfo=zone)
        if since < start:
            return Fetched(s.ENTRIES, None, f"entry {ident} starts before the mirror's first day {first_day}")
    params: dict[str, Any] = {
        "time_since": since,
        "time_until": since + dt.timedelta(seconds=1),
        "filter": {"users_id": entry.get("users_id")},
        "enhanced_list": True,
        "calc_also_revenues_for_projects_with_hard_budget": True,
        "items_per_page": 1000,
        "page": 1,
    }
    listed = await client.request("GET", ENTRIES_PATH, params=params)
    rows = listed.get("entries") if isinstance(listed, dict) else None
    found = next((e for e in rows or () if isinstance(e, dict) and e.get("id") == ident), None)
    if found is None:
        raise TargetError(f"Entry {ident} changed again while it was read; the next delivery or sync applies it.")
    return Fetched(s.ENTRIES, found)


def _zone(state: Mapping[str, str]) -> ZoneInfo:
    try:
        return ZoneInfo(state.get("time_zone") or FALLBACK_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK_ZONE)


def write_record(target: Target, event: WebhookEvent, fetched: Fetched | None, now: dt.datetime) -> Applied:
    """Merge or delete the record, and count the event, in one transaction of an opened target."""
    state = target.read_state()
    synced_at = _iso(now)
    counters = {
        "last_webhook_at": synced_at,
        "last_webhook_event": f"{event.event_name} {event.id}",
        "webhook_events": str(int(state.get("webhook_events", "0") or "0") + 1),
    }
    with target.transaction() as writer:
        if fetched is None:
            applied = Applied("ignored", None, f"the mirror holds no {event.entity} records")
        elif fetched.item is None:
            writer.delete_keys(fetched.table, [(event.id,)])
            applied = Applied("deleted", fetched.table.name, fetched.reason)
        elif fetched.table is s.ENTRIES:
            end = now + dt.timedelta(days=FUTURE_DAYS)
            if _instant(str(fetched.item["time_since"])) >= end:
                writer.delete_keys(s.ENTRIES, [(event.id,)])
                applied = Applied("deleted", "entries", f"entry {event.id} starts beyond the mirrored range")
            else:
                item = add_derived([fetched.item], _MonthOf(_zone(state)), synced_at)[0]
                writer.merge(s.ENTRIES, [tuple(map(item.get, s.ENTRIES.column_names))])
                applied = Applied("merged", "entries", "")
        else:
            rows: list[Row] = make_rows(fetched.table, [fetched.item], {"synced_at": synced_at})
            writer.merge(fetched.table, rows)
            applied = Applied("merged", fetched.table.name, "")
        writer.set_state(counters, synced_at)
    return applied
