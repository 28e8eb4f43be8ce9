"""Contract tests: the fake's success and error responses validate against Clockodo's official OpenAPI spec.

Tool: openapi-core 0.23 (`OpenAPI.validate_response`) for every status an operation declares. Where the spec
declares no schema for an error status (e.g. 404 on `GET /v2/entries/{id}`), the body is validated with the
spec's own validator (openapi-schema-validator, OAS 3.0) against the error-family schema from `components`
(GeneralErrors, SimpleErrorResponses or the typed 422 shape). `/v4/rates` and `/v4/users/me` are newer than the
spec file: they are checked against the shapes API.md §11/§12 gives (and `UserV3` from the spec).

Three defects of the 2025-09-18 spec are patched before validating, because no real response could pass them:
`EntryGroupV2.restrictions` is a `oneOf` whose alternatives all match any object (→ `anyOf`);
`EntryGroupV2.revenue` is typed `integer` although revenues carry cents (→ `number`); and, under OAS 3.0.3
rules, `nullable: true` does not admit `null` through a `oneOf` (e.g. `ClockV2.stopped`) or an `enum` that
lacks it (e.g. `ProjectV4.budget.interval`, `UserV3.wage_type`), so `null` is added there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from .conftest import ACME, FINISHED, PHOENIX, SARAH, TOOLS, TRAVEL, WEBSITE, WORKER

SPEC_FILE = Path(__file__).with_name("openapi-2025-09-18.yaml")
SPEC_HOST = "https://my.clockodo.com"
NOVEMBER = {"time_since": "2026-11-01T00:00:00Z", "time_until": "2026-12-01T00:00:00Z"}


def load_spec() -> dict[str, Any]:
    """The spec with its two known defects patched (see the module docstring)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec: dict[str, Any] = yaml.load(SPEC_FILE.read_text(encoding="utf-8"), Loader=loader)
    group = spec["components"]["schemas"]["EntryGroupV2"]["properties"]
    group["restrictions"]["anyOf"] = group["restrictions"].pop("oneOf")
    group["revenue"] = {**group["revenue"], "type": "number", "format": "float"}
    _admit_null_where_nullable(spec)
    return spec


def _admit_null_where_nullable(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("nullable") is True and "oneOf" in node:
            node["anyOf"] = [*node.pop("oneOf"), {"nullable": True, "enum": [None]}]
        if node.get("nullable") is True and isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        for value in node.values():
            _admit_null_where_nullable(value)
    elif isinstance(node, list):
        for value in node:
            _admit_null_where_nullable(value)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The parsed, patched spec."""
    return load_spec()


@pytest.fixture(scope="module")
def openapi(spec: dict[str, Any]) -> OpenAPI:
    """openapi-core over the spec."""
    return OpenAPI.from_dict(spec)


def family_schema(spec: dict[str, Any], body: Any) -> dict[str, Any]:
    """The error-family schema a body claims to be, with the spec's components for $refs."""
    components = {"components": spec["components"]}
    if "error" in body:
        return {"$ref": "#/components/schemas/SimpleErrorResponses", **components}
    first = (body.get("errors") or [{}])[0]
    if "error" in first:
        item = {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"$ref": "#/components/schemas/ApiErrors"}},
        }
        return {
            "type": "object",
            "required": ["errors"],
            "properties": {"errors": {"type": "array", "items": item}},
            **components,
        }
    return {"$ref": "#/components/schemas/GeneralErrors", **components}


def validate(openapi: OpenAPI, spec: dict[str, Any], response: httpx.Response) -> None:
    """Validate one response against its operation (or, for undeclared error statuses, its error family)."""
    request = response.request
    args = {key: request.url.params.get_list(key) for key in request.url.params}
    mock_request = MockRequest(SPEC_HOST, request.method.lower(), request.url.path, args=args)
    mock_response = MockResponse(response.content, status_code=response.status_code)
    try:
        openapi.validate_response(mock_request, mock_response)
    except ResponseNotFound:
        assert response.status_code >= 400, "a success status must be declared by the operation"
        body = response.json()
        errors = list(OAS30Validator(family_schema(spec, body)).iter_errors(body))
        assert not errors, errors
        required = "error" if "error" in body else "errors"
        assert required in body


