"""Incremental rule evaluation: the records a run must evaluate again, the rest kept.

Every per-child rule's finding depends only on the records of one child (its national ID's
records in every state, or one unlinked record), on the crosswalk, on the run clock and on a
few global relations (the calendars, each state's first submission). So a run may evaluate the
rules only for the records in scope and keep the previous findings of every other child, and
give the same findings as evaluating everything, when the scope holds every child for which
something changed since the previous evaluation:

- records with rows from loads the previous evaluation did not see, or with rows stamped
  between the two clocks (invisible before, visible now), quarantined rows included, and
  assessments rows of records without a kept student row (`missing_student_record`), but for
  student rows that re-send the record's kept latest row with a later stamp (the rules read a
  student row's stamp only where a move notice's destination answers it: such a record stays
  in when a move of its child in another state names its state as the destination);
- records whose crosswalk entry changed, and records that echo a national ID that appeared
  in or left the crosswalk (`conflicting_msix_id`);
- records with a date whose clock-driven condition the new clock may have crossed, taken
  generously (a record too many costs time, never a finding) from every raw row, current or
  not: a withdrawal in the 30/60-day windows (`missing_course_history`, `lost_student`) or
  after the previous clock (an overlap with an open enrollment runs to the clock), a departure
  60 days old (`lost_student`), a QAD after the previous clock (`impossible_future_qad`), a
  departure notice stamped in the last two weeks (4 working days, `late_after_move_notice`),
  and the 60-day windows of the move notices (arrivals entering them, notice stamps entering
  or leaving them; a kept arrival notice that left them is dropped by its date);
- then every record of the national IDs of those records.

The previous evaluation is kept in `quality.rule_state` (its clock, a digest of the rule SQL
and calendars, each state's first day) with the loads it saw and its crosswalk. A run
evaluates everything when there is none, when the rules, calendars or a state's first day
changed, when the clock went back, or when the previous findings or notices were not all
written (the state row is removed before a run writes and written last). The latest rows of
every record (quality/records.py) are kept with it: a run merges into them the rows that
became visible since, and rebuilds them when it evaluates everything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import duckdb

from msix.db import relation_exists
from quality import records as kept_records
from quality.findings import naive_utc
from quality.registry import RULES, RULES_DIR

STATE_TABLES = ("rule_state", "rule_state_load", "rule_state_xwalk")
ONBOARDING_SQL = """
select coalesce(string_agg(state || '=' || first_day, ',' order by state), '')
from (select state, min(stamp)::date as first_day from raw.students group by state)
"""
CALENDAR_SQL = """
select concat_ws('|',
    (select count(*) || '/' || coalesce(bit_xor(hash(day, is_working_day, wd_index)), 0)
        from quality.working_day),
    (select count(*) || '/' || coalesce(bit_xor(hash(t)), 0) from quality.term_end as t))
"""

# a re-sent student row: the values of every kept column but the key, stamp and line
RESENT_SAME = " and ".join(
    f"n.{c} is not distinct from k.{c}"
    for c in kept_records.COLUMNS["students"]
    if c not in (*kept_records.KEY, "line_no")
)

# The records whose inputs changed, or whose clock-driven conditions the clock crossed,
# between the previous clock ($p_ts, day $p) and this one ($a_ts, day $a).
CHANGED_SQL = f"""
create or replace temp table scope_changed as
with seen as (select load_id from quality.rule_state_load),

new_students as (
    select * from raw.students
    where load_id not in (select load_id from seen) or stamp between $p_ts and $a_ts
),

