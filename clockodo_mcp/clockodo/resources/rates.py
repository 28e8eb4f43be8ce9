"""`/v4/rates`: hourly-rate rules and the company default rate."""

from __future__ import annotations

from collections.abc import Sequence

from ..encoding import check_id
from ..errors import ClockodoArgumentError
from ..models.masterdata import Rate
from .base import Resource, field, parse, parse_list, unexpected

PATH = "/v4/rates"
MAX_RATE = 99_999_999.99
MAX_CRITERIA = 50


def _rate(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_RATE:
        raise ClockodoArgumentError("hourly_rate", f"must be between 0 and {MAX_RATE}, got {value!r}")
    return float(value)


def _criteria(name: str, value: Sequence[int] | None) -> list[int] | None:
    if value is None:
        return None
    if isinstance(value, str | int):
        raise ClockodoArgumentError(name, "must be a list of ids")
    ids = [check_id(f"{name}[]", item) for item in value]
    if len(ids) > MAX_CRITERIA:
        raise ClockodoArgumentError(name, f"at most {MAX_CRITERIA} ids per rule, got {len(ids)}")
    return ids


class RatesResource(Resource):
    """Hourly-rate rules matching customers, projects, services and users."""

    async def list(self) -> list[Rate]:
        """Every rate rule."""
        body = await self._client.request("GET", PATH)
        return parse_list(Rate, field(body, "data", f"GET {PATH}"), f"GET {PATH}")

    async def create(
        self,
        hourly_rate: float,
        *,
        customer_ids: Sequence[int] = (),
        project_ids: Sequence[int] = (),
        service_ids: Sequence[int] = (),
        user_ids: Sequence[int] = (),
        parent_rate_id: int | None = None,
    ) -> Rate:
        """Create a rate rule (Clockodo refuses rules that combine customer and project criteria)."""
        body: dict[str, object] = {
            "hourly_rate": _rate(hourly_rate),
            "customer_ids": _criteria("customer_ids", customer_ids),
            "project_ids": _criteria("project_ids", project_ids),
            "service_ids": _criteria("service_ids", service_ids),
            "user_ids": _criteria("user_ids", user_ids),
        }
        if parent_rate_id is not None:
            body["parent_rate_id"] = check_id("parent_rate_id", parent_rate_id)
        answer = await self._client.request("POST", PATH, json_body=body)
        return parse(Rate, field(answer, "data", f"POST {PATH}"), f"POST {PATH}")

    async def update(
        self,
        id: int,
        *,
        hourly_rate: float | None = None,
        customer_ids: Sequence[int] | None = None,
        project_ids: Sequence[int] | None = None,
        service_ids: Sequence[int] | None = None,
        user_ids: Sequence[int] | None = None,
    ) -> Rate:
        """Change a rate rule; None leaves a field unchanged."""
        check_id("id", id)
        body: dict[str, object] = {}
        if hourly_rate is not None:
            body["hourly_rate"] = _rate(hourly_rate)
        for name, value in (
            ("customer_ids", customer_ids),
            ("project_ids", project_ids),
            ("service_ids", service_ids),
            ("user_ids", user_ids),
        ):
            ids = _criteria(name, value)
            if ids is not None:
                body[name] = ids
        if not body:
            raise ClockodoArgumentError("fields", "a rate update must change at least one field")
        where = f"PUT {PATH}/{id}"
        answer = await self._client.request("PUT", f"{PATH}/{id}", json_body=body)
        return parse(Rate, field(answer, "data", where), where)

    async def delete(self, id: int) -> None:
        """Delete a rate rule."""
        check_id("id", id)
        await self._client.request("DELETE", f"{PATH}/{id}")

    async def set_default(self, hourly_rate: float) -> float:
        """Set the company's default hourly rate (used where no rule matches); returns the stored rate."""
        where = f"PUT {PATH}/default"
        answer = await self._client.request("PUT", f"{PATH}/default", json_body={"hourly_rate": _rate(hourly_rate)})
        stored = field(field(answer, "data", where), "hourly_rate", where)
        if isinstance(stored, bool) or not isinstance(stored, int | float):
            raise unexpected(where, f"hourly_rate is not a number: {stored!r}")
        return float(stored)
