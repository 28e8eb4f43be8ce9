"""What a running server owns: one Clockodo client, the master-data cache, the audit log, the store and the token
keys."""

from __future__ import annotations

import logging
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
from clockodo_mcp.server.budget import StoreBudget
from clockodo_mcp.server.config import ConfigError, ServerConfig
from clockodo_mcp.server.tokens import ConfirmationTokens
from clockodo_mcp.store import Store, StoreConfigError, default_store_url, open_store

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


class Runtime:
    """Shared state of one server process; entered by every MCP lifespan (stdio, each SSE connection, HTTP)."""

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
        self._client: ClockodoClient | None = None
        self._users = 0
        self._enter_lock = anyio.Lock()
        self._master_lock = anyio.Lock()
        # Both caches hold what one Clockodo user of one account may see: keyed by (API user, base URL).
        self._master: MasterData | None = None
        self._master_key: tuple[str | None, str] | None = None
        self._master_at = 0.0
        self._account: Account | None = None
        self._account_key: tuple[str | None, str] | None = None
        # Users whose timer ran longer than 26 hours at the last lookup: listed in its first round trip next time.
        self.timer_hints: TimerHints = set()
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
        """The Clockodo client (only inside the lifespan)."""
        if self._client is None:
            raise RuntimeError("The Clockodo client is used outside the server lifespan")
        return self._client

    async def __aenter__(self) -> Runtime:
        async with self._enter_lock:
            if self._users == 0:
                if not self.config.api_user or not self.config.api_key:
                    raise ConfigError(
                        "No Clockodo credentials. Run `clockodo-mcp login`, or set CLOCKODO_API_USER and "
                        "CLOCKODO_API_KEY, or try the demo with `clockodo-mcp serve --demo`."
                    )
                client = ClockodoClient(
                    api_user=self.config.api_user,
                    api_key=self.config.api_key,
                    app_name=self.config.app_name,
                    app_email=self.config.app_email or self.config.api_user,
                    base_url=self.config.base_url,
                    language=self.config.language,
                    transport=self._transport,
                    monotonic=self.clock.monotonic,
                    wall_clock=lambda: self.clock.now().timestamp(),
                    rate_limit=self._rate_limit,
                    retry=self._retry,
                    timeout=self._timeout,
                    shared_budget=self.shared_budget(self.config.api_user),
                )
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
            if self._users == 0 and self._client is not None:
                client, self._client = self._client, None
                await client.__aexit__(exc_type, exc, tb)
            if self._users == 0:
                await anyio.to_thread.run_sync(self.store.close)

    @property
    def cache_key(self) -> tuple[str | None, str]:
        """Whose data the caches hold: the API user and the Clockodo account's base URL."""
        return (self.config.api_user, self.config.base_url)

    async def master(self) -> MasterData:
        """Master data (target hours included), cached for `cache_ttl_seconds` per API user and account; one load at
        a time however many calls wait."""
        key = self.cache_key
        async with self._master_lock:
            fresh = self.clock.monotonic() - self._master_at < self.config.cache_ttl_seconds
            if self._master is None or not fresh or self._master_key != key:
                self._master = None
                self._master = await load_master_data(self.client)
                self._master_key = key
                self._master_at = self.clock.monotonic()
            return self._master

    def invalidate_master_data(self) -> None:
        """Drop cached master data and target hours (after a write that touched them)."""
        self._master = None

    async def account(self) -> Account:
        """The API user, the account time zone and currency (configuration overrides Clockodo)."""
        key = self.cache_key
        if self._account is not None and self._account_key == key:
            return self._account
        found: dict[str, Any] = {}

        async def me() -> None:
            found["user"] = await self.client.users.me()

        async def load_company() -> None:
            try:
                found["company"] = await self.client.users.company()
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
        self._account = Account(
            user=user,
            timezone=zone,
            currency=currency,
            week_starts_monday=True if week_monday is None else bool(week_monday),
        )
        self._account_key = key
        return self._account
