"""Client set-up: the exact config snippet for each MCP client, where its file lives, and a safe merge into it.

`clockodo-mcp config <client>` prints a snippet; `--write` merges it into the client's file (backup first, other
entries kept, idempotent). `demo` and the README's blocks are built from the same functions, so every snippet a
user sees is one a test has checked.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from clockodo_mcp.server.config import ConfigError

Client = Literal["claude-desktop", "cursor", "vscode", "claude-code"]
CLIENTS: tuple[Client, ...] = ("claude-desktop", "cursor", "vscode", "claude-code")
CLIENT_NAMES: dict[Client, str] = {
    "claude-desktop": "Claude Desktop",
    "cursor": "Cursor",
    "vscode": "VS Code",
    "claude-code": "Claude Code",
}

# The one place the repository's address lives (pyproject.toml's [project.urls] must agree; a test checks).
REPOSITORY = "https://github.com/clockodo-mcp/clockodo-mcp"
GIT_SOURCE = f"git+{REPOSITORY}"
DEFAULT_PORT = 8765
SERVER_NAME = "clockodo"
DEMO_SERVER_NAME = "clockodo-demo"

JsonObject = dict[str, object]


class ClientConfigError(ConfigError):
    """A client configuration that cannot be printed or written; the message says what to do instead."""


@dataclass(frozen=True, slots=True)
class Launcher:
    """How a client starts the server: a command and the arguments that come before `serve`."""

    command: str
    prefix: tuple[str, ...] = ()

    def serve(self, *, demo: bool) -> list[str]:
        """The argument list of `serve` (stdio), with `--demo` for the demo company."""
        return [*self.prefix, "serve", *(["--demo"] if demo else [])]


def running_launcher(argv0: str | None = None, executable: str | None = None, platform: str | None = None) -> Launcher:
    """The absolute path of the `clockodo-mcp` being run, else the one beside this Python, else `python -m`."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    script = "clockodo-mcp.exe" if (platform or sys.platform) == "win32" else "clockodo-mcp"
    running = Path(argv0)
    if running.name in ("clockodo-mcp", "clockodo-mcp.exe") and running.is_file():
        return Launcher(str(running.absolute()))
    sibling = Path(executable).parent / script
    if sibling.is_file():
        return Launcher(str(sibling.absolute()))
    return Launcher(str(Path(executable).absolute()), ("-m", "clockodo_mcp"))


def uvx_launcher(source: str = GIT_SOURCE) -> Launcher:
    """`uvx --from <source> clockodo-mcp`: uv fetches and caches the package, no install step."""
    return Launcher("uvx", ("--from", source, "clockodo-mcp"))


def http_url(port: int = DEFAULT_PORT) -> str:
    """The streamable HTTP endpoint of `serve --transport http` / `demo` on loopback."""
    return f"http://127.0.0.1:{port}/mcp"


@dataclass(frozen=True, slots=True)
class Snippet:
    """One client's configuration: the JSON to merge (under `container`), where it goes, and how to start it."""

    client: Client
    container: str
    name: str
    entry: JsonObject
    path: Path | None
    command_line: str | None = None
    notes: tuple[str, ...] = field(default=())

    def document(self) -> JsonObject:
        """The snippet as a whole config file would hold it."""
        return {self.container: {self.name: self.entry}}

    def json(self) -> str:
        """The snippet as indented JSON."""
        return json.dumps(self.document(), indent=2, ensure_ascii=False)


