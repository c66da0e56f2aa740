"""`msix dq --state ST`: the open data-quality findings a state must act on.

Reads `marts.dq_issue` read-only; prints a table in a terminal, tab-separated text when piped.
Details carry no other state's PII, so the listing is safe to show the state's coordinators.
"""

from __future__ import annotations

import argparse
import sys

from msix import db, output
from msix.commands.analyst import pipe_safe
from msix.commands.common import add_warehouse_arg, settings_from
from quality.registry import RULES_BY_NAME

COLUMNS = ("issue_id", "rule", "severity", "msix_id", "state_student_id", "detail", "first_seen")


@pipe_safe
def cmd_dq(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    state = args.state.strip().upper()
    if not settings.warehouse.exists():
        print(f"no warehouse at {settings.warehouse}: run `msix run` first", file=sys.stderr)
        return 2
    with db.session(settings.warehouse, read_only=True) as con:
        if not db.relation_exists(con, "marts", "dq_issue"):
            print("marts.dq_issue is not built yet: run `msix run` first", file=sys.stderr)
            return 2
        status = "" if args.all else "and status = 'open'"
        columns = (*COLUMNS, "status") if args.all else COLUMNS
        rows = con.execute(
            f"select {', '.join(columns)} from marts.dq_issue where state = ? {status} "
            "order by case severity when 'error' then 0 when 'warning' then 1 else 2 end, "
            "rule, state_student_id, issue_id",
            [state],
        ).fetchall()
    which = "all" if args.all else "open"
    output.print_table(f"{which} data-quality findings for {state} ({len(rows)})", columns, rows)
    if args.explain:
        used = sorted({row[1] for row in rows})
        output.print_table(
            "how to resolve",
            ("rule", "meaning", "resolution"),
            [(r, RULES_BY_NAME[r].description, RULES_BY_NAME[r].resolution) for r in used
             if r in RULES_BY_NAME],
        )  # fmt: skip
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dq", help="list the open data-quality findings of one state")
    p.add_argument("--state", required=True, help="USPS code of the state that must act")
    p.add_argument("--all", action="store_true", help="include resolved findings")
    p.add_argument("--explain", action="store_true", help="add each rule's meaning and fix")
    add_warehouse_arg(p)
    p.set_defaults(func=cmd_dq)
