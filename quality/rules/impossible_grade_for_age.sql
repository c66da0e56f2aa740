-- A grade level implausible for the child's age on the enrollment date (as the state records
-- the birth date): younger than grade + 4 or older than grade + 9 (kindergarten is grade 0).
with graded as (
    select
        e.state,
        e.state_student_id,
        e.national_id,
        e.school_id,
        e.enrollment_date,
        e.grade_level,
        case e.grade_level when 'PK' then -1 when 'KG' then 0 else try_cast(e.grade_level as integer) end
            as grade,
        year(e.enrollment_date) - year(s.birth_date)
        - (strftime(e.enrollment_date, '%m%d') < strftime(s.birth_date, '%m%d'))::integer as age
    from cur_enrollments as e
    inner join cur_students as s
        on e.state = s.state and e.state_student_id = s.state_student_id
)

select
    state,
    national_id as msix_id,
    state_student_id,
    school_id || '/' || enrollment_date as subject_key,
    'grade ' || grade_level || ' at school ' || school_id || ' from ' || enrollment_date
    || ' is implausible for the recorded age' as detail
from graded
where grade is not null and (age < grade + 4 or age > grade + 9)
