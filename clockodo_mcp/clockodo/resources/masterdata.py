"""Master data: customers, projects, subprojects, services, lump-sum services, users, teams."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel

from ..encoding import check_id
from ..errors import ClockodoArgumentError, ClockodoNotFoundError
from ..models.base import ClockodoModel, Page
from ..models.masterdata import Customer, LumpSumService, Project, Service, Subproject
from ..models.people import Company, Team, User
from ..paging import iterate_pages
from .base import Requester, Resource, body_of, check_page_args, field, parse, parse_page

M = TypeVar("M", bound=ClockodoModel)

# Top-level list parameters (everything else allowed is sent as `filter[name]`).
_TOP_LEVEL = frozenset({"scope", "sort"})


def _check_filter_value(name: str, value: object) -> object:
    if name.endswith("_id"):
        if isinstance(value, Sequence) and not isinstance(value, str):
            return [check_id(f"{name}[]", item) for item in value]
        return check_id(name, value)
    if name in {"active", "completed"} and not isinstance(value, bool):
        raise ClockodoArgumentError(name, f"must be true or false, got {value!r}")
    if name in {"fulltext", "scope"} and not isinstance(value, str):
        raise ClockodoArgumentError(name, f"must be a string, got {value!r}")
    return value


def _sort_keys(value: object) -> list[str]:
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, Sequence) or not all(isinstance(key, str) and key for key in keys):
        raise ClockodoArgumentError(
            "sort", f"must be a field name or a list of them (prefix '-' = descending), got {value!r}"
        )
    return [str(key) for key in keys]


def _check_body_ids(body: Mapping[str, object]) -> None:
    for name, value in body.items():
        if name.endswith("_id") and value is not None and name != "bill_service_id":
            check_id(name, value)


class ReadOnlyResource(Resource, Generic[M]):
    """A paged list resource with get by id."""

    def __init__(
        self,
        client: Requester,
        *,
        path: str,
        model: type[M],
        filters: frozenset[str],
        max_items_per_page: int,
    ) -> None:
        super().__init__(client)
        self.path = path
        self.model = model
        self._filters = filters
        self._max_items_per_page = max_items_per_page

    def _list_params(self, filters: Mapping[str, object], page: int, items_per_page: int | None) -> dict[str, object]:
        check_page_args(page, items_per_page, self._max_items_per_page)
        filter_params: dict[str, object] = {}
        params: dict[str, object] = {"filter": filter_params}
        for name, value in filters.items():
            if value is None:
                continue
            if name == "sort":
                params["sort"] = _sort_keys(value)
            elif name in _TOP_LEVEL:
                params[name] = _check_filter_value(name, value)
            elif name in self._filters:
                filter_params[name] = _check_filter_value(name, value)
            else:
                allowed = ", ".join(sorted(self._filters | _TOP_LEVEL))
                raise ClockodoArgumentError(name, f"is not a filter of {self.path}; allowed: {allowed}")
        if not filter_params:
            del params["filter"]
        params["page"] = page
        if items_per_page is not None:
            params["items_per_page"] = items_per_page
        return params

    async def page(self, *, page: int = 1, items_per_page: int | None = None, **filters: object) -> Page[M]:
        """One page of the list."""
        params = self._list_params(filters, page, items_per_page)
        body = await self._client.request("GET", self.path, params=params)
        return parse_page(self.model, body, "data", f"GET {self.path}")

    def iter(self, *, items_per_page: int | None = None, **filters: object) -> AsyncIterator[M]:
        """Every item, streamed page by page (pages after the first fetched concurrently)."""
        self._list_params(filters, 1, items_per_page)

        async def fetch(number: int) -> Page[M]:
            return await self.page(page=number, items_per_page=items_per_page, **filters)

        return iterate_pages(fetch, concurrency=self._client.page_concurrency)

    async def all(self, *, items_per_page: int | None = None, **filters: object) -> list[M]:
        """Every item as a list."""
        return [item async for item in self.iter(items_per_page=items_per_page, **filters)]

    async def get(self, id: int) -> M:
        """One item by id."""
        check_id("id", id)
        where = f"GET {self.path}/{id}"
        body = await self._client.request("GET", f"{self.path}/{id}")
        return parse(self.model, field(body, "data", where), where)


class MasterDataResource(ReadOnlyResource[M]):
    """A list resource with create, update and delete."""

    def __init__(
        self,
        client: Requester,
        *,
        path: str,
        model: type[M],
        filters: frozenset[str],
        max_items_per_page: int,
        required: tuple[str, ...],
    ) -> None:
        super().__init__(client, path=path, model=model, filters=filters, max_items_per_page=max_items_per_page)
        self._required = required

    async def create(self, data: Mapping[str, object] | BaseModel | None = None, /, **fields: object) -> M:
        """Create an item from a mapping/model and/or keyword fields (Clockodo's field names)."""
        body = body_of(data, fields)
        missing = [name for name in self._required if body.get(name) is None]
        if missing:
            raise ClockodoArgumentError(missing[0], f"is required to create an item of {self.path}")
        _check_body_ids(body)
        where = f"POST {self.path}"
        answer = await self._client.request("POST", self.path, json_body=body)
        return parse(self.model, field(answer, "data", where), where)

    async def update(self, id: int, data: Mapping[str, object] | BaseModel | None = None, /, **fields: object) -> M:
        """Change the given fields of an item (partial update)."""
        check_id("id", id)
        body = body_of(data, fields)
        body.pop("id", None)
        if not body:
            raise ClockodoArgumentError("fields", "an update must change at least one field")
        _check_body_ids(body)
        where = f"PUT {self.path}/{id}"
        answer = await self._client.request("PUT", f"{self.path}/{id}", json_body=body)
        return parse(self.model, field(answer, "data", where), where)

    async def delete(self, id: int, *, dry_run: bool = False, force: bool = False) -> None:
        """Delete an item; `dry_run` only checks whether it could be deleted, `force` overrides relations."""
        check_id("id", id)
        params = {"dry_run": True if dry_run else None, "force": True if force else None}
        await self._client.request("DELETE", f"{self.path}/{id}", params=params)


class CustomersResource(MasterDataResource[Customer]):
    """`/v3/customers`."""

    def __init__(self, client: Requester) -> None:
        super().__init__(
            client,
            path="/v3/customers",
            model=Customer,
            filters=frozenset({"active", "fulltext"}),
            max_items_per_page=5000,
            required=("name",),
        )


class ProjectsResource(MasterDataResource[Project]):
    """`/v4/projects`, plus completion (`/v4/…/complete`) and billing state (`/v3/…/setBilled`)."""

    def __init__(self, client: Requester) -> None:
        super().__init__(
            client,
            path="/v4/projects",
            model=Project,
            filters=frozenset({"active", "completed", "customers_id", "fulltext"}),
            max_items_per_page=5000,
            required=("name", "customers_id"),
        )

    async def complete(self, id: int, completed: bool) -> Project:
        """Mark a project completed (or reopen it)."""
        check_id("id", id)
        if not isinstance(completed, bool):
            raise ClockodoArgumentError("completed", "must be true or false")
        where = f"PUT /v4/projects/{id}/complete"
        body = await self._client.request("PUT", f"/v4/projects/{id}/complete", json_body={"completed": completed})
        return parse(Project, field(body, "data", where), where)

    async def set_billed(self, id: int, billed: bool, billed_money: float | None = None) -> Project:
        """Set a project's billed state (`billed` for hour budgets, `billed_money` for hard money budgets)."""
        check_id("id", id)
        if not isinstance(billed, bool):
            raise ClockodoArgumentError("billed", "must be true or false")
        if billed_money is not None and (
            isinstance(billed_money, bool) or not isinstance(billed_money, int | float) or billed_money < 0
        ):
            raise ClockodoArgumentError("billed_money", f"must be an amount ≥ 0, got {billed_money!r}")
        where = f"PUT /v3/projects/{id}/setBilled"
        body = await self._client.request(
            "PUT", f"/v3/projects/{id}/setBilled", json_body={"billed": billed, "billed_money": billed_money}
        )
        return parse(Project, field(body, "data", where), where)


class SubprojectsResource(ReadOnlyResource[Subproject]):
    """`/v3/subprojects` (read)."""

    def __init__(self, client: Requester) -> None:
        super().__init__(
            client,
            path="/v3/subprojects",
            model=Subproject,
            filters=frozenset({"active", "completed", "fulltext", "projects_id"}),
            max_items_per_page=5000,
        )


class ServicesResource(MasterDataResource[Service]):
    """`/v4/services`."""

    def __init__(self, client: Requester) -> None:
        super().__init__(
            client,
            path="/v4/services",
            model=Service,
            filters=frozenset({"active", "fulltext"}),
            max_items_per_page=5000,
            required=("name",),
        )


class LumpSumServicesResource(MasterDataResource[LumpSumService]):
    """`/v4/lumpSumServices`."""

    def __init__(self, client: Requester) -> None:
        super().__init__(
            client,
            path="/v4/lumpSumServices",
            model=LumpSumService,
            filters=frozenset({"active", "fulltext"}),
            max_items_per_page=5000,
            required=("name", "price"),
        )


class TeamsResource(MasterDataResource[Team]):
    """`/v3/teams`."""

    def __init__(self, client: Requester) -> None:
        super().__init__(
            client,
            path="/v3/teams",
            model=Team,
            filters=frozenset({"fulltext"}),
            max_items_per_page=1000,
            required=("name",),
        )


ME_PATH = "/v4/users/me"
AGGREGATE_PATH = "/v2/aggregates/users/me"


class UsersResource(MasterDataResource[User]):
    """`/v3/users`, plus the current user and company settings."""

    def __init__(self, client: Requester) -> None:
        super().__init__(
            client,
            path="/v3/users",
            model=User,
            filters=frozenset({"active", "fulltext", "teams_id"}),
            max_items_per_page=1000,
            required=("name", "email", "role"),
        )

    async def me(self) -> User:
        """The API user (`/v4/users/me`; falls back to the deprecated aggregate where v4 is missing)."""
        try:
            body = await self._client.request("GET", ME_PATH)
        except ClockodoNotFoundError:
            aggregate = await self._client.request("GET", AGGREGATE_PATH)
            where = f"GET {AGGREGATE_PATH}"
            return parse(User, field(aggregate, "user", where), where)
        return parse(User, field(body, "data", f"GET {ME_PATH}"), f"GET {ME_PATH}")

    async def company(self) -> Company | None:
        """Company settings (currency, default time zone…), or None where Clockodo no longer exposes them."""
        try:
            aggregate = await self._client.request("GET", AGGREGATE_PATH)
        except ClockodoNotFoundError:
            return None
        where = f"GET {AGGREGATE_PATH}"
        company = field(aggregate, "company", where)
        return None if company is None else parse(Company, company, where)
