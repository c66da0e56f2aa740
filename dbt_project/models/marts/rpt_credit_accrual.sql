-- One row per secondary student (a course record, or an enrollment in grades 9-12): credits
-- granted in total and by subject area, courses still in progress (count and credits), and the states
-- the courses came from. Credits are DECIMAL, summed exactly. Incremental by national ID
-- (incremental_records.sql).

{{ incremental_identities_config('courses,enrollments') }}

with

courses as (

    select course_facts.* from {{ ref('fct_course') }} as course_facts
    {{ incremental_children_filter('course_facts.msix_id') }}

),

secondary_enrollments as (

    select distinct enrollment_facts.msix_id
    from {{ ref('fct_enrollment') }} as enrollment_facts
    {{ incremental_children_filter(
        'enrollment_facts.msix_id', "enrollment_facts.grade_level in ('09', '10', '11', '12')"
    ) }}

),

secondary_students as (

    select msix_id from secondary_enrollments
    union
    select msix_id from courses

),

course_totals as (

    select
        msix_id,
        sum(coalesce(credits_granted, 0)) as credits_granted_total,
        sum(coalesce(credits_attempted, 0)) as credits_attempted_total,
        sum(case when in_progress then coalesce(credits_attempted, 0) else 0 end) as in_progress_credits_attempted,
        count(*) as courses_total,
        count(*) filter (where in_progress) as courses_in_progress,
        sum(case when subject_area = '01' then coalesce(credits_granted, 0) else 0 end) as credits_english,
        sum(case when subject_area = '02' then coalesce(credits_granted, 0) else 0 end) as credits_mathematics,
        sum(case when subject_area = '03' then coalesce(credits_granted, 0) else 0 end) as credits_science,
        sum(case when subject_area = '04' then coalesce(credits_granted, 0) else 0 end) as credits_social_sciences,
        sum(case when subject_area = '05' then coalesce(credits_granted, 0) else 0 end) as credits_fine_arts,
        sum(case when subject_area = '08' then coalesce(credits_granted, 0) else 0 end) as credits_physical_health,
        sum(case when subject_area = '24' then coalesce(credits_granted, 0) else 0 end) as credits_world_languages,
        sum(
            case when subject_area between '10' and '21' then coalesce(credits_granted, 0) else 0 end
        ) as credits_career_technical,
        sum(
            case when subject_area in ('07', '22', '23') then coalesce(credits_granted, 0) else 0 end
        ) as credits_other,
        list_sort(list_distinct(list(state))) as states

    from courses
    group by msix_id

),

final as (

    select
        cast(secondary_students.msix_id as varchar) as msix_id,
        cast(coalesce(course_totals.credits_granted_total, 0) as decimal(8, 2)) as credits_granted_total,
        cast(coalesce(course_totals.credits_attempted_total, 0) as decimal(8, 2)) as credits_attempted_total,
        cast(coalesce(course_totals.courses_in_progress, 0) as integer) as credits_in_progress,
        cast(
            coalesce(course_totals.in_progress_credits_attempted, 0) as decimal(8, 2)
        ) as in_progress_credits_attempted,
        cast(coalesce(course_totals.courses_total, 0) as integer) as courses_total,
        cast(coalesce(course_totals.credits_english, 0) as decimal(8, 2)) as credits_english,
        cast(coalesce(course_totals.credits_mathematics, 0) as decimal(8, 2)) as credits_mathematics,
        cast(coalesce(course_totals.credits_science, 0) as decimal(8, 2)) as credits_science,
        cast(coalesce(course_totals.credits_social_sciences, 0) as decimal(8, 2)) as credits_social_sciences,
        cast(coalesce(course_totals.credits_fine_arts, 0) as decimal(8, 2)) as credits_fine_arts,
        cast(coalesce(course_totals.credits_physical_health, 0) as decimal(8, 2)) as credits_physical_health,
        cast(coalesce(course_totals.credits_world_languages, 0) as decimal(8, 2)) as credits_world_languages,
        cast(coalesce(course_totals.credits_career_technical, 0) as decimal(8, 2)) as credits_career_technical,
        cast(coalesce(course_totals.credits_other, 0) as decimal(8, 2)) as credits_other,
        cast(coalesce(course_totals.states, []) as varchar[]) as states

    from secondary_students
    left join course_totals
        on secondary_students.msix_id = course_totals.msix_id

)

select * from final
