"""`clockodo-mcp config <client>`: every client's format, where its file lives, and a merge that never loses data."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from clockodo_mcp.cli import demo_instructions, main
from clockodo_mcp.clients import (
    CLIENTS,
    ClientConfigError,
    Launcher,
    client_of,
    config_path,
    demo_snippets,
    running_launcher,
    snippet,
    uvx_launcher,
    write_snippet,
)

EXE = Launcher("/opt/clockodo/bin/clockodo-mcp")
URL = "http://127.0.0.1:8765/mcp"


def test_claude_desktop_starts_the_absolute_executable_over_stdio():
    snip = snippet("claude-desktop", EXE)
    assert snip.document() == {"mcpServers": {"clockodo": {"command": EXE.command, "args": ["serve"]}}}


def test_cursor_uses_mcp_servers_with_a_command_or_a_url():
    assert snippet("cursor", EXE).document() == {
        "mcpServers": {"clockodo": {"command": EXE.command, "args": ["serve"]}}
    }
    assert snippet("cursor", EXE, http=True).document() == {"mcpServers": {"clockodo": {"url": URL}}}


def test_vscode_uses_servers_with_a_type():
    assert snippet("vscode", EXE).document() == {
        "servers": {"clockodo": {"type": "stdio", "command": EXE.command, "args": ["serve"]}}
    }
    assert snippet("vscode", EXE, http=True).document() == {"servers": {"clockodo": {"type": "http", "url": URL}}}


def test_claude_code_gets_a_claude_mcp_add_line_and_a_typed_project_entry():
    stdio = snippet("claude-code", EXE)
    assert stdio.command_line == f"claude mcp add --transport stdio clockodo -- {EXE.command} serve"
    assert stdio.document() == {
        "mcpServers": {"clockodo": {"type": "stdio", "command": EXE.command, "args": ["serve"]}}
    }
    http = snippet("claude-code", EXE, http=True, port=9000)
    assert http.command_line == "claude mcp add --transport http clockodo http://127.0.0.1:9000/mcp"
    assert http.entry == {"type": "http", "url": "http://127.0.0.1:9000/mcp"}


def test_a_path_with_spaces_is_quoted_in_the_claude_code_line():
    line = snippet("claude-code", Launcher("/Users/Ann Lee/bin/clockodo-mcp")).command_line
    assert line == "claude mcp add --transport stdio clockodo -- '/Users/Ann Lee/bin/clockodo-mcp' serve"


def test_claude_desktop_refuses_http_and_says_what_to_do():
    with pytest.raises(ClientConfigError, match=r"stdio\) servers only; drop --http"):
        snippet("claude-desktop", EXE, http=True)


def test_demo_snippets_are_named_clockodo_demo_and_start_the_demo():
    snip = snippet("cursor", EXE, demo=True)
    assert snip.document() == {"mcpServers": {"clockodo-demo": {"command": EXE.command, "args": ["serve", "--demo"]}}}
    assert "clockodo-mcp demo --port 8765" in " ".join(snippet("vscode", EXE, demo=True, http=True).notes)


def test_the_uvx_form_installs_from_the_repository():
    assert uvx_launcher().serve(demo=False) == [
        "--from",
        "git+https://github.com/clockodo-mcp/clockodo-mcp",
        "clockodo-mcp",
        "serve",
    ]
    assert snippet("claude-desktop", uvx_launcher()).entry["command"] == "uvx"


def test_the_running_console_script_is_used_by_its_absolute_path(tmp_path, monkeypatch):
    script = tmp_path / "bin" / "clockodo-mcp"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    monkeypatch.chdir(tmp_path)
    assert running_launcher("bin/clockodo-mcp", "/usr/bin/python3", "linux") == Launcher(str(script))


def test_the_script_beside_the_interpreter_is_found_when_run_as_a_module(tmp_path):
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    (python.parent / "clockodo-mcp").write_text("#!/bin/sh\n")
    launcher = running_launcher(str(tmp_path / "clockodo_mcp" / "__main__.py"), str(python), "linux")
    assert launcher == Launcher(str(python.parent / "clockodo-mcp"))


def test_without_a_console_script_the_interpreter_runs_the_module(tmp_path):
    python = tmp_path / "python3"
    launcher = running_launcher("-c", str(python), "linux")
    assert launcher == Launcher(str(python), ("-m", "clockodo_mcp"))
    assert launcher.serve(demo=True) == ["-m", "clockodo_mcp", "serve", "--demo"]


@pytest.mark.parametrize(
    ("client", "platform", "expected"),
    [
        ("claude-desktop", "darwin", "/home/ann/Library/Application Support/Claude/claude_desktop_config.json"),
        ("claude-desktop", "win32", "/appdata/Claude/claude_desktop_config.json"),
        ("claude-desktop", "linux", "/home/ann/.config/Claude/claude_desktop_config.json"),
        ("cursor", "darwin", "/home/ann/.cursor/mcp.json"),
        ("cursor", "win32", "/home/ann/.cursor/mcp.json"),
        ("vscode", "darwin", "/home/ann/Library/Application Support/Code/User/mcp.json"),
        ("vscode", "win32", "/appdata/Code/User/mcp.json"),
        ("vscode", "linux", "/home/ann/.config/Code/User/mcp.json"),
        ("claude-code", "linux", "/work/project/.mcp.json"),
    ],
)
def test_each_client_s_config_file_is_where_that_client_reads_it(client, platform, expected):
    path = config_path(
        client, platform=platform, home=Path("/home/ann"), environ={"APPDATA": "/appdata"}, cwd=Path("/work/project")
    )
    assert path.as_posix() == expected


def test_linux_honours_xdg_config_home():
    path = config_path("vscode", platform="linux", home=Path("/home/ann"), environ={"XDG_CONFIG_HOME": "/cfg"})
    assert path.as_posix() == "/cfg/Code/User/mcp.json"


def test_an_unknown_client_lists_the_valid_ones(capsys):
    with pytest.raises(ClientConfigError, match="Valid clients: claude-desktop, cursor, vscode, claude-code"):
        client_of("windsurf")
    assert main(["config", "windsurf"]) == 2
    assert "Valid clients: claude-desktop, cursor, vscode, claude-code" in capsys.readouterr().err


def test_config_prints_the_snippet_and_the_file_location(capsys, tmp_path):
    target = tmp_path / "claude_desktop_config.json"
    assert main(["config", "claude-desktop", "--file", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"Claude Desktop: merge this into {target}" in out
    assert '"mcpServers"' in out
    assert '"serve"' in out
    assert not target.exists()


# --- --write ------------------------------------------------------------------------------------------------------


def test_write_creates_a_missing_file_private_to_the_user(tmp_path):
    target = tmp_path / "Claude" / "claude_desktop_config.json"
    result = write_snippet(snippet("claude-desktop", EXE, path=target))
    assert result.outcome == "created"
    assert json.loads(target.read_text()) == {"mcpServers": {"clockodo": {"command": EXE.command, "args": ["serve"]}}}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_write_keeps_other_servers_and_settings_and_backs_up_first(tmp_path):
    target = tmp_path / "mcp.json"
    before = {"servers": {"github": {"type": "http", "url": "https://api.example/mcp"}}, "inputs": [{"id": "x"}]}
    target.write_text(json.dumps(before))
    original = target.read_bytes()
    result = write_snippet(snippet("vscode", EXE, path=target))
    assert result.outcome == "updated"
    assert result.backup == tmp_path / "mcp.json.bak"
    assert result.backup.read_bytes() == original
    after = json.loads(target.read_text())
    assert after["inputs"] == [{"id": "x"}]
    assert after["servers"]["github"] == before["servers"]["github"]
    assert after["servers"]["clockodo"] == {"type": "stdio", "command": EXE.command, "args": ["serve"]}


def test_write_is_idempotent(tmp_path):
    target = tmp_path / "mcp.json"
    target.write_text('{"mcpServers": {"other": {"command": "x"}}}')
    assert write_snippet(snippet("cursor", EXE, path=target)).outcome == "updated"
    written = target.read_bytes()
    again = write_snippet(snippet("cursor", EXE, path=target))
    assert again.outcome == "unchanged"
    assert target.read_bytes() == written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mcp.json", "mcp.json.bak"]


def test_a_changed_entry_replaces_ours_and_keeps_every_backup(tmp_path):
    target = tmp_path / "mcp.json"
    target.write_text("{}")
    write_snippet(snippet("cursor", EXE, path=target))
    result = write_snippet(snippet("cursor", EXE, http=True, path=target))
    assert result.backup == tmp_path / "mcp.json.bak.1"
    assert json.loads(target.read_text()) == {"mcpServers": {"clockodo": {"url": URL}}}


def test_write_keeps_the_file_s_permissions(tmp_path):
    target = tmp_path / "mcp.json"
    target.write_text("{}")
    target.chmod(0o640)
    write_snippet(snippet("cursor", EXE, path=target))
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ('{"mcpServers": {"a": 1},', "not valid JSON"),
        ("[1, 2]", "holds a JSON list, not an object"),
        ('{"mcpServers": []}', '"mcpServers" is not a JSON object'),
    ],
)
def test_write_refuses_a_file_it_cannot_merge_and_leaves_it_unchanged(tmp_path, content, why):
    target = tmp_path / "mcp.json"
    target.write_text(content)
    with pytest.raises(ClientConfigError, match=why) as refused:
        write_snippet(snippet("cursor", EXE, path=target))
    assert "The file is unchanged" in str(refused.value)
    assert target.read_text() == content
    assert [p.name for p in tmp_path.iterdir()] == ["mcp.json"]


def test_write_refuses_a_read_only_file(tmp_path):
    target = tmp_path / "mcp.json"
    target.write_text("{}")
    target.chmod(0o444)
    with pytest.raises(ClientConfigError, match="it is read-only"):
        write_snippet(snippet("cursor", EXE, path=target))
    assert target.read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["mcp.json"]


def test_write_refuses_a_symlink_and_leaves_both_files_unchanged(tmp_path):
    real = tmp_path / "dotfiles" / "mcp.json"
    real.parent.mkdir()
    real.write_text("{}")
    link = tmp_path / "mcp.json"
    link.symlink_to(real)
    with pytest.raises(ClientConfigError, match="it is a symlink"):
        write_snippet(snippet("cursor", EXE, path=link))
    assert link.is_symlink()
    assert real.read_text() == "{}"


def test_config_write_reports_a_refusal_as_an_error(tmp_path, capsys):
    target = tmp_path / "mcp.json"
    target.write_text("not json")
    assert main(["config", "cursor", "--write", "--file", str(target)]) == 2
    assert "is not valid JSON" in capsys.readouterr().err
    assert target.read_text() == "not json"


def test_config_write_merges_the_demo_into_a_file(tmp_path, capsys):
    target = tmp_path / "mcp.json"
    assert main(["config", "vscode", "--demo", "--http", "--write", "--file", str(target)]) == 0
    assert f"Created {target}" in capsys.readouterr().out
    assert json.loads(target.read_text()) == {"servers": {"clockodo-demo": {"type": "http", "url": URL}}}
    assert main(["config", "vscode", "--demo", "--http", "--write", "--file", str(target)]) == 0
    assert "nothing written" in capsys.readouterr().out


def test_write_as_root_still_respects_a_read_only_mode(tmp_path):
    """Root may write any file; a file marked read-only is still refused (someone meant it)."""
    target = tmp_path / "mcp.json"
    target.write_text("{}")
    os.chmod(target, 0o400)
    with pytest.raises(ClientConfigError, match="read-only"):
        write_snippet(snippet("claude-desktop", EXE, path=target))


# --- demo and tools -------------------------------------------------------------------------------------------------


def test_demo_prints_one_correct_snippet_per_client():
    text = demo_instructions(8765)
    for _heading, body in demo_snippets(8765, running_launcher()):
        assert body in text
    assert json.dumps({"servers": {"clockodo-demo": {"type": "http", "url": URL}}}, indent=2) in text
    assert json.dumps({"mcpServers": {"clockodo-demo": {"url": URL}}}, indent=2) in text
    assert f"claude mcp add --transport http clockodo-demo {URL}" in text
    desktop = snippet("claude-desktop", running_launcher(), demo=True)
    assert desktop.json() in text
    assert Path(str(desktop.entry["command"])).is_absolute()


def test_every_client_has_a_snippet():
    assert {snippet(client, EXE).client for client in CLIENTS} == set(CLIENTS)


def test_tools_and_tools_markdown_print_different_things(capsys):
    assert main(["tools"]) == 0
    plain = capsys.readouterr().out
    assert main(["tools", "--markdown"]) == 0
    markdown = capsys.readouterr().out
    assert plain != markdown
    assert markdown.startswith("| Tool |")
    assert "|" not in plain.splitlines()[0]
    assert plain.splitlines()[0].split()[0] == "absence_queue"
