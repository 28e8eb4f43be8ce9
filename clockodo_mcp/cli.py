"""Command line: ``clockodo-mcp serve | demo | call | config | login | doctor | audit | changes | fake-server …``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from clockodo_mcp import __version__
from clockodo_mcp.server.config import ConfigError, ServerConfig, config_from_env, env_flag, parse_toolsets

if TYPE_CHECKING:
    from clockodo_mcp.fake.webhooks import Webhooks
    from clockodo_mcp.server.runtime import Runtime
    from clockodo_mcp.store import Store

STORE_HELP = (
    "store URL, sqlite:///path or postgresql://user@host/db?schema=name (default: CLOCKODO_MCP_STORE, else "
    "sqlite:///<user data dir>/store.sqlite3)"
)

logger = logging.getLogger("clockodo_mcp")


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--demo", action="store_true", help="use the built-in fake Clockodo with the demo company")
    parser.add_argument("--read-only", action="store_true", default=None, help="expose only read-only tools")
    parser.add_argument("--toolsets", help="comma-separated: core,time,billing,projects,people (default all)")
    parser.add_argument("--timezone", help="account time zone override, e.g. Europe/Berlin")
    parser.add_argument("--currency", help="currency override, e.g. EUR")
    parser.add_argument("--confirm", choices=["token", "elicit", "auto"], help="how writes are confirmed")
    parser.add_argument("--base-url", help="Clockodo API base URL (default https://my.clockodo.com/api)")
    parser.add_argument("--api-user", help="Clockodo login e-mail (prefer the keyring or CLOCKODO_API_USER)")
    parser.add_argument("--api-key", help="Clockodo API key (visible in the process list: prefer the keyring)")
    parser.add_argument("--audit-log", type=Path, help="audit log path (default: CLOCKODO_MCP_AUDIT_LOG or data dir)")
    parser.add_argument("--store", help=STORE_HELP)
    _add_today_option(parser)


def _add_today_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="pin the demo company's calendar to this day (16:00 Berlin, then running); or CLOCKODO_MCP_TODAY",
    )


def pinned_today(args: argparse.Namespace) -> date | None:
    """The demo's pinned day from --today or CLOCKODO_MCP_TODAY; a bad value is a ConfigError."""
    from clockodo_mcp.clock import today_from_env

    try:
        return today_from_env(getattr(args, "today", None))
    except ValueError as error:
        raise ConfigError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="clockodo-mcp",
        description="An MCP server for Clockodo: read, change and monitor time tracking and billing.",
    )
    parser.add_argument("--version", action="version", version=f"clockodo-mcp {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging (to stderr)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the MCP server (stdio, sse or http)")
    serve.add_argument("--transport", choices=["stdio", "sse", "http"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument(
        "--allowed-hosts",
        default=os.environ.get("CLOCKODO_MCP_ALLOWED_HOSTS", ""),
        help="comma-separated Host values allowed beyond loopback (or CLOCKODO_MCP_ALLOWED_HOSTS)",
    )
    serve.add_argument("--auth-token", help="bearer token required on HTTP (or CLOCKODO_MCP_HTTP_TOKEN)")
    serve.add_argument(
        "--principals",
        action="store_true",
        default=env_flag(os.environ, "CLOCKODO_MCP_PRINCIPALS"),
        help="a shared endpoint (http only): each request acts for the person its bearer token names "
        "(`clockodo-mcp principals add`); or CLOCKODO_MCP_PRINCIPALS=1",
    )
    serve.add_argument(
        "--webhook-path",
        help="where Clockodo's webhooks are received into the mirror (or CLOCKODO_MCP_WEBHOOK_PATH; default "
        "/webhooks/clockodo; needs CLOCKODO_MCP_WEBHOOK_TOKEN and CLOCKODO_MCP_MIRROR)",
    )
    _add_server_options(serve)

    demo = sub.add_parser("demo", help="try it: the demo company on streamable HTTP on loopback, no account needed")
    demo.add_argument("--port", type=int, default=8765)
    demo.add_argument("--seed", type=int, default=7)
    _add_today_option(demo)

    call = sub.add_parser("call", help="call one tool in-process and print its structured result as JSON")
    call.add_argument("tool")
    call.add_argument("--args", default="{}", help="the tool's arguments as a JSON object")
    _add_server_options(call)

    tools = sub.add_parser("tools", help="list the tools (name, toolset, annotations)")
    tools.add_argument("--markdown", action="store_true", help="print the README's tool table")

    _add_config_parser(sub)

    fake = sub.add_parser("fake-server", help="run the fake Clockodo API (for integration tests and demos)")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=8800)
    fake.add_argument("--seed", type=int, default=7)
    fake.add_argument("--size", default="small", help="small, large (100k+ entries) or a number of entries")
    fake.add_argument("--allow-remote", action="store_true", help="allow binding beyond loopback")
    fake.add_argument(
        "--webhook", action="append", default=[], metavar="URL", help="send Clockodo's webhooks to URL (repeatable)"
    )
    fake.add_argument("--webhook-token", default="", help="the token each webhook carries (default: none)")
    fake.add_argument(
        "--webhook-events", default="*", help="comma-separated event names or patterns, e.g. 'entry.*,project.*'"
    )
    _add_today_option(fake)

    login = sub.add_parser("login", help="check your Clockodo e-mail and API key and store them in the system keyring")
    login.add_argument("--api-user", help="Clockodo login e-mail (asked for when missing); the key is always asked")
    login.add_argument("--base-url", help="Clockodo API base URL (default https://my.clockodo.com/api)")

    sub.add_parser("logout", help="remove the stored Clockodo credentials from the system keyring")

    doctor = sub.add_parser("doctor", help="check configuration, credentials, connection, clock and audit log")
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")
    _add_server_options(doctor)

    audit = sub.add_parser("audit", help="inspect the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser("verify", help="check the keyed chain and the store's anchor; non-zero if not intact")
    verify.add_argument("--path", type=Path, help="audit log path (default: CLOCKODO_MCP_AUDIT_LOG or data dir)")
    verify.add_argument("--store", help=STORE_HELP)
    verify.add_argument("--demo", action="store_true", help="the demo's log and store (demo-audit.jsonl)")
    fix = audit_sub.add_parser("repair", help="remove a torn last line (keeping a copy) and record the repair")
    fix.add_argument("--path", type=Path, help="audit log path (default: CLOCKODO_MCP_AUDIT_LOG or data dir)")
    fix.add_argument("--store", help=STORE_HELP)
    fix.add_argument(
        "--start-new",
        action="store_true",
        help="for other damage: move the log aside unchanged and start a new one that records why",
    )
    tail = audit_sub.add_parser("tail", help="show the last records")
    tail.add_argument("-n", type=int, default=20)
    tail.add_argument("--tool", help="only records of this tool")
    tail.add_argument("--path", type=Path)
    tail.add_argument("--store", help=STORE_HELP)

    changes = sub.add_parser("changes", help="inspect the write journal")
    changes_sub = changes.add_subparsers(dest="changes_command", metavar="ACTION", required=True)
    listing = changes_sub.add_parser("list", help="the newest changes, one line each")
    listing.add_argument("-n", type=int, default=20, help="how many (default 20)")
    listing.add_argument(
        "--status", choices=["applying", "applied", "unknown", "not_applied", "failed"], help="only this status"
    )
    listing.add_argument("--tool", help="only changes made by this tool")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--store", help=STORE_HELP)
    show = changes_sub.add_parser("show", help="one change in full: arguments, before, planned, result, undo, steps")
    show.add_argument("change_id")
    show.add_argument("--json", action="store_true")
    show.add_argument("--store", help=STORE_HELP)
    reconcile = changes_sub.add_parser(
        "reconcile", help="re-check every applying/unknown change against Clockodo and record what was found"
    )
    reconcile.add_argument("--json", action="store_true")
    _add_server_options(reconcile)

    from clockodo_mcp.principals_cli import add_principals_parser
    from clockodo_mcp.store.cli import add_store_parser
    from clockodo_mcp.sync.cli import add_sync_parser

    add_store_parser(sub, STORE_HELP)
    add_sync_parser(sub, _add_server_options)
    add_principals_parser(sub, STORE_HELP)
    return parser


def _add_config_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from clockodo_mcp.clients import CLIENTS, DEFAULT_PORT

    config = sub.add_parser(
        "config", help="print (or --write) the config snippet for a client, with this install's absolute path"
    )
    config.add_argument("client", metavar="CLIENT", help=f"one of: {', '.join(CLIENTS)}")
    config.add_argument("--http", action="store_true", help="streamable HTTP (a server you start) instead of stdio")
    config.add_argument("--demo", action="store_true", help="the demo company instead of your account")
    config.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"HTTP port (default {DEFAULT_PORT})")
    config.add_argument("--uvx", action="store_true", help="start it with uvx --from git+… instead of this install")
    config.add_argument("--write", action="store_true", help="merge it into the client's file (backup first)")
    config.add_argument("--file", type=Path, help="the file to print for / write to instead of the client's default")


def server_config(args: argparse.Namespace) -> ServerConfig:
    """Flags → environment → keyring, as a ServerConfig (no prompt, ever)."""
    from clockodo_mcp.credentials import resolve_credentials

    overrides: dict[str, object] = {
        "read_only": args.read_only,
        "timezone": args.timezone,
        "currency": args.currency,
        "confirm": args.confirm,
        "base_url": args.base_url,
        "audit_path": args.audit_log,
        "store_url": args.store,
        "demo": bool(args.demo),
        "demo_today": pinned_today(args) if args.demo else None,
        "webhook_path": getattr(args, "webhook_path", None),
        "principals": getattr(args, "principals", None) or None,
    }
    if args.toolsets is not None:
        overrides["toolsets"] = parse_toolsets(args.toolsets)
    if not args.demo and not getattr(args, "principals", False):  # a shared endpoint has no credentials of its own
        credentials = resolve_credentials(args.api_user, args.api_key)
        if credentials is not None:
            overrides |= {
                "api_user": credentials.api_user,
                "api_key": credentials.api_key,
                "credential_source": credentials.source,
            }
    return config_from_env(**overrides)


def make_runtime(config: ServerConfig) -> Runtime:
    """A Runtime for the configuration: the demo's in-process fake, or the real Clockodo."""
    from clockodo_mcp.server.runtime import Runtime

    if config.demo:
        from clockodo_mcp.server.demo import demo_runtime

        return demo_runtime(config, today=config.demo_today)
    if not config.principals and (not config.api_user or not config.api_key):
        raise ConfigError(
            "No Clockodo credentials found. Run `clockodo-mcp login` (stores them in the system keyring), or set "
            "CLOCKODO_API_USER and CLOCKODO_API_KEY, or try `clockodo-mcp serve --demo`."
        )
    return Runtime(config)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the server on the chosen transport."""
    from clockodo_mcp.server.app import build_server
    from clockodo_mcp.server.shutdown import serve_stdio
    from clockodo_mcp.server.transports import http_app, security_settings, serve_http
    from clockodo_mcp.server.webhooks import webhook_receiver

    config = server_config(args)
    token = args.auth_token or os.environ.get("CLOCKODO_MCP_HTTP_TOKEN")
    allowed = [h.strip() for h in args.allowed_hosts.split(",") if h.strip()]
    if config.principals:
        from clockodo_mcp.principals_cli import serve_checks

        serve_checks(args.transport, args.demo, token)
    if args.transport != "stdio":  # refuse an unsafe bind before anything starts
        security_settings(args.host, args.port, allowed, token, principals=config.principals)
    runtime = make_runtime(config)
    from clockodo_mcp.store import StoreError, check_ready

    try:
        check_ready(runtime.store)  # a shared store that is unreachable or not migrated: refuse to start
    except StoreError as error:
        print(f"clockodo-mcp: {error}", file=sys.stderr)
        return 1
    webhooks = webhook_receiver(runtime, args.transport)
    server = build_server(runtime)
    logger.info("clockodo-mcp %s: %s, transport %s", __version__, config.describe_credentials(), args.transport)
    if args.transport == "stdio":
        anyio.run(serve_stdio, server)
        return 0
    app = http_app(
        server,
        args.transport,
        host=args.host,
        port=args.port,
        allowed_hosts=allowed,
        auth_token=token,
        webhooks=webhooks,
        principals=runtime.store if config.principals else None,
    )
    path = "/sse" if args.transport == "sse" else "/mcp"
    print(f"clockodo-mcp listening on http://{args.host}:{args.port}{path}", file=sys.stderr)
    if webhooks is not None:
        print(
            f"Clockodo webhooks into the mirror: POST http://{args.host}:{args.port}{config.webhook_path}",
            file=sys.stderr,
        )
    try:
        anyio.run(serve_http, app, args.host, args.port)
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl+C it handled: stopped as asked, not a crash
        return 130
    return 0


def demo_instructions(port: int) -> str:
    """How to connect to the running demo: one correct snippet per client (see `clockodo_mcp.clients`)."""
    from clockodo_mcp.clients import demo_snippets, http_url, running_launcher

    url = http_url(port)
    lines = [
        "clockodo-mcp demo — a fake Clockodo with a demo company (Brightside Digital), no account needed.",
        "",
        f"  MCP endpoint (streamable HTTP): {url}",
        "",
    ]
    for heading, text in demo_snippets(port, running_launcher()):
        lines += [heading, text, ""]
    lines += [
        "Or let clockodo-mcp write it: clockodo-mcp config <claude-desktop|cursor|vscode|claude-code> --demo --write",
        "",
        "MCP Inspector:",
        f"  npx -y @modelcontextprotocol/inspector@0.15.0 --cli {url} --transport http --method tools/list",
        "",
        "Ask: 'How many unbilled hours do we have this month and what are they worth?'",
        "Or from the shell: clockodo-mcp call report_hours --demo --args "
        '\'{"period": "this_month", "billing": "unbilled"}\'',
        "",
        "Press Ctrl+C to stop.",
    ]
    return "\n".join(lines)


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the demo company over streamable HTTP on loopback and print how to connect."""
    from clockodo_mcp.server.app import build_server
    from clockodo_mcp.server.demo import demo_runtime
    from clockodo_mcp.server.transports import http_app, serve_http

    config = config_from_env(demo=True, demo_seed=args.seed, demo_today=pinned_today(args))
    server = build_server(demo_runtime(config, today=config.demo_today))
    app = http_app(server, "http", host="127.0.0.1", port=args.port)
    print(demo_instructions(args.port), flush=True)
    try:
        anyio.run(serve_http, app, "127.0.0.1", args.port)
    except KeyboardInterrupt:
        return 0
    return 0


async def call_tool(config: ServerConfig, tool: str, arguments: dict[str, object]) -> tuple[bool, object]:
    """Call one tool through the real MCP machinery (in-memory client); (ok, structured result or message)."""
    from mcp import Client

    from clockodo_mcp.server.app import build_server

    async with Client(build_server(make_runtime(config))) as client:
        result = await client.call_tool(tool, arguments)
    if result.is_error:
        return False, " ".join(getattr(block, "text", "") for block in result.content)
    return True, result.structured_content


def cmd_call(args: argparse.Namespace) -> int:
    """Call one tool and print its structured result as JSON."""
    try:
        arguments = json.loads(args.args)
    except json.JSONDecodeError as error:
        print(f'--args is not valid JSON ({error}). Example: --args \'{{"period": "this_month"}}\'', file=sys.stderr)
        return 2
    if not isinstance(arguments, dict):
        print('--args must be a JSON object, e.g. \'{"period": "this_month"}\'', file=sys.stderr)
        return 2
    config = server_config(args)
    ok, payload = anyio.run(call_tool, config, args.tool, arguments)
    if not ok:
        print(f"error: {payload}", file=sys.stderr)
        return 1
    try:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
    return 0


def cmd_tools(args: argparse.Namespace) -> int:
    """Print the tool registry: one line per tool, or (--markdown) the README's table."""
    from clockodo_mcp.server.docs import tool_list, tool_table

    print(tool_table() if args.markdown else tool_list())
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    """Print one client's config snippet; with --write, merge it into the client's file."""
    from clockodo_mcp.clients import client_of, render, running_launcher, snippet, uvx_launcher, write_snippet

    launcher = uvx_launcher() if args.uvx else running_launcher()
    snip = snippet(client_of(args.client), launcher, http=args.http, demo=args.demo, port=args.port, path=args.file)
    if not args.write:
        print(render(snip))
        return 0
    print(write_snippet(snip).message())
    return 0


def cmd_fake_server(args: argparse.Namespace) -> int:
    """Run the fake Clockodo."""
    from clockodo_mcp.fake.server import serve

    size: int | str = int(args.size) if str(args.size).isdigit() else args.size
    code: int = serve(
        host=args.host,
        port=args.port,
        seed=args.seed,
        size=size,
        allow_remote=args.allow_remote,
        today=pinned_today(args),
        webhooks=fake_webhooks(args.webhook, args.webhook_token, args.webhook_events),
    )
    return code


def fake_webhooks(urls: Sequence[str], token: str, events: str) -> Webhooks | None:
    """The fake's webhook subscriptions from the command line; a URL that is not http(s) is a ConfigError."""
    from clockodo_mcp.fake.webhooks import Subscription, Webhooks

    if not urls:
        return None
    patterns = tuple(e.strip() for e in events.split(",") if e.strip())
    if not patterns:
        raise ConfigError("--webhook-events names no event: give names or patterns such as 'entry.*,project.*'")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"--webhook {url!r} is not an http(s) URL, e.g. http://127.0.0.1:8000/webhooks/clockodo")
    return Webhooks([Subscription(i, url, token, patterns) for i, url in enumerate(urls, start=1)])


