-- 34 CFR 200.85: after a term ends, its updates are submitted within 30 calendar days.
-- A course's final grade first submitted more than 30 days after its term's end date
-- (quality.term_end), when the state had already submitted the child's enrollment at that
-- school before the term ended (it knew the child was there and owed the update), for terms
-- that ended after the state's first submission.
-- The terms are dated first (each school year and term type once: few rows), so the
-- aggregation reads only the courses of terms that count, and the enrollments only of the
-- children with a late final grade.
with course_terms as (
    select
        courses.school_year,
        courses.term_type,
        (
            (split_part(courses.school_year, '-', 1)::integer + t.year_offset)::varchar
            || '-' || t.month_day
        )::date as term_end
    from (
        select distinct school_year, term_type
        from raw_courses
        where
            stamp <= getvariable('as_of_ts')
            and coalesce(in_progress, 'N') = 'N'
            and final_grade is not null
    ) as courses
    inner join quality.term_end as t on courses.term_type = t.term_type
    group by all
),

counted_terms as (
    select o.state, ct.school_year, ct.term_type, ct.term_end
    from course_terms as ct
    inner join state_onboarding as o on ct.term_end >= o.first_day
),

late_finals as (
    select
        c.state,
        c.state_student_id,
        c.school_id,
        c.school_year,
        c.term_type,
        c.course_title,
        c.course_section,
        t.term_end,
        min(c.stamp)::date as submitted
    from raw_courses as c
    inner join counted_terms as t
        on c.state = t.state and c.school_year = t.school_year and c.term_type = t.term_type
    where
        c.stamp <= getvariable('as_of_ts')
        and coalesce(c.in_progress, 'N') = 'N'
        and c.final_grade is not null
    group by all
    having min(c.stamp)::date - t.term_end > 30
),

known_enrollments as (
    select e.state, e.state_student_id, e.school_id, min(e.stamp)::date as known_from
    from raw_enrollments as e
    semi join late_finals as f
        on e.state = f.state and e.state_student_id = f.state_student_id and e.school_id = f.school_id
    where e.stamp <= getvariable('as_of_ts')
    group by all
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
from late_finals as c
inner join known_enrollments as k
    on c.state = k.state and c.state_student_id = k.state_student_id and c.school_id = k.school_id
inner join cur_students as s
    on c.state = s.state and c.state_student_id = s.state_student_id
where k.known_from <= c.term_end
