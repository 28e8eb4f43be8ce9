"""Confirmation tokens: HMAC-signed, short-lived permission for exactly one previewed write.

The token itself is stateless: it proves which tool, which arguments and which target state were previewed, and
until when. Single use is the store's job: the gate spends the token's nonce in the same transaction that journals
the change (`clockodo_mcp.store`), so a token works once across processes and restarts.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import math
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from clockodo_mcp.audit.canonical import canonical_json, fingerprint
from clockodo_mcp.clock import epoch_seconds

__all__ = [
    "ENV_SECRET",
    "ConfirmationTokens",
    "IssuedToken",
    "TokenArgumentsChanged",
    "TokenError",
    "TokenExpired",
    "TokenForged",
    "TokenMalformed",
    "TokenReused",
    "TokenStale",
    "TokenWrongPrincipal",
    "TokenWrongTool",
    "VerifiedToken",
    "arguments_digest",
    "canonical_json",
    "fingerprint",
]

ENV_SECRET = "CLOCKODO_MCP_SECRET"
TOKEN_ARGUMENT = "confirm_token"
_VERSION = 1
_SIG_BYTES = 32


class TokenError(ValueError):
    """A confirmation token was refused; the message tells the agent that nothing changed and what to do."""

    code = "token_invalid"


class TokenMalformed(TokenError):
    """The token is not in the token format at all (truncated, altered, or some other string)."""

    code = "token_malformed"


class TokenForged(TokenError):
    """The signature does not match: this server (with this key) never issued the token."""

    code = "token_forged"


class TokenExpired(TokenError):
    """The token's lifetime is over."""

    code = "token_expired"


class TokenReused(TokenError):
    """The token was already used: it authorised another change already."""

    code = "token_reused"

    @classmethod
    def by_change(cls, tool: str, change_id: str, spent_at: dt.datetime) -> TokenReused:
        """The refusal that names the change which used the token, and when."""
        at = spent_at.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return cls(
            f"This confirmation was already used by change {change_id} at {at}. Nothing was changed. Each "
            "confirm_token authorises exactly one write (list_changes shows that change). If the change should "
            f"really happen again: {_fresh_preview(tool)}"
        )


class TokenWrongTool(TokenError):
    """The token was issued for a different tool."""

    code = "token_wrong_tool"


class TokenWrongPrincipal(TokenError):
    """The token was issued to another principal of a shared endpoint (or outside one)."""

    code = "token_wrong_principal"


class TokenArgumentsChanged(TokenError):
    """The arguments differ from the previewed ones."""

    code = "token_arguments_changed"


class TokenStale(TokenError):
    """The target changed between preview and confirmation."""

    code = "token_stale"


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """A token whose signature, tool, arguments and expiry check out; `nonce` is what the store spends."""

    tool: str
    nonce: str
    expires_at: dt.datetime
    fingerprint: str
    click: bool = False  # issued for a confirmation view: only the user's click there applies it

    def require_target(self, current_fingerprint: str) -> None:
        """Refuse (`TokenStale`) when the target no longer is what was previewed."""
        if not hmac.compare_digest(self.fingerprint, current_fingerprint):
            raise TokenStale(
                "The target changed since the preview (someone or something modified it in the meantime), so the "
                f"previewed change may no longer be right. Nothing was changed. Re-run {self.tool} without "
                "confirm_token to get a fresh preview, show it to the user, and confirm again."
            )


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token and when it stops being accepted."""

    token: str
    expires_at: dt.datetime


def arguments_digest(arguments: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical arguments, ignoring ``confirm_token`` itself."""
    return fingerprint({k: v for k, v in arguments.items() if k != TOKEN_ARGUMENT})


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fresh_preview(tool: str) -> str:
    return (
        f"Call {tool} again without confirm_token to get a fresh preview and token, show the preview to the "
        "user, then repeat the call with the new token and exactly the same arguments."
    )


