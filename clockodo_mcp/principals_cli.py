"""`clockodo-mcp principals keygen | add | list | remove`: the people of a shared endpoint, in its store.

`add` prints the new bearer token once (the store keeps only its hash) and never prints the API key, which it reads
from stdin (`--api-key-stdin`) or a hidden prompt, never from the command line (the process list would show it).
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from clockodo_mcp.server.config import ConfigError

if TYPE_CHECKING:  # the rest is imported when a command runs: the parser is built for every command line
    from clockodo_mcp.clock import Clock
    from clockodo_mcp.onboarding import Connection
    from clockodo_mcp.store import Store

ENV_KEY = "CLOCKODO_MCP_PRINCIPALS_KEY"  # principals.ENV_KEY, which imports the cryptography

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def add_principals_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], store_help: str) -> None:
    """The `principals` subcommand and its actions."""
    principals = sub.add_parser("principals", help="the people of a shared endpoint (serve --principals)")
    actions = principals.add_subparsers(dest="principals_command", metavar="ACTION", required=True)
    actions.add_parser("keygen", help=f"print a new {ENV_KEY} (the key that seals the stored API keys)")
    add = actions.add_parser("add", help="add a person: prints their bearer token once")
    add.add_argument("name", help="who it is, as audit records and the journal name them (e.g. anna)")
    add.add_argument("--email", required=True, help="their Clockodo login e-mail")
    add.add_argument("--api-key-stdin", action="store_true", help="read their Clockodo API key from stdin")
    add.add_argument("--check", action="store_true", help="check the e-mail and key with Clockodo before storing")
    add.add_argument("--base-url", help="Clockodo API base URL for --check (default: CLOCKODO_BASE_URL or Clockodo)")
    add.add_argument("--store", help=store_help)
    listing = actions.add_parser("list", help="name, e-mail and when each was added (never a token or a key)")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--store", help=store_help)
    remove = actions.add_parser("remove", help="remove a person: their token is refused from the next request on")
    remove.add_argument("name")
    remove.add_argument("--store", help=store_help)


@dataclass(frozen=True)
class Terminal:
    """Where the command reads and writes, and how it asks for a hidden answer (replaced in tests)."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    ask_secret: Callable[[str], str] = getpass.getpass


def principals_command(
    args: argparse.Namespace,
    terminal: Terminal | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    connection: Connection | None = None,
    clock: Clock | None = None,
) -> int:
    """Run one `principals` action; the exit code."""
    from clockodo_mcp.clock import SYSTEM_CLOCK
    from clockodo_mcp.onboarding import connection_from_env
    from clockodo_mcp.principals import new_key
    from clockodo_mcp.store import StoreError

    io = terminal or Terminal()
    if args.principals_command == "keygen":
        print(new_key(), file=io.out)
        print(
            f"Set it as {ENV_KEY} for `principals add` and for every server replica, and keep a copy somewhere safe: "
            "the stored API keys open only with it.",
            file=io.err,
        )
        return 0
    store = _store(args.store)
    try:
        if args.principals_command == "add":
            reach = connection or connection_from_env(args.base_url)
            return _add(args, store, io, environ, reach, clock or SYSTEM_CLOCK)
        if args.principals_command == "list":
            return _list(store, io, as_json=args.json)
        return _remove(store, args.name, io)
    except StoreError as error:
        print(f"clockodo-mcp principals: {error}", file=io.err)
        return 1
    finally:
        store.close()


def _store(url: str | None) -> Store:
    from clockodo_mcp.store import StoreConfigError, default_store_url, open_store

    try:
        return open_store(url or default_store_url())
    except StoreConfigError as error:
        raise ConfigError(str(error)) from None


def _api_key(args: argparse.Namespace, io: Terminal) -> str | None:
    """The API key from stdin (--api-key-stdin) or a hidden prompt on a terminal; None when neither can give one."""
    from clockodo_mcp.onboarding import API_KEY_WHERE

    if args.api_key_stdin:
        return io.stdin.readline().strip()
    if not io.stdin.isatty():
        return None
    try:
        print(f"Their API key is in {API_KEY_WHERE}.", file=io.err)
        return io.ask_secret(f"Clockodo API key of {args.email} (input hidden): ").strip()
    except (EOFError, KeyboardInterrupt):
        return None


