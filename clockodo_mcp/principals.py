"""The people of a shared endpoint: their bearer tokens, and their Clockodo API keys sealed under the principals key.

A principal's bearer token is 256 random bits (`cmcp_…`); the store keeps only its SHA-256, which is enough for a
secret that cannot be guessed (no salt or slow hash needed: there is no dictionary to attack).

The Clockodo API key is sealed with AES-256-GCM under a key derived (HKDF-SHA256) from `CLOCKODO_MCP_PRINCIPALS_KEY`:
any string of at least 32 characters, e.g. the 43 base64url characters of 32 random bytes that
`clockodo-mcp principals keygen` prints. The principal's name and e-mail are the associated data, so a sealed key
copied to another row (another person) does not open. Each sealed value names a 4-byte fingerprint of the key it was
sealed under, so "another principals key" and "altered or moved" are told apart in the error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clockodo_mcp.server.config import ConfigError

ENV_KEY = "CLOCKODO_MCP_PRINCIPALS_KEY"
TOKEN_PREFIX = "cmcp_"
MIN_KEY_CHARS = 32
_SEALED_PREFIX = "v1."
_KDF_INFO = b"clockodo-mcp/principals/v1/aes-256-gcm"
_KID_LABEL = b"clockodo-mcp/principals/v1/kid:"
_KID_BYTES = 4
_NONCE_BYTES = 12


class PrincipalsError(ConfigError):
    """A principals key or a sealed API key that cannot be used; the message says how to fix it (never a secret)."""


def issue_token() -> str:
    """A new bearer token: `cmcp_` and 256 random bits, base64url."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a bearer token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    """A fresh principals key: 32 random bytes, base64url without padding (43 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _aad(name: str, api_user: str, kid: bytes) -> bytes:
    """The associated data: which principal, which e-mail, which key; a sealed key opens only in its own row."""
    return json.dumps({"v": 1, "name": name, "api_user": api_user, "kid": kid.hex()}, separators=(",", ":")).encode()


class PrincipalsKey:
    """The key that seals and opens the principals' Clockodo API keys."""

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_KEY_CHARS:
            raise PrincipalsError(
                f"{ENV_KEY} is too short ({len(secret)} characters): it needs at least {MIN_KEY_CHARS}. Make one with "
                "`clockodo-mcp principals keygen` (and keep it: the stored API keys open only with it)."
            )
        key = HKDF(algorithm=SHA256(), length=32, salt=None, info=_KDF_INFO).derive(secret.encode("utf-8"))
        self._aead = AESGCM(key)
        self.kid = hashlib.sha256(_KID_LABEL + key).digest()[:_KID_BYTES]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PrincipalsKey:
        """The key from CLOCKODO_MCP_PRINCIPALS_KEY; a `PrincipalsError` naming the variable when it is unset."""
        value = (os.environ if environ is None else environ).get(ENV_KEY, "").strip()
        if not value:
            raise PrincipalsError(
                f"{ENV_KEY} is not set: the principals' Clockodo API keys are sealed under it. Make one with "
                f"`clockodo-mcp principals keygen`, keep it safe, and set {ENV_KEY} for `principals add` and for "
                "every server replica."
            )
        return cls(value)

    def seal(self, name: str, api_user: str, api_key: str) -> str:
        """`api_key` encrypted for the principal `name` with e-mail `api_user` (opens only for both)."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, api_key.encode("utf-8"), _aad(name, api_user, self.kid))
        return _SEALED_PREFIX + _b64u(self.kid + nonce + sealed)

    def open(self, name: str, api_user: str, sealed: str) -> str:
        """The API key sealed for `name` and `api_user`; a `PrincipalsError` for another key, an altered or a moved
        value."""
        who = f"principal {name!r}"
        try:
            if not sealed.startswith(_SEALED_PREFIX):
                raise ValueError("unknown format")
            text = sealed[len(_SEALED_PREFIX) :]
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (ValueError, binascii.Error):
            raise PrincipalsError(
                f"The stored Clockodo API key of {who} is not a sealed key this version knows. Ask the endpoint's "
                f"admin to run `clockodo-mcp principals remove {name}` and `principals add {name}` again."
            ) from None
        kid, nonce, body = (
            raw[:_KID_BYTES],
            raw[_KID_BYTES : _KID_BYTES + _NONCE_BYTES],
            raw[_KID_BYTES + _NONCE_BYTES :],
        )
        if not secrets.compare_digest(kid, self.kid):
            raise PrincipalsError(
                f"The stored Clockodo API key of {who} was sealed under another {ENV_KEY}: set the key it was added "
                f"with on this server, or run `clockodo-mcp principals remove {name}` and `add` again."
            )
        try:
            return self._aead.decrypt(nonce, body, _aad(name, api_user, kid)).decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise PrincipalsError(
                f"The stored Clockodo API key of {who} does not open: it was altered, or belongs to another principal "
                f"or e-mail. Run `clockodo-mcp principals remove {name}` and `add` again."
            ) from None
