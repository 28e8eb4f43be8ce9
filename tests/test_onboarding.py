"""login, logout and doctor against the fake Clockodo (in process), with an in-memory keyring."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from clockodo_mcp.audit import AuditLog
from clockodo_mcp.cli import main
from clockodo_mcp.clock import FrozenClock
from clockodo_mcp.credentials import keyring_read, keyring_store
from clockodo_mcp.fake.app import create_app
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY, WORKER_EMAIL, WORKER_KEY, seed
from clockodo_mcp.onboarding import Connection, Diagnosis, audit_check, diagnose, doctor, login, logout
from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.config import ConfigError, ServerConfig, config_from_env
from clockodo_mcp.server.runtime import Runtime

BASE_URL = "http://fake.test/api"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def frozen_now() -> datetime:
    return NOW


pytestmark = pytest.mark.usefixtures("memory_keyring")


@pytest.fixture(scope="module")
def dataset() -> Any:
    return seed(seed=7, today=date(2026, 11, 24))


@pytest.fixture
def transport(dataset: Any) -> httpx.AsyncBaseTransport:
    return httpx.ASGITransport(app=create_app(dataset, now=frozen_now))


@pytest.fixture
def fake(transport: httpx.AsyncBaseTransport) -> Connection:
    return Connection(base_url=BASE_URL, transport=transport)


class Unreachable(httpx.AsyncBaseTransport):
    """A network where Clockodo never answers."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


class Broken(httpx.AsyncBaseTransport):
    """A Clockodo that answers every request with a server error."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = {"error": {"message": "Internal error"}}
        return httpx.Response(500, json=body, request=request)


class Answers:
    """Scripted answers to prompts; remembers what was asked."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.asked.append(prompt)
        return self.answers.pop(0)


def no_terminal(prompt: str) -> str:
    raise EOFError


def run_login(connection: Connection, email: str, key: str, **kwargs: Any) -> tuple[int, str, str, Answers, Answers]:
    out, err = io.StringIO(), io.StringIO()
    ask, ask_secret = Answers(email), Answers(key)
    code = login(connection=connection, ask=ask, ask_secret=ask_secret, out=out, err=err, **kwargs)
    return code, out.getvalue(), err.getvalue(), ask, ask_secret


# -- login ----------------------------------------------------------------------------------------------------------


def test_login_checks_the_key_with_clockodo_and_stores_it_in_the_keyring(fake):
    code, out, err, _, ask_secret = run_login(fake, OWNER_EMAIL, OWNER_KEY)
    assert code == 0, err
    assert keyring_read() == (OWNER_EMAIL, OWNER_KEY)
    assert "Logged in to Clockodo as Olivia Brandt <owner@demo.example>, owner" in out
    assert '"args": [\n        "serve"\n      ]' in out  # the client snippet, which carries no secret
    assert OWNER_KEY not in out + err
    assert "input hidden" in ask_secret.asked[0]


def test_login_trims_what_was_pasted(fake):
    code, _, _, _, _ = run_login(fake, f"  {OWNER_EMAIL} ", f"{OWNER_KEY}\n")
    assert code == 0
    assert keyring_read() == (OWNER_EMAIL, OWNER_KEY)


def test_login_with_the_email_as_a_flag_only_asks_for_the_key(fake):
    out, err = io.StringIO(), io.StringIO()
    ask = Answers()
    code = login(connection=fake, api_user=OWNER_EMAIL, ask=ask, ask_secret=Answers(OWNER_KEY), out=out, err=err)
    assert code == 0
    assert ask.asked == []


def test_login_with_a_wrong_key_stores_nothing_and_says_so(fake, memory_keyring):
    keyring_store("earlier@example.com", "earlier-key-1")
    before = dict(memory_keyring.passwords)
    code, out, err, _, _ = run_login(fake, OWNER_EMAIL, "wrong-key-123")
    assert code == 1
    assert memory_keyring.passwords == before
    assert "rejected this e-mail and API key (401 Unauthorized). Nothing was stored." in err
    assert "Personal data" in err
    assert "wrong-key-123" not in out + err


def test_login_when_clockodo_is_unreachable_stores_nothing_and_names_the_url():
    code, _, err, _, _ = run_login(Connection(BASE_URL, Unreachable()), OWNER_EMAIL, OWNER_KEY)
    assert code == 1
    assert keyring_read() is None
    assert f"Could not reach Clockodo at {BASE_URL} (ConnectError: connection refused). Nothing was stored." in err