def _add(
    args: argparse.Namespace,
    store: Store,
    io: Terminal,
    environ: Mapping[str, str] | None,
    connection: Connection,
    clock: Clock,
) -> int:
    from clockodo_mcp.principals import PrincipalsKey, issue_token, token_hash
    from clockodo_mcp.store import Principal, PrincipalExists

    def fail(message: str) -> int:
        print(f"clockodo-mcp principals add: {message} Nothing was stored.", file=io.err)
        return 1

    name, email = args.name, args.email.strip()
    if not _NAME.match(name):
        return fail(
            f"{name!r} is not a principal name: use 1 to 64 letters, digits, '.', '_', '-' or '@', starting with a "
            "letter or digit (e.g. anna or anna.schmidt)."
        )
    if not _EMAIL.match(email):
        return fail(f"--email {email!r} is not an e-mail address: give the person's Clockodo login.")
    key = PrincipalsKey.from_env(environ)  # before asking anything: without it, nothing can be stored
    if any(p.name == name for p in store.list_principals()):
        return fail(f"A principal named {name!r} exists already: `clockodo-mcp principals remove {name}` first.")
    api_key = _api_key(args, io)
    if api_key is None:
        return fail(
            "No API key: pipe it in with --api-key-stdin (e.g. `clockodo-mcp principals add "
            f"{name} --email {email} --api-key-stdin < key.txt`), or run this in a terminal to be asked for it."
        )
    if not api_key:
        return fail("The API key is empty.")
    if args.check:
        problem = _check(email, api_key, connection, io)
        if problem is not None:
            return fail(problem)
    token = issue_token()
    created = clock.now()
    sealed = key.seal(name, email, api_key)
    try:
        store.add_principal(Principal(name, email, sealed, token_hash(token), created))
    except PrincipalExists:
        return fail(f"A principal named {name!r} exists already: `clockodo-mcp principals remove {name}` first.")
    print(f"Added principal {name!r} ({email}) to the store {store.location}.", file=io.out)
    print("Their bearer token, shown only now (the store keeps only its hash):", file=io.out)
    print(f"\n    {token}\n", file=io.out)
    print(
        f"Give it to {name} over a private channel. Their MCP client sends it as `Authorization: Bearer <token>` to "
        "the endpoint (`clockodo-mcp serve --transport http --principals`), and each request then acts with their "
        f"Clockodo rights. Lost or leaked: `clockodo-mcp principals remove {name}`, then `add` again.",
        file=io.out,
    )
    return 0


def _check(email: str, api_key: str, connection: Connection, io: Terminal) -> str | None:
    """None when Clockodo accepts the e-mail and key (`users.me`), else what is wrong."""
    import anyio

    from clockodo_mcp.clockodo import ClockodoArgumentError, ClockodoAuthenticationError, ClockodoError
    from clockodo_mcp.onboarding import API_KEY_WHERE, check_login, describe_user

    try:
        me = anyio.run(check_login, email, api_key, connection)
    except ClockodoArgumentError as error:
        return f"{error}."
    except ClockodoAuthenticationError:
        return (
            f"Clockodo rejected this e-mail and API key (401 Unauthorized) at {connection.base_url}. Copy the key "
            f"again from {API_KEY_WHERE}, and check the e-mail is the person's Clockodo login."
        )
    except ClockodoError as error:
        return f"Clockodo did not confirm the credentials at {connection.base_url}: {error}"
    print(f"Checked: Clockodo knows this key as {describe_user(me)}.", file=io.err)
    return None


def _list(store: Store, io: Terminal, *, as_json: bool) -> int:
    found = store.list_principals() if store.exists() else []
    rows = [
        {"name": p.name, "email": p.api_user, "created_at": p.created_at.isoformat(timespec="seconds")} for p in found
    ]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False), file=io.out)
        return 0
    if not rows:
        print(
            f"no principals in the store {store.location}; add one with `clockodo-mcp principals add NAME --email E`",
            file=io.out,
        )
        return 0
    width = max(len(row["name"]) for row in rows)
    mail = max(len(row["email"]) for row in rows)
    for row in rows:
        print(f"{row['name']:<{width}}  {row['email']:<{mail}}  {row['created_at']}", file=io.out)
    return 0


def _remove(store: Store, name: str, io: Terminal) -> int:
    if not store.exists() or not store.remove_principal(name):
        print(
            f"clockodo-mcp principals remove: there is no principal {name!r} in the store {store.location} "
            "(`clockodo-mcp principals list` shows them).",
            file=io.err,
        )
        return 1
    print(
        f"Removed principal {name!r}: their bearer token is refused from the next request on, by every server "
        f"sharing the store {store.location}.",
        file=io.out,
    )
    return 0


def serve_checks(transport: str, demo: bool, token: str | None) -> None:
    """`serve --principals` serves streamable HTTP only, the principals' accounts only, with their tokens only."""
    if transport != "http":
        raise ConfigError(
            f"--principals needs --transport http (not {transport}): a shared endpoint tells its people apart by "
            "the bearer token of each HTTP request."
        )
    if demo:
        raise ConfigError("--principals serves the principals' own Clockodo accounts, not the demo: drop --demo.")
    if token:
        raise ConfigError(
            "--principals and --auth-token exclude each other: on a shared endpoint every person has their own "
            "bearer token (`clockodo-mcp principals add`). Drop --auth-token (and unset CLOCKODO_MCP_HTTP_TOKEN)."
        )
