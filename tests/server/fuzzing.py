"""Property-based fuzzing of every tool through the MCP in-memory client against the fake Clockodo.

Arguments are generated from each tool's input schema as `tools/list` serves it (values the schema allows, plus
boundary values, wrong types, unknown keys, huge and non-finite numbers, odd unicode
and extreme dates) and from the demo company's real names, ids and periods, so calls get past validation into the
tools. After every call the harness checks: no internal error, no bare "Error executing tool", no change to the
fake's data unless the call carried the token its own preview issued, exactly one intent and one outcome record
with the same call_id. `finish` checks the audit chain. Used by tests/server/test_fuzz.py and bench/fuzz.py.
"""

from __future__ import annotations

import json
import os
import string
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mcp import Client

from clockodo_mcp.audit import verify
from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.domain.periods import NAMED_PERIODS
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, seed
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ServerConfig
from clockodo_mcp.server.runtime import Runtime
from tests.server.gating import entries_state

TODAY = date(2026, 11, 24)
NOW = datetime.fromisoformat("2026-11-24T15:00:00+00:00")
PERIOD_KEYS = {"period", "rerate_period", "utilization_period"}
NAME_KEYS = {"customer", "project", "user", "team", "service"}
PERIODS = [
    *NAMED_PERIODS,
    "last_30_days",
    "last_731_days",
    "last_732_days",
    "last_0_days",
    "2026-11",
    "2026-Q3",
    "2026",
    "2026-11-24",
    "2026-02-29",
    "2028-02-29",
    "9999-12-31",
    "9999",
    "9999-12",
    "0001-01-01",
    "0000",
    "2037-12-31",
    "2000-01-01",
    "",
    "  ",
    "next_month",
    {"from": "2026-11-01", "to": "2026-11-30"},
    {"from": "0001-01-01", "to": "9999-12-31"},
    {"from": "2026-12-01", "to": "2026-11-01"},
    {"from": "2020-01-01", "to": "2026-12-31"},
    {"from": "2026-11-01"},
]
DURATIONS = ["1h", "1.5h", "90m", "1h 30m", "1:30", "0h", "25h", "24:00", "soon", "inf", "nan", "1e400", "-1h", 0.25]
TIMES = [
    "09:00",
    "17:30",
    "24:00",
    "25:61",
    "2026-11-24T09:30",
    "2026-11-24T09:30Z",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
]
DAYS = ["2026-11-24", "2026-11-23", "2026-11-01", "24.11.2026", "9999-12-31", "0001-01-01", "2026-02-30"]
NUMBERS = [0, -1, 1, 0.5, 95, 95.5, 95.555, 1e12, 1e308, -1e308, 2**31, 2**63, 2**64, 10**30, "Infinity", "NaN", "-0"]
ODD_TEXT = [
    "",
    " ",
    "\x00",
    "\ud800",
    "e\u0301",
    "Z\u200dW",
    "🙂" * 3,
    "Müller",
    "Straße",
    "' OR 1=1 --",
    "%s%n",
    "a" * 5000,
]


@dataclass(frozen=True)
class Recent:
    """A placeholder for the n-th recent entry id or change id, resolved against the data as it is at call time.

    Strategies must not depend on state that the calls change (hypothesis checks that generation is repeatable).
    """

    kind: str
    index: int


@dataclass
class Tally:
    """What the fuzz did: calls, and outcomes by kind."""

    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    samples: dict[str, list[str]] = field(default_factory=dict)  # a few calls of each kind, for reading

    def count(self, kind: str, where: str) -> None:
        """Count one outcome; keep the first few of each kind."""
        self.outcomes[kind] += 1
        kept = self.samples.setdefault(kind, [])
        if len(kept) < 5:
            kept.append(where)

    def line(self) -> str:
        """'2,000 calls: ok 812, preview 301, …'."""
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in self.outcomes.most_common())
        return f"{self.calls:,} calls: {kinds}"


