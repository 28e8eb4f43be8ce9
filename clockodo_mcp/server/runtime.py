"""What a running server owns: one Clockodo client (one per principal on a shared endpoint), the master-data caches,
the audit log, the store and the token keys."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
import httpx

from clockodo_mcp.audit import AuditLog, AuditSink, default_audit_path
from clockodo_mcp.clock import SYSTEM_CLOCK, Clock
from clockodo_mcp.clockodo import (
    ClockodoClient,
    ClockodoNotFoundError,
    Company,
    RateLimitPolicy,
    RetryPolicy,
    User,
)
from clockodo_mcp.domain.account import Account
from clockodo_mcp.domain.masterdata import MasterData, load_master_data
from clockodo_mcp.domain.running import TimerHints
from clockodo_mcp.domain.tasks import gather
from clockodo_mcp.principals import PrincipalsKey
from clockodo_mcp.server.budget import StoreBudget
from clockodo_mcp.server.config import ConfigError, ServerConfig
from clockodo_mcp.server.principal import CURRENT
from clockodo_mcp.server.tokens import ConfirmationTokens
from clockodo_mcp.store import Principal, Store, StoreConfigError, default_store_url, open_store

logger = logging.getLogger("clockodo_mcp")


def default_audit(store: Store, config: ServerConfig, clock: Clock) -> AuditSink:
    """The audit chain in the PostgreSQL store itself (one chain for every replica), else the JSON Lines file whose
    head the store anchors."""
    if getattr(store, "backend", None) == "postgresql":
        from clockodo_mcp.audit.pg import ConnectionPool, PostgresAuditLog

        assert isinstance(store, ConnectionPool)  # PostgresStore lends its pool's connections
        return PostgresAuditLog(store, location=store.location, now=clock.now)
    return AuditLog(config.audit_path or default_audit_path(), now=clock.now, anchor=store)


DEFAULT_TIMEZONE = "Europe/Berlin"
DEFAULT_CURRENCY = "EUR"
# (principal name or None for the server's own user, Clockodo API user, base URL)
CacheKey = tuple[str | None, str, str]


@dataclass(slots=True)
class _Caches:
    """What one Clockodo user of one account may see, cached: master data, the account, the long-timer hints."""

    master: MasterData | None = None
    master_at: float = 0.0
    account: Account | None = None
    # Users whose timer ran longer than 26 hours at the last lookup: listed in its first round trip next time.
    timer_hints: TimerHints = field(default_factory=set)
    lock: anyio.Lock = field(default_factory=anyio.Lock)


class NoPrincipal(ConfigError):
    """A call on a shared endpoint that acts for nobody: it has no Clockodo credentials of its own to fall back to."""


class Runtime:
    """Shared state of one server process; entered by every MCP lifespan (stdio, each SSE connection, HTTP).

    On a shared endpoint (`config.principals`) it has no Clockodo client of its own: `client`, `master()` and
    `account()` answer for the principal of the current call (`server/principal.py`'s CURRENT), each with their own
    client and caches, so every request acts with that person's Clockodo rights.
    """

    def __init__(
        self,
        config: ServerConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
        audit: AuditLog | None = None,
        tokens: ConfirmationTokens | None = None,
        rate_limit: RateLimitPolicy | None = None,
        store: Store | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        principals_key: PrincipalsKey | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self._rate_limit = rate_limit  # None: Clockodo's published limits
        self._transport = transport
        self._retry = retry  # None: the client's default (idempotent requests, exponential backoff)
        self._timeout = timeout
        if store is None:
            try:
                store = open_store(config.store_url or default_store_url(), now=clock.now)
            except StoreConfigError as error:
                raise ConfigError(str(error)) from None
        # The write journal, the nonce ledger and the audit anchor; opened on first use, so reads work without it.
        self.store: Store = store
        self.audit: AuditSink = audit or default_audit(store, config, clock)
        if config.api_key:
            self.audit.add_secret(config.api_key)  # scrubbed even from error texts
        self.tokens = tokens or ConfirmationTokens.from_env(
            ttl_seconds=config.token_ttl_seconds, now=lambda: clock.now().timestamp()
        )
        if config.principals and (config.mirror_url or config.webhook_token):
            raise ConfigError(
                "A shared endpoint (--principals) serves no mirror: the mirror holds the account as its sync user "
                "sees it, so every principal would read past their own Clockodo rights. Unset CLOCKODO_MCP_MIRROR "
                "and CLOCKODO_MCP_WEBHOOK_TOKEN for this server."
            )
        # A shared endpoint refuses to start without the key that opens its principals' API keys.
        self._principals_key = principals_key or (PrincipalsKey.from_env() if config.principals else None)
        self._client: ClockodoClient | None = None
        # A principal's client, by (name, sealed key): re-adding a principal with a new key makes a new client.
        self._clients: dict[tuple[str, str], ClockodoClient] = {}
        self._users = 0
        self._enter_lock = anyio.Lock()
        # Each Clockodo user of each account (of each principal) has caches of its own (`cache_key`).
        self._caches: dict[CacheKey, _Caches] = {}
        # Unsettled changes are reconciled once per process, before the first call is served (`reconcile.py`).
        self.startup_lock = anyio.Lock()
        self.reconciled = False

    def shared_budget(self, api_user: str) -> StoreBudget | None:
        """Clockodo's limit for `api_user`, counted in the store for every replica; None on an embedded store, whose
        processes (one person's clients on one machine) keep their own windows."""
        return StoreBudget(self.store, api_user) if getattr(self.store, "backend", None) == "postgresql" else None

    def now(self) -> datetime:
        """The current instant from the runtime's clock, aware UTC."""
        return self.clock.now()

    @property
    def client(self) -> ClockodoClient:
        """The Clockodo client of the current principal, else the server's own (only inside the lifespan)."""
        if self._users == 0:
            raise RuntimeError("The Clockodo client is used outside the server lifespan")
        principal = CURRENT.get()
        if principal is not None:
            return self._principal_client(principal)
        if self._client is None:
            raise NoPrincipal(
                "This endpoint serves principals only (serve --principals) and has no Clockodo credentials of its "
                "own, but this call acts for nobody."
            )
        return self._client

    def _principal_client(self, principal: Principal) -> ClockodoClient:
        key = (principal.name, principal.key_sealed)
        client = self._clients.get(key)
        if client is None:
            api_key = self.principals_key().open(principal.name, principal.api_user, principal.key_sealed)
            self.audit.add_secret(api_key)  # scrubbed from error texts like the server's own key
            client = self._new_client(principal.api_user, api_key, app_email=principal.api_user)
            self._clients[key] = client
        return client

    def principals_key(self) -> PrincipalsKey:
        """The key that opens the principals' API keys (from CLOCKODO_MCP_PRINCIPALS_KEY on first use)."""
        if self._principals_key is None:
            self._principals_key = PrincipalsKey.from_env()
        return self._principals_key

    def _new_client(self, api_user: str, api_key: str, *, app_email: str) -> ClockodoClient:
        return ClockodoClient(
            api_user=api_user,
            api_key=api_key,
            app_name=self.config.app_name,
            app_email=self.config.app_email or app_email,
            base_url=self.config.base_url,
            language=self.config.language,
            transport=self._transport,
            monotonic=self.clock.monotonic,
            wall_clock=lambda: self.clock.now().timestamp(),
            rate_limit=self._rate_limit,
            retry=self._retry,
            timeout=self._timeout,
            shared_budget=self.shared_budget(api_user),
        )

    async def __aenter__(self) -> Runtime:
        async with self._enter_lock:
            if self._users == 0 and not self.config.principals:
                if not self.config.api_user or not self.config.api_key:
                    raise ConfigError(
                        "No Clockodo credentials. Run `clockodo-mcp login`, or set CLOCKODO_API_USER and "
                        "CLOCKODO_API_KEY, or try the demo with `clockodo-mcp serve --demo`."
                    )
                client = self._new_client(self.config.api_user, self.config.api_key, app_email=self.config.api_user)
                await client.__aenter__()
                self._client = client
            self._users += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        async with self._enter_lock:
            self._users -= 1
            if self._users == 0:
                clients = [*self._clients.values(), *([self._client] if self._client is not None else [])]
                self._client, self._clients = None, {}
                for client in clients:
                    await client.__aexit__(exc_type, exc, tb)
                await anyio.to_thread.run_sync(self.store.close)

    @property
    def cache_key(self) -> CacheKey:
        """Whose data the caches hold: the principal (None: the server's own user), the API user and the Clockodo
        account's base URL."""
        principal = CURRENT.get()
        if principal is not None:
            return (principal.name, principal.api_user, self.config.base_url)
        return (None, self.config.api_user, self.config.base_url)

    def _cached(self) -> _Caches:
        return self._caches.setdefault(self.cache_key, _Caches())

    @property
    def timer_hints(self) -> TimerHints:
        """The long-running timers the current Clockodo user saw last time (another user may not list them)."""
        return self._cached().timer_hints

    async def master(self) -> MasterData:
        """Master data (target hours included), cached for `cache_ttl_seconds` per principal, API user and account;
        one load at a time however many calls wait."""
        cached = self._cached()
        async with cached.lock:
            fresh = self.clock.monotonic() - cached.master_at < self.config.cache_ttl_seconds
            if cached.master is None or not fresh:
                cached.master = None
                cached.master = await load_master_data(self.client)
                cached.master_at = self.clock.monotonic()
            return cached.master

    def invalidate_master_data(self) -> None:
        """Drop cached master data and target hours (after a write that touched them): everybody's, since a write
        changes the account every principal sees."""
        for cached in self._caches.values():
            cached.master = None

    async def account(self) -> Account:
        """The API user, the account time zone and currency (configuration overrides Clockodo)."""
        cached = self._cached()
        if cached.account is not None:
            return cached.account
        found: dict[str, Any] = {}
        client = self.client

        async def me() -> None:
            found["user"] = await client.users.me()

        async def load_company() -> None:
            try:
                found["company"] = await client.users.company()
            except ClockodoNotFoundError:
                logger.info("Clockodo has no company aggregate; using configured or default currency")

        await gather(me, load_company)  # independent: one round trip
        user: User = found["user"]
        company: Company | None = found.get("company")
        zone_name = self.config.timezone or user.timezone or (company.timezone_default if company else None)
        try:
            zone = ZoneInfo(zone_name or DEFAULT_TIMEZONE)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"Unknown time zone {zone_name!r}: use an IANA name such as Europe/Berlin.") from None
        currency = self.config.currency or (company.currency if company else None) or DEFAULT_CURRENCY
        week_monday = getattr(user, "weekstart_monday", None)
        cached.account = Account(
            user=user,
            timezone=zone,
            currency=currency,
            week_starts_monday=True if week_monday is None else bool(week_monday),
        )
        return cached.account
