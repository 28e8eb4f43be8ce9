"""What users install: the wheel in a fresh venv, server.json for the registry, the Claude Desktop bundle, the image.

The slow tests build for real (`python -m build`, `scripts/build_mcpb.sh`) and run the result outside the repository.
Each builds once per run (one xdist group each). Tools they need (npx, uv, hadolint) are installed by `.ci/run`
and the test extra; outside CI a missing one skips, under CI=true a skip fails the run (tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tomllib
import venv
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from dockerfile_parse import DockerfileParser
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from clockodo_mcp import __version__
from clockodo_mcp.clients import REPOSITORY
from clockodo_mcp.fake.demo import OWNER_EMAIL, OWNER_KEY
from clockodo_mcp.server.config import DEFAULT_BASE_URL
from clockodo_mcp.server.registry import DEFAULT_TOOLSETS, selected_tools
from clockodo_mcp.server.views import APP_ONLY_TOOLS

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SERVER_JSON = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
MANIFEST = json.loads((ROOT / "bundle" / "manifest.json").read_text(encoding="utf-8"))
SCHEMA_PATH = ROOT / "tests" / "data" / "registry" / "server.schema.json"
SCHEMA_SHA256 = "3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0"
TODAY = "2026-12-01"
QUESTION = {"period": "this_month", "billing": "unbilled"}


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def tool_or_skip(name: str) -> str:
    """The tool's path (on PATH or beside this Python); a skip outside CI, a failure under CI."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        if in_ci():
            pytest.fail(f"{name} is not installed; .ci/run must install it")
        pytest.skip(f"{name} is not installed")
    return found


def quiet_env(tmp: Path, **extra: str) -> dict[str, str]:
    """A child's environment: no keyring, no repository on sys.path, its own data directory and store."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return env | _private(tmp) | extra


def repo_env(tmp: Path, **extra: str) -> dict[str, str]:
    """Like quiet_env, for a child that runs this checkout's code (`python -m clockodo_mcp`)."""
    return quiet_env(tmp, PYTHONPATH=str(ROOT), **extra)


def _private(tmp: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    env |= {
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "HOME": str(tmp / "home"),
        "XDG_DATA_HOME": str(tmp / "home" / "data"),
        "CLOCKODO_MCP_AUDIT_LOG": str(tmp / "audit.jsonl"),
        "CLOCKODO_MCP_STORE": f"sqlite:///{(tmp / 'store.sqlite3').as_posix().lstrip('/')}",
        "CLOCKODO_MCP_TODAY": TODAY,
        "PYTHONIOENCODING": "utf-8",
    }
    return env


async def answers_a_question(params: StdioServerParameters, question: dict[str, Any] = QUESTION) -> dict[str, Any]:
    """Start the server as a client would, over stdio, and ask for unbilled hours (this month by default)."""
    async with Client(params) as client:
        result = await client.call_tool("report_hours", question)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


# --- server.json: the MCP registry entry ----------------------------------------------------------------------------


def test_the_vendored_registry_schema_is_the_pinned_file():
    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert SERVER_JSON["$schema"] == schema["$id"]


def test_server_json_is_valid_against_the_registry_schema():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(SERVER_JSON), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_the_registry_schema_catches_a_description_over_100_characters():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError, match="is too long"):
        jsonschema.validate({**SERVER_JSON, "description": "x" * 101}, schema)


def test_server_json_offers_pypi_over_stdio_and_the_bundle_at_this_version():
    packages = {p["registryType"]: p for p in SERVER_JSON["packages"]}
    assert set(packages) == {"pypi", "mcpb"}
    assert SERVER_JSON["version"] == PROJECT["version"] == __version__ == MANIFEST["version"]
    pypi, mcpb = packages["pypi"], packages["mcpb"]
    assert pypi["identifier"] == PROJECT["name"]
    assert pypi["version"] == PROJECT["version"]
    assert pypi["transport"] == {"type": "stdio"}
    assert [a["value"] for a in pypi["packageArguments"]] == ["serve"]
    assert mcpb["identifier"] == f"{REPOSITORY}/releases/download/v{PROJECT['version']}/clockodo-mcp.mcpb"
    assert mcpb["transport"] == {"type": "stdio"}
    assert len(SERVER_JSON["description"]) <= 100


