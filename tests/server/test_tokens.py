"""Confirmation tokens: one token authorises exactly one previewed call, and every attack is refused."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pytest

from clockodo_mcp.server.tokens import (
    ConfirmationTokens,
    TokenArgumentsChanged,
    TokenError,
    TokenExpired,
    TokenForged,
    TokenMalformed,
    TokenReused,
    TokenStale,
    TokenWrongTool,
    canonical_json,
    fingerprint,
)

T0 = 1_750_000_000.0
SECRET = b"k" * 32
ARGS = {"project": "Phoenix", "hours": 3, "date": "2025-06-15"}
FP = fingerprint({"entries": [{"id": 1, "billable": 1}]})


class Clock:
    """A hand-moved clock."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock: Clock) -> ConfirmationTokens:
    return ConfirmationTokens(SECRET, now=clock)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def assert_says_nothing_changed(error: TokenError) -> None:
    text = str(error).lower()
    assert "nothing was changed" in text or "changed nothing" in text
    assert "without confirm_token" in text or "previewed arguments" in text


def test_an_issued_token_verifies(tokens: ConfirmationTokens) -> None:
    issued = tokens.issue("log_time", ARGS, FP)
    assert issued.expires_at == dt.datetime.fromtimestamp(T0 + 600, dt.UTC)
    tokens.verify(issued.token, "log_time", ARGS, FP)


def test_token_is_payload_dot_hmac_signature(tokens: ConfirmationTokens) -> None:
    body, sig = tokens.issue("log_time", ARGS, FP).token.split(".")
    payload = json.loads(unb64(body))
    assert set(payload) == {"v", "tool", "args", "fp", "exp", "nonce"}
    assert payload["tool"] == "log_time"
    assert payload["args"] == fingerprint(ARGS)
    assert payload["fp"] == FP
    assert len(unb64(sig)) == 32