def test_login_when_clockodo_fails_stores_nothing_and_says_so():
    code, _, err, _, _ = run_login(Connection(BASE_URL, Broken()), OWNER_EMAIL, OWNER_KEY)
    assert code == 1
    assert keyring_read() is None
    assert "Clockodo did not confirm the credentials" in err
    assert err.rstrip().endswith("Nothing was stored.")


@pytest.mark.usefixtures("no_keyring")
def test_login_without_a_keyring_backend_says_so_before_asking_and_shows_the_environment_alternative(fake):
    code, _, err, ask, ask_secret = run_login(fake, OWNER_EMAIL, OWNER_KEY)
    assert code == 1
    assert ask.asked == []
    assert ask_secret.asked == []
    assert "No system keyring is available on this machine" in err
    assert "export CLOCKODO_API_USER=" in err
    assert "CLOCKODO_API_KEY" in err


def test_login_without_a_terminal_stores_nothing_and_points_to_the_environment(fake):
    err = io.StringIO()
    code = login(connection=fake, ask=no_terminal, ask_secret=no_terminal, out=io.StringIO(), err=err)
    assert code == 1
    assert keyring_read() is None
    assert "needs an interactive terminal" in err.getvalue()


@pytest.mark.parametrize(("email", "key", "message"), [("", OWNER_KEY, "No e-mail"), (OWNER_EMAIL, "  ", "No API key")])
def test_login_with_an_empty_answer_stores_nothing(fake, email, key, message):
    code, _, err, _, _ = run_login(fake, email, key)
    assert code == 1
    assert message in err
    assert keyring_read() is None


def test_login_with_something_that_is_not_an_email_stores_nothing(fake):
    code, _, err, _, _ = run_login(fake, "not-an-email", OWNER_KEY)
    assert code == 1
    assert "Nothing was stored" in err
    assert keyring_read() is None


# -- logout ---------------------------------------------------------------------------------------------------------


def test_logout_removes_the_stored_credentials(memory_keyring):
    keyring_store(OWNER_EMAIL, OWNER_KEY)
    out = io.StringIO()
    assert logout(env={}, out=out) == 0
    assert memory_keyring.passwords == {}
    assert f"Removed the stored Clockodo credentials for {OWNER_EMAIL}" in out.getvalue()


def test_logout_with_nothing_stored_says_there_was_nothing_to_remove():
    out = io.StringIO()
    assert logout(env={}, out=out) == 0
    assert "nothing to remove" in out.getvalue()


def test_logout_warns_that_an_environment_key_stays_in_use():
    keyring_store(OWNER_EMAIL, OWNER_KEY)
    out = io.StringIO()
    assert logout(env={"CLOCKODO_API_KEY": "env-key-123"}, out=out) == 0
    assert "CLOCKODO_API_KEY is still set" in out.getvalue()


@pytest.mark.usefixtures("no_keyring")
def test_logout_without_a_keyring_backend_fails_and_says_why():
    err = io.StringIO()
    assert logout(env={}, out=io.StringIO(), err=err) == 1
    assert "no system keyring is available" in err.getvalue()


# -- doctor ---------------------------------------------------------------------------------------------------------


def config(tmp_path: Path, **values: Any) -> ServerConfig:
    settings: dict[str, Any] = {
        "api_user": OWNER_EMAIL,
        "api_key": OWNER_KEY,
        "credential_source": "system keyring",
        "base_url": BASE_URL,
        "audit_path": tmp_path / "audit.jsonl",
    }
    return ServerConfig(**(settings | values))


async def run_doctor(settings: ServerConfig, transport: httpx.AsyncBaseTransport, now: Any = frozen_now) -> Diagnosis:
    return await diagnose(lambda: settings, transport=transport, now=now)


def by_name(diagnosis: Diagnosis) -> dict[str, Any]:
    return {check.name: check for check in diagnosis.checks}


async def test_doctor_passes_every_check_for_a_working_setup(tmp_path, transport):
    diagnosis = await run_doctor(config(tmp_path), transport)
    checks = by_name(diagnosis)
    assert diagnosis.ok
    assert [c.name for c in diagnosis.checks] == [
        "configuration",
        "credentials",
        "connection",
        "routes",
        "time zone",
        "clock",
        "audit log",
        "store",
    ]
    assert {c.status for c in diagnosis.checks} == {"ok"}
    assert checks["credentials"].detail == f"{OWNER_EMAIL} from system keyring (key not shown)"
    assert "logged in as Olivia Brandt" in checks["connection"].detail
    assert checks["routes"].detail.startswith("11 of 11 reachable")
    assert checks["time zone"].detail.startswith("Europe/Berlin from your Clockodo user")
    assert "agrees with Clockodo" in checks["clock"].detail
    assert "no records yet" in checks["audit log"].detail
    assert "not created yet" in checks["store"].detail


