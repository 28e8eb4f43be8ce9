"""Command line: ``clockodo-mcp serve | demo | call | login | logout | doctor | audit … | fake-server``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from clockodo_mcp import __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="clockodo-mcp",
        description="An MCP server for Clockodo: read, change and monitor time tracking and billing.",
    )
    parser.add_argument("--version", action="version", version=f"clockodo-mcp {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``clockodo-mcp`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return 0
