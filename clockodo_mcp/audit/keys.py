"""The audit key: `CLOCKODO_MCP_AUDIT_KEY`, or a random key in a 0600 file beside the log, created on first use.

Records are chained with HMAC-SHA256 under this key, so a rewritten log only verifies if whoever rewrote it held
the key. Keep the key somewhere the log's readers cannot reach (the environment of the server, a secret manager)
for the strongest guarantee; the key file beside the log is the convenient default.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from clockodo_mcp.audit.files import fsync_dir

ENV_AUDIT_KEY = "CLOCKODO_MCP_AUDIT_KEY"
MIN_KEY_LENGTH = 16


class AuditKeyError(OSError):
    """The audit key is missing, unreadable or too weak; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class AuditKey:
    """Key material and where it came from (the environment variable, or the key file's path)."""

    secret: bytes
    source: str

    def __repr__(self) -> str:
        return f"AuditKey(source={self.source!r})"  # never the secret

    @property
    def key_id(self) -> str:
        """A short, non-secret name for the key, to tell two keys apart in messages."""
        return hashlib.sha256(b"clockodo-mcp audit key id\0" + self.secret).hexdigest()[:12]


def key_path(log: Path) -> Path:
    """The key file beside a log (``<log>.key``)."""
    return log.with_name(log.name + ".key")


def key_from_env(environ: Mapping[str, str] | None = None) -> AuditKey | None:
    """The key in ``CLOCKODO_MCP_AUDIT_KEY`` (None when unset); ``AuditKeyError`` when it is too short."""
    value = (os.environ if environ is None else environ).get(ENV_AUDIT_KEY)
    if not value:
        return None
    if len(value) < MIN_KEY_LENGTH:
        raise AuditKeyError(
            f"{ENV_AUDIT_KEY} is too short ({len(value)} characters); use at least {MIN_KEY_LENGTH}, e.g. the "
            'output of `python -c "import secrets; print(secrets.token_hex(32))"`.'
        )
    return AuditKey(value.encode("utf-8"), ENV_AUDIT_KEY)


def _read_file(path: Path) -> AuditKey | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise AuditKeyError(f"The audit key file {path} cannot be read ({error}); fix its permissions.") from error
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < MIN_KEY_LENGTH:
        raise AuditKeyError(
            f"The audit key file {path} does not hold a key (hex, at least {MIN_KEY_LENGTH} bytes); restore it "
            f"from a backup, or set {ENV_AUDIT_KEY}."
        )
    return AuditKey(secret, str(path))


def load_key(log: Path, environ: Mapping[str, str] | None = None) -> AuditKey | None:
    """The key for a log from the environment, else its key file; None when there is neither. Never creates one."""
    env = os.environ if environ is None else environ
    return key_from_env(env) or _read_file(key_path(log))


def create_key_file(log: Path) -> AuditKey:
    """Create the key file (0600) with a fresh random key; if another process won the race, read its key."""
    path = key_path(log)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic, and fails if the file exists: a half-written key is never visible
    except FileExistsError:
        pass  # another process created it first: use its key
    else:
        fsync_dir(path.parent)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    key = _read_file(path)
    if key is None:  # pragma: no cover - the file was just linked
        raise AuditKeyError(f"The audit key file {path} vanished while it was created.")
    return key
