-- A course grants more credits than were attempted.
select
    state,
    national_id as msix_id,
    state_student_id,
    concat_ws('/', school_id, school_year, term_type, course_title, course_section) as subject_key,
    'course ' || course_title || ' (' || school_year || ' ' || term_type || ') grants '
    || credits_granted || ' credits of ' || credits_attempted || ' attempted' as detail
from cur_courses
where credits_granted > credits_attempted