async def test_doctor_never_shows_the_key(tmp_path, transport):
    diagnosis = await run_doctor(config(tmp_path), transport)
    assert OWNER_KEY not in diagnosis.as_text()
    assert OWNER_KEY not in json.dumps(diagnosis.as_json())


async def test_doctor_with_a_revoked_key_fails_and_says_to_log_in_again(tmp_path, transport):
    diagnosis = await run_doctor(config(tmp_path, api_key="revoked-key-1"), transport)
    checks = by_name(diagnosis)
    assert not diagnosis.ok
    assert checks["connection"].status == "problem"
    assert "rejected the credentials from system keyring (401)" in checks["connection"].detail
    assert "clockodo-mcp login" in checks["connection"].fix
    assert [checks[n].status for n in ("routes", "time zone", "clock")] == ["skipped"] * 3
    assert checks["audit log"].status == "ok"


async def test_doctor_when_clockodo_is_unreachable_names_the_url_and_the_fix(tmp_path):
    diagnosis = await run_doctor(config(tmp_path), Unreachable())
    connection = by_name(diagnosis)["connection"]
    assert connection.status == "problem"
    assert connection.detail == f"could not reach Clockodo at {BASE_URL}: ConnectError: connection refused"
    assert "CLOCKODO_BASE_URL" in connection.fix


async def test_doctor_when_clockodo_answers_with_errors_says_so(tmp_path):
    connection = by_name(await run_doctor(config(tmp_path), Broken()))["connection"]
    assert connection.status == "problem"
    assert "did not answer GET /v4/users/me properly" in connection.detail
    assert "--base-url" in connection.fix


async def test_doctor_without_credentials_says_to_log_in(tmp_path, transport):
    diagnosis = await run_doctor(config(tmp_path, api_user="", api_key="", credential_source="none"), transport)
    credentials = by_name(diagnosis)["credentials"]
    assert credentials.status == "problem"
    assert "clockodo-mcp login" in credentials.fix
    assert by_name(diagnosis)["connection"].status == "skipped"


@pytest.mark.usefixtures("no_keyring")
async def test_doctor_without_credentials_or_keyring_points_to_the_environment(tmp_path, transport):
    diagnosis = await run_doctor(config(tmp_path, api_user="", api_key="", credential_source="none"), transport)
    credentials = by_name(diagnosis)["credentials"]
    assert "no system keyring on this machine" in credentials.detail
    assert credentials.fix.startswith("set CLOCKODO_API_USER and CLOCKODO_API_KEY")


async def test_doctor_warns_but_passes_when_the_user_lacks_rights_for_some_routes(tmp_path, transport):
    diagnosis = await run_doctor(config(tmp_path, api_user=WORKER_EMAIL, api_key=WORKER_KEY), transport)
    routes = by_name(diagnosis)["routes"]
    assert diagnosis.ok
    assert routes.status == "warning"
    assert "/v4/rates (hourly rates)" in routes.detail


