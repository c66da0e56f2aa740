-- An enrollment is still open (no withdrawal date) although the child enrolled in another
-- state afterwards.
with open_enrollments as (
    select state, state_student_id, national_id, school_id, enrollment_date
    from cur_enrollments
    where withdrawal_date is null and national_id is not null
),

later_elsewhere as (
    select
        o.state,
        o.state_student_id,
        o.national_id,
        o.school_id,
        o.enrollment_date,
        string_agg(distinct e.state, ', ' order by e.state) as later_states
    from open_enrollments as o
    inner join cur_enrollments as e
        on o.national_id = e.national_id and o.state <> e.state
        and e.enrollment_date > o.enrollment_date
    group by all
)

select
    state,
    national_id as msix_id,
    state_student_id,
    school_id || '/' || enrollment_date as subject_key,
    'enrollment at school ' || school_id || ' since ' || enrollment_date
    || ' has no withdrawal date, but the child enrolled later in ' || later_states as detail
from later_elsewhere