@dataclass
class Clients:
    """The owner's and the worker's client."""

    owner: httpx.AsyncClient
    worker: httpx.AsyncClient


Call = Callable[[Clients], Awaitable[httpx.Response]]


@dataclass
class Case:
    """A spec operation with calls producing a success and at least one error."""

    method: str
    path: str
    success: Call
    errors: list[Call]


def body(**values: Any) -> dict[str, Any]:
    return values


TIME_ENTRY = body(
    customers_id=ACME, services_id=30, billable=1, time_since="2026-11-20T09:00:00Z", time_until="2026-11-20T10:00:00Z"
)
MARK_BILLED = body(**NOVEMBER, filter={"customers_id": ACME, "billable": 1}, billable=2)


async def _confirmed_put(c: Clients) -> httpx.Response:
    key = (await c.owner.put("/v2/entrygroups", json=MARK_BILLED)).json()["confirm_key"]
    return await c.owner.put("/v2/entrygroups", json={**MARK_BILLED, "confirm_key": key})


async def _confirmed_delete(c: Clients) -> httpx.Response:
    params: dict[str, Any] = {**NOVEMBER, "filter[users_id]": WORKER}
    key = (await c.owner.delete("/v2/entrygroups", params=params)).json()["confirm_key"]
    return await c.owner.delete("/v2/entrygroups", params={**params, "confirm_key": key})


async def _delete_archived(c: Clients, path: str, ident: int) -> httpx.Response:
    await c.owner.put(f"{path}/{ident}", json={"active": False})
    return await c.owner.delete(f"{path}/{ident}", params={"force": "true"})


async def _new_user(c: Clients) -> httpx.Response:
    return await c.owner.post("/v3/users", json={"name": "New Person", "email": "new@example.com", "role": "worker"})


