-- A withdrawal date earlier than the enrollment date.
select
    state,
    national_id as msix_id,
    state_student_id,
    school_id || '/' || enrollment_date as subject_key,
    'withdrawal date ' || withdrawal_date || ' is before the enrollment date ' || enrollment_date
    || ' at school ' || school_id as detail
from cur_enrollments
where withdrawal_date < enrollment_date
