"""`msix generate`, `msix ingest`, `msix run`, `msix demo`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from msix.commands.common import add_warehouse_arg, landing_missing, settings_from


def cmd_generate(args: argparse.Namespace) -> int:
    from generator.write import generate

    try:
        summary = generate(out=args.out, children=args.children, seed=args.seed, states=args.states)
    except ValueError as exc:  # an unknown state code or a bad count: say so, no traceback
        print(f"msix generate: {exc}", file=sys.stderr)
        return 2
    print(summary)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from msix import pipeline

    settings = settings_from(args)
    if landing_missing(settings):
        return 2
    print(pipeline.ingest(settings, settings.landing, states=args.states).line())
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from msix.run import run_pipeline

    settings = settings_from(args)
    if landing_missing(settings):
        return 2
    return run_pipeline(settings, states=args.states, full_refresh=args.full_refresh)


def cmd_demo(args: argparse.Namespace) -> int:
    from msix.demo import run_demo

    return run_demo(children=args.children, seed=args.seed)


def cmd_docs(args: argparse.Namespace) -> int:
    from msix import pipeline

    settings = settings_from(args)
    print(f"dbt docs: {pipeline.generate_docs(settings)} (linked from the report site)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="write synthetic state submissions and ground truth")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--children", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--states", nargs="+", help="states to include (default: a realistic set)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("ingest", help="load new submission files into raw tables")
    p.add_argument("--landing", type=Path)
    p.add_argument("--states", nargs="+")
    add_warehouse_arg(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("run", help="run the whole pipeline once (the same steps as the DAG)")
    p.add_argument("--landing", type=Path)
    p.add_argument("--states", nargs="+")
    p.add_argument("--full-refresh", action="store_true")
    add_warehouse_arg(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="generate a small data set and run the real Airflow DAG on it")
    p.add_argument("--children", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "docs", help="generate dbt docs (models, columns, lineage) beside the warehouse"
    )
    add_warehouse_arg(p)
    p.set_defaults(func=cmd_docs)
