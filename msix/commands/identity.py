"""`msix train | evaluate | worklist | decide | resolve`: national student IDs (identity/)."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from msix.commands.common import add_warehouse_arg, settings_from, warehouse_missing


def cmd_train(args: argparse.Namespace) -> int:
    """Retrain on the warehouse's input relation (or synthetic records) and write model_vN.json."""
    import duckdb

    from identity.features import build_features
    from identity.resolve import INPUT_RELATION, INPUT_SCHEMA
    from identity.testdata import make_records
    from identity.train import train_model, write_model

    con = duckdb.connect()
    try:
        if args.synthetic:
            records, _ = make_records(args.synthetic, seed=args.seed)
            con.register("records_frame", records)
            source = "records_frame"
        else:
            settings = settings_from(args)
            if warehouse_missing(settings):
                return 2
            con.execute(f"attach '{settings.warehouse}' as wh (read_only)").fetchall()
            source = f"wh.{INPUT_SCHEMA}.{INPUT_RELATION}"
        count = build_features(con, source)
        trained = train_model(con, "identity_features", seed=args.seed)
    finally:
        con.close()
    path = write_model(trained, args.out)
    print(f"trained on {count} records -> {path}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Pairwise precision and recall of identity.xwalk against generator truth."""
    from identity.evaluate import evaluate_warehouse

    settings = settings_from(args)
    if warehouse_missing(settings):
        return 2
    accuracy = evaluate_warehouse(args.truth, settings.warehouse)
    print("\n".join(accuracy.lines()))
    return 0


def cmd_worklist(args: argparse.Namespace) -> int:
    """Undecided near matches involving one state, strongest first (IDs and fields, no names)."""
    from identity.worklist import worklist_rows

    settings = settings_from(args)
    if warehouse_missing(settings):
        return 2
    rows = worklist_rows(settings.warehouse, args.state, args.limit)
    if not rows:
        print(f"no undecided near matches for {args.state}")
        return 0
    print(
        "pair_id           probability  left                       right                      agree / disagree"
    )
    for r in rows:
        left = f"{r['state_l']}:{r['state_student_id_l']}"
        right = f"{r['state_r']}:{r['state_student_id_r']}"
        twin = "  [twin?]" if r["twin_suspect"] else ""
        print(
            f"{r['pair_id']}  {r['match_probability']:.4f}       {left:<26} {right:<26} "
            f"{r['agreeing_fields'] or '-'} / {r['disagreeing_fields'] or '-'}{twin}"
        )
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    """Record a coordinator decision in the decisions folder (honoured by every later run)."""
    from identity.decisions import append_decision, decisions_dir
    from identity.worklist import pair_records

    settings = settings_from(args)
    row = {
        "decision": args.decision,
        "decided_by": args.by,
        "decided_at": (args.at or datetime.now(UTC).replace(tzinfo=None)).isoformat(),
        "reason": args.reason,
    }
    if args.pair:
        if warehouse_missing(settings):
            return 2
        found = pair_records(settings.warehouse, args.pair)
        if found is None:
            print(f"no near match with pair_id {args.pair}")
            return 2
        (row["state_l"], row["state_student_id_l"]), (row["state_r"], row["state_student_id_r"]) = (
            found
        )
    for side, record in (("l", args.record), ("r", args.other)):
        if record:
            state, _, ssid = record.partition(":")
            row[f"state_{side}"], row[f"state_student_id_{side}"] = state, ssid
    if args.ids:
        row["msix_id_l"] = args.ids[0]
        if len(args.ids) > 1:
            row["msix_id_r"] = args.ids[1]
    from identity.decisions import parse_row

    parsed = parse_row(row, "msix decide")
    if isinstance(parsed, str):
        print(f"decision not recorded: {parsed}")
        return 2
    path = append_decision(decisions_dir(settings.warehouse), row)
    print(
        f"recorded {args.decision} decision {parsed.decision_id} in {path}; the next run applies it"
    )
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    """Run identity resolution alone (the pipeline's resolve_identities step)."""
    from identity.resolve import resolve

    settings = settings_from(args)
    if warehouse_missing(settings):
        return 2
    report = resolve(settings, full=args.full)
    print(", ".join(f"{k}={v}" for k, v in report.counts().items()))
    return 0


Handler = Callable[[argparse.Namespace], int]


def _one_line_errors(handler: Handler) -> Handler:
    """A table not built yet, or a missing model or truth file: one line naming it, exit 2."""

    @functools.wraps(handler)
    def wrapped(args: argparse.Namespace) -> int:
        import duckdb

        from identity.sql import MissingInput

        try:
            return handler(args)
        except (duckdb.CatalogException, FileNotFoundError, MissingInput) as exc:
            print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
            return 2

    return wrapped


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="retrain the identity model; writes identity/model/model_vN.json"
    )
    p.add_argument(
        "--synthetic",
        type=int,
        metavar="CHILDREN",
        help="train on synthetic records instead of the warehouse",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", type=Path, help="write here instead of the next model version")
    add_warehouse_arg(p)
    p.set_defaults(func=_one_line_errors(cmd_train))

    p = sub.add_parser(
        "evaluate", help="identity accuracy: pairwise precision/recall against generator truth"
    )
    p.add_argument("--truth", type=Path, required=True, help="the generator's truth/ folder")
    add_warehouse_arg(p)
    p.set_defaults(func=_one_line_errors(cmd_evaluate))

    p = sub.add_parser("worklist", help="undecided near matches (identity worklist) for a state")
    p.add_argument("--state", required=True)
    p.add_argument("--limit", type=int, default=50)
    add_warehouse_arg(p)
    p.set_defaults(func=_one_line_errors(cmd_worklist))

    p = sub.add_parser("decide", help="record same/different/merge/split (applied on the next run)")
    p.add_argument("decision", choices=["same", "different", "merge", "split"])
    p.add_argument("--pair", help="pair_id from the worklist (same/different)")
    p.add_argument(
        "--record", help="ST:state_student_id (left record; for split, the record to split off)"
    )
    p.add_argument("--other", help="ST:state_student_id (right record)")
    p.add_argument("--ids", nargs="+", help="msix_ids: two to merge, or the one to split from")
    p.add_argument("--by", required=True, help="who decides")
    p.add_argument("--reason", required=True, help="why")
    p.add_argument("--at", type=datetime.fromisoformat, help="when (default now, UTC)")
    add_warehouse_arg(p)
    p.set_defaults(func=_one_line_errors(cmd_decide))

    p = sub.add_parser("resolve", help="run identity resolution alone (national IDs)")
    p.add_argument("--full", action="store_true", help="rescore every pair (IDs are still kept)")
    add_warehouse_arg(p)
    p.set_defaults(func=_one_line_errors(cmd_resolve))
