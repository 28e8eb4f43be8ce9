"""The store's interface: the write journal, the nonce ledger and the audit anchor, whatever the backend.

SQLite (`store/sqlite.py`) is the embedded default; a PostgreSQL backend implements the same `Store` protocol.
Values cross the interface as plain JSON data (dict/list/str/int/float/bool/None) and aware UTC datetimes; a
backend owns how it stores them. Every method is synchronous and thread-safe: the server calls them from anyio
worker threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, get_args

ChangeStatus = Literal["applying", "applied", "unknown", "not_applied", "failed"]
CHANGE_STATUSES: tuple[ChangeStatus, ...] = get_args(ChangeStatus)
# Changes whose outcome nobody knows yet: reconciled against Clockodo before any new write (step 2 of issue 10).
UNSETTLED: tuple[ChangeStatus, ...] = ("applying", "unknown")
# An undo in one of these states stands: it undid its change, or may have. A failed or not-applied undo does not.
LIVE: tuple[ChangeStatus, ...] = ("applying", "applied", "unknown")


class StoreError(Exception):
    """The store refused or failed an operation; the message says what happened and how to fix it."""


class StoreConfigError(StoreError, ValueError):
    """The store URL cannot be used (unknown scheme, relative path …)."""


class StoreUnavailable(StoreError):
    """The store cannot be opened or written (missing directory, permissions, disk full, locked too long)."""


class StoreSchemaError(StoreError):
    """The store's schema is newer than this code knows, or is not a clockodo-mcp store at all."""


class AlreadyUndone(StoreError):
    """An undo was journalled for a change that another live undo (applying, applied or unknown) already undoes."""

    def __init__(self, target: str, by: UndoneBy) -> None:
        super().__init__(f"change {target} is already undone by change {by.change_id} ({by.status})")
        self.target = target
        self.by = by


class NonceSpent(StoreError):
    """A confirmation token's nonce was already spent: the token authorised another change already."""

    def __init__(self, spent: SpentNonce) -> None:
        super().__init__(f"nonce already spent by change {spent.change_id} at {spent.spent_at.isoformat()}")
        self.spent = spent


@dataclass(frozen=True, slots=True)
class SpentNonce:
    """A ledger row: which change spent a token's nonce, and when the token expires."""

    nonce: str
    tool: str
    change_id: str
    spent_at: datetime
    expires_at: datetime | None  # None once the ledger row was purged and only the journal remembers the nonce


@dataclass(frozen=True, slots=True)
class NewChange:
    """What the journal records before anything is sent to Clockodo (status `applying`)."""

    change_id: str
    tool: str
    args: dict[str, Any]
    before: Any
    planned: Any
    confirmed_by: str
    nonce: str | None = None  # None for a write the human confirmed in a form (no token)
    nonce_expires_at: datetime | None = None
    summary: str | None = None  # what the preview said it would do, for listing a change whose outcome is open
    undoes: str | None = None  # for an undo: the change it reverts (at most one live undo per change)
    # What the change leaves in Clockodo once applied, as plain JSON (`server/expect.py`): the check that tells
    # applied from not applied after a lost answer, in the call or on a later start, from the journal alone.
    expect: Any = None
    owner: str | None = None  # the process applying it ("host:pid"), so a restart knows a dead one's changes
    principal: str | None = None  # who asked for it on a shared endpoint (None: the single-user server)


@dataclass(frozen=True, slots=True)
class UndoneBy:
    """The live undo of a change: which change undid it (or may have), its status, and when."""

    change_id: str
    status: ChangeStatus
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Step:
    """One recorded step of a multi-step write."""

    index: int
    name: str
    status: str
    detail: Any
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Change:
    """A journal row."""

    change_id: str
    tool: str
    args: dict[str, Any]
    before: Any
    planned: Any
    status: ChangeStatus
    confirmed_by: str
    created_at: datetime
    updated_at: datetime
    result: Any = None
    undo: Any = None
    error: str | None = None
    nonce: str | None = None
    expect: Any = None
    owner: str | None = None
    steps: tuple[Step, ...] = field(default_factory=tuple)
    summary: str | None = None
    undoes: str | None = None
    undone_by: UndoneBy | None = None
    principal: str | None = None


@dataclass(frozen=True, slots=True)
class Anchor:
    """The audit log's head as the store last saw it: seq and hash of the last record."""

    seq: int
    hash: str
    updated_at: datetime


