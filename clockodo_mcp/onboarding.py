"""`login`, `logout` and `doctor`: from "pip install" to a working server, with the API key kept out of config files."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
import httpx

from clockodo_mcp import __version__
from clockodo_mcp.audit import default_audit_path, key_path, verify
from clockodo_mcp.clock import SYSTEM_CLOCK
from clockodo_mcp.clockodo import (
    ClockodoArgumentError,
    ClockodoAuthenticationError,
    ClockodoClient,
    ClockodoError,
    ClockodoForbiddenError,
    ClockodoNotFoundError,
    ClockodoTransportError,
    Grouping,
    RetryPolicy,
    User,
)
from clockodo_mcp.credentials import (
    KeyringUnavailable,
    keyring_backend_name,
    keyring_delete,
    keyring_read,
    keyring_store,
)
from clockodo_mcp.server.config import DEFAULT_APP_NAME, DEFAULT_BASE_URL, ConfigError, ServerConfig
from clockodo_mcp.store import Store, StoreConfigError, default_store_url, open_store

Prompt = Callable[[str], str]
Status = Literal["ok", "warning", "problem", "skipped"]

API_KEY_WHERE = "Clockodo → My area (your name, top right) → Personal data → API key"
SKEW_WARNING_SECONDS = 30.0
SKEW_PROBLEM_SECONDS = 300.0  # half the confirmation-token lifetime: beyond this, periods and expiries go wrong
TIMEOUT_SECONDS = 15.0
CONFIRM_WORDS = {
    "token": "writes need a confirmation token",
    "elicit": "writes are confirmed by asking you",
    "auto": "writes are confirmed by asking you where the client can, else by token",
}


@dataclass(frozen=True, slots=True)
class Connection:
    """Where Clockodo is, and (in tests) the httpx transport that reaches it."""

    base_url: str = DEFAULT_BASE_URL
    transport: httpx.AsyncBaseTransport | None = None
    timeout: float = TIMEOUT_SECONDS


def connection_from_env(base_url: str | None = None, env: Mapping[str, str] | None = None) -> Connection:
    """--base-url, else CLOCKODO_BASE_URL, else Clockodo itself."""
    source = os.environ if env is None else env
    return Connection(base_url=base_url or source.get("CLOCKODO_BASE_URL") or DEFAULT_BASE_URL)


def open_client(api_user: str, api_key: str, connection: Connection, app_email: str = "") -> ClockodoClient:
    """A client that fails fast: onboarding reports a problem at once instead of retrying for a minute."""
    return ClockodoClient(
        api_user=api_user,
        api_key=api_key,
        app_name=DEFAULT_APP_NAME,
        app_email=app_email or api_user,
        base_url=connection.base_url,
        timeout=connection.timeout,
        retry=RetryPolicy.none(),
        transport=connection.transport,
    )


async def check_login(api_user: str, api_key: str, connection: Connection) -> User:
    """The Clockodo user these credentials belong to (`GET /v4/users/me`); raises ClockodoError otherwise."""
    async with open_client(api_user, api_key, connection) as client:
        return await client.users.me()


def _transport_reason(error: ClockodoTransportError) -> str:
    cause = error.__cause__
    return f"{type(cause).__name__}: {cause}" if cause is not None else str(error)


def env_snippet(api_user: str = "you@example.com") -> str:
    """How to pass the credentials through the environment where no keyring exists."""
    config = {
        "mcpServers": {
            "clockodo": {
                "command": "clockodo-mcp",
                "args": ["serve"],
                "env": {"CLOCKODO_API_USER": api_user, "CLOCKODO_API_KEY": "<your API key>"},
            }
        }
    }
    return "\n".join(
        [
            "  export CLOCKODO_API_USER=" + api_user,
            "  read -rs CLOCKODO_API_KEY && export CLOCKODO_API_KEY   # paste the key; it is not echoed",
            "  clockodo-mcp doctor",
            "or in the MCP client's server entry (keep that file private):",
            *("  " + line for line in json.dumps(config, indent=2).splitlines()),
        ]
    )


def no_keyring_message(reason: str, api_user: str = "you@example.com") -> str:
    """What to do on a machine without a keyring backend (headless Linux, containers, CI)."""
    return (
        f"No system keyring is available on this machine ({reason}).\n"
        "Nothing was stored. Use environment variables instead:\n"
        f"{env_snippet(api_user)}\n"
        "(On a Linux desktop, installing and unlocking a Secret Service provider such as GNOME Keyring or KWallet "
        "makes `clockodo-mcp login` work.)"
    )


def client_snippet() -> str:
    """The MCP client entry once the key is in the keyring: no secret in it, safe to share."""
    config = {"mcpServers": {"clockodo": {"command": "clockodo-mcp", "args": ["serve"]}}}
    return json.dumps(config, indent=2)


def describe_user(user: User) -> str:
    """'Sarah Chen <sarah@example.com>, owner' — never the key."""
    role = getattr(user.role, "value", user.role)
    name = user.name or f"user {user.id}"
    email = f" <{user.email}>" if user.email else ""
    return f"{name}{email}" + (f", {role}" if role else "")


def login(
    *,
    connection: Connection,
    api_user: str | None = None,
    ask: Prompt = input,
    ask_secret: Prompt = getpass.getpass,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Ask for the e-mail and the API key (hidden), check them with Clockodo, store them in the keyring."""
    out = out or sys.stdout
    err = err or sys.stderr

    def fail(message: str) -> int:
        print(f"clockodo-mcp login: {message}", file=err)
        return 1

    try:
        keyring_read()  # before asking anything: a headless machine cannot store the answer
    except KeyringUnavailable as error:
        return fail(no_keyring_message(str(error), api_user or "you@example.com"))
    try:
        user = (api_user or ask("Clockodo login e-mail: ")).strip()
        if not user:
            return fail("No e-mail given. Nothing was stored.")
        print(f"Your API key is in {API_KEY_WHERE}.", file=out)
        key = ask_secret("Clockodo API key (input hidden): ").strip()
    except (EOFError, KeyboardInterrupt):
        print(file=err)
        return fail(
            "login needs an interactive terminal. Nothing was stored. Without one, set CLOCKODO_API_USER and "
            "CLOCKODO_API_KEY in the environment instead."
        )
    if not key:
        return fail("No API key given. Nothing was stored.")
    try:
        me = anyio.run(check_login, user, key, connection)
    except ClockodoArgumentError as error:
        return fail(f"{error}. Nothing was stored.")
    except ClockodoAuthenticationError:
        return fail(
            f"Clockodo rejected this e-mail and API key (401 Unauthorized). Nothing was stored. Copy the key again "
            f"from {API_KEY_WHERE}, check the e-mail is your Clockodo login, and run `clockodo-mcp login` again."
        )
    except ClockodoTransportError as error:
        return fail(
            f"Could not reach Clockodo at {connection.base_url} ({_transport_reason(error)}). Nothing was stored. "
            "Check the network connection, a proxy, or --base-url / CLOCKODO_BASE_URL, then try again."
        )
    except ClockodoError as error:
        return fail(f"Clockodo did not confirm the credentials: {error} Nothing was stored.")
    try:
        keyring_store(user, key)
    except KeyringUnavailable as error:
        return fail(no_keyring_message(str(error), user))
    print(f"Logged in to Clockodo as {describe_user(me)}.", file=out)
    print(f"The e-mail and API key are stored in the system keyring ({keyring_backend_name()}).", file=out)
    print("`clockodo-mcp serve` reads them from there; check everything with `clockodo-mcp doctor`.", file=out)
    print("Add this to Claude Desktop (claude_desktop_config.json) or Cursor (~/.cursor/mcp.json) —", file=out)
    print("it contains no secret:", file=out)
    print(client_snippet(), file=out)
    return 0