def store_state(store: Any) -> dict[str, Any]:
    """Everything a write could change in the fake, as plain comparable data (repr: a cheap deep snapshot)."""
    return {
        "entries": entries_state(store),
        "absences": repr(store.absences),
        "projects": repr(store.projects),
        "customers": repr(store.customers),
        "users": repr(store.users),
        "rates": repr(store.rates),
        "default_rate": store.default_hourly_rate,
    }


class SteppingClock(FrozenClock):
    """Today stays frozen, but every monotonic reading is a second later.

    With a fully frozen clock the client's rate limiter (900 requests a minute) would wait forever once thousands
    of calls have used up the minute that never ends; stepping keeps each request "a second apart".
    """

    def monotonic(self) -> float:
        """One second more on every reading."""
        self.advance_monotonic(1.0)
        return super().monotonic()

    def advance_monotonic(self, seconds: float) -> None:
        """Move the monotonic counter only, never the frozen instant."""
        self._counter += seconds


class CountingApp:
    """The fake's ASGI app, counting requests that could change data (anything but GET and HEAD)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.mutating = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and scope.get("method") not in ("GET", "HEAD"):
            self.mutating += 1
        await self.app(scope, receive, send)


class Harness:
    """One fake, one server, one client held open (in a portal thread) for many fuzzed calls."""

    def __init__(self, portal: BlockingPortal, client: Client, app: CountingApp, audit_path: Path) -> None:
        self.portal = portal
        self.app = app
        self.client = client
        self.store = app.app.state.store
        self.audit_path = audit_path
        self.tally = Tally()
        self.schemas: dict[str, dict[str, Any]] = {}
        self.writes: set[str] = set()
        self.change_ids: list[str] = []
        self._audit_offset = 0
        self._state = store_state(self.store)
        self._mutating = app.mutating
        self._strategies: dict[str, st.SearchStrategy[dict[str, Any]]] = {}
        self.schemas_defs: dict[str, Any] = {}
        for schema in self.schemas.values():
            self.schemas_defs |= schema.get("$defs", {})
        for tool in portal.call(client.list_tools).tools:
            self.schemas[tool.name] = tool.input_schema
            if tool.annotations is None or not tool.annotations.read_only_hint:
                self.writes.add(tool.name)

    # -- one call ---------------------------------------------------------------------------------------------

    def call(self, tool: str, arguments: dict[str, Any], *, confirmed: bool = False) -> Any:
        """Call a tool and check every per-call property; returns the result."""
        result = self.portal.call(self.client.call_tool, tool, arguments)
        self.tally.calls += 1
        text = " ".join(getattr(block, "text", "") for block in result.content)
        where = f"{tool} {_short(arguments)} → {_short(text)}"
        assert "Internal error" not in text, where
        assert text.strip() != f"Error executing tool {tool}", where
        assert "validation error" not in text, where  # no pydantic dump …
        assert "errors.pydantic.dev" not in text, where  # … and no URL
        intent, outcome = self._records(where)
        assert intent["tool"] == outcome["tool"] == tool, where
        status = str(outcome.get("status"))
        if result.is_error:
            assert status in ("rejected", "refused", "error"), where
            schema = not text.startswith("Error executing tool")
            self.tally.count(f"{status} (arguments)" if schema else status, where)
            assert status != "error" or "Clockodo" in text, where  # an "error" must be Clockodo's, explained
        else:
            assert isinstance(result.structured_content, dict), where
            applied = result.structured_content.get("status") == "applied"
            self.tally.count("applied" if applied else status, where)
            if applied and result.structured_content.get("change_id"):
                self.change_ids.append(str(result.structured_content["change_id"]))
        # Data only changes through a non-GET request; compare everything then, and every 25 calls regardless.
        if self.app.mutating != self._mutating or self.tally.calls % 25 == 0:
            state = store_state(self.store)
            if not confirmed:
                assert state == self._state, f"data changed without a confirmed token: {where}"
            self._state, self._mutating = state, self.app.mutating
        return result

    def _records(self, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The intent and outcome written by the last call (exactly one each, same call_id)."""
        with self.audit_path.open("rb") as log:
            log.seek(self._audit_offset)
            new = log.read()
        self._audit_offset += len(new)
        records = [json.loads(line) for line in new.splitlines()]
        intents = [r for r in records if r.get("kind") == "intent"]
        outcomes = [r for r in records if r.get("kind") == "outcome"]
        assert len(intents) == 1, f"audit records {records} for {where}"
        assert len(outcomes) == 1, f"audit records {records} for {where}"
        assert intents[0]["call_id"] == outcomes[0]["call_id"], where
        return intents[0], outcomes[0]

    def resolve(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Arguments with every `Recent` placeholder replaced by a current id."""
        entries = [e.id for e in self.store.entries[-200:]] or [1]
        changes = self.change_ids[-50:] or ["0123456789abcdef"]
        pools: dict[str, list[Any]] = {"entry": entries, "change": changes}
        return {
            k: pools[v.kind][v.index % len(pools[v.kind])] if isinstance(v, Recent) else v for k, v in arguments.items()
        }

    def run(self, tool: str, arguments: dict[str, Any], confirm: bool) -> None:
        """One fuzzed call; a write's preview is sometimes confirmed with its own token (the only allowed change)."""
        arguments = self.resolve(arguments)
        result = self.call(tool, arguments)
        content = result.structured_content if not result.is_error else None
        token = content.get("confirm_token") if isinstance(content, dict) else None
        if confirm and token and tool in self.writes:
            self.call(tool, {**arguments, "confirm_token": token}, confirmed=True)

    def finish(self) -> Tally:
        """The audit chain verifies end to end; returns the tally."""
        result = verify(self.audit_path)
        assert result.ok, result
        assert result.records == 2 * self.tally.calls, (result.records, self.tally.calls)
        return self.tally

    # -- strategies -------------------------------------------------------------------------------------------

    def arguments(self, tool: str) -> st.SearchStrategy[dict[str, Any]]:
        """Argument sets for one tool: schema-valid, realistic, or mixed with boundary values and junk."""
        if tool not in self._strategies:
            self._strategies[tool] = self._arguments(tool)
        return self._strategies[tool]

    def _arguments(self, tool: str) -> st.SearchStrategy[dict[str, Any]]:
        schema = self.schemas[tool]
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        mixed = st.fixed_dictionaries(
            {name: self.value(name, properties[name]) for name in properties if name in required},
            optional={name: self.value(name, properties[name]) for name in properties if name not in required},
        )
        # What a model asking about the demo company would send: gets deep into the tools and the writes.
        realistic = st.fixed_dictionaries(
            {name: self.realistic(name, properties[name]) for name in properties if name in required},
            optional={name: self.realistic(name, properties[name]) for name in properties if name not in required},
        )
        odd = st.tuples(st.one_of(_valid(schema), mixed), unknown_keys(list(properties)))
        return st.one_of(realistic, realistic, odd.map(lambda pair: {**pair[0], **pair[1]}))

    def value(self, name: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        """A value for one argument: mostly realistic, sometimes a boundary, sometimes any JSON at all."""
        return st.one_of(self.realistic(name, schema), self.realistic(name, schema), boundary(schema), junk())

    def realistic(self, name: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        """Values a user's question would produce: the demo company's names and ids, real periods, durations."""
        store = self.store
        if name in PERIOD_KEYS:
            return st.one_of(st.sampled_from(PERIODS), dates().map(date.isoformat), date_ranges())
        if name in NAME_KEYS:
            table = {"customer": store.customers, "project": store.projects, "user": store.users}.get(
                name, store.teams if name == "team" else store.services
            )
            names = sorted(str(r["name"]) for r in table.values())
            ids = sorted(table)
            return st.one_of(
                st.sampled_from(names),
                st.sampled_from(names).map(lambda n: n.lower()[: max(3, len(n) // 2)]),
                st.sampled_from(ids),
                st.sampled_from(["everyone", "Pheonix", "Mueller", "Sarah", "17", "0", "-3"]),
            )
        if name == "entry_id":
            return st.one_of(st.integers(0, 199).map(lambda i: Recent("entry", i)), st.sampled_from(NUMBERS))
        if name == "absence_id":
            return st.one_of(st.sampled_from(sorted(store.absences)), st.sampled_from(NUMBERS))
        if name == "change_id":
            recent = st.integers(0, 49).map(lambda i: Recent("change", i))
            return st.one_of(recent, recent, st.text(string.hexdigits, min_size=1, max_size=20))
        if name == "duration":
            return st.one_of(st.sampled_from(DURATIONS), st.floats(0, 30), st.integers(-5, 30))
        if name in ("start", "end"):
            return st.one_of(st.sampled_from(TIMES), st.datetimes().map(lambda d: d.isoformat(timespec="minutes")))
        if name == "date":
            return st.one_of(st.sampled_from(DAYS), dates().map(date.isoformat))
        if name in ("hourly_rate", "amount"):
            money = st.decimals(0, 1000, places=2, allow_nan=False, allow_infinity=False).map(float)
            return st.one_of(money, st.sampled_from(NUMBERS))
        if name == "confirm_token":
            return st.one_of(st.none(), st.sampled_from(["", "abc", "x.y", "eyJ2IjoxfQ.AAAA"]), st.text(max_size=50))
        if name in ("text", "note", "query"):
            return st.one_of(st.sampled_from(["Wireframes", "phoenix", "Sprint review", "sarah", *ODD_TEXT]), text())
        defs = self.schemas_defs
        return st.one_of(allowed(schema, defs), allowed(schema, defs), allowed(schema, defs), boundary(schema))


# -- strategies independent of the company ------------------------------------------------------------------


def dates() -> st.SearchStrategy[date]:
    """Mostly near today, sometimes anywhere from year 1 to 9999."""
    return st.one_of(st.dates(date(2024, 1, 1), date(2027, 12, 31)), st.dates())


def date_ranges() -> st.SearchStrategy[dict[str, str]]:
    """{"from", "to"} with any two dates (reversed, huge, extreme)."""
    return st.tuples(dates(), dates()).map(lambda p: {"from": p[0].isoformat(), "to": p[1].isoformat()})


def text(surrogates: bool = True) -> st.SearchStrategy[str]:
    """Any unicode, including control characters and (unless told not to) unpaired surrogates."""
    any_char = st.characters(codec=None, exclude_categories=())  # the default leaves out control characters
    if not surrogates:  # the SDK client cannot encode a surrogate in an object key; a JSON client could
        return st.text(st.characters(codec="utf-8", exclude_categories=()), max_size=40)
    return st.text(st.one_of(any_char, any_char, st.characters(categories=["Cs"])), max_size=300)


def junk() -> st.SearchStrategy[Any]:
    """Any JSON value at all, of any type."""
    return _JUNK


def _junk() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(NUMBERS),
        text(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text(False), inner, max_size=4),
        max_leaves=8,
    )


_JUNK = _junk()


def boundary(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """The edges of an argument's schema: min/max and one beyond, empty and over-long text, every enum value."""
    values: list[Any] = [None]
    for branch in _branches(schema):
        kind = branch.get("type")
        if "enum" in branch:
            values += [*branch["enum"], str(branch["enum"][0]).upper(), "unknown"]
        elif kind in ("integer", "number"):
            for key in ("minimum", "maximum", "exclusiveMinimum"):
                if key in branch:
                    values += [branch[key], branch[key] - 1, branch[key] + 1]
            values += [0, -1, 2**63, 1e308, 1.5, "3"]
        elif kind == "string":
            top = int(branch.get("maxLength", 300))
            values += ["", "x" * top, "x" * (top + 1)]
        elif kind == "array":
            item = branch.get("items", {})
            values += [[], [item.get("enum", ["x"])[0]] * 30]
        elif kind == "boolean":
            values += [True, False, "true", 1]
    return st.sampled_from(values)


def unknown_keys(valid: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Usually none; sometimes a near-miss of a real name ('projects', 'biling') or an invented one."""
    near = st.sampled_from(valid or ["x"]).flatmap(
        lambda name: st.sampled_from([name + "s", name[:-1], name.upper(), name.replace("_", ""), "_" + name])
    )
    key = st.one_of(near, st.sampled_from(["ctx", "confirmation", "api_key", "__proto__", ""]), text(False))
    extra = st.dictionaries(key.filter(lambda k: k not in valid), junk(), min_size=1, max_size=3)
    return st.one_of(st.just({}), st.just({}), st.just({}), extra)


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for sub in schema.get("anyOf", []) for b in _branches(sub)] if "anyOf" in schema else [schema]


def _valid(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Argument sets exactly as the schema allows: required keys always, optional ones sometimes."""
    defs: dict[str, Any] = schema.get("$defs", {})
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    return st.fixed_dictionaries(
        {k: allowed(v, defs) for k, v in properties.items() if k in required},
        optional={k: allowed(v, defs) for k, v in properties.items() if k not in required},
    )


def allowed(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Any value a JSON schema of the shapes our tools use accepts (hypothesis-jsonschema does not run on the
    installed hypothesis, and these few keywords are all the tool schemas need)."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return allowed(defs[ref.rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        return st.one_of([allowed(branch, defs) for branch in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**40)) + ("exclusiveMinimum" in schema))
        return st.integers(low, schema.get("maximum", 2**40))
    if kind == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        return st.floats(
            low, schema.get("maximum"), exclude_min="exclusiveMinimum" in schema, allow_nan=False, allow_infinity=False
        )
    if kind == "string":
        if schema.get("format") == "date":
            return dates().map(date.isoformat)
        return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 100), 100))
    if kind == "array":
        items = allowed(schema.get("items", {}), defs)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 5), 5))
    if kind == "object":
        return _valid(schema | {"$defs": defs})
    return junk()


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=True)
    return text if len(text) <= 300 else text[:299] + "…"


# -- setup ----------------------------------------------------------------------------------------------------


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary directory, in memory (/dev/shm) where there is one.

    Every audit record is fsynced; on a disk that is half the fuzz's time, and durability is not what it tests.
    """
    shm = Path("/dev/shm")
    where = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    with TemporaryDirectory(dir=where, prefix="clockodo-fuzz-") as tmp:
        yield Path(tmp)


@contextmanager
def harness(audit_path: Path, *, company_seed: int = 7) -> Iterator[Harness]:
    """A harness over the demo company at a frozen instant; the client stays open until the block ends."""
    dataset = seed(seed=company_seed, today=TODAY)
    app = CountingApp(create_app(dataset, now=lambda: NOW))
    config = ServerConfig(
        api_user=OWNER_EMAIL,
        api_key=OWNER_KEY,
        credential_source="test",
        base_url="http://fake.clockodo.test/api",
        audit_path=audit_path,
    )
    runtime = Runtime(config, transport=httpx.ASGITransport(app=app), clock=SteppingClock(NOW))
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal())
        client = stack.enter_context(portal.wrap_async_context_manager(Client(build_server(runtime))))
        yield Harness(portal, client, app, audit_path)


def run_generated_calls(
    h: Harness, calls: int, *, derandomize: bool, after_each: Callable[[Harness], None] | None = None
) -> None:
    """Draw `calls` (tool, arguments) pairs from the served schemas and run each; a quarter get confirmed.

    No deadline (Clockodo work varies) and no shrinking: the fake's data evolves as confirmed writes apply, so a
    failing call is reported with its tool and arguments instead.
    """
    tools = sorted(h.schemas)

    @settings(
        max_examples=calls,
        derandomize=derandomize,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one_call(data: st.DataObject) -> None:
        tool = data.draw(st.sampled_from(tools), label="tool")
        arguments = data.draw(h.arguments(tool), label="arguments")
        h.run(tool, arguments, confirm=data.draw(st.integers(0, 3), label="confirm") == 0)
        if after_each is not None:
            after_each(h)

    one_call()
