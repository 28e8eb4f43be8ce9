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


def test_the_fake_server_refuses_a_webhook_url_that_is_not_http_and_names_an_example(capsys):
    assert main(["fake-server", "--webhook", "ftp://example.test/hooks"]) == 2
    err = capsys.readouterr().err
    assert "'ftp://example.test/hooks' is not an http(s) URL" in err
    assert "http://127.0.0.1:8000/webhooks/clockodo" in err


def test_the_fake_server_refuses_webhooks_for_no_event(capsys):
    assert main(["fake-server", "--webhook", "http://127.0.0.1:8000/hooks", "--webhook-events", " , "]) == 2
    assert "--webhook-events names no event" in capsys.readouterr().err
