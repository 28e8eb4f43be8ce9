"""`/v4/absences`: list (not paged), get, create, update (incl. approval via `status`), delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import Enum
from typing import TypeVar

from ..encoding import check_id, coerce_enum
from ..errors import ClockodoArgumentError
from ..models.enums import AbsenceStatus, AbsenceType
from ..models.people import Absence
from .base import Resource, field, parse, parse_list

PATH = "/v4/absences"
SCOPES = frozenset({"manageableAbsences", "viewableAbsences"})
E = TypeVar("E", bound=Enum)


def _many(value: object) -> list[object]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def _years(value: int | Sequence[int] | None) -> list[int] | None:
    if value is None:
        return None
    years = _many(value)
    for year in years:
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2037:
            raise ClockodoArgumentError("year", f"must be a year between 2000 and 2037, got {year!r}")
    return [int(str(year)) for year in years]


def _ids(name: str, value: int | Sequence[int] | None) -> list[int] | None:
    return None if value is None else [check_id(name, item) for item in _many(value)]


def _enums(name: str, enum: type[E], value: object) -> list[E] | None:
    return None if value is None else [coerce_enum(name, enum, item) for item in _many(value)]


def _date(name: str, value: object) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ClockodoArgumentError(name, f"must be a date (YYYY-MM-DD), got {value!r}")
    return value


class AbsencesResource(Resource):
    """Holidays, sick days and other absences, and their approval."""

    async def list(
        self,
        *,
        year: int | Sequence[int] | None = None,
        users_id: int | Sequence[int] | None = None,
        teams_id: int | Sequence[int] | None = None,
        status: AbsenceStatus | int | Sequence[AbsenceStatus | int] | None = None,
        type: AbsenceType | int | Sequence[AbsenceType | int] | None = None,
        users_active: bool | None = None,
        scope: str | None = None,
    ) -> list[Absence]:
        """Absences matching every given filter."""
        if scope is not None and scope not in SCOPES:
            raise ClockodoArgumentError("scope", f"must be one of {', '.join(sorted(SCOPES))}, got {scope!r}")
        if users_active is not None and not isinstance(users_active, bool):
            raise ClockodoArgumentError("users_active", "must be true or false")
        filters: dict[str, object] = {
            "year": _years(year),
            "users_id": _ids("users_id", users_id),
            "teams_id": _ids("teams_id", teams_id),
            "status": _enums("status", AbsenceStatus, status),
            "type": _enums("type", AbsenceType, type),
            "users_active": users_active,
        }
        params: dict[str, object] = {"filter": filters, "scope": scope}
        body = await self._client.request("GET", PATH, params=params)
        return parse_list(Absence, field(body, "data", f"GET {PATH}"), f"GET {PATH}")

    async def get(self, id: int) -> Absence:
        """One absence by id."""
        check_id("id", id)
        where = f"GET {PATH}/{id}"
        body = await self._client.request("GET", f"{PATH}/{id}")
        return parse(Absence, field(body, "data", where), where)

    async def create(
        self,
        date_since: dt.date,
        type: AbsenceType | int,
        *,
        date_until: dt.date | None = None,
        half_day: bool | None = None,
        count_hours: float | None = None,
        users_id: int | None = None,
        status: AbsenceStatus | int | None = None,
        sick_note: bool | None = None,
        note: str | None = None,
        public_note: str | None = None,
        allow_override: Sequence[int] | None = None,
    ) -> Absence:
        """Request (or, with rights, record) an absence."""
        since = _date("date_since", date_since)
        if date_until is not None and _date("date_until", date_until) < since:
            raise ClockodoArgumentError("date_until", f"({date_until}) lies before date_since ({since})")
        body: dict[str, object] = {"date_since": since, "type": coerce_enum("type", AbsenceType, type)}
        if users_id is not None:
            body["users_id"] = check_id("users_id", users_id)
        body.update(
            self._changes(
                date_since=None,
                date_until=date_until,
                half_day=half_day,
                count_hours=count_hours,
                status=status,
                sick_note=sick_note,
                note=note,
                public_note=public_note,
                allow_override=allow_override,
            )
        )
        where = f"POST {PATH}"
        answer = await self._client.request("POST", PATH, json_body=body)
        return parse(Absence, field(answer, "data", where), where)

    async def update(
        self,
        id: int,
        *,
        date_since: dt.date | None = None,
        date_until: dt.date | None = None,
        type: AbsenceType | int | None = None,
        half_day: bool | None = None,
        count_hours: float | None = None,
        status: AbsenceStatus | int | None = None,
        sick_note: bool | None = None,
        note: str | None = None,
        public_note: str | None = None,
        allow_override: Sequence[int] | None = None,
    ) -> Absence:
        """Change an absence; approve, decline or cancel it with `status`. None means "leave unchanged"."""
        check_id("id", id)
        body = self._changes(
            date_since=date_since,
            date_until=date_until,
            half_day=half_day,
            count_hours=count_hours,
            status=status,
            sick_note=sick_note,
            note=note,
            public_note=public_note,
            allow_override=allow_override,
        )
        if type is not None:
            body["type"] = coerce_enum("type", AbsenceType, type)
        if not body:
            raise ClockodoArgumentError("fields", "an absence update must change at least one field")
        where = f"PUT {PATH}/{id}"
        answer = await self._client.request("PUT", f"{PATH}/{id}", json_body=body)
        return parse(Absence, field(answer, "data", where), where)

    async def delete(self, id: int) -> None:
        """Delete an absence (Clockodo may require an approved absence to be declined first)."""
        check_id("id", id)
        await self._client.request("DELETE", f"{PATH}/{id}")

    @staticmethod
    def _changes(
        *,
        date_since: dt.date | None,
        date_until: dt.date | None,
        half_day: bool | None,
        count_hours: float | None,
        status: AbsenceStatus | int | None,
        sick_note: bool | None,
        note: str | None,
        public_note: str | None,
        allow_override: Sequence[int] | None,
    ) -> dict[str, object]:
        body: dict[str, object] = {}
        if date_since is not None:
            body["date_since"] = _date("date_since", date_since)
        if date_until is not None:
            body["date_until"] = _date("date_until", date_until)
        if half_day is not None:
            body["half_day"] = bool(half_day)
        if count_hours is not None:
            if isinstance(count_hours, bool) or not isinstance(count_hours, int | float) or not 0 < count_hours <= 1000:
                raise ClockodoArgumentError("count_hours", f"must be between 0.01 and 1000, got {count_hours!r}")
            body["count_hours"] = count_hours
        if status is not None:
            body["status"] = coerce_enum("status", AbsenceStatus, status)
        if sick_note is not None:
            body["sick_note"] = bool(sick_note)
        for name, text in (("note", note), ("public_note", public_note)):
            if text is not None:
                if len(text) > 512:
                    raise ClockodoArgumentError(name, "must be at most 512 characters")
                body[name] = text
        if allow_override is not None:
            body["allow_override"] = [check_id("allow_override[]", item) for item in allow_override]
        return body
