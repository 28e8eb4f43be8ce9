"""Secrets never reach the log file: keys are redacted, known values scrubbed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clockodo_mcp.audit import REDACTED, AuditLog, redact, verify

MakeLog = Callable[[int], AuditLog]

API_KEY = "3f1e9c0a5b7d4e2f8a6c1b0d9e7f5a3c"
TOKEN = "eyJhcmdzIjoiZm9vIn0.c2lnbmF0dXJlc2lnbmF0dXJl"


def test_redact_replaces_secret_keys_case_insensitively_and_nested() -> None:
    event = {
        "confirm_token": TOKEN,
        "args": {"Api_Key": API_KEY, "inner": [{"X-ClockodoApiKey": API_KEY}, {"password": "hunter22"}]},
        "headers": {"Authorization": "Bearer abc", "access_token": "t", "client_secret": "s"},
        "hours": 3,
    }
    assert redact(event) == {
        "confirm_token": REDACTED,
        "args": {"Api_Key": REDACTED, "inner": [{"X-ClockodoApiKey": REDACTED}, {"password": REDACTED}]},
        "headers": {"Authorization": REDACTED, "access_token": REDACTED, "client_secret": REDACTED},
        "hours": 3,
    }


def test_redact_leaves_the_input_untouched_and_ordinary_keys_alone() -> None:
    event = {"token_expires_at": "2025-01-01", "apikey": "k", "text": "token talk", "confirm_token": None}
    copy = redact(event)
    assert event["apikey"] == "k"
    assert copy == {"token_expires_at": "2025-01-01", "apikey": REDACTED, "text": "token talk", "confirm_token": None}


def test_api_key_and_tokens_never_appear_in_the_file(make_log: MakeLog, log_path: Path) -> None:
    log = make_log(0)
    log.add_secret(API_KEY)
    log.append({"kind": "intent", "tool": "log_time", "args": {"hours": 3, "confirm_token": TOKEN}})
    log.append({"kind": "intent", "tool": "x", "args": {"nested": {"deeper": [{"api_key": API_KEY}]}}})
    log.append({"kind": "intent", "tool": "x", "caller": {"headers": {"X-ClockodoApiKey": API_KEY}}})
    log.append({"kind": "outcome", "tool": "x", "status": "error", "error": f"401 for key {API_KEY}"})
    log.append({"kind": "outcome", "tool": "x", "status": "ok", "change": {"token": TOKEN}})
    raw = log_path.read_bytes()
    assert API_KEY.encode() not in raw
    assert TOKEN.encode() not in raw
    assert b"[redacted]" in raw
    assert verify(log_path).ok


def test_secrets_given_at_construction_are_scrubbed(log_path: Path) -> None:
    log = AuditLog(log_path, secrets=[API_KEY, "", "short"])
    log.append({"kind": "outcome", "error": f"bad key {API_KEY}", "note": "short words stay"})
    raw = log_path.read_text(encoding="utf-8")
    assert API_KEY not in raw
    assert "short words stay" in raw
