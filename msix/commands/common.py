"""Arguments and helpers shared by subcommands."""

from __future__ import annotations

import argparse
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
