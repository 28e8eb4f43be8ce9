import pytest

from clockodo_mcp import __version__
from clockodo_mcp.cli import main


def test_cli_without_a_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: clockodo-mcp" in capsys.readouterr().err


def test_cli_reports_its_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert __version__ in capsys.readouterr().out