def config_path(
    client: Client,
    *,
    platform: str | None = None,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Path:
    """The client's config file on this OS (user level; Claude Code: the project's `.mcp.json`)."""
    platform = platform or sys.platform
    home = home or Path.home()
    env = os.environ if environ is None else environ
    if client == "cursor":
        return home / ".cursor" / "mcp.json"
    if client == "claude-code":
        return (cwd or Path.cwd()) / ".mcp.json"
    app, name = ("Claude", "claude_desktop_config.json") if client == "claude-desktop" else ("Code/User", "mcp.json")
    if platform == "darwin":
        base = home / "Library" / "Application Support"
    elif platform == "win32":
        base = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
    else:
        base = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    return base.joinpath(*app.split("/"), name)


def client_of(name: str) -> Client:
    """A client name as given on the command line; an unknown one is an error that lists the valid ones."""
    for client in CLIENTS:
        if name.strip().lower() == client:
            return client
    raise ClientConfigError(f"Unknown client {name!r}. Valid clients: {', '.join(CLIENTS)}.")


def snippet(
    client: Client,
    launcher: Launcher,
    *,
    http: bool = False,
    demo: bool = False,
    port: int = DEFAULT_PORT,
    path: Path | None = None,
) -> Snippet:
    """The exact configuration `client` needs: stdio (the client starts the server) or streamable HTTP."""
    name = DEMO_SERVER_NAME if demo else SERVER_NAME
    args = launcher.serve(demo=demo)
    url = http_url(port)
    target = path or config_path(client)
    start = (
        f"Start the server first: clockodo-mcp demo --port {port}"
        if demo
        else f"Start the server first: clockodo-mcp serve --transport http --port {port}"
    )
    credentials = () if demo else ("Credentials: run `clockodo-mcp login` once (system keyring); no secret here.",)
    if client == "claude-desktop":
        if http:
            raise ClientConfigError(
                "Claude Desktop's claude_desktop_config.json starts local (stdio) servers only; drop --http, or add "
                f"the URL {url} under Settings → Connectors."
            )
        return Snippet(
            client, "mcpServers", name, {"command": launcher.command, "args": args}, target, None, credentials
        )
    if client == "cursor":
        entry: JsonObject = {"url": url} if http else {"command": launcher.command, "args": args}
        return Snippet(client, "mcpServers", name, entry, target, None, ((start,) if http else ()) + credentials)
    if client == "vscode":
        entry = {"type": "http", "url": url} if http else {"type": "stdio", "command": launcher.command, "args": args}
        notes = ((start,) if http else ()) + credentials
        return Snippet(client, "servers", name, entry, target, None, notes)
    entry = {"type": "http", "url": url} if http else {"type": "stdio", "command": launcher.command, "args": args}
    if http:
        line = shlex.join(["claude", "mcp", "add", "--transport", "http", name, url])
    else:
        line = shlex.join(["claude", "mcp", "add", "--transport", "stdio", name, "--", launcher.command, *args])
    notes = ((start,) if http else ()) + credentials
    return Snippet(client, "mcpServers", name, entry, target, line, notes)


def render(snip: Snippet) -> str:
    """What `config` prints: the file's location, the snippet, the notes (and Claude Code's one-line form)."""
    lines = [f"{CLIENT_NAMES[snip.client]}: merge this into {snip.path}"]
    if snip.client == "vscode":
        lines[0] += " (user settings; for one workspace use .vscode/mcp.json)"
    if snip.client == "claude-code":
        lines = [f"Claude Code: run\n  {snip.command_line}", f"or, for the project, merge this into {snip.path}"]
    lines += [snip.json(), *snip.notes]
    if snip.path is not None:
        lines.append("`--write` merges it into that file for you (a backup first, other servers kept).")
    return "\n".join(lines)


# --- merging into the client's file ------------------------------------------------------------------------------

WriteOutcome = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What `--write` did: created the file, updated it (with a backup), or found it already up to date."""

    outcome: WriteOutcome
    path: Path
    backup: Path | None = None

    def message(self) -> str:
        """One line for the user."""
        if self.outcome == "unchanged":
            return f"{self.path} already has this configuration: nothing written."
        if self.outcome == "created":
            return f"Created {self.path}. Restart the client to load it."
        return f"Updated {self.path} (the previous version is in {self.backup}). Restart the client to load it."


def _refuse(path: Path, why: str) -> ClientConfigError:
    return ClientConfigError(f"Not writing {path}: {why}. The file is unchanged; merge the snippet by hand.")


def _read_config(path: Path) -> JsonObject | None:
    """The file's JSON object (None if absent); refuses a symlink, a read-only file and anything but a JSON object."""
    if path.is_symlink():
        raise _refuse(path, f"it is a symlink (to {os.readlink(path)}); write the file it points to with --file")
    if not path.exists():
        return None
    if not path.is_file():
        raise _refuse(path, "it is not a regular file")
    mode = path.stat().st_mode
    if not mode & stat.S_IWUSR or not os.access(path, os.W_OK):
        raise _refuse(path, "it is read-only")
    text = path.read_text(encoding="utf-8-sig")
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _refuse(
            path, f"it is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(data, dict):
        raise _refuse(path, f"it holds a JSON {type(data).__name__}, not an object")
    return data


def _free_backup(path: Path) -> Path:
    candidate = path.with_name(path.name + ".bak")
    number = 1
    while candidate.exists() or candidate.is_symlink():
        candidate = path.with_name(f"{path.name}.bak.{number}")
        number += 1
    return candidate


def _atomic_write(path: Path, text: str, mode: int) -> None:
    """Write via a temporary file in the same directory and rename it over the target: never half a file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_snippet(snip: Snippet, path: Path | None = None) -> WriteResult:
    """Merge the snippet into the client's file: back up first, keep every other entry, change nothing if current."""
    target = path or snip.path
    if target is None:
        raise ClientConfigError(f"{CLIENT_NAMES[snip.client]} has no config file to write; use --file PATH.")
    current = _read_config(target)
    data: JsonObject = {} if current is None else current
    servers = data.get(snip.container, {})
    if not isinstance(servers, dict):
        raise _refuse(target, f'its "{snip.container}" is not a JSON object')
    if servers.get(snip.name) == snip.entry:
        return WriteResult("unchanged", target)
    merged: JsonObject = {**data, snip.container: {**servers, snip.name: snip.entry}}
    text = json.dumps(merged, indent=2, ensure_ascii=False) + "\n"
    try:
        if current is None:
            target.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(target, text, 0o600)
            return WriteResult("created", target)
        backup = _free_backup(target)
        backup.write_bytes(target.read_bytes())
        _atomic_write(target, text, stat.S_IMODE(target.stat().st_mode))
    except OSError as error:
        raise _refuse(target, f"{error.strerror or error}") from None
    return WriteResult("updated", target, backup)


# --- the demo's connection help ----------------------------------------------------------------------------------


def demo_snippets(port: int, launcher: Launcher) -> list[tuple[str, str]]:
    """(heading, text) per client for the running demo: Claude Desktop starts its own, the others use the URL."""
    desktop = snippet("claude-desktop", launcher, demo=True, port=port)
    cursor = snippet("cursor", launcher, demo=True, http=True, port=port)
    vscode = snippet("vscode", launcher, demo=True, http=True, port=port)
    code = snippet("claude-code", launcher, demo=True, http=True, port=port)
    return [
        (f"Claude Desktop (stdio: it starts its own demo server), in {desktop.path}:", desktop.json()),
        (f"Cursor (streamable HTTP), in {cursor.path}:", cursor.json()),
        (f"VS Code (streamable HTTP), in {vscode.path} or .vscode/mcp.json:", vscode.json()),
        ("Claude Code (streamable HTTP):", f"  {code.command_line}"),
    ]
