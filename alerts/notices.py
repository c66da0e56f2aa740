"""Move notices: tell the state a child arrives in (or is headed to) what its schools need.

An arrival notice goes to a state where the child enrolled after an enrollment in another
state; a departure notice goes to the destination a state recorded on a move. Both carry the
placement packet from the state the child came from: national ID, grade, courses in progress
with the grade to date, credits earned, English learner / IEP / priority-for-services flags
and the previous school. No names and no birth dates. Events of the 60 days before the run
clock are considered; the alert log keeps each notice from going out twice.
Needs the `cur_*` views and `departures` (quality.findings.prepare).
"""

from __future__ import annotations

import duckdb
import pandas as pd

NOTICE_COLUMNS = (
    "notice_key", "kind", "state", "district_id", "msix_id", "from_state", "event_date",
    "grade_level", "previous_school_id", "previous_school", "lep", "iep", "pfs",
    "courses_in_progress", "credits_earned",
)  # fmt: skip

NOTICES_SQL = """
with placement as (
    select national_id, state, school_id, school_name, grade_level, lep, iep, pfs
    from cur_enrollments
    where national_id is not null
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
            '; ' order by course_title
        ) as courses_in_progress
    from cur_courses
    where in_progress = 'Y'
    group by all
),

credits as (
    select national_id, sum(credits_granted) as credits_earned
    from cur_courses
    where coalesce(in_progress, 'N') <> 'Y'
    group by all
),

arrivals as (
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
order by e.state, e.kind, e.national_id
"""


def move_notices(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every arrival and departure notice of the window, one row each (NOTICE_COLUMNS)."""
    return con.execute(NOTICES_SQL).df()