def logout(*, env: Mapping[str, str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Remove the stored credentials from the keyring."""
    out = out or sys.stdout
    err = err or sys.stderr
    source = os.environ if env is None else env
    try:
        stored = keyring_read()
        removed = keyring_delete()
    except KeyringUnavailable as error:
        print(f"clockodo-mcp logout: no system keyring is available ({error}); nothing is stored there.", file=err)
        return 1
    if removed:
        who = f" for {stored[0]}" if stored else ""
        print(f"Removed the stored Clockodo credentials{who} from the system keyring.", file=out)
    else:
        print("No Clockodo credentials were stored in the system keyring; nothing to remove.", file=out)
    if source.get("CLOCKODO_API_KEY"):
        print(
            "Note: CLOCKODO_API_KEY is still set in this environment, and `serve` will keep using it. "
            "Unset it (and remove it from your MCP client's config) to log out completely.",
            file=out,
        )
    return 0


# -- doctor -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the doctor's report; `fix` says what to do when it is not ok."""

    name: str
    status: Status
    detail: str
    fix: str | None = None


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Every check, in order."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """No problems (warnings are fine)."""
        return all(check.status != "problem" for check in self.checks)

    def as_json(self) -> dict[str, object]:
        """The report as plain data."""
        return {"ok": self.ok, "version": __version__, "checks": [asdict(check) for check in self.checks]}

    def as_text(self) -> str:
        """The report for a terminal: one line per check, each problem with its fix."""
        labels = {"ok": "ok", "warning": "WARNING", "problem": "PROBLEM", "skipped": "skipped"}
        width = max(len(check.name) for check in self.checks)
        lines = [f"clockodo-mcp {__version__} doctor"]
        for check in self.checks:
            lines.append(f"  {labels[check.status]:<8} {check.name:<{width}}  {check.detail}")
            if check.fix and check.status in ("warning", "problem"):
                lines.append(f"  {'':<8} {'':<{width}}  fix: {check.fix}")
        problems = sum(check.status == "problem" for check in self.checks)
        warnings = sum(check.status == "warning" for check in self.checks)
        if problems:
            lines.append(f"{problems} problem(s), {warnings} warning(s): see the fixes above.")
        elif warnings:
            lines.append(f"Ready, with {warnings} warning(s).")
        else:
            lines.append("All checks passed: `clockodo-mcp serve` is ready for your MCP client.")
        return "\n".join(lines)


Probe = Callable[[ClockodoClient, datetime], Awaitable[object]]


async def _probe_clock(client: ClockodoClient, now: datetime) -> object:
    return await client.clock.get()


async def _probe_entries(client: ClockodoClient, now: datetime) -> object:
    return await client.entries.page(now - timedelta(days=1), now, items_per_page=1)


async def _probe_entrygroups(client: ClockodoClient, now: datetime) -> object:
    return await client.entry_groups.get(now - timedelta(days=1), now, [Grouping.PROJECTS_ID])


async def _probe_customers(client: ClockodoClient, now: datetime) -> object:
    return await client.customers.page(items_per_page=1)


async def _probe_projects(client: ClockodoClient, now: datetime) -> object:
    return await client.projects.page(items_per_page=1)


async def _probe_services(client: ClockodoClient, now: datetime) -> object:
    return await client.services.page(items_per_page=1)


async def _probe_users(client: ClockodoClient, now: datetime) -> object:
    return await client.users.page(items_per_page=1)


async def _probe_teams(client: ClockodoClient, now: datetime) -> object:
    return await client.teams.page(items_per_page=1)


async def _probe_absences(client: ClockodoClient, now: datetime) -> object:
    return await client.absences.list(year=now.year)


async def _probe_rates(client: ClockodoClient, now: datetime) -> object:
    return await client.rates.list()


async def _probe_target_hours(client: ClockodoClient, now: datetime) -> object:
    return await client.target_hours.list()


# The current routes the tools rely on, each with what a failure there limits.
ROUTES: tuple[tuple[str, str, Probe], ...] = (
    ("/v2/clock", "timers", _probe_clock),
    ("/v2/entries", "entries", _probe_entries),
    ("/v2/entrygroups", "reports and billing", _probe_entrygroups),
    ("/v3/customers", "customer names", _probe_customers),
    ("/v4/projects", "projects and budgets", _probe_projects),
    ("/v4/services", "services", _probe_services),
    ("/v3/users", "employees", _probe_users),
    ("/v3/teams", "teams", _probe_teams),
    ("/v4/absences", "absences", _probe_absences),
    ("/v4/rates", "hourly rates", _probe_rates),
    ("/targethours", "utilization", _probe_target_hours),
)


def _skipped(name: str, why: str) -> Check:
    return Check(name, "skipped", why)


def _configuration_check(config: ServerConfig) -> Check:
    toolsets = "all toolsets" if len(config.toolsets) == 5 else "toolsets " + ",".join(sorted(config.toolsets))
    parts = [
        "demo company (built-in fake Clockodo)" if config.demo else f"Clockodo at {config.base_url}",
        toolsets,
        "read-only" if config.read_only else CONFIRM_WORDS[config.confirm],
    ]
    return Check("configuration", "ok", ", ".join(parts))


def _credentials_check(config: ServerConfig) -> Check:
    if config.demo:
        return Check("credentials", "ok", "demo company: no credentials needed")
    if config.api_user and config.api_key:
        return Check("credentials", "ok", f"{config.api_user} from {config.credential_source} (key not shown)")
    try:
        keyring_read()
    except KeyringUnavailable as error:
        return Check(
            "credentials",
            "problem",
            "none found: no --api-user/--api-key, no CLOCKODO_API_USER/CLOCKODO_API_KEY, and no system keyring "
            f"on this machine ({error})",
            "set CLOCKODO_API_USER and CLOCKODO_API_KEY in the environment (or in the `env` of your MCP client's "
            "server entry); `clockodo-mcp login` needs a keyring backend",
        )
    partial = " (only the e-mail is set; the key is missing)" if config.api_user else ""
    return Check(
        "credentials",
        "problem",
        f"none found{partial}: no flags, no CLOCKODO_API_USER/CLOCKODO_API_KEY, nothing in the system keyring",
        "run `clockodo-mcp login` (stores them in the system keyring), or set CLOCKODO_API_USER and CLOCKODO_API_KEY",
    )


def _connection_problem(error: ClockodoError, config: ServerConfig) -> Check:
    if isinstance(error, ClockodoAuthenticationError):
        return Check(
            "connection",
            "problem",
            f"Clockodo at {config.base_url} rejected the credentials from {config.credential_source} (401): "
            "the key is wrong, expired or revoked",
            f"run `clockodo-mcp login` again with a current key ({API_KEY_WHERE}), or fix CLOCKODO_API_KEY",
        )
    if isinstance(error, ClockodoTransportError):
        return Check(
            "connection",
            "problem",
            f"could not reach Clockodo at {config.base_url}: {_transport_reason(error)}",
            "check the network connection and any proxy; check --base-url / CLOCKODO_BASE_URL "
            f"(default {DEFAULT_BASE_URL})",
        )
    return Check(
        "connection",
        "problem",
        f"Clockodo at {config.base_url} did not answer GET /v4/users/me properly: {error}",
        "check --base-url / CLOCKODO_BASE_URL points at the Clockodo API (…/api), then try again",
    )


async def _routes_check(client: ClockodoClient, now: Callable[[], datetime]) -> tuple[Check, object, datetime]:
    """Probe every route; also Clockodo's clock and our own clock at the middle of that request."""
    reachable: list[str] = []
    forbidden: list[str] = []
    broken: list[str] = []
    clock: object = None
    start = now()
    local = start
    for path, what, probe in ROUTES:
        sent = now()
        try:
            result = await probe(client, start)
        except ClockodoForbiddenError:
            forbidden.append(f"{path} ({what})")
        except ClockodoNotFoundError:
            broken.append(f"{path} ({what}): not found")
        except ClockodoError as error:
            broken.append(f"{path} ({what}): {type(error).__name__}")
        else:
            reachable.append(path)
            if path == "/v2/clock":
                clock, local = result, sent + (now() - sent) / 2
    detail = f"{len(reachable)} of {len(ROUTES)} reachable"
    if broken:
        check = Check(
            "routes",
            "problem",
            f"{detail}; failing: {'; '.join(broken)}",
            "the base URL may point at an old API or a proxy that blocks these routes; use "
            f"{DEFAULT_BASE_URL} (or your Clockodo region's /api URL)",
        )
    elif forbidden:
        check = Check(
            "routes",
            "warning",
            f"{detail}; this user lacks the rights for {', '.join(forbidden)}",
            "tools about other people, rates and approvals need an owner or a user with those access rights; "
            "log in with such a user if you need them",
        )
    else:
        check = Check("routes", "ok", f"{detail} ({', '.join(p for p, _, _ in ROUTES)})")
    return check, clock, local


async def _timezone_check(client: ClockodoClient, me: User, config: ServerConfig) -> Check:
    if config.timezone:
        name, source = config.timezone, "configuration (--timezone / CLOCKODO_TIMEZONE)"
    elif me.timezone:
        name, source = me.timezone, "your Clockodo user"
    else:
        try:
            company = await client.users.company()
        except ClockodoError:
            company = None
        if company is not None and company.timezone_default:
            name, source = company.timezone_default, "the Clockodo company default"
        else:
            name, source = "Europe/Berlin", "the default (Clockodo did not say)"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return Check(
            "time zone",
            "problem",
            f"unknown time zone {name!r} from {source}",
            "set --timezone / CLOCKODO_TIMEZONE to an IANA name such as Europe/Berlin",
        )
    return Check("time zone", "ok", f"{name} from {source}; periods such as this_month are counted in it")


def _clock_check(clock: object, local: datetime) -> Check:
    remote = getattr(clock, "current_time", None)
    if not isinstance(remote, datetime):
        return Check(
            "clock",
            "warning",
            "Clockodo's /v2/clock gave no current_time; the clock skew is unknown",
            "make sure this machine's clock is synchronised (NTP)",
        )
    skew = (local - remote).total_seconds()
    at = remote.strftime("%Y-%m-%dT%H:%M:%SZ")
    if abs(skew) < 1:
        detail = f"this machine's clock agrees with Clockodo's ({at})"
    else:
        direction = "ahead of" if skew > 0 else "behind"
        detail = f"this machine's clock is {abs(skew):.0f} s {direction} Clockodo's ({at})"
    if abs(skew) <= SKEW_WARNING_SECONDS:
        return Check("clock", "ok", detail)
    fix = (
        "synchronise the system clock (e.g. `timedatectl set-ntp true`, or enable automatic time in the OS "
        "settings); a skewed clock shifts 'today' and timer start/stop times and expires confirmations early"
    )
    status: Status = "warning" if abs(skew) <= SKEW_PROBLEM_SECONDS else "problem"
    return Check("clock", status, detail, fix)


def _writable(path: Path) -> bool:
    if path.exists():
        return os.access(path, os.W_OK)
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


def audit_check(path: Path, store: Store | None = None) -> Check:
    """The audit log can be appended to, and its keyed chain verifies (against the store's anchor, if given)."""
    override = "set CLOCKODO_MCP_AUDIT_LOG (or --audit-log) to a writable file"
    if path.exists() and not path.is_file():
        return Check("audit log", "problem", f"{path} is not a file", override)
    if not _writable(path):
        return Check(
            "audit log", "problem", f"{path} is not writable by this user", f"fix its permissions, or {override}"
        )
    result = verify(path, store=store if store is not None and store.exists() else None)
    if result.unverified:
        return Check(
            "audit log",
            "problem",
            f"{path} cannot be verified: {result.reason}",
            f"set CLOCKODO_MCP_AUDIT_KEY to the key the log was written with, or restore {key_path(path)}",
        )
    if not result.ok:
        where = f" at seq {result.first_bad_seq}" if result.first_bad_seq is not None else ""
        if result.torn:
            fix = (
                "run `clockodo-mcp audit repair`: it removes the torn line (keeping a copy) and records the repair; "
                "until then writes are refused (reads go on)"
            )
        else:
            fix = (
                "keep the damaged log as evidence: `clockodo-mcp audit repair --start-new` moves it aside unchanged "
                "and starts a new log that records why; `clockodo-mcp audit verify` shows the details"
            )
        return Check("audit log", "problem", f"{path} does not verify{where}: {result.reason}", fix)
    state = f"{result.records} records, chain intact" if result.exists else "no records yet"
    if result.exists and path.stat().st_mode & 0o077:
        return Check(
            "audit log",
            "warning",
            f"{path}: {state}, but readable by other users",
            f"`chmod 600 {path}` (it records what was asked and changed)",
        )
    if result.warning:
        return Check("audit log", "warning", f"{path}: {state}; {result.warning}", "see `clockodo-mcp audit verify`")
    return Check("audit log", "ok", f"{path}: writable, {state}")


def store_check(store: Store) -> Check:
    """The store: where it is, its schema version, whether it can be written, and changes still unsettled."""
    if not store.exists():
        if _writable(Path(store.location)):
            return Check("store", "ok", f"{store.location}: not created yet (it is created on the first call)")
        return Check(
            "store",
            "problem",
            f"{store.location} cannot be created: its directory is not writable by this user",
            "set CLOCKODO_MCP_STORE (or --store) to sqlite:///path/to/a/writable/store.sqlite3",
        )
    info = store.info()
    if info.problem is not None:
        return Check(
            "store",
            "problem",
            f"{info.location}: {info.problem}",
            "writes are refused until the store can be written (reads go on); fix the cause named above",
        )
    detail = f"{info.location}: {info.backend}, schema version {info.schema_version}, writable"
    if info.unsettled:
        listed = ", ".join(f"{c.change_id} ({c.tool}, {c.status})" for c in info.unsettled[:5])
        more = f" and {len(info.unsettled) - 5} more" if len(info.unsettled) > 5 else ""
        return Check(
            "store",
            "warning",
            f"{detail}; {len(info.unsettled)} change(s) whose outcome is not known: {listed}{more}",
            "run `clockodo-mcp changes reconcile` (the server also does on start) to re-check them against "
            "Clockodo; for one still unknown after that, look at its target in Clockodo (`clockodo-mcp changes show "
            "<change_id>`) before repeating the write: it may have been applied",
        )
    return Check("store", "ok", f"{detail}; no unsettled changes")


def _store_for(config: ServerConfig) -> tuple[Store | None, Check | None]:
    try:
        return open_store(config.store_url or default_store_url()), None
    except StoreConfigError as error:
        return None, Check("store", "problem", str(error), "correct CLOCKODO_MCP_STORE (or --store)")


def _demo_transport(config: ServerConfig, now: Callable[[], datetime]) -> tuple[ServerConfig, httpx.AsyncBaseTransport]:
    from clockodo_mcp.fake.app import create_app
    from clockodo_mcp.fake.demo import seed
    from clockodo_mcp.server.demo import demo_config

    app = create_app(seed(seed=config.demo_seed), now=now)
    return demo_config(config), httpx.ASGITransport(app=app)


async def diagnose(
    make_config: Callable[[], ServerConfig],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    now: Callable[[], datetime] = SYSTEM_CLOCK.now,
) -> Diagnosis:
    """Run every check: configuration, credentials, connection, routes, time zone, clock skew, audit log, store."""
    try:
        config = make_config()
    except ConfigError as error:
        return Diagnosis((Check("configuration", "problem", str(error), "correct the flag or variable named above"),))
    if config.demo and transport is None:
        config, transport = _demo_transport(config, now)
    checks = [_configuration_check(config), _credentials_check(config)]
    store, store_problem = _store_for(config)
    try:
        audit_log = audit_check(config.audit_path or default_audit_path(), store)
        store_state = store_check(store) if store is not None else store_problem
    finally:
        if store is not None:
            store.close()
    audit = (audit_log, store_state) if store_state is not None else (audit_log,)
    remote = ("connection", "routes", "time zone", "clock")
    if checks[-1].status != "ok":
        checks += [_skipped(name, "needs credentials") for name in remote]
        return Diagnosis((*checks, *audit))
    connection = Connection(base_url=config.base_url, transport=transport)
    try:
        client = open_client(config.api_user, config.api_key, connection, config.app_email)
    except ClockodoArgumentError as error:
        checks.append(Check("connection", "problem", str(error), "check the e-mail and --base-url"))
        checks += [_skipped(name, "needs a connection") for name in remote[1:]]
        return Diagnosis((*checks, *audit))
    async with client:
        try:
            me = await client.users.me()
        except ClockodoError as error:
            checks.append(_connection_problem(error, config))
            checks += [_skipped(name, "needs a working connection") for name in remote[1:]]
            return Diagnosis((*checks, *audit))
        checks.append(Check("connection", "ok", f"Clockodo at {config.base_url}: logged in as {describe_user(me)}"))
        routes, clock, local = await _routes_check(client, now)
        checks += [routes, await _timezone_check(client, me, config), _clock_check(clock, local)]
    return Diagnosis((*checks, *audit))


def doctor(
    make_config: Callable[[], ServerConfig],
    *,
    as_json: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    now: Callable[[], datetime] = SYSTEM_CLOCK.now,
    out: TextIO | None = None,
) -> int:
    """Print the diagnosis (text or JSON); 0 when nothing is wrong, 1 otherwise."""
    out = out or sys.stdout
    diagnosis = anyio.run(lambda: diagnose(make_config, transport=transport, now=now))
    if as_json:
        print(json.dumps(diagnosis.as_json(), indent=2, ensure_ascii=False), file=out)
    else:
        print(diagnosis.as_text(), file=out)
    return 0 if diagnosis.ok else 1


__all__ = [
    "Check",
    "Connection",
    "Diagnosis",
    "audit_check",
    "check_login",
    "client_snippet",
    "connection_from_env",
    "diagnose",
    "doctor",
    "login",
    "logout",
    "no_keyring_message",
    "store_check",
]
