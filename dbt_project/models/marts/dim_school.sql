-- One row per school (or MEP project facility) seen in any current enrollment or course record.

with

enrollments as (

    select * from {{ ref('int_enrollments_current') }}

),

courses as (

    select * from {{ ref('int_courses_current') }}

),

named_schools as (

    select
        school_id,
        state,
        district_id,
        school_name,
        stamp

    from enrollments
    qualify row_number() over (
        partition by school_id
        order by stamp desc, state asc, school_name asc, district_id asc nulls last
    ) = 1

),

course_only_schools as (

    select
        school_id,
        state,
        null as district_id,
        null as school_name,
        stamp

    from courses
    where school_id not in (select named_schools.school_id from named_schools)
    qualify row_number() over (partition by school_id order by stamp desc, state asc) = 1

),

final as (

    select
        cast(school_id as varchar) as school_id,
        cast(state as varchar) as state,
        cast(district_id as varchar) as district_id,
        cast(school_name as varchar) as school_name,
        cast(stamp as timestamp) as latest_stamp

    from named_schools

    union all

    select
        cast(school_id as varchar) as school_id,
        cast(state as varchar) as state,
        cast(district_id as varchar) as district_id,
        cast(school_name as varchar) as school_name,
        cast(stamp as timestamp) as latest_stamp

    from course_only_schools

)

select * from final
