"""The `msix` command. Each area registers its subcommands from `msix/commands/<area>.py`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from msix import logs
from msix.commands import analyst as analyst_commands
from msix.commands import identity as identity_commands
from msix.commands import pipeline as pipeline_commands
from msix.commands import quality as quality_commands

# One line per area; a new area adds its module here.
COMMAND_MODULES = [
    pipeline_commands,
    analyst_commands,
    identity_commands,
    quality_commands,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="msix", description="Migrant student record exchange warehouse"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logs.configure()
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    import duckdb

    try:
        return handler(args)
    except duckdb.IOException as exc:  # not a DuckDB file, or locked by a running pipeline
        print(f"msix {args.command}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
