"""Move notices: tell the state a child arrives in (or is headed to) what its schools need.

An arrival notice goes to a state where the child enrolled after an enrollment in another
state; a departure notice goes to the destination a state recorded on a move. Both carry the
placement packet from the state the child came from: national ID, grade, courses in progress
with the grade to date, credits earned, English learner / IEP / priority-for-services flags
and the previous school. No names and no birth dates. Events of the 60 days before the run
clock are considered; the alert log keeps each notice from going out twice.
Needs the `cur_*` relations and `departures` (built by quality.findings.prepare, or by
evaluate_rules during check_quality).

check_quality computes the notices while those relations exist and keeps them in
`quality.move_notice`, stamped in `quality.move_notice_run` with the clock and a fingerprint
of the inputs; send_alerts reads them back when both match, so it does not rebuild the
`cur_*` relations, and computes them itself otherwise (another clock, or new data since).
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from msix.db import relation_exists
from quality.findings import naive_utc

NOTICE_COLUMNS = (
    "notice_key", "kind", "state", "district_id", "msix_id", "from_state", "event_date",
    "grade_level", "previous_school_id", "previous_school", "lep", "iep", "pfs",
    "courses_in_progress", "credits_earned",
)  # fmt: skip

# The packet CTEs (placement, in_progress, credits) read only the children with an event.
# Two sections of one course are listed by grade to date, so the text is the same every run.
NOTICES_SQL = """
with arrivals as (
    select
        'arrival' as kind,
        here.state,
        here.district_id,
        here.national_id,
        before.state as from_state,
        here.enrollment_date as event_date
    from cur_enrollments as here
    inner join cur_enrollments as before
        on here.national_id = before.national_id
        and here.state <> before.state
        and before.enrollment_date < here.enrollment_date
    where
        here.enrollment_date > getvariable('as_of') - 60
        and here.enrollment_date <= getvariable('as_of')
    qualify row_number() over (
        partition by here.state, here.national_id, here.enrollment_date
        order by before.enrollment_date desc, before.state
    ) = 1
),

departures_out as (
    select
        'departure' as kind,
        to_state as state,
        null::varchar as district_id,
        national_id,
        state as from_state,
        departure_date as event_date
    from departures
    where national_id is not null and notice_stamp::date > getvariable('as_of') - 60
),

events as (
    select * from arrivals
    union all
    select * from departures_out
),

event_children as (
    select distinct national_id from events
),

child_enrollments as (
    select *
    from cur_enrollments
    where national_id in (select national_id from event_children)
),

child_courses as (
    select national_id, state, course_title, grade_to_date, in_progress, credits_granted
    from cur_courses
    where national_id in (select national_id from event_children)
),

placement as (
    select national_id, state, school_id, school_name, grade_level, lep, iep, pfs
    from child_enrollments
    qualify row_number() over (
        partition by national_id, state order by enrollment_date desc, school_id
    ) = 1
),

in_progress as (
    select
        national_id,
        state,
        string_agg(
            course_title || coalesce(' (grade to date ' || grade_to_date || ')', ''),
            '; ' order by course_title, grade_to_date
        ) as courses_in_progress
    from child_courses
    where in_progress = 'Y'
    group by all
),

credits as (
    select national_id, sum(credits_granted) as credits_earned
    from child_courses
    where coalesce(in_progress, 'N') <> 'Y'
    group by all
)

select
    concat_ws('|', e.kind, e.state, e.national_id, e.from_state, e.event_date) as notice_key,
    e.kind,
    e.state,
    e.district_id,
    e.national_id as msix_id,
    e.from_state,
    e.event_date::varchar as event_date,
    p.grade_level,
    p.school_id as previous_school_id,
    p.school_name as previous_school,
    p.lep,
    p.iep,
    p.pfs,
    ip.courses_in_progress,
    c.credits_earned
from events as e
left join placement as p on e.national_id = p.national_id and e.from_state = p.state
left join in_progress as ip on e.national_id = ip.national_id and e.from_state = ip.state
left join credits as c on e.national_id = c.national_id
"""
NOTICE_ORDER = "order by state, kind, msix_id, notice_key"

# What the notices are computed from, cheap to read: the raw tables only grow, and the
# crosswalk is hashed whole (a re-clustering can move a child without changing the count).
INPUTS_SQL = """
select concat_ws('|',
    (select count(*) from raw.students),
    (select count(*) from raw.moves),
    (select count(*) from raw.enrollments),
    (select count(*) from raw.courses),
    (select count(*) from marts.xwalk_student_identity),
    (select coalesce(bit_xor(hash(state, state_student_id, msix_id)), 0)
        from marts.xwalk_student_identity))
"""


def move_notices(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every arrival and departure notice of the window, one row each (NOTICE_COLUMNS)."""
    return con.execute(f"select * from ({NOTICES_SQL}) {NOTICE_ORDER}").df()


def inputs_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of the rows the notices read (row counts, the crosswalk's hash)."""
    row = con.execute(INPUTS_SQL).fetchone()
    return str(row[0]) if row else ""


def store_notices(con: duckdb.DuckDBPyConnection, as_of: datetime, scoped: bool = False) -> int:
    """Compute the notices (needs `prepare`) and keep them for send_alerts; the row count.

    `scoped` (an incremental run, quality/scope.py): the `cur_*` relations hold the children
    in scope only; their notices are computed and the previous run's notices of every other
    child are kept, but for arrivals that left the window (the scope holds every child with
    an arrival or a notice stamp entering it, or a notice stamp leaving it).
    """
    inputs = inputs_fingerprint(con)
    # the run row goes last: a step that dies half-way leaves no row, so send_alerts computes
    con.execute("drop table if exists quality.move_notice_run")
    if scoped:
        # an arrival whose date left the window drops out (the scope does not hold it)
        con.execute(
            "create or replace temp table kept_notices as select m.* "
            "from quality.move_notice as m anti join scope_ids as i on m.msix_id = i.msix_id "
            "where m.kind <> 'arrival' or m.event_date::date > getvariable('as_of') - 60"
        )
        con.execute(
            f"create or replace table quality.move_notice as {NOTICES_SQL} "
            "union all select * from kept_notices"
        )
        con.execute("drop table kept_notices")
    else:
        con.execute(f"create or replace table quality.move_notice as {NOTICES_SQL}")
    con.execute(
        "create table quality.move_notice_run as "
        "select ?::timestamp as as_of, ?::varchar as inputs",
        [naive_utc(as_of), inputs],
    )
    row = con.execute("select count(*) from quality.move_notice").fetchone()
    return int(row[0]) if row else 0


def notices_kept_for(con: duckdb.DuckDBPyConnection, as_of: datetime) -> bool:
    """Whether quality.move_notice holds the notices of this clock and these inputs."""
    if not relation_exists(con, "quality", "move_notice_run"):
        return False
    run = con.execute("select as_of, inputs from quality.move_notice_run").fetchone()
    return run is not None and run[0] == naive_utc(as_of) and run[1] == inputs_fingerprint(con)


def stored_notices(con: duckdb.DuckDBPyConnection, as_of: datetime) -> pd.DataFrame | None:
    """The notices check_quality kept for this clock and these inputs, else None."""
    if not notices_kept_for(con, as_of):
        return None
    return con.execute(f"select * from quality.move_notice {NOTICE_ORDER}").df()