CASES: list[Case] = [
    Case(
        "get",
        "/v2/entries",
        lambda c: c.owner.get("/v2/entries", params={**NOVEMBER, "enhanced_list": "true"}),
        [
            lambda c: c.owner.get("/v2/entries", params={"time_since": "x"}),
            lambda c: c.worker.get("/v2/entries", params={**NOVEMBER, "filter[users_id]": SARAH}),
        ],
    ),
    Case(
        "post",
        "/v2/entries",
        lambda c: c.owner.post("/v2/entries", json=TIME_ENTRY),
        [
            lambda c: c.owner.post("/v2/entries", json={**TIME_ENTRY, "billable": 2}),
            lambda c: c.owner.post("/v2/entries", json={**TIME_ENTRY, "customers_id": 99}),
            lambda c: c.worker.post("/v2/entries", json={**TIME_ENTRY, "users_id": SARAH}),
        ],
    ),
    Case(
        "get",
        "/v2/entries/{id}",
        lambda c: c.owner.get("/v2/entries/6"),
        [lambda c: c.owner.get("/v2/entries/999"), lambda c: c.worker.get("/v2/entries/2")],
    ),
    Case(
        "put",
        "/v2/entries/{id}",
        lambda c: c.owner.put("/v2/entries/1", json={"billable": 2, "text": "Done"}),
        [
            lambda c: c.owner.put("/v2/entries/1", json={"time_until": "2020-01-01T00:00:00Z"}),
            lambda c: c.owner.put("/v2/entries/999", json={"billable": 2}),
        ],
    ),
    Case(
        "delete",
        "/v2/entries/{id}",
        lambda c: c.owner.delete("/v2/entries/3"),
        [lambda c: c.owner.delete("/v2/entries/999"), lambda c: c.worker.delete("/v2/entries/2")],
    ),
    Case(
        "get",
        "/v2/entrygroups",
        lambda c: c.owner.get(
            "/v2/entrygroups", params={**NOVEMBER, "grouping[]": ["customers_id", "projects_id", "week"]}
        ),
        [lambda c: c.owner.get("/v2/entrygroups", params=NOVEMBER)],
    ),
    Case(
        "put",
        "/v2/entrygroups",
        _confirmed_put,
        [
            lambda c: c.owner.put("/v2/entrygroups", json={**MARK_BILLED, "confirm_key": "stale"}),
            lambda c: c.owner.put("/v2/entrygroups", json=NOVEMBER),
        ],
    ),
    Case(
        "delete",
        "/v2/entrygroups",
        _confirmed_delete,
        [lambda c: c.owner.delete("/v2/entrygroups", params={**NOVEMBER, "confirm_key": "stale"})],
    ),
    Case(
        "get",
        "/v2/clock",
        lambda c: c.owner.get("/v2/clock", params={"users_id": SARAH}),
        [lambda c: c.worker.get("/v2/clock", params={"users_id": SARAH})],
    ),
    Case(
        "post",
        "/v2/clock",
        lambda c: c.owner.post("/v2/clock", json={"customers_id": ACME, "services_id": 31, "users_id": SARAH}),
        [
            lambda c: c.owner.post("/v2/clock", json={"customers_id": 99, "services_id": 31}),
            lambda c: c.worker.post("/v2/clock", json={"customers_id": ACME, "services_id": 31, "users_id": SARAH}),
        ],
    ),
    Case(
        "put",
        "/v2/clock/{id}",
        lambda c: c.owner.put("/v2/clock/7", json={"duration": 600}),
        [lambda c: c.owner.put("/v2/clock/7", json={"duration": 600, "duration_before": 1})],
    ),
    Case(
        "delete",
        "/v2/clock/{id}",
        lambda c: c.owner.delete("/v2/clock/7"),
        [lambda c: c.owner.delete("/v2/clock/1"), lambda c: c.owner.delete("/v2/clock/999")],
    ),
    Case(
        "get",
        "/v2/aggregates/users/me",
        lambda c: c.worker.get("/v2/aggregates/users/me"),
        [lambda c: c.owner.get("/v2/aggregates/users/me", headers={"X-ClockodoApiKey": "wrong"})],
    ),
    Case(
        "get",
        "/v3/customers",
        lambda c: c.worker.get("/v3/customers"),
        [lambda c: c.owner.get("/v3/customers", params={"sort[]": "colour"})],
    ),
    Case(
        "post",
        "/v3/customers",
        lambda c: c.owner.post("/v3/customers", json={"name": "Client XYZ"}),
        [
            lambda c: c.owner.post("/v3/customers", json={"color": 3}),
            lambda c: c.worker.post("/v3/customers", json={"name": "X"}),
            lambda c: c.owner.post("/v3/customers", json={"name": "X", "color": 12}),
        ],
    ),
    Case(
        "get",
        "/v3/customers/{id}",
        lambda c: c.owner.get(f"/v3/customers/{ACME}"),
        [lambda c: c.owner.get("/v3/customers/99")],
    ),
    Case(
        "put",
        "/v3/customers/{id}",
        lambda c: c.owner.put(f"/v3/customers/{ACME}", json={"note": "VIP"}),
        [
            lambda c: c.owner.put(f"/v3/customers/{ACME}", json={"name": ""}),
            lambda c: c.owner.put("/v3/customers/99", json={"note": "x"}),
        ],
    ),
    Case(
        "delete",
        "/v3/customers/{id}",
        lambda c: c.owner.delete("/v3/customers/3", params={"force": "true"}),
        [lambda c: c.owner.delete(f"/v3/customers/{ACME}"), lambda c: c.worker.delete("/v3/customers/3")],
    ),
    Case(
        "get",
        "/v4/projects",
        lambda c: c.owner.get("/v4/projects"),
        [lambda c: c.owner.get("/v4/projects", params={"filter[completed]": "sometimes"})],
    ),
    Case(
        "post",
        "/v4/projects",
        lambda c: c.owner.post(
            "/v4/projects",
            json={
                "name": "Mobile App",
                "customers_id": ACME,
                "budget": {"amount": 100, "monetary": False, "hard": True},
            },
        ),
        [
            lambda c: c.owner.post("/v4/projects", json={"name": "X", "customers_id": 99}),
            lambda c: c.owner.post("/v4/projects", json={"name": "X", "customers_id": ACME, "budget": {}}),
        ],
    ),
    Case(
        "get",
        "/v4/projects/{id}",
        lambda c: c.owner.get(f"/v4/projects/{FINISHED}"),
        [lambda c: c.owner.get("/v4/projects/99")],
    ),
    Case(
        "put",
        "/v4/projects/{id}",
        lambda c: c.owner.put(
            f"/v4/projects/{PHOENIX}", json={"budget": {"amount": 120, "monetary": False, "hard": True}}
        ),
        [
            lambda c: c.owner.put(f"/v4/projects/{FINISHED}", json={"budget": None}),
            lambda c: c.worker.put(f"/v4/projects/{PHOENIX}", json={"name": "X"}),
        ],
    ),
    Case(
        "delete",
        "/v4/projects/{id}",
        lambda c: _delete_archived(c, "/v4/projects", TOOLS),
        [lambda c: c.owner.delete(f"/v4/projects/{WEBSITE}")],
    ),
    Case(
        "put",
        "/v4/projects/{id}/complete",
        lambda c: c.owner.put(f"/v4/projects/{PHOENIX}/complete", json={"completed": True}),
        [
            lambda c: c.owner.put(f"/v4/projects/{WEBSITE}/complete", json={"completed": True}),
            lambda c: c.owner.put(f"/v4/projects/{WEBSITE}/complete", json={}),
        ],
    ),
    Case(
        "put",
        "/v3/projects/{id}/setBilled",
        lambda c: c.owner.put(f"/v3/projects/{FINISHED}/setBilled", json={"billed": True, "billed_money": 4000}),
        [
            lambda c: c.owner.put(f"/v3/projects/{WEBSITE}/setBilled", json={"billed": True, "billed_money": 1}),
            lambda c: c.owner.put(f"/v3/projects/{WEBSITE}/setBilled", json={"billed": "yes"}),
        ],
    ),
    Case(
        "get",
        "/v3/subprojects",
        lambda c: c.owner.get("/v3/subprojects", params={"filter[projects_id]": WEBSITE}),
        [lambda c: c.owner.get("/v3/subprojects", params={"page": -1})],
    ),
    Case(
        "post",
        "/v3/subprojects",
        lambda c: c.owner.post("/v3/subprojects", json={"name": "Phase 2", "projects_id": WEBSITE}),
        [lambda c: c.owner.post("/v3/subprojects", json={"name": "Phase 2"})],
    ),
    Case(
        "get",
        "/v3/subprojects/{id}",
        lambda c: c.owner.get("/v3/subprojects/20"),
        [lambda c: c.owner.get("/v3/subprojects/99")],
    ),
    Case(
        "put",
        "/v3/subprojects/{id}",
        lambda c: c.owner.put("/v3/subprojects/20", json={"name": "Design"}),
        [lambda c: c.owner.put("/v3/subprojects/20", json={"projects_id": 99})],
    ),
    Case(
        "delete",
        "/v3/subprojects/{id}",
        lambda c: _delete_archived(c, "/v3/subprojects", 20),
        [lambda c: c.owner.delete("/v3/subprojects/20")],
    ),
    Case(
        "get",
        "/v4/services",
        lambda c: c.owner.get("/v4/services", params={"filter[fulltext]": "des"}),
        [lambda c: c.owner.get("/v4/services", params={"items_per_page": 5001})],
    ),
    Case(
        "post",
        "/v4/services",
        lambda c: c.owner.post("/v4/services", json={"name": "QA"}),
        [lambda c: c.owner.post("/v4/services", json={"name": None})],
    ),
    Case(
        "get", "/v4/services/{id}", lambda c: c.owner.get("/v4/services/31"), [lambda c: c.owner.get("/v4/services/99")]
    ),
    Case(
        "put",
        "/v4/services/{id}",
        lambda c: c.owner.put("/v4/services/31", json={"number": "S-9"}),
        [lambda c: c.owner.put("/v4/services/31", json={"active": "sometimes"})],
    ),
    Case(
        "delete",
        "/v4/services/{id}",
        lambda c: _delete_archived(c, "/v4/services", 32),
        [lambda c: c.owner.delete("/v4/services/30")],
    ),
    Case(
        "get",
        "/v4/lumpSumServices",
        lambda c: c.owner.get("/v4/lumpSumServices"),
        [lambda c: c.owner.get("/v4/lumpSumServices", params={"filter[active]": "2"})],
    ),
    Case(
        "post",
        "/v4/lumpSumServices",
        lambda c: c.owner.post("/v4/lumpSumServices", json={"name": "Hotel", "price": 99.5}),
        [lambda c: c.owner.post("/v4/lumpSumServices", json={"name": "Hotel"})],
    ),
    Case(
        "get",
        "/v4/lumpSumServices/{id}",
        lambda c: c.owner.get(f"/v4/lumpSumServices/{TRAVEL}"),
        [lambda c: c.owner.get("/v4/lumpSumServices/99")],
    ),
    Case(
        "put",
        "/v4/lumpSumServices/{id}",
        lambda c: c.owner.put(f"/v4/lumpSumServices/{TRAVEL}", json={"price": 0.3}),
        [lambda c: c.owner.put(f"/v4/lumpSumServices/{TRAVEL}", json={"price": 1e12})],
    ),
    Case(
        "delete",
        "/v4/lumpSumServices/{id}",
        lambda c: _delete_archived(c, "/v4/lumpSumServices", TRAVEL),
        [lambda c: c.owner.delete(f"/v4/lumpSumServices/{TRAVEL}")],
    ),
    Case(
        "get",
        "/v3/users",
        lambda c: c.owner.get("/v3/users", params={"filter[teams_id]": "null"}),
        [lambda c: c.owner.get("/v3/users", params={"sort[]": "age"})],
    ),
    Case(
        "post",
        "/v3/users",
        _new_user,
        [lambda c: c.owner.post("/v3/users", json={"name": "X", "email": "worker@demo.example", "role": "worker"})],
    ),
    Case(
        "get", "/v3/users/{id}", lambda c: c.worker.get(f"/v3/users/{SARAH}"), [lambda c: c.owner.get("/v3/users/99")]
    ),
    Case(
        "put",
        "/v3/users/{id}",
        lambda c: c.owner.put(f"/v3/users/{SARAH}", json={"name": "Sarah Chen-Li"}),
        [lambda c: c.owner.put(f"/v3/users/{SARAH}", json={"language": "xx"})],
    ),
    Case(
        "delete",
        "/v3/users/{id}",
        lambda c: c.owner.delete("/v3/users/4"),
        [lambda c: c.owner.delete(f"/v3/users/{SARAH}")],
    ),
    Case(
        "get",
        "/v3/teams",
        lambda c: c.owner.get("/v3/teams"),
        [lambda c: c.owner.get("/v3/teams", params={"sort[]": "size"})],
    ),
    Case(
        "post",
        "/v3/teams",
        lambda c: c.owner.post("/v3/teams", json={"name": "QA"}),
        [lambda c: c.owner.post("/v3/teams", json={"name": "QA", "user_ids": [WORKER]})],
    ),
    Case("get", "/v3/teams/{id}", lambda c: c.owner.get("/v3/teams/1"), [lambda c: c.owner.get("/v3/teams/99")]),
    Case(
        "put",
        "/v3/teams/{id}",
        lambda c: c.owner.put("/v3/teams/1", json={"leader": None}),
        [lambda c: c.owner.put("/v3/teams/1", json={"leader": 99})],
    ),
    Case(
        "delete", "/v3/teams/{id}", lambda c: c.owner.delete("/v3/teams/1"), [lambda c: c.worker.delete("/v3/teams/1")]
    ),
    Case(
        "get",
        "/v4/absences",
        lambda c: c.owner.get("/v4/absences", params={"filter[year][]": 2026}),
        [lambda c: c.owner.get("/v4/absences", params={"filter[year][]": 1990})],
    ),
    Case(
        "post",
        "/v4/absences",
        lambda c: c.worker.post("/v4/absences", json={"date_since": "2026-12-01", "type": 1}),
        [
            lambda c: c.worker.post("/v4/absences", json={"date_since": "2026-11-05", "type": 1}),
            lambda c: c.worker.post("/v4/absences", json={"date_since": "2026-12-01", "type": 1, "users_id": SARAH}),
        ],
    ),
    Case(
        "get",
        "/v4/absences/{id}",
        lambda c: c.owner.get("/v4/absences/2"),
        [lambda c: c.worker.get("/v4/absences/2"), lambda c: c.owner.get("/v4/absences/99")],
    ),
    Case(
        "put",
        "/v4/absences/{id}",
        lambda c: c.owner.put("/v4/absences/2", json={"status": 1}),
        [
            lambda c: c.owner.put("/v4/absences/1", json={"status": 4}),
            lambda c: c.owner.put("/v4/absences/2", json={"date_until": "2027-01-02"}),
        ],
    ),
    Case(
        "delete",
        "/v4/absences/{id}",
        lambda c: c.owner.delete("/v4/absences/2"),
        [lambda c: c.owner.delete("/v4/absences/1")],
    ),
    Case(
        "get",
        "/userreports",
        lambda c: c.owner.get("/userreports", params={"year": 2026, "type": 2}),
        [lambda c: c.owner.get("/userreports")],
    ),
    Case(
        "get",
        "/userreports/{id}",
        lambda c: c.owner.get(f"/userreports/{WORKER}", params={"year": 2026, "type": 4}),
        [lambda c: c.worker.get(f"/userreports/{SARAH}", params={"year": 2026})],
    ),
    Case(
        "get",
        "/targethours",
        lambda c: c.owner.get("/targethours"),
        [lambda c: c.worker.get("/targethours", params={"users_id": SARAH})],
    ),
    Case(
        "get", "/targethours/{id}", lambda c: c.owner.get("/targethours/1"), [lambda c: c.owner.get("/targethours/99")]
    ),
    Case(
        "get",
        "/v2/holidaysQuota",
        lambda c: c.owner.get("/v2/holidaysQuota", params={"year": 2026}),
        [lambda c: c.owner.get("/v2/holidaysQuota", params={"year": 1900})],
    ),
    Case(
        "get",
        "/v2/holidaysQuota/{id}",
        lambda c: c.owner.get("/v2/holidaysQuota/1"),
        [lambda c: c.owner.get("/v2/holidaysQuota/99")],
    ),
    Case(
        "get",
        "/v2/nonbusinessDays",
        lambda c: c.owner.get("/v2/nonbusinessDays", params={"year": 2026}),
        [lambda c: c.owner.get("/v2/nonbusinessDays", params={"year": 3000})],
    ),
    Case(
        "get",
        "/v2/nonbusinessDays/{id}",
        lambda c: c.owner.get("/v2/nonbusinessDays/2", params={"year": 2026}),
        [lambda c: c.owner.get("/v2/nonbusinessDays/99")],
    ),
    Case(
        "get",
        "/v2/workTimes",
        lambda c: c.owner.get(
            "/v2/workTimes", params={"date_since": "2026-11-01", "date_until": "2026-11-30", "users_id": SARAH}
        ),
        [lambda c: c.owner.get("/v2/workTimes", params={"date_since": "2026-11-30", "date_until": "2026-11-01"})],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method.upper()} {c.path}" for c in CASES])
async def test_operation_matches_the_spec(
    case: Case, owner: httpx.AsyncClient, worker: httpx.AsyncClient, openapi: OpenAPI, spec: dict[str, Any]
) -> None:
    clients = Clients(owner, worker)
    for call in case.errors:
        failed = await call(clients)
        assert 400 <= failed.status_code < 500, (failed.status_code, failed.text)
        validate(openapi, spec, failed)
    succeeded = await case.success(clients)
    assert succeeded.status_code == 200, succeeded.text
    validate(openapi, spec, succeeded)


def implemented_operations(app: Starlette) -> set[tuple[str, str]]:
    """(method, path template) of every fake route, in the spec's `{id}` notation."""
    found: set[tuple[str, str]] = set()
    for mount in app.routes:
        assert isinstance(mount, Mount)
        for route in mount.routes:
            assert isinstance(route, Route)
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method.lower(), route.path.replace(":int}", "}")))
    return found