def test_server_json_marks_the_api_key_secret_and_nothing_else():
    variables = {v["name"]: v for v in SERVER_JSON["packages"][0]["environmentVariables"]}
    assert {name for name, v in variables.items() if v["isSecret"]} == {"CLOCKODO_API_KEY"}
    assert variables["CLOCKODO_API_USER"]["isRequired"]
    assert variables["CLOCKODO_BASE_URL"]["default"] == DEFAULT_BASE_URL


def test_the_repository_address_agrees_everywhere():
    owner, repo = REPOSITORY.removeprefix("https://github.com/").split("/")
    assert SERVER_JSON["name"] == f"io.github.{owner}/{repo}"
    assert SERVER_JSON["repository"]["url"] == REPOSITORY
    assert PROJECT["urls"]["Source"] == REPOSITORY
    assert MANIFEST["repository"]["url"] == REPOSITORY


# --- the Claude Desktop bundle's manifest -------------------------------------------------------------------------


def test_the_bundle_is_a_manifest_0_4_uv_server():
    assert MANIFEST["manifest_version"] == "0.4"
    assert MANIFEST["server"]["type"] == "uv"
    assert MANIFEST["server"]["entry_point"] == "server/main.py"
    assert (ROOT / "bundle" / "main.py").is_file()
    assert MANIFEST["compatibility"]["runtimes"]["python"] == PROJECT["requires-python"]


def test_the_bundle_asks_for_the_e_mail_the_secret_key_and_the_base_url():
    options = MANIFEST["user_config"]
    assert set(options) == {"api_user", "api_key", "base_url"}
    assert options["api_key"]["sensitive"] is True
    assert options["api_user"]["required"]
    assert options["api_key"]["required"]
    assert options["base_url"]["default"] == DEFAULT_BASE_URL
    assert MANIFEST["server"]["mcp_config"]["env"] == {
        "CLOCKODO_API_USER": "${user_config.api_user}",
        "CLOCKODO_API_KEY": "${user_config.api_key}",
        "CLOCKODO_BASE_URL": "${user_config.base_url}",
    }
    assert MANIFEST["privacy_policies"]
    assert all(url.startswith("https://") for url in MANIFEST["privacy_policies"])


def test_the_bundle_lists_exactly_the_served_tools():
    served = [
        {"name": s.name, "description": s.description.split("\n", 1)[0]}
        for s in selected_tools(read_only=False, toolsets=frozenset(DEFAULT_TOOLSETS))  # no mirror in the bundle
        if s.name not in APP_ONLY_TOOLS  # the confirmation view's buttons, never offered to the model
    ]
    assert MANIFEST["tools"] == served, "Copy the tools' names and first description lines into bundle/manifest.json"


# --- the Dockerfile -------------------------------------------------------------------------------------------------

DOCKERFILE = ROOT / "Dockerfile"


def final_stage() -> list[dict[str, Any]]:
    structure: list[dict[str, Any]] = DockerfileParser(str(DOCKERFILE)).structure
    starts = [i for i, item in enumerate(structure) if item["instruction"] == "FROM"]
    return structure[starts[-1] :]


def instruction(stage: list[dict[str, Any]], name: str) -> str:
    values = [item["value"] for item in stage if item["instruction"] == name]
    assert len(values) == 1, f"expected one {name}, found {values}"
    return str(values[0])


def test_the_image_is_slim_python_and_runs_as_a_non_root_user():
    stage = final_stage()
    assert instruction(stage, "FROM").startswith("python:3.11-slim")
    user = instruction(stage, "USER").split(":")[0]
    assert user not in ("root", "0")