def cli_store(url: str | None) -> Store:
    """The store named by --store, else CLOCKODO_MCP_STORE, else the default file; a bad URL is a ConfigError."""
    from clockodo_mcp.store import StoreConfigError, default_store_url, open_store

    try:
        return open_store(url or default_store_url())
    except StoreConfigError as error:
        raise ConfigError(str(error)) from None


def cmd_audit(args: argparse.Namespace) -> int:
    """audit verify | audit repair | audit tail."""
    from clockodo_mcp.audit import AuditLog, default_audit_path
    from clockodo_mcp.audit.cli import postgres_command, repair_command, tail_command, verify_command
    from clockodo_mcp.audit.pg_url import is_postgres_url
    from clockodo_mcp.store import default_store_url

    if not getattr(args, "demo", False) and is_postgres_url(url := args.store or default_store_url()):
        # The chain lives in the PostgreSQL store's tables, not in a file.
        n, tool = getattr(args, "n", 20), getattr(args, "tool", None)
        return postgres_command(args.audit_command, url, path=args.path, n=n, tool=tool)
    if args.audit_command == "tail":
        return tail_command(args.path, args.n, args.tool, sys.stdout)
    if getattr(args, "demo", False):
        from clockodo_mcp.server.demo import DEMO_AUDIT_NAME, DEMO_STORE_NAME, demo_data_path
        from clockodo_mcp.store import sqlite_url

        args.path = args.path or demo_data_path(DEMO_AUDIT_NAME)
        args.store = args.store or sqlite_url(demo_data_path(DEMO_STORE_NAME))
    store = cli_store(args.store)
    path = args.path or default_audit_path()
    try:
        if args.audit_command == "repair":
            return repair_command(AuditLog(path, anchor=store), start_new=args.start_new)
        if not store.exists():
            note = (
                f"the store {store.location} does not exist, so the log was not checked against the head the store "
                "anchored: truncation or deletion cannot be ruled out (pass --store if it lives elsewhere)"
            )
            return verify_command(path, store_note=note)
        return verify_command(path, store=store)
    finally:
        store.close()


