"""ClockodoClient: the typed async entry point to the Clockodo REST API."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any

import httpx

from clockodo_mcp.clock import SYSTEM_CLOCK, epoch_seconds

from .encoding import encode_json, encode_query
from .errors import (
    ClockodoArgumentError,
    ClockodoError,
    ClockodoRateLimitedError,
    ClockodoTransportError,
    ClockodoUnexpectedResponseError,
    error_from_response,
    parse_retry_after_seconds,
)
from .ratelimit import RateLimiter, RateLimitPolicy, SharedBudget
from .resources.absences import AbsencesResource
from .resources.clock import ClockResource
from .resources.entries import EntriesResource
from .resources.entry_groups import EntryGroupsResource
from .resources.masterdata import (
    CustomersResource,
    LumpSumServicesResource,
    ProjectsResource,
    ServicesResource,
    SubprojectsResource,
    TeamsResource,
    UsersResource,
)
from .resources.rates import RatesResource
from .resources.reports import (
    HolidaysQuotaResource,
    NonbusinessDaysResource,
    TargetHoursResource,
    UserReportsResource,
    WorkTimesResource,
)
from .retry import RETRYABLE_METHODS, RetryPolicy

DEFAULT_BASE_URL = "https://my.clockodo.com/api"
MAX_APPLICATION_HEADER_LENGTH = 50
USER_AGENT = "clockodo-mcp"


def _require_text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ClockodoArgumentError(name, "is required and must be a non-empty string")
    return value.strip()


def external_application_header(app_name: str, app_email: str) -> str:
    """Build `X-Clockodo-External-Application` (`name;email`), refusing values Clockodo would reject."""
    name = _require_text("app_name", app_name)
    email = _require_text("app_email", app_email)
    if ";" in name:
        raise ClockodoArgumentError("app_name", "must not contain ';' (it separates name and e-mail)")
    if "@" not in email or ";" in email:
        raise ClockodoArgumentError("app_email", f"must be a contact e-mail address, got {email!r}")
    value = f"{name};{email}"
    if len(value) > MAX_APPLICATION_HEADER_LENGTH:
        raise ClockodoArgumentError(
            "app_name",
            f"'{value}' is {len(value)} characters; app_name + ';' + app_email must fit in "
            f"{MAX_APPLICATION_HEADER_LENGTH} — shorten the application name",
        )
    return value


class ClockodoClient:
    """Async Clockodo API client; use as `async with ClockodoClient(...) as client:`."""

    def __init__(
        self,
        *,
        api_user: str,
        api_key: str,
        app_name: str,
        app_email: str,
        base_url: str = DEFAULT_BASE_URL,
        language: str | None = "en",
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        rate_limit: RateLimitPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        page_concurrency: int = 4,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        monotonic: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
        shared_budget: SharedBudget | None = None,
    ) -> None:
        headers = {
            "X-ClockodoApiUser": _require_text("api_user", api_user),
            "X-ClockodoApiKey": _require_text("api_key", api_key),
            "X-Clockodo-External-Application": external_application_header(app_name, app_email),
            # Makes the unversioned legacy endpoints (/userreports, /targethours) use ISO UTC too.
            "X-ClockodoEnableIsoUtcDateTimes": "1",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if language is not None:
            headers["Accept-Language"] = _require_text("language", language)
        if not base_url.startswith(("http://", "https://")):
            raise ClockodoArgumentError("base_url", f"must be an http(s) URL, got {base_url!r}")
        if timeout <= 0:
            raise ClockodoArgumentError("timeout", "must be positive")
        if page_concurrency < 1:
            raise ClockodoArgumentError("page_concurrency", "must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.page_concurrency = page_concurrency
        self.request_count = 0
        self._retry = retry or RetryPolicy()
        self._sleep: Callable[[float], Awaitable[None]] = sleep or asyncio.sleep
        self._monotonic: Callable[[], float] = monotonic or SYSTEM_CLOCK.monotonic
        self._wall_clock: Callable[[], float] = wall_clock or epoch_seconds
        self._rng = rng or random.Random()
        self._limiter = RateLimiter(
            rate_limit or RateLimitPolicy(), monotonic=self._monotonic, sleep=self._sleep, shared=shared_budget
        )
        # Per client, so that callers of one client never count against another's fair shares.
        self._caller: ContextVar[Hashable | None] = ContextVar(f"clockodo_caller_{id(self)}", default=None)
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

        self.entries = EntriesResource(self)
        self.entry_groups = EntryGroupsResource(self)
        self.clock = ClockResource(self)
        self.customers = CustomersResource(self)
        self.projects = ProjectsResource(self)
        self.subprojects = SubprojectsResource(self)
        self.services = ServicesResource(self)
        self.lump_sum_services = LumpSumServicesResource(self)
        self.users = UsersResource(self)
        self.teams = TeamsResource(self)
        self.absences = AbsencesResource(self)
        self.rates = RatesResource(self)
        self.user_reports = UserReportsResource(self)
        self.target_hours = TargetHoursResource(self)
        self.holidays_quota = HolidaysQuotaResource(self)
        self.nonbusiness_days = NonbusinessDaysResource(self)
        self.work_times = WorkTimesResource(self)

    async def __aenter__(self) -> ClockodoClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying HTTP connections."""
        await self._http.aclose()

    @property
    def rate_limiter(self) -> RateLimiter:
        """The client-side limiter every request passes (shared by all callers of this client)."""
        return self._limiter

    @contextmanager
    def as_caller(self, key: Hashable | None) -> Iterator[None]:
        """Count the requests made inside the block (and tasks started in it) as `key`'s, for fair shares.

        The server passes the MCP session, so one session cannot use up the rate budget of all the others.
        """
        token = self._caller.set(key)
        try:
            yield
        finally:
            self._caller.reset(token)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        json_body: object = None,
        retry: bool | None = None,
    ) -> Any:
        """Send one API request (retrying idempotent ones) and return the decoded JSON body."""
        method = method.upper()
        retryable = (method in RETRYABLE_METHODS) if retry is None else retry
        query = httpx.QueryParams(tuple(encode_query(params))) if params else None
        content: bytes | None = None
        headers: dict[str, str] = {}
        if json_body is not None:
            content = json.dumps(encode_json(json_body), separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        url = path.lstrip("/")
        started = self._monotonic()
        caller = self._caller.get()
        attempt = 0
        while True:
            attempt += 1
            await self._limiter.acquire(caller)
            self.request_count += 1
            error: ClockodoError
            retry_after: float | None = None
            try:
                response = await self._http.request(method, url, params=query, content=content, headers=headers)
            except httpx.TransportError as exc:
                error = ClockodoTransportError(
                    f"Could not reach Clockodo for {method} /{url}: {type(exc).__name__}: {exc}. "
                    f"{ClockodoTransportError.hint}",
                    method=method,
                    url=f"{self.base_url}/{url}",
                )
                may_retry = self._retry.retry_transport_errors
                cause: BaseException | None = exc
            else:
                if 200 <= response.status_code < 300:
                    return self._decode(response)
                now_epoch = self._wall_clock()
                error = error_from_response(response, now_epoch=now_epoch)
                # Honoured on 503 as well as 429: both may say when to come back.
                retry_after = parse_retry_after_seconds(response.headers.get("Retry-After"), now_epoch)
                may_retry = response.status_code in self._retry.retry_statuses
                cause = None
            if isinstance(error, ClockodoRateLimitedError) and (retry_after or 0.0) > self._limiter.max_wait:
                raise error  # Clockodo's own limit: say when to come back rather than sleep on it
            delay = self._retry.delay_for(attempt, retry_after, self._rng) if retryable and may_retry else None
            if delay is None or self._monotonic() - started + delay > self._retry.max_total_time:
                raise error from cause
            await self._sleep(delay)

    @staticmethod
    def _decode(response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            request = response.request
            raise ClockodoUnexpectedResponseError(
                f"Clockodo answered {response.status_code} to {request.method} {request.url.path} with a body "
                f"that is not JSON ({response.headers.get('Content-Type', 'no content type')}). "
                f"{ClockodoUnexpectedResponseError.hint}",
                status_code=response.status_code,
                method=request.method,
                url=str(request.url),
            ) from exc