def test_the_image_serves_streamable_http_beyond_loopback():
    command = json.loads(instruction(final_stage(), "CMD"))
    assert command[:4] == ["clockodo-mcp", "serve", "--transport", "http"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert instruction(final_stage(), "EXPOSE") == command[command.index("--port") + 1]


def healthcheck_command() -> list[str]:
    value = instruction(final_stage(), "HEALTHCHECK")
    command: list[str] = json.loads(value[value.index("CMD") + len("CMD") :])
    return command


def test_the_dockerignore_lets_in_exactly_what_the_build_copies():
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    copied: set[str] = set()
    for item in DockerfileParser(str(DOCKERFILE)).structure:
        if item["instruction"] == "COPY" and "--from" not in item["value"]:
            copied |= {part.rstrip("/") for part in item["value"].split()[:-1]}
    allowed = {line.removeprefix("!").rstrip("/") for line in ignore if line.startswith("!")}
    assert ignore[ignore.index("**")] == "**"
    assert copied == allowed


def test_hadolint_finds_nothing_in_the_dockerfile():
    hadolint = tool_or_skip("hadolint")
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def until(proc: subprocess.Popen[bytes], condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` while `proc` runs (waiting on the process, not sleeping); it must not exit first."""
    for _ in range(600):
        if condition():
            return
        try:
            proc.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"the process exited ({proc.returncode}) before {what}")
    raise AssertionError(f"gave up waiting until {what}")


@contextmanager
def running(command: list[str], env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_the_image_s_command_starts_and_its_healthcheck_sees_it(tmp_path):
    """The CMD as the image runs it (plus --demo: no account here), and the HEALTHCHECK against it."""
    command = json.loads(instruction(final_stage(), "CMD"))
    port = free_port()
    command[command.index("--port") + 1] = str(port)
    command = [sys.executable, "-m", "clockodo_mcp", *command[1:], "--demo"]
    health = [part.replace("8765", str(port)) for part in healthcheck_command()]
    health[0] = sys.executable
    env = repo_env(tmp_path, CLOCKODO_MCP_ALLOWED_HOSTS=f"mcp.example.com:{port}", CLOCKODO_MCP_HTTP_TOKEN="t" * 32)
    assert subprocess.run(health, env=env, timeout=30, check=False).returncode == 1  # nothing listens yet
    with running(command, env, tmp_path) as server:
        until(server, lambda: subprocess.run(health, env=env, timeout=30, check=False).returncode == 0, "healthy")


def test_the_image_s_command_refuses_to_start_without_a_token(tmp_path):
    command = json.loads(instruction(final_stage(), "CMD"))
    env = repo_env(tmp_path, CLOCKODO_MCP_ALLOWED_HOSTS="mcp.example.com:8765")
    env.pop("CLOCKODO_MCP_HTTP_TOKEN", None)
    args = [sys.executable, "-m", "clockodo_mcp", *command[1:], "--demo"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path)
    assert done.returncode == 2
    assert "a bearer token" in done.stderr


# --- the wheel and the sdist, installed for real ------------------------------------------------------------------


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m build`: the wheel and the sdist, once per run."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the repository with only the built wheel (and its dependencies) installed."""
    place = tmp_path_factory.mktemp("fresh")
    venv.create(place / "venv", with_pip=True)
    python = place / "venv" / "bin" / "python"
    wheel = next(dist.glob("*.whl"))
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=place,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return place / "venv"


WHEEL = pytest.mark.xdist_group("wheel")


@pytest.mark.slow
@WHEEL
def test_the_wheel_holds_the_package_and_no_tests(dist):
    wheel = next(dist.glob("*.whl"))
    assert wheel.name == f"clockodo_mcp-{__version__}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert "clockodo_mcp/py.typed" in names
    assert "clockodo_mcp/cli.py" in names
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "clockodo-mcp = clockodo_mcp.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.slow
@WHEEL
def test_the_sdist_can_rebuild_everything_a_release_needs(dist):
    sdist = next(dist.glob("*.tar.gz"))
    import tarfile

    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "server.json", "bundle/manifest.json"):
        assert needed in names
    assert not [n for n in names if "__pycache__" in n or n.startswith(".venv")]


@pytest.mark.slow
@WHEEL
def test_the_installed_command_runs_outside_the_repository(installed, tmp_path):
    python = installed / "bin" / "python"
    where = subprocess.run(
        [str(python), "-c", "import clockodo_mcp; print(clockodo_mcp.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=quiet_env(tmp_path),
        timeout=60,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(installed)
    done = subprocess.run(
        [str(installed / "bin" / "clockodo-mcp"), "demo", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=quiet_env(tmp_path),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "usage: clockodo-mcp demo" in done.stdout


@pytest.mark.slow
@WHEEL
def test_the_installed_doctor_reports_json(installed, tmp_path):
    done = subprocess.run(
        [str(installed / "bin" / "clockodo-mcp"), "doctor", "--json", "--demo"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=quiet_env(tmp_path),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert report["version"] == __version__


@pytest.mark.slow
@WHEEL
async def test_the_installed_server_answers_a_tool_call_over_stdio(installed, tmp_path):
    params = StdioServerParameters(
        command=str(installed / "bin" / "clockodo-mcp"),
        args=["serve", "--demo"],
        env=quiet_env(tmp_path),
        cwd=str(tmp_path),
    )
    answer = await answers_a_question(params)
    assert answer["total_hours"] > 0
    assert "(2026-12-01 – 2026-12-31)" in answer["summary"]


# --- the Claude Desktop bundle, built, unpacked and started as the host does ---------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`scripts/build_mcpb.sh` (mcpb validate + pack through npx), unpacked: the directory the host installs."""
    tool_or_skip("npx")
    out = tmp_path_factory.mktemp("mcpb") / "clockodo-mcp.mcpb"
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build_mcpb.sh"), str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    if not out.exists():
        if in_ci():
            pytest.fail(f"the bundle was not built: {done.stdout}")
        pytest.skip(done.stdout.strip())
    assert "Manifest schema validation passes!" in done.stdout
    unpacked = out.parent / "installed"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(unpacked)
    return unpacked


def substitute(value: str, dirname: Path, user_config: dict[str, str]) -> str:
    """The host's variable substitution: ${__dirname} and ${user_config.KEY}."""
    value = value.replace("${__dirname}", str(dirname))
    for key, given in user_config.items():
        value = value.replace(f"${{user_config.{key}}}", given)
    return value


BUNDLE = pytest.mark.xdist_group("bundle")


@pytest.mark.slow
@BUNDLE
def test_the_bundle_carries_sources_and_dependencies_list_but_no_environment(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == MANIFEST
    assert (bundle / manifest["server"]["entry_point"]).is_file()
    assert (bundle / "server" / "clockodo_mcp" / "cli.py").is_file()
    project = tomllib.loads((bundle / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["dependencies"] == PROJECT["dependencies"]
    assert not (bundle / "server" / "lib").exists()
    assert not (bundle / ".venv").exists()
    assert not list(bundle.rglob("__pycache__"))


@pytest.mark.slow
@BUNDLE
async def test_the_bundle_starts_as_the_manifest_says_with_the_user_s_settings(bundle, tmp_path):
    """The host substitutes user_config into mcp_config and runs it; here against the fake Clockodo, over HTTP."""
    uv = tool_or_skip("uv")
    port = free_port()
    fake = [sys.executable, "-m", "clockodo_mcp", "fake-server", "--port", str(port), "--today", TODAY]
    user_config = {"api_user": OWNER_EMAIL, "api_key": OWNER_KEY, "base_url": f"http://127.0.0.1:{port}/api"}
    config = MANIFEST["server"]["mcp_config"]
    command = substitute(config["command"], bundle, user_config)
    args = [substitute(a, bundle, user_config) for a in config["args"]]
    env = quiet_env(tmp_path)
    env |= {key: substitute(value, bundle, user_config) for key, value in config["env"].items()}
    env |= {
        "PATH": f"{Path(uv).parent}{os.pathsep}{env.get('PATH', '')}",
        # The host brings its own Python through uv; here uv takes the one running the tests, never a download.
        "UV_PYTHON": getattr(sys, "_base_executable", sys.executable),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    assert command == "uv"
    with running(fake, repo_env(tmp_path), tmp_path) as server:
        until(server, lambda: _accepts(port), "the fake Clockodo listens")
        params = StdioServerParameters(command=command, args=args, env=env, cwd=str(tmp_path))
        # A real account's clock is the wall clock, so ask for a month the fake company (pinned to TODAY) has worked.
        answer = await answers_a_question(params, {"period": "2026-11", "billing": "unbilled"})
    assert answer["total_hours"] > 0
    assert "(2026-11-01 – 2026-11-30)" in answer["summary"]


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
