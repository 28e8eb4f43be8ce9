"""Principals: bearer tokens kept only as hashes, Clockodo keys sealed to their row, and the `principals` commands."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from clockodo_mcp.cli import build_parser, main
from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.demo import WORKER_EMAIL, WORKER_KEY, seed
from clockodo_mcp.onboarding import Connection
from clockodo_mcp.principals import ENV_KEY, PrincipalsError, PrincipalsKey, issue_token, new_key, token_hash
from clockodo_mcp.principals_cli import Terminal, principals_command
from clockodo_mcp.store import open_store, sqlite_url

SECRET = "a-principals-key-for-these-tests-0123456789"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


# -- tokens and sealing ---------------------------------------------------------------------------------------


def test_a_token_is_recognisable_random_and_stored_only_as_its_sha256():
    first, second = issue_token(), issue_token()
    assert first.startswith("cmcp_")
    assert len(first) == len("cmcp_") + 43  # 256 bits, base64url
    assert first != second
    assert token_hash(first) == token_hash(first)
    assert len(token_hash(first)) == 64
    assert first not in token_hash(first)


def test_a_sealed_key_opens_for_its_own_principal_only():
    key = PrincipalsKey(SECRET)
    sealed = key.seal("anna", "anna@agency.example", "the-api-key")
    assert "the-api-key" not in sealed
    assert key.open("anna", "anna@agency.example", sealed) == "the-api-key"
    assert key.seal("anna", "anna@agency.example", "the-api-key") != sealed  # a fresh nonce every time
    with pytest.raises(PrincipalsError, match="belongs to another principal or e-mail"):
        key.open("bert", "anna@agency.example", sealed)  # moved to another row
    with pytest.raises(PrincipalsError, match="belongs to another principal or e-mail"):
        key.open("anna", "bert@agency.example", sealed)


def test_a_sealed_key_does_not_open_under_another_principals_key():
    sealed = PrincipalsKey(SECRET).seal("anna", "anna@agency.example", "the-api-key")
    with pytest.raises(PrincipalsError, match=f"sealed under another {ENV_KEY}") as error:
        PrincipalsKey(new_key()).open("anna", "anna@agency.example", sealed)
    assert SECRET not in str(error.value)


def test_an_altered_sealed_key_is_refused():
    key = PrincipalsKey(SECRET)
    sealed = key.seal("anna", "anna@agency.example", "the-api-key")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(PrincipalsError, match="altered"):
        key.open("anna", "anna@agency.example", flipped)
    with pytest.raises(PrincipalsError, match="not a sealed key"):
        key.open("anna", "anna@agency.example", "the-api-key")


def test_the_principals_key_must_be_set_and_long_enough():
    with pytest.raises(PrincipalsError, match=f"{ENV_KEY} is not set") as unset:
        PrincipalsKey.from_env({})
    assert "principals keygen" in str(unset.value)
    with pytest.raises(PrincipalsError, match="too short") as short:
        PrincipalsKey.from_env({ENV_KEY: "short-secret"})
    assert "short-secret" not in str(short.value)
    assert len(new_key()) == 43
    assert PrincipalsKey.from_env({ENV_KEY: new_key()}).kid


# -- the commands ---------------------------------------------------------------------------------------------


class Keyboard(io.StringIO):
    """stdin of an interactive terminal."""

    def isatty(self) -> bool:
        return True


def run(
    argv: list[str],
    *,
    stdin: io.StringIO | None = None,
    secret: str | None = None,
    connection: Connection | None = None,
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    asked: list[str] = []

    def ask_secret(prompt: str) -> str:
        asked.append(prompt)
        assert secret is not None, "asked for a key"
        return secret

    terminal = Terminal(stdin=stdin or io.StringIO(), out=out, err=err, ask_secret=ask_secret)
    args = build_parser().parse_args(["principals", *argv])
    code = principals_command(args, terminal, environ={ENV_KEY: SECRET}, connection=connection, clock=FrozenClock(NOW))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "store.sqlite3")


def token_in(text: str) -> str:
    (token,) = [word for word in text.split() if word.startswith("cmcp_")]
    return token


def test_add_prints_the_token_once_and_never_the_key(store_url):
    code, out, err = run(
        ["add", "anna", "--email", "anna@agency.example", "--api-key-stdin", "--store", store_url],
        stdin=io.StringIO("the-api-key\n"),
    )
    assert code == 0, err
    token = token_in(out)
    assert "the-api-key" not in out + err
    assert "Authorization: Bearer" in out
    (stored,) = open_store(store_url).list_principals()
    assert (stored.name, stored.api_user, stored.created_at) == ("anna", "anna@agency.example", NOW)
    assert stored.token_hash == token_hash(token)
    assert token not in stored.key_sealed
    assert PrincipalsKey(SECRET).open("anna", "anna@agency.example", stored.key_sealed) == "the-api-key"


def test_add_asks_for_the_key_hidden_on_a_terminal(store_url):
    code, out, _ = run(
        ["add", "anna", "--email", "anna@agency.example", "--store", store_url], stdin=Keyboard(), secret="typed-key"
    )
    assert code == 0
    (stored,) = open_store(store_url).list_principals()
    assert PrincipalsKey(SECRET).open("anna", "anna@agency.example", stored.key_sealed) == "typed-key"
    assert "typed-key" not in out


def test_add_without_a_key_source_stores_nothing(store_url):
    code, _, err = run(["add", "anna", "--email", "anna@agency.example", "--store", store_url])
    assert code == 1
    assert "--api-key-stdin" in err
    assert "Nothing was stored" in err
    assert open_store(store_url).list_principals() == []


def test_the_api_key_is_no_command_line_argument():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["principals", "add", "anna", "--email", "a@b.c", "--api-key", "secret"])


def test_add_refuses_a_taken_name_a_bad_name_and_a_bad_email(store_url):
    argv = ["add", "anna", "--email", "anna@agency.example", "--api-key-stdin", "--store", store_url]
    assert run(argv, stdin=io.StringIO("k\n"))[0] == 0
    code, _, err = run(argv, stdin=io.StringIO("k2\n"))
    assert code == 1
    assert "exists already" in err
    assert run(["add", "an na", "--email", "a@b.c", "--api-key-stdin", "--store", store_url])[0] == 1
    assert run(["add", "bert", "--email", "bert", "--api-key-stdin", "--store", store_url])[0] == 1
    assert [p.name for p in open_store(store_url).list_principals()] == ["anna"]


def test_add_with_check_asks_clockodo_first(store_url):
    fake = Connection(
        base_url="http://fake.clockodo.test/api",
        transport=httpx.ASGITransport(app=create_app(seed(seed=7), now=lambda: NOW)),
    )
    argv = ["add", "tom", "--email", WORKER_EMAIL, "--api-key-stdin", "--check", "--store", store_url]
    code, _, err = run(argv, stdin=io.StringIO("not-the-key\n"), connection=fake)
    assert code == 1
    assert "401" in err
    assert "Nothing was stored" in err
    assert open_store(store_url).list_principals() == []
    code, out, err = run(argv, stdin=io.StringIO(f"{WORKER_KEY}\n"), connection=fake)
    assert code == 0, err
    assert "Checked: Clockodo knows this key as" in err
    assert token_in(out)


def test_list_shows_names_emails_and_dates_but_no_hash_or_key(store_url):
    for name in ("bert", "anna"):
        run(
            ["add", name, "--email", f"{name}@agency.example", "--api-key-stdin", "--store", store_url],
            stdin=io.StringIO("the-api-key\n"),
        )
    stored = open_store(store_url).list_principals()
    code, out, _ = run(["list", "--store", store_url])
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["anna", "bert"]
    assert "anna@agency.example" in out
    code, listed, _ = run(["list", "--json", "--store", store_url])
    rows: list[dict[str, Any]] = json.loads(listed)
    assert rows[0] == {"name": "anna", "email": "anna@agency.example", "created_at": NOW.isoformat()}
    for principal in stored:
        assert principal.token_hash not in out + listed
        assert principal.key_sealed not in out + listed


def test_remove_refuses_the_token_in_the_store_at_once(store_url):
    _, out, _ = run(
        ["add", "anna", "--email", "anna@agency.example", "--api-key-stdin", "--store", store_url],
        stdin=io.StringIO("k\n"),
    )
    token = token_in(out)
    assert open_store(store_url).find_principal(token_hash(token)) is not None
    code, out, _ = run(["remove", "anna", "--store", store_url])
    assert code == 0
    assert "refused from the next request on" in out
    assert open_store(store_url).find_principal(token_hash(token)) is None
    code, _, err = run(["remove", "anna", "--store", store_url])
    assert code == 1
    assert "no principal 'anna'" in err


def test_keygen_prints_a_usable_key():
    code, out, err = run(["keygen"])
    assert code == 0
    assert PrincipalsKey(out.strip()).kid
    assert ENV_KEY in err


def test_add_without_the_principals_key_says_which_variable(store_url, capsys, monkeypatch):
    monkeypatch.delenv(ENV_KEY, raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("k\n"))
    code = main(["principals", "add", "anna", "--email", "a@b.example", "--api-key-stdin", "--store", store_url])
    assert code == 2
    assert f"{ENV_KEY} is not set" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["serve", "--principals"], "needs --transport http"),
        (["serve", "--transport", "sse", "--principals"], "needs --transport http"),
        (["serve", "--transport", "http", "--principals", "--auth-token", "t" * 32], "exclude each other"),
        (["serve", "--transport", "http", "--principals", "--demo"], "not the demo"),
    ],
)
def test_serve_refuses_principals_where_they_cannot_work(argv, expected, capsys):
    assert main(argv) == 2
    assert expected in capsys.readouterr().err


def test_the_principals_environment_variable_turns_principals_on(capsys, monkeypatch):
    monkeypatch.setenv("CLOCKODO_MCP_PRINCIPALS", "1")
    assert main(["serve", "--transport", "stdio"]) == 2
    assert "needs --transport http" in capsys.readouterr().err