def test_every_implemented_spec_operation_has_a_case(app: Starlette, spec: dict[str, Any]) -> None:
    in_spec = {(m, p) for m, p in implemented_operations(app) if m in spec["paths"].get(p, {})}
    covered = {(c.method, c.path) for c in CASES}
    assert in_spec == covered
    assert len(in_spec) >= 60


def test_the_newer_endpoints_are_absent_from_the_spec_file(app: Starlette, spec: dict[str, Any]) -> None:
    newer = {p for _, p in implemented_operations(app) if p not in spec["paths"]}
    assert newer == {"/v4/users/me", "/v4/rates", "/v4/rates/default", "/v4/rates/{id}", "/v4/rates/{id}/sort"}


RATE_V4 = {
    "type": "object",
    "required": [
        "id",
        "parent_rate_id",
        "customer_ids",
        "project_ids",
        "service_ids",
        "user_ids",
        "hourly_rate",
        "test_data",
        "position",
    ],
    "properties": {
        "id": {"type": "integer", "nullable": True},
        "parent_rate_id": {"type": "integer", "nullable": True},
        **{
            name: {"type": "array", "items": {"type": "integer"}}
            for name in ("customer_ids", "project_ids", "service_ids", "user_ids")
        },
        "hourly_rate": {"type": "number", "minimum": 0, "maximum": 99999999.99},
        "test_data": {"type": "boolean"},
        "position": {"type": "integer"},
    },
}


