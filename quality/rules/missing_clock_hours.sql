-- Contract §4: `clock_hours` is "required when no credit is given". Read as: a current course
-- row whose `credits_granted` is missing (no credit given: a course still in progress, or one
-- whose credit was not reported) must carry `clock_hours`, so the receiving school can weigh
-- the time spent (partial credit for a child who moved mid-term). A `credits_granted` of 0 is
-- a credit decision (a failed course) and needs no clock hours. The row still loads (the
-- column is not required on every row); the state gets a warning.
select
    state,
    national_id as msix_id,
    state_student_id,
    concat_ws('/', school_id, school_year, term_type, course_title, course_section) as subject_key,
    'course ' || course_title || ' (' || school_year || ' ' || term_type
    || ') has neither credits granted nor clock hours' as detail
from cur_courses
where credits_granted is null and clock_hours is null
