"""Low-level reading of JSON Lines files from either end, and the head anchor beside the log."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_CHUNK = 64 * 1024
GENESIS_HASH = "0" * 64


def head_path(path: Path) -> Path:
    """The sidecar file that anchors the last record's seq and hash (``<log>.head``)."""
    return path.with_name(path.name + ".head")


def lock_path(path: Path) -> Path:
    """The sidecar file that appenders lock (``<log>.lock``)."""
    return path.with_name(path.name + ".lock")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A duplicated key would let two different texts parse to one hashed record.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_record(raw: bytes) -> dict[str, Any]:
    """One log line as a dict; ``ValueError`` when it is not a JSON object."""
    value = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_duplicates)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def iter_lines_reversed(path: Path) -> Iterator[bytes]:
    """The file's lines from last to first, read in chunks from the end (without newlines)."""
    with path.open("rb") as f:
        pos = f.seek(0, os.SEEK_END)
        buf = b""
        first = True
        while pos > 0:
            step = min(_CHUNK, pos)
            pos -= step
            f.seek(pos)
            buf = f.read(step) + buf
            parts = buf.split(b"\n")
            buf = parts[0]
            tail = parts[1:]
            if first and tail and tail[-1] == b"":
                tail.pop()  # the empty "line" after the final newline
            first = False
            yield from reversed(tail)
        if buf or not first:
            yield buf


def read_last_line(path: Path) -> tuple[bytes, bool] | None:
    """The last line and whether it ends with a newline; ``None`` for a missing or empty file."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            if size == 0:
                return None
            f.seek(size - 1)
            terminated = f.read(1) == b"\n"
    except FileNotFoundError:
        return None
    for line in iter_lines_reversed(path):
        return line, terminated
    return None  # pragma: no cover - a non-empty file always has a line


@dataclass(frozen=True)
class Head:
    """The anchor: the seq and hash of the last record the appender wrote."""

    seq: int
    hash: str


class HeadError(ValueError):
    """The head file exists but cannot be read as an anchor."""


def read_head(path: Path) -> Head | None:
    """The head anchor of a log, ``None`` when there is none; ``HeadError`` when it is unreadable."""
    try:
        raw = head_path(path).read_bytes()
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise HeadError(f"head file is not valid JSON: {exc}") from exc
    seq, hash_ = (data.get("seq"), data.get("hash")) if isinstance(data, dict) else (None, None)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 or not isinstance(hash_, str):
        raise HeadError("head file does not hold {seq, hash}")
    return Head(seq=seq, hash=hash_)


def fsync_dir(directory: Path) -> None:
    """Make a rename or creation inside ``directory`` durable (a no-op where directories can't be opened)."""
    if os.name == "nt":  # pragma: no cover - Windows cannot fsync a directory
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_head(path: Path, head: Head) -> None:
    """Replace the head anchor atomically: temp file, fsync, rename, fsync the directory."""
    target = head_path(path)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    data = json.dumps({"seq": head.seq, "hash": head.hash}).encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    fsync_dir(target.parent)