async def test_rates_match_rate_v4_of_api_md(owner: httpx.AsyncClient, spec: dict[str, Any]) -> None:
    validator = OAS30Validator(RATE_V4)
    listed = (await owner.get("/v4/rates")).json()
    assert set(listed) == {"data"}
    for rate in listed["data"]:
        assert not list(validator.iter_errors(rate))
    created = (await owner.post("/v4/rates", json={"hourly_rate": 70, "service_ids": [32]})).json()
    assert not list(validator.iter_errors(created["data"]))
    assert (await owner.put("/v4/rates/default", json={"hourly_rate": 81.5})).json() == {"data": {"hourly_rate": 81.5}}
    assert (await owner.delete("/v4/rates/1")).json() == {"success": True}
    failed = (await owner.post("/v4/rates", json={"hourly_rate": 1})).json()
    assert not list(OAS30Validator(family_schema(spec, failed)).iter_errors(failed))


async def test_users_me_matches_user_v3(worker: httpx.AsyncClient, spec: dict[str, Any]) -> None:
    body = (await worker.get("/v4/users/me")).json()
    assert set(body) == {"data"}
    schema = {"$ref": "#/components/schemas/UserV3", "components": spec["components"]}
    assert not list(OAS30Validator(schema).iter_errors(body["data"]))
