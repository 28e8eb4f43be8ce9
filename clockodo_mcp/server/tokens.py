"""Confirmation tokens: HMAC-signed, short-lived, single-use permission for exactly one previewed write."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import heapq
import hmac
import json
import math
import os
import secrets
import threading
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
    "TokenWrongTool",
    "arguments_digest",
    "canonical_json",
    "fingerprint",
]

ENV_SECRET = "CLOCKODO_MCP_SECRET"
TOKEN_ARGUMENT = "confirm_token"
_VERSION = 1
_SIG_BYTES = 32
# Burned nonces live until their token expires anyway; the cap only matters under a flood of confirmations.
_MAX_BURNED = 100_000


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
    """The token was already redeemed once."""

    code = "token_reused"


class TokenWrongTool(TokenError):
    """The token was issued for a different tool."""

    code = "token_wrong_tool"


class TokenArgumentsChanged(TokenError):
    """The arguments differ from the previewed ones."""

    code = "token_arguments_changed"


class TokenStale(TokenError):
    """The target changed between preview and confirmation."""

    code = "token_stale"


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
    """Issues and redeems confirmation tokens; thread-safe, single-use, keyed per process or by secret."""

    def __init__(
        self, secret: bytes | None = None, *, ttl_seconds: int = 600, now: Callable[[], float] = epoch_seconds
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._key = secret if secret else secrets.token_bytes(32)
        self.ttl_seconds = ttl_seconds
        self._now = now
        self._lock = threading.Lock()
        self._burned: dict[str, int] = {}
        self._expiry_heap: list[tuple[int, str]] = []
        # Tokens expiring at or before this moment were evicted from the burned set and are refused.
        self._floor = -math.inf

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

    def issue(self, tool: str, arguments: Mapping[str, Any], target_fingerprint: str) -> IssuedToken:
        """A token that authorises exactly this tool, these arguments and this previewed target state."""
        exp = math.floor(self._now()) + self.ttl_seconds
        payload = {
            "v": _VERSION,
            "tool": tool,
            "args": arguments_digest(arguments),
            "fp": target_fingerprint,
            "exp": exp,
            "nonce": secrets.token_urlsafe(16),
        }
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

    def redeem(self, token: str, tool: str, arguments: Mapping[str, Any], current_fingerprint: str) -> None:
        """Accept and burn the token, or raise a ``TokenError`` saying why and that nothing changed.

        Checks run in order: format, signature, tool, arguments, expiry, reuse, target fingerprint. The
        nonce is burned only on success: a refused attempt (say, a stale target) never changes anything,
        and the agent's next step is a fresh preview with a new token anyway.
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
        if not hmac.compare_digest(str(payload["args"]), arguments_digest(arguments)):
            raise TokenArgumentsChanged(
                "The arguments differ from the ones that were previewed; a confirm_token only authorises the "
                f"exact previewed arguments. {nothing} Repeat the call with exactly the previewed arguments, "
                f"or, if the change is intended, call {tool} without confirm_token to preview the new arguments."
            )
        with self._lock:
            now = self._now()
            self._prune(now)
            exp: int = payload["exp"]
            if now >= exp or exp <= self._floor:
                expired_at = dt.datetime.fromtimestamp(exp, dt.UTC).isoformat(timespec="seconds")
                raise TokenExpired(
                    f"The confirm_token expired at {expired_at} (tokens are valid for "
                    f"{self._ttl_text()}). {nothing} {_fresh_preview(tool)}"
                )
            nonce: str = payload["nonce"]
            if nonce in self._burned:
                raise TokenReused(
                    "This confirm_token has already been used; each token authorises exactly one write. "
                    f"This call changed nothing. If the change should really happen again: {_fresh_preview(tool)}"
                )
            if not hmac.compare_digest(str(payload["fp"]), current_fingerprint):
                raise TokenStale(
                    "The target changed since the preview (someone or something modified it in the "
                    f"meantime), so the previewed change may no longer be right. {nothing} Re-run {tool} "
                    "without confirm_token to get a fresh preview, show it to the user, and confirm again."
                )
            self._burn(nonce, exp)

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

    def _prune(self, now: float) -> None:
        while self._expiry_heap and self._expiry_heap[0][0] <= now:
            _, nonce = heapq.heappop(self._expiry_heap)
            self._burned.pop(nonce, None)

    def _burn(self, nonce: str, exp: int) -> None:
        self._burned[nonce] = exp
        heapq.heappush(self._expiry_heap, (exp, nonce))
        while len(self._burned) > _MAX_BURNED:
            # Evicting a live nonce would allow its reuse, so raise the floor: its token now counts as expired.
            evicted_exp, evicted = heapq.heappop(self._expiry_heap)
            self._burned.pop(evicted, None)
            self._floor = max(self._floor, evicted_exp)
