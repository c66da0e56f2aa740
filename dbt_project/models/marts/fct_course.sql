-- One row per course record that counts now, from every state, with exact decimal credits.
-- Incremental by state record (incremental_records.sql).

{{ incremental_linked_records_config('courses') }}

with

courses as (

    select * from {{ ref('int_courses_current') }}

),

xwalk as (

    select * from {{ ref('int_xwalk_resolved') }}

),

final as (

    select
        cast(courses.course_key as varchar) as course_key,
        cast(xwalk.msix_id as varchar) as msix_id,
        cast(courses.state as varchar) as state,
        cast(courses.state_student_id as varchar) as state_student_id,
        cast(courses.school_id as varchar) as school_id,
        cast(courses.school_year as varchar) as school_year,
        cast(courses.term_type as varchar) as term_type,
        cast(courses.course_title as varchar) as course_title,
        cast(courses.subject_area as varchar) as subject_area,
        cast(courses.subject_area_label as varchar) as subject_area_label,
        cast(courses.course_type as varchar) as course_type,
        cast(courses.course_section as varchar) as course_section,
        cast(courses.credits_attempted as decimal(4, 2)) as credits_attempted,
        cast(courses.credits_granted as decimal(4, 2)) as credits_granted,
        cast(courses.clock_hours as integer) as clock_hours,
        cast(courses.grade_to_date as varchar) as grade_to_date,
        cast(courses.final_grade as varchar) as final_grade,
        courses.in_progress,
        cast(courses.stamp as timestamp) as stamp,
        cast(courses.file_name as varchar) as file_name

    from courses
    inner join xwalk
        on
            courses.state = xwalk.state
            and courses.state_student_id = xwalk.state_student_id
    {{ incremental_records_filter('courses') }}

)

select * from final