class ConfirmationTokens:
    """Issues and verifies confirmation tokens; thread-safe (stateless), keyed per process or by a shared secret."""

    def __init__(
        self, secret: bytes | None = None, *, ttl_seconds: int = 600, now: Callable[[], float] = epoch_seconds
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._key = secret if secret else secrets.token_bytes(32)
        self.ttl_seconds = ttl_seconds
        self._now = now

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        ttl_seconds: int = 600,
        now: Callable[[], float] = epoch_seconds,
    ) -> ConfirmationTokens:
        """Key from ``CLOCKODO_MCP_SECRET`` (SHA-256 of the string) so tokens survive restarts; else random."""
        value = (os.environ if environ is None else environ).get(ENV_SECRET)
        secret = hashlib.sha256(value.encode("utf-8")).digest() if value else None
        return cls(secret, ttl_seconds=ttl_seconds, now=now)

    def issue(
        self,
        tool: str,
        arguments: Mapping[str, Any],
        target_fingerprint: str,
        *,
        click: bool = False,
        principal: str | None = None,
    ) -> IssuedToken:
        """A token that authorises exactly this tool, these arguments and this previewed target state; `click`: only
        through the confirmation view's Confirm button (signed into the token, so it cannot be stripped); `principal`:
        only for that person of a shared endpoint."""
        exp = math.floor(self._now()) + self.ttl_seconds
        payload: dict[str, Any] = {
            "v": _VERSION,
            "tool": tool,
            "args": arguments_digest(arguments),
            "fp": target_fingerprint,
            "exp": exp,
            "nonce": secrets.token_urlsafe(16),
        }
        if click:
            payload["click"] = True
        if principal is not None:
            payload["who"] = principal
        body = canonical_json(payload).encode("utf-8")
        token = f"{_b64encode(body)}.{_b64encode(self._sign(body))}"
        return IssuedToken(token=token, expires_at=dt.datetime.fromtimestamp(exp, dt.UTC))

    def peek(self, token: str) -> dict[str, Any] | None:
        """The payload of a well-signed token (expired or not), else ``None``; for logging, never the token."""
        try:
            body, sig = self._split(token)
        except ValueError:
            return None
        if not hmac.compare_digest(sig, self._sign(body)):
            return None
        try:
            return self._payload(body)
        except ValueError:
            return None

    def verify(
        self,
        token: str,
        tool: str,
        arguments: Mapping[str, Any],
        current_fingerprint: str | None = None,
        *,
        principal: str | None = None,
    ) -> VerifiedToken:
        """The verified token, or a ``TokenError`` saying why it is refused and that nothing changed.

        Checks run in order: format, signature, tool, arguments, expiry, then (when given) the target
        fingerprint. Whether the token was used already is not known here: the store's nonce ledger knows.
        """
        nothing = "Nothing was changed."
        try:
            body, sig = self._split(token)
        except ValueError:
            raise TokenMalformed(
                f"The confirm_token is not a valid confirmation token (truncated, altered, or not one this "
                f"server issued). {nothing} {_fresh_preview(tool)}"
            ) from None
        if not hmac.compare_digest(sig, self._sign(body)):
            raise TokenForged(
                "The confirm_token was not issued by this server (its signature does not match; tokens do not "
                f"survive a server restart unless {ENV_SECRET} is set). {nothing} {_fresh_preview(tool)}"
            )
        try:
            payload = self._payload(body)
        except ValueError:
            raise TokenMalformed(
                f"The confirm_token is not a valid confirmation token. {nothing} {_fresh_preview(tool)}"
            ) from None
        if payload["tool"] != tool:
            raise TokenWrongTool(
                f"This confirm_token was issued for the tool {payload['tool']}, not {tool}; a token only "
                f"authorises the call it was previewed for. {nothing} {_fresh_preview(tool)}"
            )
        if payload.get("who") != principal:
            raise TokenWrongPrincipal(
                "This confirm_token was issued to someone else on this endpoint: a token only authorises the "
                f"person whose preview it came with. {nothing} {_fresh_preview(tool)}"
            )
        if not hmac.compare_digest(str(payload["args"]), arguments_digest(arguments)):
            raise TokenArgumentsChanged(
                "The arguments differ from the ones that were previewed; a confirm_token only authorises the "
                f"exact previewed arguments. {nothing} Repeat the call with exactly the previewed arguments, "
                f"or, if the change is intended, call {tool} without confirm_token to preview the new arguments."
            )
        exp: int = payload["exp"]
        expires_at = dt.datetime.fromtimestamp(exp, dt.UTC)
        if self._now() >= exp:
            raise TokenExpired(
                f"The confirm_token expired at {expires_at.isoformat(timespec='seconds')} (tokens are valid for "
                f"{self._ttl_text()}). {nothing} {_fresh_preview(tool)}"
            )
        verified = VerifiedToken(
            tool=tool,
            nonce=payload["nonce"],
            expires_at=expires_at,
            fingerprint=payload["fp"],
            click=payload.get("click") is True,
        )
        if current_fingerprint is not None:
            verified.require_target(current_fingerprint)
        return verified

    def _ttl_text(self) -> str:
        if self.ttl_seconds % 60 == 0:
            minutes = self.ttl_seconds // 60
            return f"{minutes} minute{'s' if minutes != 1 else ''}"
        return f"{self.ttl_seconds} seconds"

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    @staticmethod
    def _split(token: str) -> tuple[bytes, bytes]:
        if not isinstance(token, str) or token.count(".") != 1:
            raise ValueError("expected <payload>.<signature>")
        body_text, sig_text = token.split(".")
        try:
            body, sig = _b64decode(body_text), _b64decode(sig_text)
        except (ValueError, binascii.Error) as exc:
            raise ValueError("not base64url") from exc
        if len(sig) != _SIG_BYTES:
            raise ValueError("wrong signature length")
        return body, sig

    @staticmethod
    def _payload(body: bytes) -> dict[str, Any]:
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict) or data.get("v") != _VERSION:
            raise ValueError("unknown token version")
        for key, kind in (("tool", str), ("args", str), ("fp", str), ("exp", int), ("nonce", str)):
            if not isinstance(data.get(key), kind):
                raise ValueError(f"token payload lacks {key}")
        return data