async def test_doctor_flags_a_route_that_does_not_exist_behind_the_base_url(tmp_path, dataset):
    app = create_app(dataset, now=frozen_now)

    async def old_api(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/v4/rates"):
            scope = {**scope, "path": "/api/v4/gone"}
        await app(scope, receive, send)

    diagnosis = await run_doctor(config(tmp_path), httpx.ASGITransport(app=old_api))
    routes = by_name(diagnosis)["routes"]
    assert routes.status == "problem"
    assert "/v4/rates (hourly rates): not found" in routes.detail
    assert "base URL" in routes.fix


@pytest.mark.parametrize(
    ("offset", "status"),
    [(timedelta(seconds=20), "ok"), (timedelta(minutes=2), "warning"), (-timedelta(minutes=10), "problem")],
)
async def test_doctor_measures_the_clock_skew_against_clockodos_current_time(tmp_path, transport, offset, status):
    diagnosis = await run_doctor(config(tmp_path), transport, now=lambda: NOW + offset)
    clock = by_name(diagnosis)["clock"]
    assert clock.status == status
    direction = "ahead of" if offset > timedelta(0) else "behind"
    assert f"{abs(offset.total_seconds()):.0f} s {direction} Clockodo's (2026-11-24T15:00:00Z)" in clock.detail
    assert (clock.fix is None) == (status == "ok")


async def test_doctor_reports_a_configured_time_zone_and_refuses_an_unknown_one(tmp_path, transport):
    good = by_name(await run_doctor(config(tmp_path, timezone="America/New_York"), transport))["time zone"]
    assert good.status == "ok"
    assert good.detail.startswith("America/New_York from configuration")
    bad = by_name(await run_doctor(config(tmp_path, timezone="Mars/Olympus"), transport))["time zone"]
    assert bad.status == "problem"
    assert "IANA" in bad.fix


async def test_doctor_reports_a_configuration_error_with_its_fix(transport):
    def broken() -> ServerConfig:
        return config_from_env({"CLOCKODO_MCP_CONFIRM": "maybe"})

    diagnosis = await diagnose(broken, transport=transport)
    assert not diagnosis.ok
    assert diagnosis.checks[0].name == "configuration"
    assert "CLOCKODO_MCP_CONFIRM='maybe'" in diagnosis.checks[0].detail


def test_the_audit_check_verifies_the_chain_and_detects_tampering(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for n in range(3):
        log.append({"kind": "intent", "tool": "report_hours", "args": {"n": n}})
    path.chmod(0o600)
    assert audit_check(path).status == "ok"
    assert "3 records, chain intact" in audit_check(path).detail
    path.write_text(path.read_text().replace('"n":1', '"n":7'))
    tampered = audit_check(path)
    assert tampered.status == "problem"
    assert "does not verify at seq 2" in tampered.detail
    assert "audit repair --start-new" in tampered.fix


def test_the_audit_check_warns_about_a_log_other_users_can_read(tmp_path):
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append({"kind": "intent", "tool": "lookup"})
    path.chmod(0o644)
    check = audit_check(path)
    assert check.status == "warning"
    assert f"chmod 600 {path}" in check.fix


def test_the_audit_check_refuses_a_directory_where_the_log_should_be(tmp_path):
    (tmp_path / "audit.jsonl").mkdir()
    check = audit_check(tmp_path / "audit.jsonl")
    assert check.status == "problem"
    assert "CLOCKODO_MCP_AUDIT_LOG" in check.fix


def test_the_doctor_prints_text_with_fixes_and_exits_non_zero_on_a_problem(tmp_path, transport):
    out = io.StringIO()
    code = doctor(lambda: config(tmp_path, api_key="revoked-key-1"), transport=transport, now=frozen_now, out=out)
    text = out.getvalue()
    assert code == 1
    assert "PROBLEM  connection" in text
    assert "fix: run `clockodo-mcp login` again" in text
    assert "1 problem(s)" in text


def test_the_doctor_prints_json(tmp_path, transport):
    out = io.StringIO()
    code = doctor(lambda: config(tmp_path), as_json=True, transport=transport, now=frozen_now, out=out)
    report = json.loads(out.getvalue())
    assert code == 0
    assert report["ok"] is True
    assert {c["name"]: c["status"] for c in report["checks"]}["routes"] == "ok"


def test_the_doctor_command_checks_the_demo_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CLOCKODO_MCP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    assert main(["doctor", "--demo", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [c["status"] for c in report["checks"]] == ["ok"] * 8


def test_the_doctor_command_without_credentials_exits_non_zero(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CLOCKODO_MCP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    monkeypatch.delenv("CLOCKODO_API_USER", raising=False)
    monkeypatch.delenv("CLOCKODO_API_KEY", raising=False)
    assert main(["doctor"]) == 1
    assert "PROBLEM  credentials" in capsys.readouterr().out


def test_the_logout_command_removes_stored_credentials(monkeypatch, capsys):
    monkeypatch.delenv("CLOCKODO_API_KEY", raising=False)
    keyring_store(OWNER_EMAIL, OWNER_KEY)
    assert main(["logout"]) == 0
    assert keyring_read() is None


def test_the_login_command_without_a_terminal_fails_cleanly(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # what CI and a pipe give: end of input at once
    monkeypatch.setenv("CLOCKODO_BASE_URL", "http://127.0.0.1:9/api")
    assert main(["login"]) == 1
    assert "needs an interactive terminal" in capsys.readouterr().err


# -- serve time -----------------------------------------------------------------------------------------------------


async def test_a_key_revoked_while_serving_gives_a_tool_error_that_says_to_log_in(tmp_path, transport):
    settings = config(tmp_path, api_key="revoked-key-1")
    runtime = Runtime(settings, transport=transport, clock=FrozenClock(NOW))
    async with Client(build_server(runtime)) as client:
        result = await client.call_tool("report_hours", {"period": "this_month"})
    assert result.is_error
    text = " ".join(getattr(block, "text", "") for block in result.content)
    assert "clockodo-mcp login" in text
    assert "revoked-key-1" not in text


def test_serving_without_any_credentials_is_refused_with_the_login_hint(monkeypatch):
    from clockodo_mcp.cli import make_runtime

    with pytest.raises(ConfigError, match="clockodo-mcp login"):
        make_runtime(ServerConfig())
