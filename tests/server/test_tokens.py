"""Confirmation tokens: one token authorises exactly one previewed call, and every attack is refused."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading

import pytest

import clockodo_mcp.server.tokens as tokens_module
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


def test_issued_token_redeems_once(tokens: ConfirmationTokens) -> None:
    issued = tokens.issue("log_time", ARGS, FP)
    assert issued.expires_at == dt.datetime.fromtimestamp(T0 + 600, dt.UTC)
    tokens.redeem(issued.token, "log_time", ARGS, FP)


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
    tokens.redeem(token, "log_time", {**ARGS, "confirm_token": token}, FP)


def test_argument_order_does_not_matter(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    tokens.redeem(token, "log_time", dict(reversed(list(ARGS.items()))), FP)


def test_reused_token_is_refused(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    tokens.redeem(token, "log_time", ARGS, FP)
    with pytest.raises(TokenReused) as info:
        tokens.redeem(token, "log_time", ARGS, FP)
    assert_says_nothing_changed(info.value)


def test_concurrent_redemptions_let_exactly_one_through(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            tokens.redeem(token, "log_time", ARGS, FP)
            outcomes.append("ok")
        except TokenReused:
            outcomes.append("reused")

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["reused"] * 7


def test_expired_token_is_refused(tokens: ConfirmationTokens, clock: Clock) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    clock.now = T0 + 600
    with pytest.raises(TokenExpired) as info:
        tokens.redeem(token, "log_time", ARGS, FP)
    assert "10 minutes" in str(info.value)
    assert_says_nothing_changed(info.value)


def test_token_just_before_expiry_is_accepted(tokens: ConfirmationTokens, clock: Clock) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    clock.now = T0 + 599
    tokens.redeem(token, "log_time", ARGS, FP)


def test_custom_ttl_is_honoured(clock: Clock) -> None:
    tokens = ConfirmationTokens(SECRET, ttl_seconds=30, now=clock)
    token = tokens.issue("log_time", ARGS, FP).token
    clock.now = T0 + 31
    with pytest.raises(TokenExpired, match="30 seconds"):
        tokens.redeem(token, "log_time", ARGS, FP)


def test_token_with_other_arguments_is_refused(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    with pytest.raises(TokenArgumentsChanged) as info:
        tokens.redeem(token, "log_time", {**ARGS, "hours": 30}, FP)
    assert_says_nothing_changed(info.value)


def test_token_for_another_tool_is_refused(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    with pytest.raises(TokenWrongTool) as info:
        tokens.redeem(token, "delete_entry", ARGS, FP)
    assert "log_time" in str(info.value)
    assert_says_nothing_changed(info.value)


def test_token_for_a_changed_target_is_refused_as_stale(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    changed = fingerprint({"entries": [{"id": 1, "billable": 2}]})
    with pytest.raises(TokenStale) as info:
        tokens.redeem(token, "log_time", ARGS, changed)
    assert "re-run log_time without confirm_token to get a fresh preview" in str(info.value).lower()
    assert_says_nothing_changed(info.value)


def test_refused_attempts_do_not_burn_the_token(tokens: ConfirmationTokens) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    with pytest.raises(TokenStale):
        tokens.redeem(token, "log_time", ARGS, "0" * 64)
    with pytest.raises(TokenArgumentsChanged):
        tokens.redeem(token, "log_time", {}, FP)
    tokens.redeem(token, "log_time", ARGS, FP)


def test_tampered_payload_is_refused_as_forged(tokens: ConfirmationTokens) -> None:
    body, sig = tokens.issue("log_time", ARGS, FP).token.split(".")
    payload = json.loads(unb64(body))
    payload["exp"] += 86_400
    with pytest.raises(TokenForged) as info:
        tokens.redeem(f"{b64(canonical_json(payload).encode())}.{sig}", "log_time", ARGS, FP)
    assert_says_nothing_changed(info.value)


def test_tampered_signature_is_refused_as_forged(tokens: ConfirmationTokens) -> None:
    body, sig = tokens.issue("log_time", ARGS, FP).token.split(".")
    raw = bytearray(unb64(sig))
    raw[0] ^= 1
    with pytest.raises(TokenForged):
        tokens.redeem(f"{body}.{b64(bytes(raw))}", "log_time", ARGS, FP)


def test_token_from_another_secret_is_refused_as_forged(clock: Clock) -> None:
    other = ConfirmationTokens(b"x" * 32, now=clock).issue("log_time", ARGS, FP).token
    with pytest.raises(TokenForged):
        ConfirmationTokens(SECRET, now=clock).redeem(other, "log_time", ARGS, FP)


def test_tokens_from_random_keys_do_not_survive_a_restart(clock: Clock) -> None:
    token = ConfirmationTokens(now=clock).issue("log_time", ARGS, FP).token
    with pytest.raises(TokenForged, match="CLOCKODO_MCP_SECRET"):
        ConfirmationTokens(now=clock).redeem(token, "log_time", ARGS, FP)


def test_same_env_secret_gives_tokens_that_work_across_instances(clock: Clock) -> None:
    env = {"CLOCKODO_MCP_SECRET": "correct horse battery staple"}
    token = ConfirmationTokens.from_env(env, now=clock).issue("log_time", ARGS, FP).token
    ConfirmationTokens.from_env(env, now=clock).redeem(token, "log_time", ARGS, FP)


def test_from_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    monkeypatch.setenv("CLOCKODO_MCP_SECRET", "s3cret")
    token = ConfirmationTokens.from_env(ttl_seconds=60, now=clock).issue("t", {}, FP).token
    ConfirmationTokens.from_env(now=clock).redeem(token, "t", {}, FP)
    monkeypatch.setenv("CLOCKODO_MCP_SECRET", "")
    with pytest.raises(TokenForged):
        ConfirmationTokens.from_env(now=clock).redeem(token, "t", {}, FP)


@pytest.mark.parametrize(
    "bad",
    ["", "no-dot", "a.b.c", "!!!.???", "eyJ9.c2ln", "e30." + "A" * 43, "   "],
)
def test_malformed_tokens_are_refused(tokens: ConfirmationTokens, bad: str) -> None:
    with pytest.raises((TokenMalformed, TokenForged)) as info:
        tokens.redeem(bad, "log_time", ARGS, FP)
    assert_says_nothing_changed(info.value)


def test_signed_but_unreadable_payload_is_refused_as_malformed(tokens: ConfirmationTokens) -> None:
    body = b'{"v":1}'
    sig = tokens._sign(body)  # a payload we signed ourselves but that lacks fields
    with pytest.raises(TokenMalformed):
        tokens.redeem(f"{b64(body)}.{b64(sig)}", "log_time", ARGS, FP)


def test_check_order_reports_the_tool_before_the_expiry(tokens: ConfirmationTokens, clock: Clock) -> None:
    token = tokens.issue("log_time", ARGS, FP).token
    clock.now = T0 + 10_000
    with pytest.raises(TokenWrongTool):
        tokens.redeem(token, "other", ARGS, FP)
    with pytest.raises(TokenArgumentsChanged):
        tokens.redeem(token, "log_time", {}, FP)
    with pytest.raises(TokenExpired):
        tokens.redeem(token, "log_time", ARGS, "0" * 64)


def test_token_errors_are_value_errors_with_codes() -> None:
    assert issubclass(TokenError, ValueError)
    codes = {cls.code for cls in (TokenMalformed, TokenForged, TokenExpired, TokenReused, TokenWrongTool)}
    assert len(codes) == 5


def test_burned_nonces_are_pruned_after_expiry(tokens: ConfirmationTokens, clock: Clock) -> None:
    for _ in range(5):
        tokens.redeem(tokens.issue("t", {}, FP).token, "t", {}, FP)
    assert len(tokens._burned) == 5
    clock.now = T0 + 601
    tokens.redeem(tokens.issue("t", {}, FP).token, "t", {}, FP)
    assert len(tokens._burned) == 1


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


def test_evicting_live_nonces_under_a_flood_refuses_their_tokens(
    tokens: ConfirmationTokens, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens_module, "_MAX_BURNED", 2)
    first = tokens.issue("t", {}, FP).token
    tokens.redeem(first, "t", {}, FP)
    clock.now += 1
    for _ in range(2):
        tokens.redeem(tokens.issue("t", {}, FP).token, "t", {}, FP)
    # The first nonce was evicted to stay bounded; its token must still not work a second time.
    with pytest.raises(TokenExpired):
        tokens.redeem(first, "t", {}, FP)
