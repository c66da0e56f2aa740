"""`marts.dq_state_summary`: each state's own view of its data quality, one row per state.

completeness: share of the state's current students with no open `missing_*` finding;
timeliness: share with no open `late_*` finding; open findings in total, as errors, and by rule.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from quality.findings import naive_utc

SUMMARY_SQL = """
create or replace table marts.dq_state_summary as
with students as (
    select state, count(*) as students
    from quality.current_student
    group by state
),

open_issues as (
    select * from marts.dq_issue where status = 'open'
),

by_rule as (
    select state, rule, count(*) as findings
    from open_issues
    group by all
),

per_state as (
    select
        state,
        count(*) as open_findings,
        count(*) filter (where severity = 'error') as open_errors,
        count(distinct state_student_id) filter (where rule like 'missing%') as incomplete_students,
        count(distinct state_student_id) filter (where rule like 'late%') as late_students
    from open_issues
    group by state
),

rules_json as (
    -- a JSON object with the rules in name order (json_group_object's order follows the rows)
    select state, '{' || string_agg(to_json(rule) || ':' || findings, ',' order by rule) || '}'
        as open_by_rule
    from by_rule
    group by state
),

states as (
    select state from students
    union
    select state from per_state
)

select
    states.state,
    coalesce(students.students, 0) as students,
    coalesce(per_state.open_findings, 0) as open_findings,
    coalesce(per_state.open_errors, 0) as open_errors,
    round(1 - coalesce(per_state.incomplete_students, 0) / greatest(students.students, 1), 4)
        as completeness,
    round(1 - coalesce(per_state.late_students, 0) / greatest(students.students, 1), 4)
        as timeliness,
    coalesce(rules_json.open_by_rule, '{}')::varchar as open_by_rule,
    $as_of::timestamp as as_of
from states
left join students on states.state = students.state
left join per_state on states.state = per_state.state
left join rules_json on states.state = rules_json.state
order by states.state
"""


def write_state_summary(con: duckdb.DuckDBPyConnection, as_of: datetime) -> int:
    """Rewrite `marts.dq_state_summary` (needs `quality.current_student`, the keys of
    `cur_students` kept by quality.scope.update_current_students, and `marts.dq_issue`)."""
    moment = naive_utc(as_of)
    con.execute("begin transaction")
    try:
        con.execute(SUMMARY_SQL, {"as_of": moment})
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    row = con.execute("select count(*) from marts.dq_state_summary").fetchone()
    return int(row[0]) if row else 0
