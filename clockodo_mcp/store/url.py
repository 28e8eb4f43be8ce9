"""Store URLs: `sqlite:///absolute/path/store.sqlite3` or `postgresql://user@host:5432/db?schema=name`; anything
else is refused. No driver is imported here, so a URL is checked before anything is opened."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import platformdirs

from clockodo_mcp.store.base import StoreConfigError

ENV_STORE = "CLOCKODO_MCP_STORE"
_EXAMPLE = "sqlite:///home/you/.local/share/clockodo-mcp/store.sqlite3"
_WINDOWS_DRIVE = re.compile(r"^/?[A-Za-z]:[/\\]")
_PG_EXAMPLE = "postgresql://clockodo@db.internal:5432/clockodo?schema=clockodo"
PG_SCHEMES = ("postgresql", "postgres")
MASK = "***"
DEFAULT_CONNECT_TIMEOUT = 5  # seconds: an unreachable server fails a call promptly instead of hanging it
# A plain SQL name: it is quoted into search_path and CREATE SCHEMA, so nothing else may reach the SQL.
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# libpq's own URL parameters that a store URL may carry; `schema` is ours (the search_path).
_LIBPQ_OPTIONS = frozenset(
    {
        "application_name",
        "connect_timeout",
        "dbname",
        "host",
        "hostaddr",
        "keepalives",
        "keepalives_count",
        "keepalives_idle",
        "keepalives_interval",
        "options",
        "passfile",
        "password",
        "port",
        "sslcert",
        "sslkey",
        "sslmode",
        "sslrootcert",
        "target_session_attrs",
        "tcp_user_timeout",
        "user",
    }
)


@dataclass(frozen=True, slots=True)
class StoreUrl:
    """A parsed store URL."""

    scheme: str
    path: Path

    def __str__(self) -> str:
        return f"{self.scheme}:///{self.path.as_posix().lstrip('/')}"


@dataclass(frozen=True, slots=True)
class PostgresStoreUrl:
    """A parsed PostgreSQL store URL: what libpq connects with, and what messages show (never the password)."""

    location: str  # the URL with its password masked, e.g. postgresql://clockodo:***@db:5432/clockodo?schema=x
    endpoint: str  # host:port, for "is PostgreSQL running at …?"
    schema: str  # the search_path of every connection (default public)
    connect_timeout: int
    conninfo: str = field(repr=False)  # a libpq URL (with the password; `schema` as search_path in its options)
    secrets: tuple[str, ...] = field(default=(), repr=False)  # the password, to scrub from driver messages

    scheme = "postgresql"

    def __str__(self) -> str:
        return self.location


def mask_password(url: str) -> str:
    """A PostgreSQL URL with the password of its user part and of a `password=` option replaced by ***."""
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    netloc = f"{userinfo.partition(':')[0]}:{MASK}@{hosts}" if at and ":" in userinfo else parts.netloc
    query = [(k, MASK if k.lower() == "password" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return _pg_url(netloc, parts.path, urlencode(query, safe="*/:"), scheme=parts.scheme)


def _pg_url(netloc: str, path: str, query: str, *, scheme: str = "postgresql") -> str:
    # urlunsplit would drop the "//" of an empty host (postgresql:///db, a local socket).
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def sqlite_url(path: Path) -> str:
    """The store URL of an SQLite file."""
    return f"sqlite:///{Path(path).as_posix().lstrip('/')}"


def default_store_url(environ: Mapping[str, str] | None = None, *, name: str = "store.sqlite3") -> str:
    """`$CLOCKODO_MCP_STORE` if set, else an SQLite file in the user data directory."""
    env = os.environ if environ is None else environ
    override = env.get(ENV_STORE)
    if override:
        return override
    return sqlite_url(platformdirs.user_data_path("clockodo-mcp") / name)


def parse_store_url(url: str) -> StoreUrl | PostgresStoreUrl:
    """Parse a store URL; `StoreConfigError` with an example for anything this version cannot open."""
    text = url.strip()
    scheme, sep, rest = text.partition(":")
    scheme = scheme.lower()
    if not sep or not rest.startswith("//"):
        raise StoreConfigError(
            f"The store {ENV_STORE}={url!r} is not a store URL. Use an SQLite file as sqlite:///absolute/path, "
            f"e.g. {_EXAMPLE}."
        )
    if scheme in PG_SCHEMES:
        return parse_postgres_url(text)
    if scheme != "sqlite":
        raise StoreConfigError(
            f"The store {ENV_STORE} has the unknown scheme {scheme!r}. Use an SQLite file as sqlite:///absolute/path, "
            f"e.g. {_EXAMPLE}, or PostgreSQL, e.g. {_PG_EXAMPLE}."
        )
    location = rest[2:]  # after "//": an empty host, then the path
    if "?" in location or "#" in location:
        raise StoreConfigError(f"The store URL {url!r} has options this version does not know; remove them.")
    if location.startswith("/") and not location.startswith("//"):
        path_text = location if not _WINDOWS_DRIVE.match(location) else location.lstrip("/")
    elif location.startswith("//"):  # sqlite:////abs/path, as SQLAlchemy spells absolute paths
        path_text = "/" + location.lstrip("/")
    else:
        raise StoreConfigError(
            f"The store URL {url!r} names a host; an SQLite store is a local file: sqlite:///absolute/path."
        )
    path = Path(os.path.expanduser(path_text.replace("/~/", "~/", 1) if path_text.startswith("/~/") else path_text))
    if not path.is_absolute() or path_text in ("/", ""):
        raise StoreConfigError(
            f"The store URL {url!r} must name an absolute file path (a relative one would depend on the directory "
            f"the MCP client starts the server in), e.g. {_EXAMPLE}."
        )
    return StoreUrl(scheme="sqlite", path=path)


def parse_postgres_url(url: str) -> PostgresStoreUrl:
    """Parse `postgresql://user:password@host:port/db?schema=name&connect_timeout=5` (libpq's URL plus `schema`)."""
    text = url.strip()
    parts = urlsplit(text)
    shown = mask_password(text)
    if parts.scheme.lower() not in PG_SCHEMES:
        raise StoreConfigError(f"The store URL {shown!r} is not a PostgreSQL URL, e.g. {_PG_EXAMPLE}.")
    if parts.fragment:
        raise StoreConfigError(f"The store URL {shown!r} has a #fragment; remove it (e.g. {_PG_EXAMPLE}).")
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise StoreConfigError(f"The store URL {shown!r} has a malformed query; e.g. {_PG_EXAMPLE}.") from None
    unknown = sorted({k for k, _ in query if k != "schema" and k not in _LIBPQ_OPTIONS})
    if unknown:
        raise StoreConfigError(
            f"The store URL {shown!r} has the option(s) {', '.join(unknown)} this version does not know; remove them. "
            f"It knows schema, connect_timeout and libpq's {', '.join(sorted(_LIBPQ_OPTIONS - {'connect_timeout'}))}."
        )
    options = dict(query)
    if len(options) != len(query):
        raise StoreConfigError(f"The store URL {shown!r} repeats an option; give each once.")
    schema = options.pop("schema", "public")
    if not _SCHEMA_NAME.fullmatch(schema):
        raise StoreConfigError(
            f"The schema {schema!r} in the store URL {shown!r} must be a plain SQL name (a letter or _, then letters, "
            "digits or _; at most 63), e.g. ?schema=clockodo."
        )
    timeout_text = options.setdefault("connect_timeout", str(DEFAULT_CONNECT_TIMEOUT))
    if not timeout_text.isdigit() or not 1 <= int(timeout_text) <= 600:
        raise StoreConfigError(
            f"connect_timeout={timeout_text!r} in the store URL {shown!r} must be a whole number of seconds from 1 to "
            "600, e.g. ?connect_timeout=5."
        )
    userinfo, at, hosts = parts.netloc.rpartition("@")
    secrets = [unquote(userinfo.partition(":")[2])] if at and ":" in userinfo else []
    secrets += [options["password"]] if options.get("password") else []
    if hosts:
        endpoint = hosts if re.search(r":\d+$", hosts) else f"{hosts}:{options.get('port', '5432')}"
    else:
        endpoint = options.get("host") or "the local socket"
    # Every connection of the store (and of the audit log sharing its pool) sees only its schema; quoted, so a
    # mixed-case name is kept as written (`store migrate` creates it the same way).
    options["options"] = f'{options.get("options", "")} -c search_path="{schema}"'.strip()
    conninfo = _pg_url(parts.netloc, parts.path, urlencode(list(options.items()), quote_via=quote))  # libpq: no "+"
    return PostgresStoreUrl(
        location=mask_password(_pg_url(parts.netloc, parts.path, parts.query)),
        endpoint=endpoint,
        schema=schema,
        connect_timeout=int(timeout_text),
        conninfo=conninfo,
        secrets=tuple(s for s in secrets if s),
    )