def cmd_changes(args: argparse.Namespace) -> int:
    """changes list | changes show | changes reconcile."""
    from clockodo_mcp.store.cli import list_command, show_command

    if args.changes_command == "reconcile":
        from clockodo_mcp.server.reconcile import reconcile_command

        runtime = make_runtime(server_config(args))
        return anyio.run(lambda: reconcile_command(runtime, sys.stdout, as_json=args.json))
    store = cli_store(args.store)
    try:
        if args.changes_command == "show":
            return show_command(store, args.change_id, as_json=args.json)
        return list_command(store, limit=args.n, status=args.status, tool=args.tool, as_json=args.json)
    finally:
        store.close()


def cmd_store(args: argparse.Namespace) -> int:
    """store migrate | store info."""
    from clockodo_mcp.store.cli import info_command, migrate_command

    store = cli_store(args.store)
    try:
        if args.store_command == "migrate":
            return migrate_command(store)
        return info_command(store, as_json=args.json)
    finally:
        store.close()


def cmd_login(args: argparse.Namespace) -> int:
    """Ask for the e-mail and API key, check them with Clockodo, store them in the keyring."""
    from clockodo_mcp.onboarding import connection_from_env, login

    return login(connection=connection_from_env(args.base_url), api_user=args.api_user)


def cmd_logout(args: argparse.Namespace) -> int:
    """Remove the stored credentials."""
    from clockodo_mcp.onboarding import logout

    return logout()


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check everything a working server needs; non-zero exit when something is wrong."""
    from clockodo_mcp.onboarding import doctor

    return doctor(lambda: server_config(args), as_json=args.json)


def cmd_principals(args: argparse.Namespace) -> int:
    """principals keygen | add | list | remove."""
    from clockodo_mcp.principals_cli import principals_command

    return principals_command(args)


def cmd_sync(args: argparse.Namespace) -> int:
    """Mirror the account into DuckDB, PostgreSQL or Parquet."""
    from clockodo_mcp.sync.cli import cmd_sync as sync

    return sync(args, lambda a: make_runtime(server_config(a)))


COMMANDS = {
    "serve": cmd_serve,
    "demo": cmd_demo,
    "call": cmd_call,
    "tools": cmd_tools,
    "config": cmd_config,
    "fake-server": cmd_fake_server,
    "login": cmd_login,
    "logout": cmd_logout,
    "doctor": cmd_doctor,
    "audit": cmd_audit,
    "changes": cmd_changes,
    "store": cmd_store,
    "sync": cmd_sync,
    "principals": cmd_principals,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``clockodo-mcp`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](args)
    except ConfigError as error:
        print(f"clockodo-mcp: {error}", file=sys.stderr)
        return 2
