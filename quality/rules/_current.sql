-- The current record of every (state, state_student_id) as of the run clock. A submission
-- stamped after `as_of_ts` does not exist yet for this run (so a rerun with an older clock
-- gives the older answer). The latest student row wins; a retraction (action D) drops the
-- student. Child records are replaced per student: the rows of the latest submission that
-- carried that record type for the student are the current ones. Those latest rows are read
-- from the `latest_*` views (quality/records.py): computed from the raw history, or the rows
-- an evaluation keeps between runs, in an incremental run only of the records in scope (the
-- children whose inputs changed or whose clock-driven condition the new clock crossed, and
-- every record linked to them; quality/scope.py). The rules also read the `raw_*` views:
-- raw.* whole, or the raw rows of the records in scope.
-- `national_id` is the child's msix_id from the identity crosswalk; `msix_id` stays the
-- value the state echoed in its file.
-- cur_students, cur_moves, cur_enrollments, cur_courses and departures, which several rules
-- read, are temp tables built once per run, with the columns the rules and notices read
-- (copying every column, names of parents and the `extra` JSON included, took as long as
-- finding the rows; as views, the current rows were found again by every reader). A rule
-- that needs another column adds it here and in quality/records.py.

create or replace temp table cur_students as
select
    latest.*,
    xwalk.msix_id as national_id
from latest_students as latest
left join marts.xwalk_student_identity as xwalk
    on latest.state = xwalk.state and latest.state_student_id = xwalk.state_student_id
where latest.action <> 'D';

-- The latest rows of a child record type of the current students, with their national ID.
create or replace temp macro current_child_rows(latest_table) as table
select latest.*, students.national_id
from query_table(latest_table) as latest
inner join cur_students as students
    on latest.state = students.state and latest.state_student_id = students.state_student_id;

create or replace temp table cur_moves as
select
    state,
    state_student_id,
    national_id,
    qad,
    lqm_date,
    move_to_state,
    eligibility_expiration_date
from current_child_rows('latest_moves');

create or replace temp table cur_enrollments as
select
    state,
    state_student_id,
    national_id,
    school_id,
    district_id,
    school_name,
    enrollment_type,
    enrollment_date,
    withdrawal_date,
    grade_level,
    lep,
    iep,
    pfs
from current_child_rows('latest_enrollments');

create or replace temp table cur_courses as
select
    state,
    state_student_id,
    national_id,
    school_id,
    school_year,
    term_type,
    course_title,
    course_section,
    credits_attempted,
    credits_granted,
    clock_hours,
    in_progress,
    grade_to_date
from current_child_rows('latest_courses');

-- The rows of raw.<record_type> of the records listed in relation `keys` (state,
-- state_student_id): their record type, key and stamp (missing_student_record).
create or replace temp macro raw_rows_of(record_type, keys) as table
select
    record_type as record_type,
    r.state,
    r.state_student_id,
    r.stamp
from query_table('raw.' || record_type) as r
semi join query_table(keys) as k
    on r.state = k.state and r.state_student_id = k.state_student_id;

-- A departure: a state records a qualifying move whose destination is another state.
-- The notice date is the first submission that carried it. A table: three readers.
create or replace temp table departures as
with first_stamps as (
    select state, state_student_id, qad, move_to_state, min(stamp) as first_stamp
    from raw_moves
    where stamp <= getvariable('as_of_ts')
    group by all
)

select
    moves.state,
    moves.state_student_id,
    moves.national_id,
    moves.move_to_state as to_state,
    coalesce(moves.lqm_date, moves.qad) as departure_date,
    first_stamps.first_stamp as notice_stamp
from cur_moves as moves
inner join first_stamps
    on moves.state = first_stamps.state
    and moves.state_student_id = first_stamps.state_student_id
    and moves.qad = first_stamps.qad
    and moves.move_to_state = first_stamps.move_to_state
where moves.move_to_state is not null and moves.move_to_state <> moves.state;

-- The first day each state submitted anything: clocks start counting from then. From
-- raw.students whole, also in an incremental run (a state's first day is not a record's).
create or replace temp table state_onboarding as
select state, min(stamp)::date as first_day
from raw.students
group by state;
