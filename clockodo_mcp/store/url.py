"""Store URLs: `sqlite:///absolute/path/store.sqlite3` today, a PostgreSQL URL next; anything else is refused."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from clockodo_mcp.store.base import StoreConfigError

ENV_STORE = "CLOCKODO_MCP_STORE"
_EXAMPLE = "sqlite:///home/you/.local/share/clockodo-mcp/store.sqlite3"
_WINDOWS_DRIVE = re.compile(r"^/?[A-Za-z]:[/\\]")


@dataclass(frozen=True, slots=True)
class StoreUrl:
    """A parsed store URL."""

    scheme: str
    path: Path

    def __str__(self) -> str:
        return f"{self.scheme}:///{self.path.as_posix().lstrip('/')}"


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


def parse_store_url(url: str) -> StoreUrl:
    """Parse a store URL; `StoreConfigError` with an example for anything this version cannot open."""
    text = url.strip()
    scheme, sep, rest = text.partition(":")
    scheme = scheme.lower()
    if not sep or not rest.startswith("//"):
        raise StoreConfigError(
            f"The store {ENV_STORE}={url!r} is not a store URL. Use an SQLite file as sqlite:///absolute/path, "
            f"e.g. {_EXAMPLE}."
        )
    if scheme in ("postgres", "postgresql"):
        raise StoreConfigError(
            f"The store {ENV_STORE} names PostgreSQL, which this version of clockodo-mcp cannot use yet. Use an "
            f"SQLite file, e.g. {_EXAMPLE}."
        )
    if scheme != "sqlite":
        raise StoreConfigError(
            f"The store {ENV_STORE} has the unknown scheme {scheme!r}. Use an SQLite file as sqlite:///absolute/path, "
            f"e.g. {_EXAMPLE}."
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