-- records whose every new student row is a re-send of the kept latest row (quality/records.py,
-- of the previous clock) with a later stamp, visible now: the same values in every kept column
-- (a state re-sends the student row of each child whose other records changed; those changes
-- bring the record in on their own below). The rules read a student row's stamp only in
-- late_after_move_notice (a destination's first row after a move notice answers it), so a
-- re-sent record stays in scope when a move record of its child in another state names its
-- state as the destination (a departure, rules/_current.sql).
resent as (
    select n.state, n.state_student_id
    from new_students as n
    inner join quality.latest_students as k
        on n.state = k.state and n.state_student_id = k.state_student_id
    group by all
    having bool_and(n.stamp > k.stamp and n.stamp <= $a_ts and {RESENT_SAME})
),

-- the records of a child's destination states (few: the departures first)
destinations as (
    select x.state, x.state_student_id
    from marts.xwalk_student_identity as x
    semi join (
        select mover.msix_id, m.move_to_state
        from raw.moves as m
        inner join marts.xwalk_student_identity as mover
            on m.state = mover.state and m.state_student_id = mover.state_student_id
        where m.move_to_state <> m.state
    ) as d on x.msix_id = d.msix_id and x.state = d.move_to_state
)

-- a row whose load the previous evaluation did not see (raw rows come with their load's
-- manifest row, one transaction; a row of no known load counts as new), but the re-sends
-- that change no rule's input
(
    select state, state_student_id from new_students
    except
    (select * from resent except select * from destinations)
)
union
-- the exact day ranges whose condition the clock crossed, for every raw row (current or not):
-- a departure or withdrawal 60 days old (lost_student: date + 60 < as_of), a withdrawal 30
-- days old (missing_course_history), a QAD no longer in the future, an overlap with an open
-- enrollment that ran to the clock (a withdrawal after the previous clock), enrollment dates
-- entering the notices' 60 days and notice stamps entering or leaving them (as_of - 60 < day
-- <= as_of; an arrival leaving them is dropped from the kept notices by its date), and
-- departure notices that may have reached 4 working days unanswered (two weeks back)
select state, state_student_id from raw.moves
where
    load_id not in (select load_id from seen) or stamp between $p_ts and $a_ts
    or qad between $p and $a
    or (coalesce(lqm_date, qad) between $p - 60 and $a - 61
        and move_to_state is not null and move_to_state <> state)
    or (move_to_state is not null and (
        stamp::date between $p - 59 and $a - 60 or stamp::date between $p - 14 and $a))
union
select state, state_student_id from raw.enrollments
where
    load_id not in (select load_id from seen) or stamp between $p_ts and $a_ts
    or withdrawal_date > $p
    or withdrawal_date between $p - 60 and $a - 61
    or withdrawal_date between $p - 30 and $a - 31
    or enrollment_date between $p + 1 and $a
union
select state, state_student_id from raw.courses
where load_id not in (select load_id from seen) or stamp between $p_ts and $a_ts
union
-- assessments, read only by missing_student_record (child records without a student row):
-- not of a record with a kept latest student row (a student row, once visible, stays so; the
-- states re-send the assessments of the children whose student rows they re-send)
-- (the new rows first: the anti join of every assessments row cost 0.5 s of CPU at 1 M)
select a.state, a.state_student_id from (
    select state, state_student_id from raw.assessments
    where load_id not in (select load_id from seen) or stamp between $p_ts and $a_ts
) as a
anti join quality.latest_students as k
    on a.state = k.state and a.state_student_id = k.state_student_id
union
select q.state, q.state_student_id from raw.quarantine as q
left join raw.load_manifest as m on q.load_id = m.load_id
where
    q.state_student_id is not null
    and (q.load_id not in (select load_id from seen) or m.stamp between $p_ts and $a_ts)
union
select state, state_student_id from xwalk_changed
union
-- records echoing a national ID that appeared in or left the crosswalk
select state, state_student_id from raw.students
where msix_id in (
    select old_id from xwalk_changed where old_id is not null
    union
    select new_id from xwalk_changed where new_id is not null)
"""

XWALK_CHANGED_SQL = """
create or replace temp table xwalk_changed as
select
    coalesce(now.state, before.state) as state,
    coalesce(now.state_student_id, before.state_student_id) as state_student_id,
    before.msix_id as old_id,
    now.msix_id as new_id
