-- 34 CFR 200.85: after a term ends, its updates are submitted within 30 calendar days.
-- A course's final grade first submitted more than 30 days after its term's end date
-- (quality.term_end), when the state had already submitted the child's enrollment at that
-- school before the term ended (it knew the child was there and owed the update), for terms
-- that ended after the state's first submission.
with finals as (
    select
        state,
        state_student_id,
        school_id,
        school_year,
        term_type,
        course_title,
        course_section,
        min(stamp)::date as submitted
    from raw.courses
    where
        stamp <= getvariable('as_of_ts')
        and coalesce(in_progress, 'N') = 'N'
        and final_grade is not null
    group by all
),

known_enrollments as (
    select state, state_student_id, school_id, min(stamp)::date as known_from
    from raw.enrollments
    where stamp <= getvariable('as_of_ts')
    group by all
),

clocked as (
    select
        f.*,
        (
            (split_part(f.school_year, '-', 1)::integer + t.year_offset)::varchar || '-' || t.month_day
        )::date
            as term_end
    from finals as f
    inner join quality.term_end as t on f.term_type = t.term_type
)

select
    c.state,
    s.national_id as msix_id,
    c.state_student_id,
    concat_ws('/', c.school_id, c.school_year, c.term_type, c.course_title, c.course_section)
        as subject_key,
    'final grade of ' || c.course_title || ' (' || c.school_year || ' ' || c.term_type
    || ', term ended ' || c.term_end || ') submitted on ' || c.submitted || ', '
    || (c.submitted - c.term_end) || ' days later (limit 30)' as detail
from clocked as c
inner join state_onboarding as o on c.state = o.state
inner join known_enrollments as k
    on c.state = k.state and c.state_student_id = k.state_student_id and c.school_id = k.school_id
inner join cur_students as s
    on c.state = s.state and c.state_student_id = s.state_student_id
where
    c.term_end >= o.first_day
    and k.known_from <= c.term_end
    and c.submitted - c.term_end > 30
