"""Arguments and helpers shared by subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from msix.settings import Settings, get_settings


def add_warehouse_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        type=Path,
        help="DuckDB warehouse file (default: MSIX_WAREHOUSE or warehouse/msix.duckdb)",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings with the command's --warehouse / --landing applied."""
    return get_settings(
        warehouse=getattr(args, "warehouse", None), landing=getattr(args, "landing", None)
    )


def warehouse_missing(settings: Settings) -> bool:
    """True (after printing one line naming the file) when the warehouse does not exist.

    Read commands check this first: DuckDB would otherwise end in a traceback, and a writing
    connection would create an empty warehouse in the wrong place.
    """
    if settings.warehouse.exists():
        return False
    print(f"error: no warehouse at {settings.warehouse}: run `msix run` first", file=sys.stderr)
    return True


def landing_missing(settings: Settings) -> bool:
    """True (after printing one line naming the folder) when the landing folder does not exist.

    A mistyped --landing would otherwise load nothing and report success.
    """
    if settings.landing.is_dir():
        return False
    print(f"error: no landing folder at {settings.landing}", file=sys.stderr)
    return True
