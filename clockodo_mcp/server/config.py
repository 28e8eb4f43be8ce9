"""Server configuration: command-line flags, then environment, then keyring — never a prompt."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from clockodo_mcp.server.registry import DEFAULT_TOOLSETS, Toolset, toolsets_of
from clockodo_mcp.server.registry import TOOLSETS as TOOLSETS  # re-exported: the toolset names, for flags and docs

DEFAULT_BASE_URL = "https://my.clockodo.com/api"
DEFAULT_APP_NAME = "clockodo-mcp"
DEFAULT_APP_EMAIL = ""  # empty: Clockodo's technical contact is the API user's own e-mail

ConfirmMode = Literal["token", "elicit", "auto"]


class ConfigError(ValueError):
    """Configuration that cannot work; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything the server needs to talk to Clockodo and to behave."""

    api_user: str = ""
    api_key: str = ""
    credential_source: str = "none"
    base_url: str = DEFAULT_BASE_URL
    app_name: str = DEFAULT_APP_NAME
    app_email: str = DEFAULT_APP_EMAIL
    language: str = "en"
    timezone: str | None = None
    currency: str | None = None
    read_only: bool = False
    toolsets: frozenset[Toolset] = field(default_factory=lambda: frozenset(DEFAULT_TOOLSETS))
    demo: bool = False
    demo_seed: int = 7
    demo_today: date | None = None  # pins the demo company's calendar (--today / CLOCKODO_MCP_TODAY)
    demo_latency_seconds: float = 0.0  # added to every request of the demo's fake Clockodo (realism, tests)
    confirm: ConfirmMode = "auto"
    audit_path: Path | None = None
    store_url: str | None = None  # CLOCKODO_MCP_STORE / --store; default: an SQLite file in the user data dir
    cache_ttl_seconds: float = 60.0
    token_ttl_seconds: int = 600
    mirror_url: str | None = None  # CLOCKODO_MCP_MIRROR: the `clockodo-mcp sync` target the warehouse tools read
    mirror_max_age_minutes: int = 60  # CLOCKODO_MCP_MIRROR_MAX_AGE: older, the monitoring tools answer without it
    webhook_token: str | None = None  # CLOCKODO_MCP_WEBHOOK_TOKEN: receive Clockodo's webhooks into the mirror
    webhook_path: str = "/webhooks/clockodo"  # CLOCKODO_MCP_WEBHOOK_PATH
    # serve --principals (or CLOCKODO_MCP_PRINCIPALS=1 for serve): a shared endpoint, each request acting for the
    # principal its bearer token names, with no Clockodo credentials of its own
    principals: bool = False

    def describe_credentials(self) -> str:
        """Where the credentials come from, never the key itself."""
        if self.demo:
            return "demo company (built-in fake Clockodo, no credentials needed)"
        if self.principals:
            return "each request's principal (shared endpoint, no credentials of its own)"
        return f"{self.api_user or '(no user)'} from {self.credential_source}"


def parse_toolsets(value: str | None, *, mirror: bool = False) -> frozenset[Toolset]:
    """'billing,projects' → the named toolsets plus core; refuses unknown names. Unset: every toolset but warehouse,
    which joins when a mirror is configured; 'all' is every toolset."""
    if value is None or value.strip() == "":
        return frozenset(TOOLSETS if mirror else DEFAULT_TOOLSETS)
    if value.strip() == "all":
        return frozenset(TOOLSETS)
    names = {part.strip().lower() for part in value.split(",") if part.strip()}
    try:
        return toolsets_of(names | {"core"})
    except ValueError as error:
        raise ConfigError(f"{error} (or 'all').") from None


def env_flag(env: Mapping[str, str], name: str) -> bool:
    """A boolean environment variable: 1/true/yes/on."""
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _seconds(env: Mapping[str, str], name: str) -> float:
    """A non-negative number of seconds from the environment (0 when unset)."""
    raw = env.get(name, "").strip()
    try:
        value = float(raw) if raw else 0.0
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: use a number of seconds, e.g. 0.08.") from None
    if not 0 <= value < float("inf"):
        raise ConfigError(f"{name}={raw!r}: use a non-negative number of seconds, e.g. 0.08.")
    return value


def _minutes(env: Mapping[str, str], name: str, default: int) -> int:
    """A positive whole number of minutes from the environment (`default` when unset)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name}={raw!r}: use a whole number of minutes of at least 1, e.g. {default}.")
    return int(raw)


def config_from_env(env: Mapping[str, str] | None = None, /, **overrides: object) -> ServerConfig:
    """Build a configuration from the environment, with explicit overrides (from flags) winning."""
    source = os.environ if env is None else env
    values: dict[str, object] = {
        "base_url": source.get("CLOCKODO_BASE_URL", DEFAULT_BASE_URL),
        "app_email": source.get("CLOCKODO_MCP_CONTACT_EMAIL", DEFAULT_APP_EMAIL),
        "language": source.get("CLOCKODO_LANGUAGE", "en"),
        "timezone": source.get("CLOCKODO_TIMEZONE") or None,
        "currency": source.get("CLOCKODO_CURRENCY") or None,
        "read_only": env_flag(source, "CLOCKODO_MCP_READ_ONLY"),
        "toolsets": parse_toolsets(source.get("CLOCKODO_MCP_TOOLSETS"), mirror=bool(source.get("CLOCKODO_MCP_MIRROR"))),
        "mirror_url": source.get("CLOCKODO_MCP_MIRROR") or None,
        "mirror_max_age_minutes": _minutes(source, "CLOCKODO_MCP_MIRROR_MAX_AGE", 60),
        "audit_path": Path(source["CLOCKODO_MCP_AUDIT_LOG"]) if source.get("CLOCKODO_MCP_AUDIT_LOG") else None,
        "demo_latency_seconds": _seconds(source, "CLOCKODO_MCP_DEMO_LATENCY"),
        "store_url": source.get("CLOCKODO_MCP_STORE") or None,
        "webhook_token": source.get("CLOCKODO_MCP_WEBHOOK_TOKEN") or None,
        "webhook_path": source.get("CLOCKODO_MCP_WEBHOOK_PATH") or "/webhooks/clockodo",
    }
    if source.get("CLOCKODO_MCP_CONFIRM"):
        mode = source["CLOCKODO_MCP_CONFIRM"]
        if mode not in ("token", "elicit", "auto"):
            raise ConfigError(f"CLOCKODO_MCP_CONFIRM={mode!r}: use token, elicit or auto.")
        values["confirm"] = mode
    values.update({k: v for k, v in overrides.items() if v is not None})
    return ServerConfig(**values)  # type: ignore[arg-type]  # keys are ServerConfig's own field names
