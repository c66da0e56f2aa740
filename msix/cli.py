"""The `msix` command. Each subcommand parses its arguments and calls one library function."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from msix import logs
from msix.settings import Settings, get_settings


def _warehouse_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        type=Path,
        help="DuckDB warehouse file (default: MSIX_WAREHOUSE or warehouse/msix.duckdb)",
    )


def _settings(args: argparse.Namespace) -> Settings:
    return get_settings(
        warehouse=getattr(args, "warehouse", None), landing=getattr(args, "landing", None)
    )


def cmd_generate(args: argparse.Namespace) -> int:
    from generator.write import generate

    summary = generate(out=args.out, children=args.children, seed=args.seed, states=args.states)
    print(summary)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from msix import pipeline

    settings = _settings(args)
    print(pipeline.ingest(settings, settings.landing, states=args.states).line())
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from msix.run import run_pipeline

    settings = _settings(args)
    return run_pipeline(settings, states=args.states, full_refresh=args.full_refresh)


def cmd_demo(args: argparse.Namespace) -> int:
    from msix.demo import run_demo

    return run_demo(children=args.children, seed=args.seed)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="msix", description="Migrant student record exchange warehouse"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write synthetic state submissions and ground truth")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--children", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--states", nargs="+", help="states to include (default: a realistic set)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("ingest", help="load new submission files into raw tables")
    p.add_argument("--landing", type=Path)
    p.add_argument("--states", nargs="+")
    _warehouse_arg(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("run", help="run the whole pipeline once (the same steps as the DAG)")
    p.add_argument("--landing", type=Path)
    p.add_argument("--states", nargs="+")
    p.add_argument("--full-refresh", action="store_true")
    _warehouse_arg(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="generate a small data set and run the real Airflow DAG on it")
    p.add_argument("--children", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logs.configure()
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
