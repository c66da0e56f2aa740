-- A secondary student (grades 09-12) withdrew more than 30 days before the run clock and the
-- state holds no course record from that school.
with secondary_withdrawals as (
    select state, state_student_id, national_id, school_id, withdrawal_date
    from cur_enrollments
    where
        grade_level in ('09', '10', '11', '12')
        and withdrawal_date is not null
        and withdrawal_date + 30 < getvariable('as_of')
),

courses_held as (
    select distinct state, state_student_id, school_id
    from cur_courses
)

select
    w.state,
    w.national_id as msix_id,
    w.state_student_id,
    w.school_id || '/' || w.withdrawal_date as subject_key,
    'no course history from school ' || w.school_id || ' for a secondary student who withdrew on '
    || w.withdrawal_date as detail
from secondary_withdrawals as w
anti join courses_held as c
    on w.state = c.state and w.state_student_id = c.state_student_id and w.school_id = c.school_id
