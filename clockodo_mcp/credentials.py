"""Credentials: flags, then environment, then the system keyring. Never prompts in server mode."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

import keyring
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

SERVICE = "clockodo-mcp"
USER_SLOT = "__api_user__"

logger = logging.getLogger("clockodo_mcp")


@dataclass(frozen=True, slots=True)
class Credentials:
    """A Clockodo login and API key, and where they came from (for logs: never log the key)."""

    api_user: str
    api_key: str
    source: str


class KeyringUnavailable(RuntimeError):
    """No usable keyring backend (e.g. headless Linux)."""


def keyring_read() -> tuple[str, str] | None:
    """The stored (user, key), or None; raises KeyringUnavailable when there is no backend."""
    try:
        user = keyring.get_password(SERVICE, USER_SLOT)
        if not user:
            return None
        key = keyring.get_password(SERVICE, user)
    except (NoKeyringError, KeyringError) as error:
        raise KeyringUnavailable(str(error)) from error
    return (user, key) if key else None


def keyring_store(api_user: str, api_key: str) -> None:
    """Store the login and key in the system keyring (replacing another user's stored key)."""
    try:
        previous = keyring.get_password(SERVICE, USER_SLOT)
        # Key first, user slot last: a failure halfway never points the user slot at a missing key.
        keyring.set_password(SERVICE, api_user, api_key)
        keyring.set_password(SERVICE, USER_SLOT, api_user)
        if previous and previous != api_user:
            with contextlib.suppress(PasswordDeleteError):
                keyring.delete_password(SERVICE, previous)
    except (NoKeyringError, KeyringError) as error:
        raise KeyringUnavailable(str(error)) from error


def keyring_backend_name() -> str:
    """The active keyring backend, for messages (e.g. 'macOS Keychain', 'SecretService')."""
    backend = keyring.get_keyring()
    name = getattr(backend, "name", "")
    return name if isinstance(name, str) and name else type(backend).__name__


def keyring_delete() -> bool:
    """Remove stored credentials; False when there were none."""
    try:
        user = keyring.get_password(SERVICE, USER_SLOT)
        if not user:
            return False
        for slot in (user, USER_SLOT):
            with contextlib.suppress(PasswordDeleteError):
                keyring.delete_password(SERVICE, slot)
    except (NoKeyringError, KeyringError) as error:
        raise KeyringUnavailable(str(error)) from error
    return True


def resolve_credentials(
    flag_user: str | None = None,
    flag_key: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Credentials | None:
    """Flags → CLOCKODO_API_USER/CLOCKODO_API_KEY → keyring; None when nothing is configured."""
    source = os.environ if env is None else env
    if flag_user and flag_key:
        return Credentials(flag_user, flag_key, "command-line flags")
    env_user, env_key = source.get("CLOCKODO_API_USER"), source.get("CLOCKODO_API_KEY")
    user = flag_user or env_user
    key = flag_key or env_key
    if user and key:
        return Credentials(user, key, "environment" if not (flag_user or flag_key) else "flags and environment")
    try:
        stored = keyring_read()
    except KeyringUnavailable as error:
        logger.info("No keyring backend available (%s); use CLOCKODO_API_USER / CLOCKODO_API_KEY", error)
        return None
    if stored is None:
        return None
    if user and user != stored[0]:
        return None
    return Credentials(stored[0], stored[1], "system keyring")