def test_confirm_token_itself_is_ignored_in_the_arguments(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", {**ARGS, "confirm_token": None}, FP).token
    tokens.verify(token, "log_time", {**ARGS, "confirm_token": token}, FP)


def test_argument_order_does_not_matter(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    tokens.verify(token, "log_time", dict(reversed(list(ARGS.items()))), FP)


def test_a_verified_token_names_its_nonce_expiry_and_previewed_target(tokens: ConfirmationTokens) -> None:
    issued = tokens.issue("log_time", ARGS, FP)
    verified = tokens.verify(issued.token, "log_time", ARGS)
    payload = json.loads(unb64(issued.token.split(".")[0]))
    assert (verified.tool, verified.nonce, verified.expires_at, verified.fingerprint) == (
        "log_time",
        payload["nonce"],
        issued.expires_at,
        FP,
    )
    # Verification is stateless: whether the nonce was spent is the store's business (see tests/store).
    assert tokens.verify(issued.token, "log_time", ARGS, FP) == verified


def test_the_reuse_refusal_names_the_change_and_when_it_used_the_token() -> None:
    error = TokenReused.by_change("log_time", "3f9a1c2b7d4e5f60", dt.datetime(2026, 11, 24, 15, 0, 7, 120_000, dt.UTC))
    assert str(error).startswith(
        "This confirmation was already used by change 3f9a1c2b7d4e5f60 at 2026-11-24T15:00:07Z. Nothing was changed."
    )
    assert_says_nothing_changed(error)


def test_expired_token_is_refused(tokens: ConfirmationTokens, clock: Clock) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    clock.now = T0 + 600
    with pytest.raises(TokenExpired) as info:
        tokens.verify(token, "log_time", ARGS, FP)
    assert "10 minutes" in str(info.value)
    assert_says_nothing_changed(info.value)


def test_token_just_before_expiry_is_accepted(tokens: ConfirmationTokens, clock: Clock) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    clock.now = T0 + 599
    tokens.verify(token, "log_time", ARGS, FP)


def test_custom_ttl_is_honoured(clock: Clock) -> None:
    tokens = ConfirmationTokens(SECRET, ttl_seconds=30, now=clock)
    token = tokens.issue("log_time", ARGS, FP).token
    clock.now = T0 + 31
    with pytest.raises(TokenExpired, match="30 seconds"):
        tokens.verify(token, "log_time", ARGS, FP)


def test_token_with_other_arguments_is_refused(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    with pytest.raises(TokenArgumentsChanged) as info:
        tokens.verify(token, "log_time", {**ARGS, "hours": 30}, FP)
    assert_says_nothing_changed(info.value)


def test_token_for_another_tool_is_refused(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    with pytest.raises(TokenWrongTool) as info:
        tokens.verify(token, "delete_entry", ARGS, FP)
    assert "log_time" in str(info.value)
    assert_says_nothing_changed(info.value)


def test_token_for_a_changed_target_is_refused_as_stale(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    changed = fingerprint({"entries": [{"id": 1, "billable": 2}]})
    with pytest.raises(TokenStale) as info:
        tokens.verify(token, "log_time", ARGS, changed)
    assert "re-run log_time without confirm_token to get a fresh preview" in str(info.value).lower()
    assert_says_nothing_changed(info.value)


def test_refused_attempts_leave_the_token_valid(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    with pytest.raises(TokenStale):
        tokens.verify(token, "log_time", ARGS, "0" * 64)
    with pytest.raises(TokenArgumentsChanged):
        tokens.verify(token, "log_time", {}, FP)
    tokens.verify(token, "log_time", ARGS, FP)


def test_tampered_payload_is_refused_as_forged(tokens: ConfirmationTokens) -> None:
    body, sig = tokens.issue("log_time", ARGS, FP).token.split(".")
    payload = json.loads(unb64(body))
    payload["exp"] += 86_400
    with pytest.raises(TokenForged) as info:
        tokens.verify(f"{b64(canonical_json(payload).encode())}.{sig}", "log_time", ARGS, FP)
    assert_says_nothing_changed(info.value)


def test_tampered_signature_is_refused_as_forged(tokens: ConfirmationTokens) -> None:
    body, sig = tokens.issue("log_time", ARGS, FP).token.split(".")
    raw = bytearray(unb64(sig))
    raw[0] ^= 1
    with pytest.raises(TokenForged):
        tokens.verify(f"{body}.{b64(bytes(raw))}", "log_time", ARGS, FP)


def test_token_from_another_secret_is_refused_as_forged(clock: Clock) -> None:
    other = ConfirmationTokens(b"x" * 32, now=clock).issue("log_time", ARGS, FP).token
    with pytest.raises(TokenForged):
        ConfirmationTokens(SECRET, now=clock).verify(other, "log_time", ARGS, FP)


def test_tokens_from_random_keys_do_not_survive_a_restart(clock: Clock) -> None:
    token = ConfirmationTokens(now=clock).issue("log_time", ARGS, FP).token
    with pytest.raises(TokenForged, match="CLOCKODO_MCP_SECRET"):
        ConfirmationTokens(now=clock).verify(token, "log_time", ARGS, FP)


def test_same_env_secret_gives_tokens_that_work_across_instances(clock: Clock) -> None:
    env = {"CLOCKODO_MCP_SECRET": "correct horse battery staple"}
    token = ConfirmationTokens.from_env(env, now=clock).issue("log_time", ARGS, FP).token
    ConfirmationTokens.from_env(env, now=clock).verify(token, "log_time", ARGS, FP)


def test_from_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    monkeypatch.setenv("CLOCKODO_MCP_SECRET", "s3cret")
    token = ConfirmationTokens.from_env(ttl_seconds=60, now=clock).issue("t", {}, FP).token
    ConfirmationTokens.from_env(now=clock).verify(token, "t", {}, FP)
    monkeypatch.setenv("CLOCKODO_MCP_SECRET", "")
    with pytest.raises(TokenForged):
        ConfirmationTokens.from_env(now=clock).verify(token, "t", {}, FP)


@pytest.mark.parametrize(
    "bad",
    ["", "no-dot", "a.b.c", "!!!.???", "eyJ9.c2ln", "e30." + "A" * 43, "   "],
)
def test_malformed_tokens_are_refused(tokens: ConfirmationTokens, bad: str) -> None:
    with pytest.raises((TokenMalformed, TokenForged)) as info:
        tokens.verify(bad, "log_time", ARGS, FP)
    assert_says_nothing_changed(info.value)


def test_signed_but_unreadable_payload_is_refused_as_malformed(tokens: ConfirmationTokens) -> None:
    body = b'{"v":1}'
    sig = tokens._sign(body)  # a payload we signed ourselves but that lacks fields
    with pytest.raises(TokenMalformed):
        tokens.verify(f"{b64(body)}.{b64(sig)}", "log_time", ARGS, FP)


def test_check_order_reports_the_tool_before_the_expiry(tokens: ConfirmationTokens, clock: Clock) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    clock.now = T0 + 10_000
    with pytest.raises(TokenWrongTool):
        tokens.verify(token, "other", ARGS, FP)
    with pytest.raises(TokenArgumentsChanged):
        tokens.verify(token, "log_time", {}, FP)
    with pytest.raises(TokenExpired):
        tokens.verify(token, "log_time", ARGS, "0" * 64)


def test_token_errors_are_value_errors_with_codes() -> None:
    assert issubclass(TokenError, ValueError)
    codes = {cls.code for cls in (TokenMalformed, TokenForged, TokenExpired, TokenReused, TokenWrongTool)}
    assert len(codes) == 5


def test_peek_reads_a_well_signed_payload_only(tokens: ConfirmationTokens, clock: Clock) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    clock.now = T0 + 10_000  # expired tokens can still be described in the audit log
    peeked = tokens.peek(token)
    assert peeked is not None
    assert peeked["tool"] == "log_time"
    assert peeked["fp"] == FP
    assert tokens.peek(token[:-2] + "AA") is None
    assert tokens.peek("garbage") is None


def test_non_positive_ttl_is_rejected() -> None:
    with pytest.raises(ValueError, match="positive"):
        ConfirmationTokens(ttl_seconds=0)


def test_fingerprint_is_sha256_of_canonical_json() -> None:
    value = {"b": [1, 2], "a": "ü"}
    assert fingerprint(value) == hashlib.sha256('{"a":"ü","b":[1,2]}'.encode()).hexdigest()
    assert fingerprint({"a": "ü", "b": [1, 2]}) == fingerprint(value)