class PrincipalExists(StoreError):
    """A principal of that name exists already (remove it first, or choose another name)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """A person of a shared endpoint: their bearer token (only its hash) and their Clockodo credentials.

    `key_sealed` is the Clockodo API key encrypted under the principals key (`clockodo_mcp/principals.py`); the store
    never sees the plain key, nor the bearer token.
    """

    name: str
    api_user: str  # the person's Clockodo login e-mail
    key_sealed: str
    token_hash: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """What `doctor` reports about a store."""

    location: str
    backend: str
    schema_version: int
    writable: bool
    unsettled: tuple[Change, ...]
    problem: str | None = None


class Store(Protocol):
    """Durable state shared by every server process of one installation."""

    @property
    def location(self) -> str:
        """Where the store lives, for messages (a path or a URL without credentials)."""
        ...

    def exists(self) -> bool:
        """Whether the store exists already (read-only commands never create one)."""
        ...

    def schema_version(self) -> int:
        """The schema version of the opened store (creating the schema if the store is new)."""
        ...

    def spent_nonce(self, nonce: str) -> SpentNonce | None:
        """The ledger row of a spent nonce, or None when it was never spent (or purged after expiry)."""
        ...

    def begin_change(self, change: NewChange) -> None:
        """In ONE transaction: spend the nonce (`NonceSpent` if it already was) and record the change as `applying`.

        An undo (`undoes` set) is refused with `AlreadyUndone` when a live undo of the same change exists. Nonces whose
        tokens expired long ago are purged in the same transaction.
        """
        ...

    def finish_change(
        self,
        change_id: str,
        status: ChangeStatus,
        *,
        result: Any = None,
        undo: Any = None,
        error: str | None = None,
        only_if: tuple[ChangeStatus, ...] | None = None,
    ) -> bool:
        """Record the outcome of a change (`applied` with its result and undo spec, `unknown`, `failed` …).

        With `only_if`, the outcome is recorded only while the change's status is one of those, in one transaction
        (a reconciliation never overwrites what another process recorded meanwhile); returns whether it was.
        """
        ...

    def record_step(self, change_id: str, index: int, name: str, status: str, detail: Any = None) -> None:
        """Record (or update) the progress of one step of a multi-step write."""
        ...

    def get_change(self, change_id: str) -> Change | None:
        """One change with its steps and its live undo, or None."""
        ...

    def list_changes(
        self,
        *,
        limit: int = 20,
        offset: int = 0,
        statuses: tuple[ChangeStatus, ...] | None = None,
        tool: str | None = None,
        principal: str | None = None,
    ) -> list[Change]:
        """Changes (without steps, with their live undo), newest first, optionally only some statuses, one tool's or
        one principal's (None: everybody's)."""
        ...

    def count_changes(
        self,
        *,
        statuses: tuple[ChangeStatus, ...] | None = None,
        tool: str | None = None,
        principal: str | None = None,
    ) -> int:
        """How many changes `list_changes` would page through with the same filters."""
        ...

    def read_anchor(self, log: str) -> Anchor | None:
        """The anchored head of the audit log identified by `log`, or None when it was never anchored."""
        ...

    def write_anchor(self, log: str, seq: int, hash: str) -> None:
        """Anchor the audit log's head (seq, hash) durably."""
        ...

    def info(self) -> StoreInfo:
        """Location, schema version, whether it can be written, and the unsettled changes (for `doctor`)."""
        ...

    def admit_request(self, bucket: str, limits: tuple[tuple[int, float], ...]) -> float:
        """The rate budget all processes share: count one request of `bucket` (a Clockodo API user) now, if every
        window of (max requests, seconds) has room, and return 0.0; else count nothing and return the seconds until
        one more request fits."""
        ...

    def add_principal(self, principal: Principal) -> None:
        """Add a person of a shared endpoint; `PrincipalExists` if the name is taken."""
        ...

    def list_principals(self) -> list[Principal]:
        """Every principal, by name."""
        ...

    def remove_principal(self, name: str) -> bool:
        """Remove a principal: its token stops working at once, everywhere. False if there was none of that name."""
        ...

    def find_principal(self, token_hash: str) -> Principal | None:
        """The principal whose bearer token hashes to `token_hash`, or None."""
        ...

    def close(self) -> None:
        """Release connections; the store reopens on the next use."""
        ...
