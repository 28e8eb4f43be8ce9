"""PostgreSQL URLs for the audit log: which schema, what to connect with, and what to show (never the password).

No psycopg here, so the CLI can tell a PostgreSQL store URL from a file one without the driver installed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

MASK = "***"
SCHEMES = ("postgresql", "postgres")
DEFAULT_CONNECT_TIMEOUT = 10  # seconds: an unreachable server fails a write instead of hanging it
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# `password=...` in a keyword/value conninfo or a URL query, quoted or not.
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)
# `scheme://user:password@` anywhere in a text (an error message may quote a URL).
_URL_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]*:)([^@\s]*)(@)", re.IGNORECASE)


class AuditUrlError(ValueError):
    """A PostgreSQL URL the audit log cannot use; the message says how to write it (without the password)."""


@dataclass(frozen=True, slots=True)
class PostgresUrl:
    """A parsed PostgreSQL store URL: a libpq conninfo to connect with, and a masked location for messages."""

    conninfo: str = ""
    location: str = ""
    schema: str | None = None
    password: str | None = None  # decoded, so the log can scrub it from anything it records

    def __repr__(self) -> str:
        return f"PostgresUrl(location={self.location!r})"  # never the password in the conninfo


def is_postgres_url(url: str | None) -> bool:
    """Whether a store URL names PostgreSQL (``postgresql://`` or ``postgres://``)."""
    if not url:
        return False
    scheme, sep, _ = url.strip().partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def mask_text(text: str) -> str:
    """The text with every password in a PostgreSQL URL or ``password=`` setting replaced by ``***``."""
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    return _KV_PASSWORD.sub(lambda m: m.group(1) + MASK, text)


def mask_url(url: str) -> str:
    """A PostgreSQL URL (or keyword/value conninfo) for messages: the password replaced by ``***``."""
    if "://" not in url:
        return mask_text(url)
    parts = urlsplit(url)
    netloc = parts.netloc
    userinfo, at, hosts = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.partition(':')[0]}:{MASK}@{hosts}"
    query = urlencode(
        [(k, MASK if k.lower() == "password" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def parse_postgres_url(url: str) -> PostgresUrl:
    """Parse ``postgresql://user:password@host:5432/db?schema=name`` (plain libpq URL, plus ``schema``).

    ``schema`` becomes the connection's ``search_path``; ``connect_timeout`` defaults to 10 seconds.
    """
    text = url.strip()
    if not is_postgres_url(text):
        raise AuditUrlError(f"{mask_url(text)!r} is not a PostgreSQL URL; use postgresql://user@host:5432/db.")
    parts = urlsplit(text)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in query if key == "schema"]
    schema = schemas[-1] if schemas else None
    if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
        raise AuditUrlError(
            f"The schema {schema!r} in {mask_url(text)} must be a plain SQL name (letters, digits, _), e.g. "
            "?schema=clockodo."
        )
    rest = [(k, v) for k, v in query if k != "schema"]
    if schema is not None:
        options = " ".join(v for k, v in rest if k == "options")
        rest = [(k, v) for k, v in rest if k != "options"]
        # Quoted, so a mixed-case name is kept as written (the store creates it the same way).
        rest.append(("options", f'{options} -c search_path="{schema}"'.strip()))
    if not any(k == "connect_timeout" for k, _ in rest):
        rest.append(("connect_timeout", str(DEFAULT_CONNECT_TIMEOUT)))
    # libpq decodes %20 but not "+" as a space.
    conninfo = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(rest, quote_via=quote), ""))
    shown = urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))
    location = mask_url(shown) + (f" (schema {schema})" if schema is not None else "")
    passwords = [v for k, v in query if k == "password"]
    password = unquote(parts.password) if parts.password else (passwords[-1] if passwords else None)
    return PostgresUrl(conninfo=conninfo, location=location, schema=schema, password=password)
