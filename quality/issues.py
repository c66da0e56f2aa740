"""Keep the finding history (`quality.issue_history`) and publish `marts.dq_issue` from it.

A finding seen in this run is opened (first_seen = the run clock) or refreshed (last_seen);
its `changed_at` moves when its detail changes or it reopens, which is what the digests
send. An open finding of a rule that ran and no longer fires is resolved. Rules that could
not run leave their findings untouched. Everything happens in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from quality.findings import naive_utc

HISTORY_DDL = """
create table if not exists quality.issue_history (
    issue_id varchar primary key,
    rule varchar not null,
    severity varchar not null,
    state varchar not null,
    district_id varchar,
    msix_id varchar,
    state_student_id varchar,
    subject_key varchar not null,
    detail varchar not null,
    first_seen timestamp not null,
    last_seen timestamp not null,
    changed_at timestamp not null,
    status varchar not null,
    resolved_at timestamp
)
"""


# warehouse.md: dq_issue holds "open or closed" findings; the history says `resolved`
PUBLISHED_STATUS = "case when status = 'open' then 'open' else 'closed' end"


@dataclass
class IssueCounts:
    opened: int
    changed: int
    resolved: int
    open_total: int


def update_history(
    con: duckdb.DuckDBPyConnection,
    findings: pd.DataFrame,
    evaluated_rules: list[str],
    as_of: datetime,
) -> IssueCounts:
    """Merge this run's findings into the history and rewrite `marts.dq_issue`, atomically."""
    seen = naive_utc(as_of)
    con.execute("create schema if not exists quality")
    con.execute("create schema if not exists marts")
    con.execute(HISTORY_DDL)
    con.register("found", findings)
    con.register("evaluated", pd.DataFrame({"rule": list(evaluated_rules)}, dtype="object"))
    try:
        con.execute("begin transaction")
        opened = _count(
            con,
            "select count(*) from found anti join quality.issue_history as h using (issue_id)",
        )
        changed = _count(
            con,
            """
            select count(*) from found as f
            inner join quality.issue_history as h using (issue_id)
            where h.detail <> f.detail or h.status <> 'open'
            """,
        )
        resolved = _count(
            con,
            """
            select count(*) from quality.issue_history as h
            where h.status = 'open' and h.rule in (select rule from evaluated)
            and h.issue_id not in (select issue_id from found)
            """,
        )
        con.execute(
            """
            update quality.issue_history as h set
                changed_at = case when h.detail <> f.detail or h.status <> 'open'
                    then $seen else h.changed_at end,
                detail = f.detail,
                severity = f.severity,
                district_id = f.district_id,
                msix_id = f.msix_id,
                last_seen = greatest(h.last_seen, $seen),
                status = 'open',
                resolved_at = null
            from found as f
            where h.issue_id = f.issue_id
            """,
            {"seen": seen},
        )
        con.execute(
            """
            update quality.issue_history set status = 'resolved', resolved_at = $seen,
                changed_at = $seen
            where status = 'open' and rule in (select rule from evaluated)
            and issue_id not in (select issue_id from found)
            """,
            {"seen": seen},
        )
        con.execute(
            """
            insert into quality.issue_history
            select f.issue_id, f.rule, f.severity, f.state, f.district_id, f.msix_id,
                f.state_student_id, f.subject_key, f.detail, $seen, $seen, $seen, 'open', null
            from found as f
            anti join quality.issue_history as h using (issue_id)
            """,
            {"seen": seen},
        )
        con.execute(
            f"""
            create or replace table marts.dq_issue as
            select issue_id, rule, severity, state, district_id, msix_id, state_student_id,
                detail, first_seen, last_seen, {PUBLISHED_STATUS} as status, changed_at,
                resolved_at, subject_key
            from quality.issue_history
            order by state, rule, issue_id
            """
        )
        open_total = _count(con, "select count(*) from marts.dq_issue where status = 'open'")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("found")
        con.unregister("evaluated")
    return IssueCounts(opened, changed, resolved, open_total)


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