from marts.xwalk_student_identity as now
full outer join quality.rule_state_xwalk as before
    on now.state = before.state and now.state_student_id = before.state_student_id
where now.msix_id is distinct from before.msix_id
"""

SCOPE_SQL = """
create or replace temp table scope_ids as
select x.msix_id
from scope_changed as c
inner join marts.xwalk_student_identity as x
    on c.state = x.state and c.state_student_id = x.state_student_id
union
select old_id from xwalk_changed where old_id is not null;

create or replace temp table scope_keys as
select state, state_student_id from scope_changed
union
select x.state, x.state_student_id
from marts.xwalk_student_identity as x
semi join scope_ids as i on x.msix_id = i.msix_id;
"""

# The raw rows the rules read (rules/_current.sql and the rules read raw_* views).
RAW_TABLES = ("students", "moves", "enrollments", "courses", "quarantine")


@dataclass(frozen=True)
class Scope:
    """An incremental run: the previous clock, the counts of what is evaluated again."""

    previous: datetime
    records: int
    children: int


def rules_digest() -> str:
    """A digest of what the findings are computed with: the rule SQL, names and severities."""
    digest = hashlib.sha256()
    for path in sorted(RULES_DIR.glob("*.sql")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for rule in RULES:
        digest.update(f"{rule.name}|{rule.severity}|{rule.per_child}\0".encode())
    # what the kept latest rows hold (quality/records.py)
    digest.update(repr((kept_records.COLUMNS, kept_records.LATEST)).encode())
    return digest.hexdigest()


def _fingerprint(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(rules and calendars digest, each state's first day), as the state row keeps them."""
    calendars = con.execute(CALENDAR_SQL).fetchone()
    onboarding = con.execute(ONBOARDING_SQL).fetchone()
    return (
        rules_digest() + "|" + (str(calendars[0]) if calendars else ""),
        str(onboarding[0]) if onboarding else "",
    )


def per_child_rule_names() -> list[str]:
    return [r.name for r in RULES if r.per_child]


def plan(con: duckdb.DuckDBPyConnection, as_of: datetime) -> tuple[Scope | None, str]:
    """The scope of an incremental run (temp tables `scope_keys`, `scope_ids`), or None and why.

    Needs the clock variables and calendars of `findings.set_clock`. Removes the state row:
    whatever happens next, the run writes a new one last or the next run evaluates everything.
    """
    if not all(relation_exists(con, "quality", t) for t in STATE_TABLES):
        return None, "no earlier evaluation"
    row = con.execute("select as_of, digest, onboarding, rules from quality.rule_state").fetchone()
    con.execute("drop table quality.rule_state")
    if row is None:
        return None, "no earlier evaluation"
    previous, digest, onboarding, rules = row
    now = naive_utc(as_of)
    if previous > now:
        return None, "the clock went back"
    if (digest, onboarding) != _fingerprint(con):
        return None, "rules, calendars or a state's first day changed"
    if rules != ",".join(per_child_rule_names()):
        return None, "the previous evaluation skipped rules"
    if not _notices_of(con, previous) or not relation_exists(con, "quality", "current_student"):
        return None, "the previous notices or student list are missing"
    if kept_records.built_for(con) != previous:
        return None, "the kept latest rows are missing or of another clock"
    params = {"p_ts": previous, "a_ts": now, "p": previous.date(), "a": now.date()}
    con.execute(XWALK_CHANGED_SQL)
    con.execute(CHANGED_SQL, params)
    con.execute(SCOPE_SQL)
    counts = con.execute(
        "select (select count(*) from scope_keys), (select count(*) from scope_ids)"
    ).fetchone()
    records, children = (int(counts[0]), int(counts[1])) if counts else (0, 0)
    return Scope(previous, records, children), "incremental"


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """No incremental run after this one (it writes findings another way)."""
    con.execute("drop table if exists quality.rule_state")


