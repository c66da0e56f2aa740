-- One child enrolled in two states at once for more than 7 days. The earlier enrollment must
-- have a withdrawal date (an open one is `missing_withdrawal_date`); an open later enrollment
-- runs to the run clock. Both states get the finding.
with enrollments as (
    select
        state,
        state_student_id,
        national_id,
        school_id,
        enrollment_date,
        withdrawal_date,
        coalesce(withdrawal_date, getvariable('as_of')) as end_date
    from cur_enrollments
    where national_id is not null and enrollment_type <> '05'
),

overlapping as (
    select
        a.state,
        a.state_student_id,
        a.national_id,
        a.school_id,
        a.enrollment_date,
        b.state as other_state,
        least(a.end_date, b.end_date) - greatest(a.enrollment_date, b.enrollment_date) as days
    from enrollments as a
    inner join enrollments as b
        on a.national_id = b.national_id and a.state <> b.state
    where
        (a.enrollment_date <= b.enrollment_date and a.withdrawal_date is not null)
        or (b.enrollment_date < a.enrollment_date and b.withdrawal_date is not null)
)

select
    state,
    national_id as msix_id,
    state_student_id,
    school_id || '/' || enrollment_date || '/' || other_state as subject_key,
    'enrollment at school ' || school_id || ' from ' || enrollment_date
    || ' overlaps an enrollment in ' || other_state || ' by ' || max(days) || ' days' as detail
from overlapping
where days > 7
group by state, national_id, state_student_id, school_id, enrollment_date, other_state
