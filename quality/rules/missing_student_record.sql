-- Child records of a student the state never sent: moves, enrollments, courses or assessments
-- of a (state, state_student_id) with no student row of that state at any stamp visible at the
-- clock. They are loaded but reach no national ID and no mart. A retraction (action D) is a
-- student row: a retracted student's records stop counting by contract and raise nothing. One
-- finding per record type, counting the rows of the latest submission that carried that type
-- (the state's current list); it closes when the student row arrives.
-- `child_record_keys` (quality/scope.py) holds the records in scope of an incremental run, or
-- every key of the child tables; the kept `quality.latest_students` holds every record's
-- latest visible student row at this clock (quality/records.py; read whole: the scoped
-- `latest_students` view would semi-join it with the scope first, which cost more). The raw
-- child rows are read for the few keys left only (`raw_rows_of`, rules/_current.sql).
with unsent as (
    select k.state, k.state_student_id
    from child_record_keys as k
    anti join quality.latest_students as s
        on k.state = s.state and k.state_student_id = s.state_student_id
),

child_rows as (
    select * from raw_rows_of('moves', 'unsent')
    union all
    select * from raw_rows_of('enrollments', 'unsent')
    union all
    select * from raw_rows_of('courses', 'unsent')
    union all
    select * from raw_rows_of('assessments', 'unsent')
),

current_rows as (
    select record_type, state, state_student_id, stamp
    from child_rows
    where stamp <= getvariable('as_of_ts')
    qualify stamp = max(stamp) over (partition by record_type, state, state_student_id)
)

select
    state,
    null::varchar as msix_id,
    state_student_id,
    record_type as subject_key,
    count(*) || ' ' || record_type || ' row(s) of the submission of '
    || strftime(max(stamp), '%Y-%m-%d %H:%M:%S')
    || ' but no student row from this state: they reach no national ID and no report'
    as detail
from current_rows
group by record_type, state, state_student_id