def _notices_of(con: duckdb.DuckDBPyConnection, previous: datetime) -> bool:
    if not relation_exists(con, "quality", "move_notice_run"):
        return False
    row = con.execute("select as_of from quality.move_notice_run").fetchone()
    return row is not None and row[0] == previous and relation_exists(con, "quality", "move_notice")


# The records whose child rows missing_student_record looks at: every key of a child table.
CHILD_TABLES = ("moves", "enrollments", "courses", "assessments")
CHILD_RECORD_KEYS_SQL = " union ".join(
    f"select state, state_student_id from raw.{t}" for t in CHILD_TABLES
)


def create_raw_views(con: duckdb.DuckDBPyConnection, scoped: bool) -> None:
    """The `raw_*` views the rules read: raw.* whole, or the rows of the records in scope; and
    `child_record_keys`: the records in scope, or every record with rows in a child table (a
    record without a student row has no national ID: the scope holds it by its key alone)."""
    keys = "select state, state_student_id from scope_keys" if scoped else CHILD_RECORD_KEYS_SQL
    con.execute(f"create or replace temp view child_record_keys as {keys}")
    for name in RAW_TABLES:
        if scoped:
            con.execute(
                f"""
                create or replace temp view raw_{name} as
                select r.* from raw.{name} as r
                semi join scope_keys as k
                    on r.state = k.state and r.state_student_id = k.state_student_id
                """
            )
        else:
            con.execute(f"create or replace temp view raw_{name} as select * from raw.{name}")


def kept_findings_sql(columns: str) -> str:
    """The previous open findings of per-child rules for the children out of scope."""
    names = ", ".join(f"'{n}'" for n in per_child_rule_names())
    return f"""
        select {columns}
        from quality.issue_history as h
        anti join scope_ids as i on h.msix_id = i.msix_id
        anti join scope_keys as k
            on h.state = k.state and h.state_student_id = k.state_student_id
        where h.status = 'open' and h.rule in ({names})
    """


def update_current_students(con: duckdb.DuckDBPyConnection, scoped: bool) -> None:
    """`quality.current_student`: the keys of `cur_students` (the summary counts them)."""
    if not scoped:
        con.execute(
            "create or replace table quality.current_student as "
            "select state, state_student_id from cur_students"
        )
        return
    con.execute(
        """
        delete from quality.current_student as c
        where exists (
            select 1 from scope_keys as k
            where c.state = k.state and c.state_student_id = k.state_student_id)
        """
    )
    con.execute(
        "insert into quality.current_student select state, state_student_id from cur_students"
    )


def save_state(con: duckdb.DuckDBPyConnection, as_of: datetime, scoped: bool = False) -> None:
    """Keep what this evaluation saw, for the next run's scope; the state row goes last.

    `scoped` (after `plan`): the kept crosswalk changes by the entries of `xwalk_changed`
    instead of being written again whole (1.87 M rows at 1 M children).
    """
    digest, onboarding = _fingerprint(con)
    con.execute("drop table if exists quality.rule_state")
    con.execute(
        "create or replace table quality.rule_state_load as "
        "select distinct load_id from raw.load_manifest where load_id is not null"
    )
    if scoped:
        on = "x.state = c.state and x.state_student_id is not distinct from c.state_student_id"
        con.execute(
            f"delete from quality.rule_state_xwalk as x using xwalk_changed as c where {on}"
        )
        con.execute(
            "insert into quality.rule_state_xwalk "
            "select x.state, x.state_student_id, x.msix_id from marts.xwalk_student_identity as x "
            f"semi join xwalk_changed as c on {on}"
        )
    else:
        con.execute(
            "create or replace table quality.rule_state_xwalk as "
            "select state, state_student_id, msix_id from marts.xwalk_student_identity"
        )
    con.execute(
        "create table quality.rule_state as select ?::timestamp as as_of, ?::varchar as digest, "
        "?::varchar as onboarding, ?::varchar as rules",
        [naive_utc(as_of), digest, onboarding, ",".join(per_child_rule_names())],
    )
